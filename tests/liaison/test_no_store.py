"""Pages for signed-in users are never kept in the browser's cache (Back shows current data)."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_signed_in_pages_are_not_stored_and_public_pages_may_be(client: Client, committee_staff: User) -> None:
    public = client.get("/s/")
    assert public.status_code == 200
    assert "no-store" not in public.get("Cache-Control", "")
    client.force_login(committee_staff)
    for path in ("/", "/suggestions/", "/suggestions/?queue=to_hand_over"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path

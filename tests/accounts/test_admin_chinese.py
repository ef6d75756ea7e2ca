"""The admin and the staff forms speak Chinese: the portal's own header, Chinese names for the
login-protection tables, full-width colons after labels and "不限" as the empty filter choice."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_the_admin_index_has_the_portals_header_and_no_english_table_names(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    text = client.get("/admin/").content.decode()
    assert "人大代表联络站平台管理" in text
    assert "Django" not in re.sub(r"<[^>]+>", "", text)
    assert "登录保护" in text
    for english in ("Axes", "Access attempts", "Access logs", "Access failures"):
        assert english not in text, english


def test_filter_and_form_labels_end_with_a_full_width_colon(client: Client, admin_user: User) -> None:
    client.force_login(admin_user)
    for path in ("/suggestions/", "/visits/new/", "/dashboards/"):
        text = client.get(path).content.decode()
        assert not re.findall(r"[\u4e00-\u9fff]:(?!\d)", text), path
        assert "---------" not in text, path
    assert "联络站：" in client.get("/suggestions/").content.decode()

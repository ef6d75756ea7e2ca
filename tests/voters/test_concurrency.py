"""The same suggestion sent twice at the same moment (a double tap on a slow phone) makes one
record, with real concurrent requests against the live server on PostgreSQL and Redis."""

from __future__ import annotations

import http.client
import re
import threading
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from suggestions.models import Suggestion
from tests.voters.conftest import Site, form_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_identical_submissions_at_once_make_one_record(live_server: Any, site: Site) -> None:
    url = urlsplit(str(live_server))
    host, port = url.hostname or "localhost", url.port or 80

    first = http.client.HTTPConnection(host, port, timeout=30)
    first.request("GET", "/s/suggest/")
    page = first.getresponse()
    html = page.read().decode()
    first.close()
    cookie = "; ".join(c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    body = urlencode({**form_data(site), "csrfmiddlewaretoken": token.group(1)})
    barrier = threading.Barrier(3)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def tap() -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        barrier.wait()
        conn.request("POST", "/s/suggest/", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        conn.close()
        with lock:
            results.append((response.status, response.getheader("Location") or ""))

    threads = [threading.Thread(target=tap) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [(302, "/s/suggest/done/")] * 3
    assert Suggestion.objects.count() == 1

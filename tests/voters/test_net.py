"""The client address behind trusted proxies, as rate limits see it."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from voters.net import client_ip, client_key


def request(remote: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/s/status/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("198.51.100.1", "203.0.113.9")) == "198.51.100.1"


def test_with_one_proxy_its_entry_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request("10.0.0.2", "203.0.113.9")) == "203.0.113.9"
    # Whatever the client wrote in front of it is ignored.
    assert client_ip(request("10.0.0.2", "1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_with_two_proxies_the_second_from_the_right_is_the_client(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("10.0.0.3", "6.6.6.6, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"


def test_a_short_or_garbled_header_falls_back_to_the_socket_address(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request("10.0.0.3", "203.0.113.9")) == "10.0.0.3"
    assert client_ip(request("10.0.0.3", "not-an-ip, 10.0.0.2")) == "10.0.0.3"


def test_ipv6_clients_are_counted_by_their_64_bit_prefix(settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    a = client_key(request("2001:db8:1:2:aaaa::1"))
    b = client_key(request("2001:db8:1:2:bbbb::7"))
    c = client_key(request("2001:db8:1:3::1"))
    assert a == b
    assert a != c
    assert client_key(request("203.0.113.5")) == "203.0.113.5"

"""The client's address, trusting X-Forwarded-For only as far as settings say proxies set it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address a request came from.

    With TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For is the
    client (each trusted proxy appended the address it saw); anything left of it is what
    the client claimed and is ignored. With no trusted proxy the header is ignored entirely,
    so a voter cannot dodge a limit by sending a made-up header.
    """
    remote = str(request.META.get("REMOTE_ADDR") or "0.0.0.0")
    count = int(settings.TRUSTED_PROXY_COUNT)
    if count:
        header = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
        hops = [hop.strip() for hop in header.split(",") if hop.strip()]
        if len(hops) >= count:
            candidate = hops[-count]
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                return remote
            return candidate
    return remote


def client_key(request: HttpRequest) -> str:
    """The client address as a rate-limit key: IPv6 by its /64, which one household holds."""
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return ip

"""QR codes as SVG (segno), leading to a page of the voter site at the configured address."""

from __future__ import annotations

import io

import segno
from django.conf import settings


def public_url(path: str) -> str:
    """The absolute address of a path on the site, as printed on posters (SITE_URL, not the request's host)."""
    return f"{settings.SITE_URL}{path}"


def qr_svg(url: str, *, title: str = "") -> bytes:
    """A scalable SVG QR code (viewBox, no fixed size) with a white quiet zone, medium error correction."""
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=1, border=4, dark="#000", light="#fff", xmldecl=False, omitsize=True, title=title)
    return out.getvalue()

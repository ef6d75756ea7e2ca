"""QR codes as SVG (segno), leading to a page of the voter site at the configured address."""

from __future__ import annotations

import io

import segno
from django.conf import settings


def public_url(path: str) -> str:
    """The absolute address of a path on the site, as printed on posters (SITE_URL, not the request's host)."""
    return f"{settings.SITE_URL}{path}"


MODULE_PIXELS = 8  # intrinsic size of one module; the viewBox lets CSS scale it to any size


def qr_svg(url: str, *, title: str = "") -> bytes:
    """An SVG QR code with a white quiet zone and medium error correction.

    It has a viewBox (so a poster can print it at any size) and an intrinsic width and
    height (so browsers size an <img> of it without CSS).
    """
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=1, border=4, dark="#000", light="#fff", xmldecl=False, omitsize=True, title=title)
    side = (code.symbol_size(scale=1, border=4)[0]) * MODULE_PIXELS
    return out.getvalue().replace(b"<svg ", f'<svg width="{side}" height="{side}" '.encode(), 1)

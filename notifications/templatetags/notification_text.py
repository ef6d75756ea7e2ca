"""A notification's body as HTML: line breaks kept, and the portal's own addresses as links.

Bodies are plain text from our message templates, but they quote voters' titles; only links
to this portal (SITE_URL) become clickable, so a web address typed by a voter stays text.
"""

from __future__ import annotations

import re

from django import template
from django.conf import settings
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def notification_body(text: str) -> SafeString:
    escaped = str(escape(text))
    site = re.escape(str(escape(settings.SITE_URL)))
    pattern = re.compile(site + r"(/[^\s<>\"'，。；、）)]*)?")

    def link(match: re.Match[str]) -> str:
        path = match.group(1) or "/"
        # Both parts are substrings of the escaped text already.
        return str(format_html('<a href="{}">{}</a>', mark_safe(path), mark_safe(match.group(0))))

    return mark_safe(pattern.sub(link, escaped).replace("\n", "<br>"))

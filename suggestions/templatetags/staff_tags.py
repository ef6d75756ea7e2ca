"""Display helpers for the staff templates (no queries)."""

from __future__ import annotations

from django import template

from suggestions.tracking import tracking_code_display

register = template.Library()


@register.filter
def tracking_code(value: str) -> str:
    """K7MQ3X9PRT → K7MQ3-X9PRT, for reading aloud."""
    return tracking_code_display(value or "")

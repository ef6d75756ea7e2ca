"""Display helpers for the staff templates (no queries)."""

from __future__ import annotations

from html import escape

from django import template
from django.template import Context
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_noop

from suggestions.listing import ListRow
from suggestions.tracking import tracking_code_display

register = template.Library()


@register.filter
def tracking_code(value: str) -> str:
    """K7MQ3X9PRT → K7MQ3-X9PRT, for reading aloud."""
    return tracking_code_display(value or "")


# The queue whose lines committee staff may close once the voter's feedback window has passed.
CLOSABLE_QUEUE = "awaiting_feedback"


@register.simple_tag(takes_context=True)
def suggestion_rows(context: Context, rows: list[ListRow]) -> SafeString:
    """The <tr>s of a suggestion list, built in Python: fifty lines of eight cells through the
    template engine cost a list page more than its query did. Every value is escaped here.
    In the committee's 已答复待反馈 queue a line past its feedback window says 可办结."""
    queue = context.get("queue")
    closable_queue = getattr(queue, "code", "") == CLOSABLE_QUEUE
    label = {
        key: escape(gettext(text))
        for key, text in (
            ("code", "Tracking code"),
            ("title", "Title"),
            ("state", "State"),
            ("category", "Category"),
            ("place", "Station or region"),
            ("unit", "Lead unit"),
            ("due", "Due"),
            ("received", "Received on"),
            ("urgent", "Urgent"),
            ("overdue", "Overdue"),
            ("closable", gettext_noop("Can be closed")),
        )
    }
    overdue_class = ' class="is-overdue"'
    lines = []
    for r in rows:
        url = escape(r.url)
        badges = ""
        if r.urgent:
            badges += f' <span class="badge badge-urgent">{label["urgent"]}</span>'
        if r.supervision_level:
            badges += f' <span class="badge badge-supervision">{escape(r.supervision_label)}</span>'
        due = "—"
        if r.due:
            due = f'<time datetime="{escape(r.due)}">{escape(r.due)}</time>'
            if r.overdue:
                due += f' <span class="badge badge-overdue">{label["overdue"]}</span>'
            elif r.closable and closable_queue:
                due += f' <span class="badge badge-closable" data-testid="closable">{label["closable"]}</span>'
        if r.stage_age is not None:
            age = gettext("%(age)s of %(limit)s working days used") % {"age": r.stage_age, "limit": r.stage_limit}
            due += f' <small class="stage-age" data-testid="stage-age">{escape(age)}</small>'
        lines.append(
            f"<tr{overdue_class if r.overdue else ''}>"
            f'<td data-label="{label["code"]}"><a class="code" href="{url}">'
            f"{escape(tracking_code_display(r.tracking_code))}</a></td>"
            f'<td data-label="{label["title"]}" class="title-cell"><a href="{url}" tabindex="-1">'
            f"{escape(r.title)}</a>{badges}</td>"
            f'<td data-label="{label["state"]}"><span class="state state-{escape(r.state)}">'
            f"{escape(r.state_label)}</span></td>"
            f'<td data-label="{label["category"]}" class="hide-phone">{escape(r.category or "—")}</td>'
            f'<td data-label="{label["place"]}">{escape(r.place)}</td>'
            f'<td data-label="{label["unit"]}">{escape(r.lead_unit or "—")}</td>'
            f'<td data-label="{label["due"]}">{due}</td>'
            f'<td data-label="{label["received"]}" class="hide-phone">'
            f'<time datetime="{escape(r.received_iso)}">{escape(r.received_on)}</time></td>'
            "</tr>"
        )
    return mark_safe("\n".join(lines))

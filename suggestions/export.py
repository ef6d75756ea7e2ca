"""Excel export of a suggestion list (DESIGN §6).

The workbook is written in openpyxl's write-only mode, row by row from a server-side
iterator, so memory stays flat however long the list. Every text cell is stored as
text: one that starts like a formula (= + - @) also gets Excel's "quote prefix", so a
voter's words can never become a formula, not even after someone edits the cell.

Rows a viewer may not see the voter's data of (handling units, representatives) go out
masked (`masked`); every export writes one `ExportLog` row (exports.services), in the
request for a short list, when its job completes for a long one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from suggestions.masking import mask_name, mask_phone, mask_reply, mask_text
from suggestions.models import ExportPersonalData, State, Suggestion
from suggestions.tracking import tracking_code_display

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _overdue(s: Suggestion, today: dt.date) -> str:
    late = (s.state == State.ASSIGNED and s.ack_due is not None and s.ack_due < today) or (
        s.state in (State.ASSIGNED, State.IN_PROGRESS) and s.reply_due is not None and s.reply_due < today
    )
    return gettext("Yes") if late else ""


Column = tuple[str | Promise, int, Callable[[Suggestion, dt.date], Any]]

COLUMNS: tuple[Column, ...] = (
    (_("Tracking code"), 14, lambda s, t: tracking_code_display(s.tracking_code)),
    (_("Title"), 30, lambda s, t: s.title),
    (_("Content"), 50, lambda s, t: s.content),
    (_("State"), 10, lambda s, t: s.get_state_display()),
    (_("Category"), 12, lambda s, t: s.category.name if s.category else ""),
    (_("Urgency"), 8, lambda s, t: s.get_urgency_display()),
    (_("Region"), 14, lambda s, t: s.region.name),
    (_("Location"), 24, lambda s, t: s.address),
    (_("Station"), 22, lambda s, t: s.station.name if s.station else ""),
    (_("Channel"), 12, lambda s, t: s.get_channel_display()),
    (_("Receiving representative"), 12, lambda s, t: s.representative.name if s.representative else ""),
    (_("Voter's name"), 10, lambda s, t: s.submitter_name),
    (_("Voter's phone"), 15, lambda s, t: s.submitter_phone),
    (_("Voter's address"), 24, lambda s, t: s.submitter_address),
    (_("Consent to publish"), 8, lambda s, t: gettext("Yes") if s.consent_to_publish else gettext("No")),
    (_("Lead unit"), 20, lambda s, t: s.lead_unit.name if s.lead_unit else ""),
    (_("Handed over at"), 16, lambda s, t: _local(s.assigned_at)),
    (_("Acknowledge by"), 11, lambda s, t: _date(s.ack_due)),
    (_("Reply by"), 11, lambda s, t: _date(s.reply_due)),
    (_("Overdue"), 6, _overdue),
    (_("Supervision level"), 10, lambda s, t: s.get_supervision_level_display()),
    (_("Reply category"), 14, lambda s, t: s.get_reply_category_display() if s.reply_category else ""),
    (_("Reply"), 50, lambda s, t: s.reply_text),
    (_("Replied at"), 16, lambda s, t: _local(s.replied_at)),
    (_("Rating"), 10, lambda s, t: s.get_rating_display() if s.rating else ""),
    (_("Received at"), 16, lambda s, t: _local(s.created_at)),
)


def text_cell(sheet: Worksheet, value: Any) -> WriteOnlyCell:
    """A cell that holds `value` as text, never as a formula."""
    text = "" if value is None else str(value)
    if not text:
        return WriteOnlyCell(sheet, value=None)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def masked(s: Suggestion) -> Suggestion:
    """The row as a viewer without the right to the voter's data exports it: the name as 张**,
    the phone as 138****5678, no e-mail or address, and the voter's name and every phone or
    ID number masked inside the title, the content and the reply (a unit's landline stays)."""
    names = (s.submitter_name,)
    s.title = mask_text(s.title, names=names)
    s.content = mask_text(s.content, names=names)
    s.reply_text = mask_reply(s.reply_text, submitter_name=s.submitter_name, submitter_phone=s.submitter_phone)
    s.submitter_name = mask_name(s.submitter_name)
    s.submitter_phone = mask_phone(s.submitter_phone)
    s.submitter_email = ""
    s.submitter_address = "***" if s.submitter_address else ""
    return s


@dataclass
class Exported:
    rows: int
    personal_data: ExportPersonalData


def suggestions_workbook(
    *,
    qs: QuerySet[Suggestion],
    out: IO[bytes],
    personal: Callable[[Suggestion], bool] = lambda s: True,
    progress: Callable[[int], None] = lambda rows: None,
    chunk_size: int = 2000,
) -> Exported:
    """Write the rows of `qs` (already scoped and filtered) to `out`, each row's voter data in
    full only where `personal(row)` says so (suggestions.selectors.personal_data_visible);
    `progress` hears the rows written so far after each one (an export job throttles it).
    Returns the number of rows and how the voters' data went out."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=gettext("Suggestions"))
    for index, (_label, width, _value) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for label, _width, _value in COLUMNS:
        cell = text_cell(sheet, str(label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    today = timezone.localdate()
    count = full = 0
    rows = qs.select_related("category", "region", "station", "lead_unit", "representative").order_by("-id")
    for suggestion in rows.iterator(chunk_size=chunk_size):
        if personal(suggestion):
            full += 1
        else:
            suggestion = masked(suggestion)
        sheet.append([text_cell(sheet, value(suggestion, today)) for _label, _width, value in COLUMNS])
        count += 1
        progress(count)
    book.save(out)
    return Exported(rows=count, personal_data=personal_data_of(rows=count, full=full))


def personal_data_of(*, rows: int, full: int) -> ExportPersonalData:
    """How the voters' data went out, for the export log: `full` of `rows` rows in full."""
    if not rows:
        return ExportPersonalData.NONE
    if full == rows:
        return ExportPersonalData.FULL
    return ExportPersonalData.MASKED if not full else ExportPersonalData.PARTLY_MASKED


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))

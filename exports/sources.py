"""What an export is made of, whatever the list: a source per kind of list.

A source is the list as one user sees it with one set of filters (a query string): it can
count its rows cheaply (with a LIMIT, never an unbounded COUNT) and write them to a
workbook. The request builds it to decide between an instant download and a job; the
Celery task builds it again from the job's owner and query string, so a job exports
exactly what its owner would see, masked for their role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from accounts.models import User
from suggestions.export import Exported, text_cell
from suggestions.models import ExportKind

Progress = Callable[[int], None]

# Query parameters that are not filters: paging, and the page's token that tells it the
# download has started (static/js/app.js).
IGNORED_PARAMS = ("after", "after_name", "after_id", "before", "export_token")


class ExportRefused(Exception):
    """The export cannot be made with these filters; `message` says why, in the user's words."""

    def __init__(self, message: str | Promise, *, drop: tuple[str, ...] = ()) -> None:
        super().__init__(str(message))
        self.message = str(message)
        # Parameters left out of the way back, where the list itself would refuse them.
        self.drop = drop


TOO_MANY = _("The list has more than %(limit)s rows; narrow the filters to export it.")


@dataclass
class Source:
    kind: ExportKind
    stem: str  # the file name before the time stamp, e.g. "visits"
    count: Callable[[int], int]  # the number of rows, counting at most `limit`
    write: Callable[[IO[bytes], Progress], Exported]
    # Said when the list is longer than EXPORT_MAX_ROWS; %(limit)s is the limit.
    too_many: str | Promise = TOO_MANY


SourceFactory = Callable[[User | AnonymousUser, QueryDict], Source]

# Each app builds its own lists; imported when first used, so no app imports another's views.
FACTORIES: dict[str, str] = {
    ExportKind.SUGGESTIONS: "suggestions.views.suggestion_export_source",
    ExportKind.VISITS: "stations.export.visit_export_source",
    ExportKind.REPRESENTATIVES: "representatives.export.file_export_source",
    ExportKind.LEAGUE: "dashboards.exports.league_export_source",
}


# The list each kind is exported from, for the job page's way back.
LIST_URLS: dict[str, str] = {
    ExportKind.SUGGESTIONS: "suggestions:list",
    ExportKind.VISITS: "stations:visit_list",
    ExportKind.REPRESENTATIVES: "representatives:file_list",
    ExportKind.LEAGUE: "dashboards:index",
}


def list_url(kind: str, query: str) -> str:
    path = reverse(LIST_URLS[kind])
    return f"{path}?{query}" if query else path


def source_for(*, kind: str, user: User | AnonymousUser, query: QueryDict) -> Source:
    """The source of `kind` for this user and query; raises ExportRefused for bad filters."""
    factory: SourceFactory = import_string(FACTORIES[kind])
    return factory(user, query)


def filters_only(query: QueryDict) -> QueryDict:
    """The query string without paging and the download token: what the export and its log keep."""
    kept = query.copy()
    for name in IGNORED_PARAMS:
        kept.pop(name, None)
    return kept


def capped_count(qs: QuerySet[Any], limit: int) -> int:
    """How many rows, counting at most `limit`: a COUNT over a LIMITed subquery."""
    return int(qs.order_by().values("pk")[:limit].count())


@dataclass(frozen=True)
class Column:
    header: str | Promise
    width: int


@dataclass(frozen=True)
class Percent:
    """A rate given in percent (87.5), written as a number shown as 87.5%; None stays empty."""

    value: float | None


def _cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, Percent):
        if value.value is None:
            return WriteOnlyCell(sheet, value=None)
        cell = WriteOnlyCell(sheet, value=value.value / 100)
        cell.number_format = "0.0%"
        return cell
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return WriteOnlyCell(sheet, value=value)
    return text_cell(sheet, value)


def write_sheet(
    out: IO[bytes],
    *,
    title: str | Promise,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    progress: Progress,
) -> int:
    """Write one sheet row by row (openpyxl's write-only mode, so memory stays flat): a bold
    header, then the rows. Text goes in as text, never as a formula (suggestions.export.text_cell);
    numbers (and `Percent`s) stay numbers. Calls `progress` with the rows written so far; returns their number."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(title))
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = text_cell(sheet, str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
        progress(count)
    book.save(out)
    return count

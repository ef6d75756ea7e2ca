"""The retention rule (README, "Personal data 个人信息"): a case closed more than N years ago
keeps its figures and loses the voter.

For every such case the voter's name, phone, e-mail and address and the problem's address are
removed, the coordinates cut to two decimals (about a kilometre), and every free text written
about it (title, content, replies, ratings' comments, co-unit opinions, progress reports,
extension reasons, closing and route notes, the public wording, the timeline's notes and a
correction's old and new values) has the voter's name, phone numbers, ID numbers and e-mail
addresses masked as on the public board. Attachments (photos, scanned letters) are deleted.
The visits its suggestions came from have their notes and place masked once none of their
suggestions still holds personal data. Merged duplicates follow the case they were merged into.

Kept as they were: states, dates, categories, regions, stations, units, the case facts, the
ratings and the rounds, so every dashboard figure is the same afterwards. `anonymised_at`
marks each row done: a second run finds nothing to do. The work goes in batches of
`batch_size` cases, each one transaction of a few set-based statements (one UPDATE per table
from arrays of ids and values on PostgreSQL), never one statement per row.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef
from django.dispatch import Signal
from django.utils import timezone

from stations.models import VoterVisit
from suggestions.masking import mask_reply, mask_text
from suggestions.models import (
    Attachment,
    CoOpinion,
    ExtensionRequest,
    Feedback,
    FollowUpReport,
    Reply,
    RetentionRun,
    State,
    Suggestion,
    SuggestionEvent,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000

# Sent once per batch with the ids of the cases just anonymised, inside its transaction: apps
# above this one (notifications: the messages sent to the voter) remove their copies too.
cases_anonymised = Signal()

# The voter's data in a correction's old and new values (suggestions.workflow.PERSONAL_FIELDS).
_PERSONAL = frozenset({"submitter_name", "submitter_phone", "submitter_email", "submitter_address", "address"})
# Free text on the case itself, masked of the voter's name and numbers.
_CASE_TEXTS = (
    "title",
    "content",
    "reply_text",
    "feedback_text",
    "close_note",
    "route_note",
    "public_title",
    "public_content",
    "public_reply",
)
_COORDINATE = Decimal("0.01")


@dataclass
class RetentionResult:
    years: int
    cutoff: dt.datetime
    dry_run: bool
    cases: int = 0
    visits: int = 0
    attachments: int = 0
    seconds: float = 0.0


def retention_cutoff(*, years: int, now: dt.datetime | None = None) -> dt.datetime:
    """The moment `years` calendar years before now (29 February falls back to the 28th)."""
    now = timezone.localtime(now or timezone.now())
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _closed_cases(cutoff: dt.datetime) -> models.QuerySet[Suggestion]:
    return Suggestion.objects.filter(state=State.CLOSED, closed_at__lt=cutoff, anonymised_at__isnull=True)


def _merged_duplicates() -> models.QuerySet[Suggestion]:
    return Suggestion.objects.filter(
        state=State.MERGED, anonymised_at__isnull=True, merged_into__anonymised_at__isnull=False
    )


def _old_visits(cutoff: dt.datetime) -> models.QuerySet[VoterVisit]:
    holding = Suggestion.objects.filter(visit=OuterRef("pk"), anonymised_at__isnull=True)
    return VoterVisit.objects.filter(occurred_at__lt=cutoff, anonymised_at__isnull=True).filter(~Exists(holding))


def anonymise_closed(
    *, years: int, dry_run: bool = False, batch_size: int = BATCH_SIZE, trigger: str = "command"
) -> RetentionResult:
    """Anonymise the cases closed more than `years` years ago (see the module's docstring).

    A dry run counts what would be done and writes nothing but its RetentionRun row."""
    if years < 1:
        raise ValueError("years must be at least 1")
    started = time.monotonic()
    now = timezone.now()
    cutoff = retention_cutoff(years=years, now=now)
    result = RetentionResult(years=years, cutoff=cutoff, dry_run=dry_run)
    run = RetentionRun.objects.create(started_at=now, years=years, cutoff=cutoff, dry_run=dry_run, trigger=trigger)
    if dry_run:
        closed = _closed_cases(cutoff)
        result.cases = (
            closed.count()
            + Suggestion.objects.filter(
                state=State.MERGED, anonymised_at__isnull=True, merged_into__in=closed.values("pk")
            ).count()
        )
        result.attachments = Attachment.objects.filter(suggestion__in=closed.values("pk")).count()
        # Visits whose suggestions are all among those cases, or anonymised already, or none.
        result.visits = (
            VoterVisit.objects.filter(occurred_at__lt=cutoff, anonymised_at__isnull=True)
            .exclude(
                pk__in=Suggestion.objects.filter(visit__isnull=False, anonymised_at__isnull=True)
                .exclude(pk__in=closed.values("pk"))
                .exclude(state=State.MERGED, merged_into__in=closed.values("pk"))
                .values("visit_id")
            )
            .count()
        )
    else:
        for queryset in (_closed_cases(cutoff), _merged_duplicates()):
            for ids in _batches(queryset, batch_size):
                cases, files = _anonymise_cases(ids, now)
                result.cases += cases
                result.attachments += files
                logger.info("retention: %s cases anonymised (to id %s)", result.cases, ids[-1])
        for ids in _batches(_old_visits(cutoff), batch_size):
            result.visits += _anonymise_visits(ids, now)
        if result.cases:
            from liaison import fragments
            from suggestions.workflow import PUBLICATION_CHANGED

            # Published cases among them: the public board's cached lists are computed again.
            fragments.bump(PUBLICATION_CHANGED)
    result.seconds = round(time.monotonic() - started, 3)
    RetentionRun.objects.filter(pk=run.pk).update(
        finished_at=timezone.now(), cases=result.cases, visits=result.visits, attachments=result.attachments
    )
    logger.info(
        "retention %s: closed before %s (%s years): %s cases, %s visits, %s attachments, %.2fs",
        "dry run" if dry_run else "run",
        cutoff.date().isoformat(),
        years,
        result.cases,
        result.visits,
        result.attachments,
        result.seconds,
    )
    return result


def _batches(queryset: models.QuerySet[Any], size: int) -> Iterable[list[int]]:
    """Ids of `queryset` in ascending batches. Rows done are no longer matched, so each batch
    is asked for afresh above the last id seen (a keyset, never an OFFSET)."""
    last = 0
    while True:
        ids = list(queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(_COORDINATE, rounding=ROUND_HALF_UP)


@transaction.atomic
def _anonymise_cases(ids: list[int], now: dt.datetime) -> tuple[int, int]:
    """One batch of cases: returns how many were anonymised and how many attachments deleted."""
    rows = list(
        Suggestion.objects.select_for_update()
        .filter(pk__in=ids, anonymised_at__isnull=True)
        .values("id", "submitter_name", "submitter_phone", "latitude", "longitude", *_CASE_TEXTS)
    )
    if not rows:
        return 0, 0
    voters = {row["id"]: (row["submitter_name"], row["submitter_phone"]) for row in rows}
    done = list(voters)

    def text(row: dict[str, Any], name: str) -> str:
        voter_name, voter_phone = voters[row["id"]]
        return mask_text(row[name] or "", names=(voter_name,), always_mask=(voter_phone,))

    _rewrite(
        Suggestion,
        [
            (
                row["id"],
                *[text(row, name) for name in _CASE_TEXTS],
                _rounded(row["latitude"]),
                _rounded(row["longitude"]),
            )
            for row in rows
        ],
        [*_CASE_TEXTS, "latitude", "longitude"],
        constants={
            "submitter_name": "",
            "submitter_phone": "",
            "submitter_phone_last4": "",
            "submitter_email": "",
            "submitter_address": "",
            "address": "",
            "anonymised_at": now,
        },
        bump_version=True,
    )

    def reply_text(suggestion_id: int, value: str) -> str:
        voter_name, voter_phone = voters[suggestion_id]
        return mask_reply(value, submitter_name=voter_name, submitter_phone=voter_phone)

    def plain_text(suggestion_id: int, value: str) -> str:
        voter_name, voter_phone = voters[suggestion_id]
        return mask_text(value, names=(voter_name,), always_mask=(voter_phone,))

    for model, fields, masker in (
        (Reply, ("text",), reply_text),
        (FollowUpReport, ("text",), reply_text),
        (CoOpinion, ("text",), reply_text),
        (Feedback, ("text",), plain_text),
        (ExtensionRequest, ("reason", "decision_note"), plain_text),
        (SuggestionEvent, ("note",), plain_text),
    ):
        _mask_children(model, done, fields, masker)
    _mask_corrections(done, voters)
    files = _delete_attachments(done)
    cases_anonymised.send(sender=Suggestion, suggestion_ids=done)
    return len(done), files


def _mask_children(
    model: type[models.Model], suggestion_ids: Sequence[int], fields: Sequence[str], masker: Callable[[int, str], str]
) -> None:
    """Mask the free text of one table's rows about these cases; rows it leaves unchanged are not written."""
    changed = []
    for row in model.objects.filter(suggestion_id__in=suggestion_ids).values("id", "suggestion_id", *fields):  # type: ignore[attr-defined]
        values = [masker(row["suggestion_id"], row[name] or "") for name in fields]
        if values != [row[name] or "" for name in fields]:
            changed.append((row["id"], *values))
    _rewrite(model, changed, list(fields))


def _mask_corrections(suggestion_ids: Sequence[int], voters: dict[int, tuple[str, str]]) -> None:
    """A correction's old and new values: the voter's data emptied, the free text masked."""
    changed = []
    for event_id, suggestion_id, data in SuggestionEvent.objects.filter(
        suggestion_id__in=suggestion_ids, action="suggestion.corrected"
    ).values_list("id", "suggestion_id", "data"):
        if not isinstance(data, dict):
            continue
        voter_name, voter_phone = voters[suggestion_id]
        changes = []
        for change in data.get("changes") or []:
            if change.get("field") in _PERSONAL:
                change = {**change, "old": "", "new": ""}
            else:
                change = {
                    **change,
                    **{
                        key: mask_text(change[key], names=(voter_name,), always_mask=(voter_phone,))
                        for key in ("old", "new")
                        if isinstance(change.get(key), str)
                    },
                }
            changes.append(change)
        changed.append((event_id, {**data, "changes": changes}))
    for event_id, data in changed:
        # Corrections are few (an administrator's hand edits): one statement each is fine.
        SuggestionEvent.objects.filter(pk=event_id).update(data=data)


def _delete_attachments(suggestion_ids: Sequence[int]) -> int:
    """Photos and scans may show the voter: the rows go now, the files once the batch commits."""
    attachments = list(Attachment.objects.filter(suggestion_id__in=suggestion_ids).only("id", "file"))
    if not attachments:
        return 0
    files = [a.file for a in attachments if a.file]
    Attachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    def remove_files() -> None:
        for file in files:
            try:
                file.storage.delete(file.name)
            except OSError:  # already gone: nothing left to remove
                logger.warning("retention: attachment file %s could not be removed", file.name)

    transaction.on_commit(remove_files)
    return len(attachments)


@transaction.atomic
def _anonymise_visits(ids: list[int], now: dt.datetime) -> int:
    rows = list(
        VoterVisit.objects.select_for_update()
        .filter(pk__in=ids, anonymised_at__isnull=True)
        .values_list("id", "notes", "place")
    )
    _rewrite(
        VoterVisit,
        [(pk, mask_text(notes or ""), mask_text(place or "")) for pk, notes, place in rows],
        ["notes", "place"],
        constants={"anonymised_at": now},
    )
    return len(rows)


def _concrete(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


def _rewrite(
    model: type[models.Model],
    rows: Sequence[tuple[Any, ...]],
    fields: Sequence[str],
    *,
    constants: dict[str, Any] | None = None,
    bump_version: bool = False,
) -> None:
    """Write `rows` (id, then one value per field) and `constants` to every row in one
    statement: UPDATE … FROM unnest(arrays) on PostgreSQL, Django's bulk_update elsewhere."""
    if not rows:
        return
    constants = constants or {}
    meta = model._meta
    if connection.vendor == "postgresql":
        columns = [_concrete(model, name) for name in fields]
        casts = ["bigint", *(column.db_type(connection) or "text" for column in columns)]
        arrays = [list(values) for values in zip(*rows, strict=True)]
        assignments = [f'"{column.column}" = v."{column.column}"' for column in columns]
        params: list[Any] = []
        for name, value in constants.items():
            assignments.append(f'"{_concrete(model, name).column}" = %s')
            params.append(value)
        if bump_version:
            assignments.append('"version" = t."version" + 1')
        unnest = ", ".join(f"%s::{cast}[]" for cast in casts)
        names = ", ".join(['"id"', *(f'"{column.column}"' for column in columns)])
        sql = (
            f'UPDATE "{meta.db_table}" AS t SET {", ".join(assignments)} '
            f'FROM unnest({unnest}) AS v({names}) WHERE t."id" = v."id"'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *arrays])
        return
    objects = []
    for row in rows:
        obj = model(pk=row[0])
        for name, value in zip(fields, row[1:], strict=True):
            setattr(obj, name, value)
        for name, value in constants.items():
            setattr(obj, name, value)
        objects.append(obj)
    model.objects.bulk_update(objects, [*fields, *constants], batch_size=500)  # type: ignore[attr-defined]
    if bump_version:
        model.objects.filter(pk__in=[row[0] for row in rows]).update(version=models.F("version") + 1)  # type: ignore[attr-defined]

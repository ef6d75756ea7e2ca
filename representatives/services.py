"""Writes for representatives: their own activity records (履职登记, DESIGN §1, §2).

A representative records, corrects and removes their own activities; an administrator
may do so on their behalf. Nobody else may: the performance file 一人一档 is the
representative's own account of their work.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.selectors import user_scope
from representatives.models import Activity, ActivityKind, Representative
from stations.models import Station
from suggestions.errors import WorkflowError

logger = logging.getLogger(__name__)

EARLIEST_DATE = dt.date(2000, 1, 1)
MAX_HOURS = Decimal(24)
TITLE_MAX = 200
NOTES_MAX = 5000

MSG_NOT_YOURS = _("Only the representative (or an administrator) may record or change their activities.")
MSG_FIX_FIELDS = _("Please correct the marked fields.")


def _check_actor(representative: Representative, actor: User) -> None:
    own = representative.user_id is not None and representative.user_id == actor.pk
    if not (own or user_scope(actor).is_admin):
        raise WorkflowError("not_allowed", MSG_NOT_YOURS, status=403)


def _hours(value: Decimal | float | int | str) -> Decimal | None:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return hours if hours.is_finite() else None


def _validated(
    *,
    representative: Representative,
    kind: str,
    date: dt.date,
    hours: Decimal | float | int | str,
    title: str,
    notes: str,
    station: Station | None,
) -> tuple[Decimal, str, str]:
    """The cleaned (hours, title, notes), or WorkflowError `validation` naming every bad field."""
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [str(_("Choose the kind of activity."))]
    today = timezone.localdate()
    if date > today:
        errors["date"] = [str(_("The date cannot be in the future."))]
    elif date < EARLIEST_DATE:
        errors["date"] = [str(_("The date must be in 2000 or later."))]
    amount = _hours(hours)
    if amount is None or not (0 < amount <= MAX_HOURS):
        errors["hours"] = [str(_("Hours must be more than 0 and at most 24."))]
    elif amount != amount.quantize(Decimal("0.1")):
        errors["hours"] = [str(_("Give the hours to one decimal place, for example 1.5."))]
    title = title.strip()
    if not title:
        errors["title"] = [str(_("Give the activity a title."))]
    elif len(title) > TITLE_MAX:
        errors["title"] = [str(_("At most %(limit)s characters.") % {"limit": TITLE_MAX})]
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = [str(_("At most %(limit)s characters.") % {"limit": NOTES_MAX})]
    if station is not None and not representative.stations.filter(pk=station.pk).exists():
        errors["station"] = [str(_("Choose one of the stations the representative is assigned to."))]
    if errors:
        raise WorkflowError("validation", MSG_FIX_FIELDS, status=400, fields=errors)
    assert amount is not None
    return amount.quantize(Decimal("0.1")), title, notes


@transaction.atomic
def activity_record(
    *,
    representative: Representative,
    actor: User,
    kind: str,
    date: dt.date,
    hours: Decimal | float | int | str,
    title: str,
    notes: str = "",
    station: Station | None = None,
) -> Activity:
    """Record one activity of `representative`: kind, date (not in the future), hours (0–24]."""
    _check_actor(representative, actor)
    amount, title, notes = _validated(
        representative=representative, kind=kind, date=date, hours=hours, title=title, notes=notes, station=station
    )
    activity = Activity.objects.create(
        representative=representative,
        kind=kind,
        date=date,
        hours=amount,
        title=title,
        notes=notes,
        station=station,
    )
    logger.info("activity.recorded %s by user %s for representative %s", activity.pk, actor.pk, representative.pk)
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    actor: User,
    kind: str,
    date: dt.date,
    hours: Decimal | float | int | str,
    title: str,
    notes: str = "",
    station: Station | None = None,
) -> Activity:
    """Correct one of the representative's own activities, with the same rules as recording it."""
    row = Activity.objects.select_for_update().select_related("representative").get(pk=activity.pk)
    _check_actor(row.representative, actor)
    amount, title, notes = _validated(
        representative=row.representative, kind=kind, date=date, hours=hours, title=title, notes=notes, station=station
    )
    row.kind, row.date, row.hours, row.title, row.notes, row.station = kind, date, amount, title, notes, station
    row.save(update_fields=["kind", "date", "hours", "title", "notes", "station"])
    logger.info("activity.updated %s by user %s", row.pk, actor.pk)
    return row


@transaction.atomic
def activity_delete(*, activity: Activity, actor: User) -> None:
    """Remove one of the representative's own activities."""
    row = Activity.objects.select_for_update().select_related("representative").get(pk=activity.pk)
    _check_actor(row.representative, actor)
    row.delete()
    logger.info("activity.deleted %s by user %s", activity.pk, actor.pk)

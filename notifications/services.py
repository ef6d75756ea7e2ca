"""Writes for notifications.

The workflow calls `outbox_enqueue` inside its transaction. After commit a task expands
the outbox row into deliveries (`outbox_expand`) and sends them (`deliveries_send`).
A delivery is claimed before it is sent and marked sent right after, so however often a
task is retried or the relay re-sends, each message goes out once; only a worker killed
between handing an e-mail or SMS to its server and recording it can repeat that one
message, never an in-app notification, which is written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from notifications.channels import ChannelSet, in_app_notification
from notifications.models import Channel, Delivery, DeliveryStatus, Notification, Outbox, OutboxStatus
from notifications.recipients import dedupe, language_of, outbox_targets
from notifications.rendering import MessageKind, render_message

if TYPE_CHECKING:
    from suggestions.models import Suggestion

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
RELAY_LIMIT = 5000
MAX_BACKOFF = dt.timedelta(hours=1)


def outbox_enqueue(*, kind: str, suggestion: Suggestion | None, payload: dict[str, Any] | None = None) -> Outbox:
    """Write an outbox row in the caller's transaction and dispatch it after commit.

    If the broker is unreachable the row stays pending and the periodic relay sends
    it later: a broker outage delays a notification, it never loses it or breaks
    the request.
    """
    row = Outbox.objects.create(kind=kind, suggestion=suggestion, payload=payload or {})
    transaction.on_commit(lambda: _dispatch_quietly(row.pk))
    return row


def _dispatch_quietly(outbox_id: int) -> None:
    from notifications.tasks import outbox_dispatch

    enqueue_quietly(outbox_dispatch, outbox_id)


def enqueue_quietly(task: Any, *args: Any) -> bool:
    """Enqueue a task; with the broker down, log and leave the work to the relay instead of failing."""
    try:
        # Fail fast: the web request must not hang on a dead broker, and the relay retries anyway.
        task.apply_async(args=args, retry=True, retry_policy={"max_retries": 1, "interval_start": 0.1})
    except Exception:
        name = getattr(task, "name", task)
        logger.warning("Could not enqueue %s%r; the relay will retry.", name, args, exc_info=True)
        return False
    return True


def batched(ids: Sequence[int], size: int = BATCH_SIZE) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def deliveries_enqueue(delivery_ids: Sequence[int]) -> int:
    """Send deliveries in batches, one task each; returns how many batches were enqueued."""
    from notifications.tasks import deliveries_send as deliveries_send_task

    enqueued = 0
    for batch in batched(delivery_ids):
        if not enqueue_quietly(deliveries_send_task, batch):
            break  # the broker is down: the relay sends the rest
        enqueued += 1
    return enqueued


# --- Outbox → deliveries ---------------------------------------------------------------------------


def outbox_expand(*, outbox_id: int) -> list[int]:
    """Create the deliveries of one outbox row, once, and return the ids of those still to send."""
    now = timezone.now()
    try:
        with transaction.atomic():
            outbox = (
                Outbox.objects.select_for_update(of=("self",))
                .select_related("suggestion__region", "suggestion__representative__user")
                .filter(pk=outbox_id)
                .first()
            )
            if outbox is None:
                return []
            if outbox.status == OutboxStatus.PENDING:
                key = f"outbox:{outbox.pk}"
                targets = dedupe(outbox_targets(outbox))
                Delivery.objects.bulk_create(
                    [
                        Delivery(
                            key=key,
                            channel=t.channel,
                            recipient=t.recipient,
                            user_id=t.user_id,
                            suggestion_id=outbox.suggestion_id,
                            outbox=outbox,
                            kind=t.kind,
                            context=t.context,
                            language=t.language or settings.LANGUAGE_CODE,
                        )
                        for t in targets
                    ],
                    ignore_conflicts=True,
                )
                Outbox.objects.filter(pk=outbox.pk).update(
                    status=OutboxStatus.SENT, sent_at=now, attempts=F("attempts") + 1, last_error=""
                )
    except Exception as exc:
        _outbox_failed(outbox_id, exc)
        raise
    to_send = Delivery.objects.filter(outbox_id=outbox_id).filter(claimable_q(now))
    return list(to_send.order_by("id").values_list("id", flat=True))


def _outbox_failed(outbox_id: int, exc: Exception) -> None:
    Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING).update(
        attempts=F("attempts") + 1, last_error=repr(exc)[:2000]
    )
    Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING, attempts__gte=settings.NOTIFY_MAX_ATTEMPTS).update(
        status=OutboxStatus.FAILED
    )


# --- Sending -------------------------------------------------------------------------------------


def claimable_q(now: dt.datetime) -> Q:
    """Deliveries a worker may take now: pending and due, or claimed by a worker whose claim ran out."""
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return (Q(status=DeliveryStatus.PENDING) & due | Q(status=DeliveryStatus.SENDING, claimed_until__lt=now)) & Q(
        attempts__lt=settings.NOTIFY_MAX_ATTEMPTS
    )


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next attempt: NOTIFY_RETRY_SECONDS, doubling per attempt, at most an hour."""
    delay = dt.timedelta(seconds=settings.NOTIFY_RETRY_SECONDS * 2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    claimed = (
        Delivery.objects.filter(pk=delivery_id)
        .filter(claimable_q(now))
        .update(
            status=DeliveryStatus.SENDING,
            claimed_until=now + dt.timedelta(seconds=settings.NOTIFY_CLAIM_SECONDS),
            attempts=F("attempts") + 1,
        )
    )
    return claimed == 1


def _release(delivery: Delivery, exc: BaseException, *, now: dt.datetime) -> bool:
    """Record a failed attempt; returns True when the delivery has given up."""
    attempts = Delivery.objects.filter(pk=delivery.pk).values_list("attempts", flat=True).first() or 0
    give_up = attempts >= settings.NOTIFY_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        claimed_until=None,
        next_attempt_at=None if give_up else now + backoff(attempts),
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )
    return give_up


def _extra_context(delivery: Delivery) -> dict[str, Any]:
    if delivery.kind != MessageKind.DIGEST or delivery.user_id is None:
        return {}
    unread = Notification.objects.filter(recipient_id=delivery.user_id, read_at__isnull=True)
    return {
        "unread_count": unread.values("id")[:100].count(),
        "latest": list(unread.order_by("-id").only("title", "url", "created_at")[:10]),
    }


_RELATED = ("suggestion__lead_unit", "suggestion__region", "outbox")


def deliveries_send(*, delivery_ids: Sequence[int]) -> SendReport:
    """Send these deliveries, each at most once; a failure on one does not stop the others.

    In-app notifications of the batch are written in one transaction with their deliveries
    marked sent. E-mail and SMS go one at a time: claim, hand to the server, mark sent.
    """
    report = SendReport()
    ids = sorted(set(delivery_ids))
    _send_in_app(ids, report)
    rows = list(
        Delivery.objects.filter(pk__in=ids)
        .exclude(channel=Channel.IN_APP)
        .filter(claimable_q(timezone.now()))
        .select_related(*_RELATED)
        .order_by("id")
    )
    with ChannelSet() as channels:
        for delivery in rows:
            now = timezone.now()
            if not _claim(delivery.pk, now):
                report.skipped += 1  # sent meanwhile, or another worker has it
                continue
            try:
                message = render_message(delivery, extra=_extra_context(delivery))
                channels.get(delivery.channel).send(delivery, message)
            except SoftTimeLimitExceeded as exc:
                # Out of time before this one went out: give it back, not counted as an attempt.
                Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
                    status=DeliveryStatus.PENDING, claimed_until=None, attempts=F("attempts") - 1, last_error=repr(exc)
                )
                raise
            except Exception as exc:
                logger.warning("Delivery %s (%s) failed", delivery.pk, delivery.channel, exc_info=True)
                _release(delivery, exc, now=timezone.now())
                report.failed += 1
                report.errors.append(f"{delivery.pk}: {exc}")
                continue
            Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.SENT,
                sent_at=timezone.now(),
                claimed_until=None,
                next_attempt_at=None,
                last_error="",
            )
            report.sent += 1
    report.skipped = len(ids) - report.sent - report.failed
    voter_outboxes = {d.outbox_id for d in rows if d.kind == MessageKind.REPLIED_VOTER and d.outbox_id}
    _scrub_feedback_tokens(voter_outboxes)
    return report


@transaction.atomic
def _send_in_app(ids: Sequence[int], report: SendReport) -> None:
    """The batch's in-app notifications and their deliveries marked sent, in one transaction.

    Rows another worker is on are skipped (SKIP LOCKED); if this worker dies, the transaction
    rolls back and nothing was shown: exactly once without a claim.
    """
    now = timezone.now()
    rows = list(
        Delivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, channel=Channel.IN_APP)
        .filter(claimable_q(now))
        .select_related(*_RELATED)
        .order_by("id")
    )
    notes: list[Notification] = []
    for delivery in rows:
        try:
            message = render_message(delivery, extra=_extra_context(delivery))
        except Exception as exc:
            logger.warning("Delivery %s (in-app) failed", delivery.pk, exc_info=True)
            _record_failure(delivery, exc, now=now)
            report.failed += 1
            continue
        notes.append(in_app_notification(delivery, message))
    # A conflict means an earlier attempt already wrote it: delivered either way.
    Notification.objects.bulk_create(notes, ignore_conflicts=True)
    Delivery.objects.filter(pk__in=[n.delivery_id for n in notes]).update(
        status=DeliveryStatus.SENT,
        sent_at=now,
        attempts=F("attempts") + 1,
        claimed_until=None,
        next_attempt_at=None,
        last_error="",
    )
    report.sent += len(notes)


def _record_failure(delivery: Delivery, exc: BaseException, *, now: dt.datetime) -> None:
    attempts = delivery.attempts + 1
    give_up = attempts >= settings.NOTIFY_MAX_ATTEMPTS
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED if give_up else DeliveryStatus.PENDING,
        attempts=attempts,
        claimed_until=None,
        next_attempt_at=None if give_up else now + backoff(attempts),
        last_error=f"{type(exc).__name__}: {exc}"[:2000],
    )


def _scrub_feedback_tokens(outbox_ids: set[int]) -> None:
    """Once every message to the voter is out, the raw feedback token leaves the outbox payload.

    Only its hash is kept in FeedbackToken; the raw token lived in the payload just long
    enough to be put into the voter's e-mail and SMS.
    """
    for outbox_id in outbox_ids:
        unsent = Delivery.objects.filter(
            outbox_id=outbox_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        ).exists()
        if unsent:
            continue
        with transaction.atomic():
            outbox = Outbox.objects.select_for_update().filter(pk=outbox_id).first()
            if outbox is not None and "feedback_token" in outbox.payload:
                outbox.payload = {k: v for k, v in outbox.payload.items() if k != "feedback_token"}
                outbox.save(update_fields=["payload"])


# --- The relay -----------------------------------------------------------------------------------


@dataclass
class RelayWork:
    outbox_ids: list[int]
    delivery_ids: list[int]
    given_up: int


def relay_collect(*, now: dt.datetime | None = None) -> RelayWork:
    """What a dead broker or a killed worker left behind, for the relay to send again.

    Outbox rows still pending, and deliveries pending (and due) or claimed by a worker
    whose claim ran out, older than NOTIFY_RELAY_AFTER_SECONDS. Bounded per run.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.NOTIFY_RELAY_AFTER_SECONDS)
    max_attempts = settings.NOTIFY_MAX_ATTEMPTS
    # Claims of killed workers that had used their last attempt: give up on them.
    given_up = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_until__lt=now, attempts__gte=max_attempts
    ).update(status=DeliveryStatus.FAILED, claimed_until=None, last_error="worker lost; no attempts left")
    Outbox.objects.filter(status=OutboxStatus.PENDING, attempts__gte=max_attempts).update(status=OutboxStatus.FAILED)
    outbox_ids = list(
        Outbox.objects.filter(status=OutboxStatus.PENDING, created_at__lt=cutoff)
        .order_by("id")
        .values_list("id", flat=True)[:RELAY_LIMIT]
    )
    pending = list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff, attempts__lt=max_attempts)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)[:RELAY_LIMIT]
    )
    stale = list(
        Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_until__lt=now, attempts__lt=max_attempts)
        .order_by("id")
        .values_list("id", flat=True)[:RELAY_LIMIT]
    )
    return RelayWork(outbox_ids=outbox_ids, delivery_ids=sorted({*pending, *stale}), given_up=given_up)


# --- The daily digest ----------------------------------------------------------------------------


def digest_prepare(*, today: dt.date | None = None) -> list[int]:
    """One e-mail a day to each staff user with unread notifications from the last day; returns the ids to send."""
    today = today or timezone.localdate()
    since = timezone.now() - dt.timedelta(days=1)
    key = f"digest:{today.isoformat()}"
    recent_unread = Notification.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True, created_at__gte=since)
    users = User.objects.filter(Exists(recent_unread), is_active=True).exclude(email="").only("id", "email")
    Delivery.objects.bulk_create(
        [
            Delivery(
                key=key,
                channel=Channel.EMAIL,
                recipient=user.email.strip().lower(),
                user_id=user.pk,
                kind=MessageKind.DIGEST,
                context={"date": today.isoformat()},
                language=language_of(user),
            )
            for user in users.iterator(chunk_size=2000)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    return list(
        Delivery.objects.filter(key=key, channel=Channel.EMAIL)
        .filter(claimable_q(timezone.now()))
        .order_by("id")
        .values_list("id", flat=True)
    )


# --- In-app --------------------------------------------------------------------------------------


def notification_mark_read(*, actor: User, ids: Sequence[int] | None = None) -> int:
    """Mark the actor's own notifications read (these ids, or all when None); returns how many changed.

    Ids of other users' notifications are ignored, never an error that would tell they exist.
    """
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


def in_app_notify(*, user: User, kind: str, key: str, context: dict[str, Any]) -> int:
    """Tell `user` under the bell about something that is not a suggestion (an export is ready),
    through the delivery log like every other message: once per `key`, however often the
    caller runs. Sent at once (the caller is a task already); returns how many went out."""
    recipient = str(user.pk)
    Delivery.objects.bulk_create(
        [
            Delivery(
                key=key,
                channel=Channel.IN_APP,
                recipient=recipient,
                user=user,
                kind=kind,
                context=context,
                language=language_of(user),
            )
        ],
        ignore_conflicts=True,
    )
    ids = Delivery.objects.filter(key=key, channel=Channel.IN_APP, recipient=recipient).values_list("id", flat=True)
    return deliveries_send(delivery_ids=list(ids)).sent

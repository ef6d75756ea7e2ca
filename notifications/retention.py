"""The retention rule's part in notifications (suggestions.retention): the messages sent about a
case that is anonymised forget the voter's phone, e-mail and the data they were written from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

from notifications.models import Delivery, DeliveryStatus, Outbox, OutboxStatus


def forget_voter(sender: Any, *, suggestion_ids: Sequence[int], **kwargs: Any) -> None:
    """Two set-based UPDATEs per table, inside the retention batch's transaction. A message
    still waiting to be sent is left alone (a case closed years ago has none)."""
    Outbox.objects.filter(suggestion_id__in=suggestion_ids).exclude(status=OutboxStatus.PENDING).update(payload={})
    done = Delivery.objects.filter(suggestion_id__in=suggestion_ids).exclude(
        status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING)
    )
    # The voter's deliveries (no user): the address goes; a unique placeholder keeps (key, channel, recipient) unique.
    done.filter(user__isnull=True).update(recipient=Concat(Value("anonymised:"), Cast("id", CharField())))
    done.update(context={})

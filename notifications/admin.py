from django.contrib import admin

from notifications.models import Delivery, Notification, Outbox


@admin.register(Outbox)
class OutboxAdmin(admin.ModelAdmin[Outbox]):
    list_display = ["kind", "suggestion", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    raw_id_fields = ["suggestion"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "suggestion", "delivery"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """The delivery log: what went to whom on which channel, and what is still pending or failed."""

    list_display = ["key", "kind", "channel", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["channel", "status", "kind"]
    search_fields = ["key", "recipient"]
    raw_id_fields = ["suggestion", "user", "outbox"]
    readonly_fields = ["created_at", "sent_at", "claimed_until"]

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
    raw_id_fields = ["recipient", "suggestion"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    list_display = ["key", "channel", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    search_fields = ["key", "recipient"]
    raw_id_fields = ["suggestion"]

"""The export log: every export out of the portal is written down (README, "Personal data 个人信息")."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import user_scope
from suggestions.models import ExportKind, ExportLog, ExportPersonalData


def export_log_record(
    *,
    user: User | AnonymousUser,
    kind: ExportKind,
    query: str,
    row_count: int,
    personal_data: ExportPersonalData,
) -> ExportLog:
    """Write down one export: who (and in which roles), when, the filters as sent, the rows
    that went out and whether the voters' data went in full or masked."""
    person = user if isinstance(user, User) else None
    return ExportLog.objects.create(
        kind=kind,
        user=person,
        user_label=(f"{person} ({person.username})" if person is not None else "")[:160],
        roles=",".join(sorted(user_scope(user).roles))[:128],
        query=query[:4000],
        row_count=row_count,
        personal_data=personal_data,
    )


def export_log_list(*, user: User | AnonymousUser) -> QuerySet[ExportLog]:
    """The export log, newest first: administrators only (everyone else gets nothing)."""
    if not user_scope(user).is_admin:
        return ExportLog.objects.none()
    return ExportLog.objects.select_related("user").order_by("-created_at", "-id")

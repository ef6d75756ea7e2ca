"""Helpers for the workflow tests: bring a suggestion into a state through the workflow's own
actions (never by writing `state`), and photograph everything an action could write."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.forms.models import model_to_dict
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import membership_grant
from notifications.models import Outbox
from representatives.models import Representative
from suggestions import workflow
from suggestions.models import (
    Assignment,
    Attachment,
    Category,
    CoOpinion,
    ExtensionRequest,
    Feedback,
    FeedbackToken,
    FollowUpReport,
    HandlingUnit,
    Reply,
    State,
    Suggestion,
    SuggestionEvent,
)
from tests.conftest import World
from tests.factories import CategoryFactory, HandlingUnitFactory, UserFactory

# The order the happy path walks through; "merged" is reached from "received" by merging.
PATH = ["received", "sorted", "proposed", "assigned", "in_progress", "replied", "closed"]


@dataclass
class Cast:
    """Everyone who can act on suggestions in the test world, by persona name."""

    world: World
    users: dict[str, User | None]
    category: Category
    co_unit: HandlingUnit
    representative: Representative

    @property
    def admin(self) -> User:
        user = self.users["admin_user"]
        assert user is not None
        return user


def make_cast(world: World, personas: dict[str, User]) -> Cast:
    """`personas` are the conftest fixtures; adds a co-unit in district A and its staff."""
    co_unit = HandlingUnitFactory(name="鼓楼区城管局", region=world.district_a)
    co_staff = UserFactory(username="co_unit_a")
    membership_grant(user=co_staff, role=Role.UNIT_STAFF, unit=co_unit)
    rep_user = personas["representative_user"]
    users: dict[str, User | None] = {**personas, "co_unit_staff": co_staff, "voter": None}
    return Cast(
        world=world,
        users=users,
        category=CategoryFactory(code="roads", name="道路交通"),
        co_unit=co_unit,
        representative=Representative.objects.get(user=rep_user),
    )


def record(cast: Cast, *, title: str = "小区路灯不亮", urgency: str = "normal", consent: bool = True) -> Suggestion:
    """A suggestion recorded at station A; its voter consents to publication unless `consent` is False."""
    return workflow.suggestion_record(
        actor=cast.users["station_staff"],
        title=title,
        content="晚上路灯不亮，老人出行不便。",
        region=cast.world.town_a,
        station=cast.world.station_a,
        urgency=urgency,
        submitter_name="张三",
        submitter_phone="13812345678",
        consent_to_publish=consent,
        representative=cast.representative,
    )


def build(cast: Cast, state: str, *, reply_category: str = "B", consent: bool = True) -> tuple[Suggestion, str | None]:
    """A suggestion in `state`, reached through the workflow by an administrator.

    Returns the suggestion and the raw feedback token of its latest reply (or None)."""
    admin = cast.admin
    token: str | None = None
    if state == "merged":
        earlier = record(cast, title="较早的同一问题")
        s = record(cast)
        s = workflow.suggestion_sort(suggestion=s, actor=admin, category=None, urgency="normal", merge_into=earlier)
        return s, None
    s = record(cast, consent=consent)
    target = PATH.index(state)
    if target >= 1:
        s = workflow.suggestion_sort(suggestion=s, actor=admin, category=cast.category, urgency="normal")
    if target >= 2:
        s = workflow.suggestion_propose(suggestion=s, actor=admin, route="unit", unit=cast.world.unit_a)
    if target >= 3:
        s = workflow.suggestion_hand_over(
            suggestion=s, actor=admin, lead_unit=cast.world.unit_a, co_units=[cast.co_unit]
        )
    if target >= 4:
        s = workflow.suggestion_acknowledge(suggestion=s, actor=admin)
    if target >= 5:
        follow_up = timezone.localdate() + dt.timedelta(days=30) if reply_category == "B" else None
        s = workflow.suggestion_reply(
            suggestion=s, actor=admin, category=reply_category, text="已安排维修，月底前完工。", follow_up_due=follow_up
        )
        token = latest_token(s)
    if target >= 6:
        s = workflow.suggestion_feedback(suggestion=s, actor=admin, rating="satisfied")
    assert s.state == state
    return s, token


def latest_token(suggestion: Suggestion) -> str:
    """The raw feedback token the workflow put into the voter's notification."""
    row = Outbox.objects.filter(suggestion=suggestion, kind="suggestion.replied").order_by("-id").first()
    assert row is not None
    token = row.payload["feedback_token"]
    assert isinstance(token, str)
    return token


def snapshot(suggestion: Suggestion) -> dict[str, Any]:
    """Everything a workflow action may write about one suggestion."""
    row = Suggestion.objects.get(pk=suggestion.pk)
    return {
        "row": {**model_to_dict(row), "updated_at": row.updated_at, "state": row.state, "version": row.version},
        "events": list(SuggestionEvent.objects.filter(suggestion=row).values_list("id", "action").order_by("id")),
        "outbox": list(Outbox.objects.filter(suggestion=row).values_list("id", "kind").order_by("id")),
        "assignments": list(Assignment.objects.filter(suggestion=row).values().order_by("id")),
        "extensions": list(ExtensionRequest.objects.filter(suggestion=row).values().order_by("id")),
        "tokens": list(FeedbackToken.objects.filter(suggestion=row).values().order_by("id")),
        "attachments": list(Attachment.objects.filter(suggestion=row).values().order_by("id")),
        "replies": list(Reply.objects.filter(suggestion=row).values().order_by("id")),
        "feedbacks": list(Feedback.objects.filter(suggestion=row).values().order_by("id")),
        "co_opinions": list(CoOpinion.objects.filter(suggestion=row).values().order_by("id")),
        "follow_ups": list(FollowUpReport.objects.filter(suggestion=row).values().order_by("id")),
        "suggestions": Suggestion.objects.count(),
    }


def state_of(suggestion: Suggestion) -> str:
    return Suggestion.objects.values_list("state", flat=True).get(pk=suggestion.pk)


__all__ = ["PATH", "Cast", "State", "build", "latest_token", "make_cast", "record", "snapshot", "state_of"]

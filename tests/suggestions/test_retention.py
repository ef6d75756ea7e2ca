"""The retention rule: cases closed more than N years ago lose the voter, keep their figures."""

from __future__ import annotations

import datetime as dt
import html
import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.test import Client

from dashboards.models import DailyStats
from dashboards.services import stats_rebuild
from liaison.celery import beat_schedule
from notifications.models import Channel, Delivery, DeliveryStatus
from stations.models import VoterVisit
from suggestions import workflow
from suggestions.models import (
    Attachment,
    Feedback,
    Reply,
    RetentionRun,
    State,
    Suggestion,
    SuggestionEvent,
)
from suggestions.retention import anonymise_closed
from suggestions.tasks import anonymise_closed as anonymise_task
from tests.factories import VoterVisitFactory
from tests.suggestions.workflow_builders import Cast, build, record

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONG_AGO = dt.datetime(2018, 3, 5, 10, 0, tzinfo=SHANGHAI)
VOTER_TEXT = "张三反映：晚上路灯不亮，老人出行不便，联系电话13812345678。"


def everything(model: type[Any], pk: int) -> dict[str, Any]:
    row = model.objects.get(pk=pk)
    return {**model_to_dict(row), "version": getattr(row, "version", None)}


def figures() -> list[tuple[Any, ...]]:
    """The dashboards' whole summary, recomputed from the base tables."""
    stats_rebuild()
    columns = [f.attname for f in DailyStats._meta.concrete_fields if f.attname != "id"]
    return sorted(DailyStats.objects.values_list(*columns), key=repr)


def facts(pk: int) -> dict[str, Any]:
    keep = [
        "state",
        "closed_at",
        "created_at",
        "replied_at",
        "feedback_at",
        "rating",
        "first_rating",
        "rep_rating",
        "reply_category",
        "answers",
        "answers_on_time",
        "answers_with_due",
        "answers_timed",
        "answer_working_days",
        "acks_with_due",
        "acks_on_time",
        "region",
        "category",
        "station",
        "lead_unit",
        "channel",
        "urgency",
        "rehandle_count",
        "is_published",
    ]
    return {name: getattr(Suggestion.objects.get(pk=pk), name) for name in keep}


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def old_case(cast: Cast, media: Path) -> Suggestion:
    """Closed in March 2018 with a rating comment, a correction, a photo, a duplicate merged into it
    and a message sent to the voter's phone."""
    with time_machine.travel(LONG_AGO, tick=False):
        suggestion, _token = build(cast, State.REPLIED)
        duplicate = record(cast, title="同一处路灯")
        workflow.suggestion_sort(
            suggestion=duplicate, actor=cast.admin, category=None, urgency="normal", merge_into=suggestion
        )
        workflow.suggestion_correct(
            suggestion=suggestion,
            actor=cast.admin,
            changes={"submitter_phone": "13900001111", "content": VOTER_TEXT},
            reason="张三来电更正，电话13900001111",
        )
        suggestion = workflow.suggestion_feedback(
            suggestion=suggestion, actor=cast.admin, rating="satisfied", text="张三很满意，13900001111"
        )
        Attachment.objects.create(
            suggestion=suggestion,
            file=SimpleUploadedFile("现场.png", b"\x89PNG\r\n", content_type="image/png"),
            original_name="现场.png",
            content_type="image/png",
            size=6,
        )
        Delivery.objects.create(
            key="outbox:old",
            channel=Channel.SMS,
            recipient="13900001111",
            suggestion=suggestion,
            kind="suggestion.replied",
            context={"name": "张三"},
            language="zh-hans",
            status=DeliveryStatus.SENT,
        )
    assert Suggestion.objects.get(pk=suggestion.pk).state == State.CLOSED
    return Suggestion.objects.get(pk=suggestion.pk)


@pytest.fixture
def old_open_case(cast: Cast) -> Suggestion:
    with time_machine.travel(LONG_AGO, tick=False):
        suggestion, _token = build(cast, State.IN_PROGRESS)
    return suggestion


@pytest.fixture
def recent_case(cast: Cast) -> Suggestion:
    suggestion, _token = build(cast, State.CLOSED)
    return suggestion


@pytest.fixture
def visits(cast: Cast, old_open_case: Suggestion) -> tuple[VoterVisit, VoterVisit]:
    """An old visit whose only suggestion is still open, and an old one with none."""
    held = VoterVisitFactory(station=cast.world.station_a, occurred_at=LONG_AGO, notes="张三先生，13812345678")
    Suggestion.objects.filter(pk=old_open_case.pk).update(visit=held)
    alone = VoterVisitFactory(station=cast.world.station_a, occurred_at=LONG_AGO, notes="李四先生来访，13512345678")
    return held, alone


def test_an_old_closed_case_loses_the_voter_and_keeps_its_figures(
    cast: Cast,
    old_case: Suggestion,
    old_open_case: Suggestion,
    recent_case: Suggestion,
    visits: tuple[VoterVisit, VoterVisit],
    media: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    held, alone = visits
    duplicate = Suggestion.objects.get(merged_into=old_case)
    untouched = {pk: everything(Suggestion, pk) for pk in (old_open_case.pk, recent_case.pk)}
    held_before = everything(VoterVisit, held.pk)
    facts_before = facts(old_case.pk)
    figures_before = figures()
    photo = Path(media, Attachment.objects.get(suggestion=old_case).file.name)
    assert photo.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = anonymise_closed(years=5)

    assert (result.cases, result.visits, result.attachments) == (2, 1, 1)
    row = Suggestion.objects.get(pk=old_case.pk)
    voter = (row.submitter_name, row.submitter_phone, row.submitter_phone_last4, row.submitter_email)
    assert voter == ("", "", "", "")
    assert (row.submitter_address, row.address) == ("", "")
    assert row.anonymised_at is not None
    assert "13812345678" not in row.content
    assert "张三" not in row.content
    assert "138****5678" in row.content
    assert "13900001111" not in row.feedback_text
    assert Suggestion.objects.get(pk=duplicate.pk).submitter_phone == ""
    for text in Reply.objects.filter(suggestion=old_case).values_list("text", flat=True):
        assert "13812345678" not in text
    assert "13900001111" not in Feedback.objects.get(suggestion=old_case).text
    notes = " ".join(SuggestionEvent.objects.filter(suggestion=old_case).values_list("note", flat=True))
    assert "13900001111" not in notes
    assert "张三" not in notes
    [correction] = SuggestionEvent.objects.filter(suggestion=old_case, action="suggestion.corrected")
    by_field = {c["field"]: c for c in correction.data["changes"]}
    assert (by_field["submitter_phone"]["old"], by_field["submitter_phone"]["new"]) == ("", "")
    assert "13812345678" not in by_field["content"]["new"]
    assert not Attachment.objects.filter(suggestion=old_case).exists()
    assert not photo.exists()
    delivery = Delivery.objects.get(key="outbox:old")
    assert (delivery.recipient, delivery.context) == (f"anonymised:{delivery.pk}", {})
    # The visit with no suggestion is masked; the one whose suggestion is open waits for it.
    assert "13512345678" not in VoterVisit.objects.get(pk=alone.pk).notes
    assert "李**先生" in VoterVisit.objects.get(pk=alone.pk).notes
    assert everything(VoterVisit, held.pk) == held_before
    # Recent and open cases are untouched; the figures are the same.
    assert {pk: everything(Suggestion, pk) for pk in untouched} == untouched
    assert facts(old_case.pk) == facts_before
    assert figures() == figures_before
    page = Client()
    page.force_login(cast.users["committee_staff"])  # type: ignore[arg-type]
    text = html.unescape(page.get(f"/suggestions/{old_case.tracking_code}/").content.decode())
    assert "选民个人信息已于" in text
    assert "13900001111" not in text
    [run] = RetentionRun.objects.all()
    assert (run.years, run.cases, run.visits, run.attachments, run.dry_run) == (5, 2, 1, 1, False)


def test_a_second_run_changes_nothing(cast: Cast, old_case: Suggestion, visits: tuple[VoterVisit, VoterVisit]) -> None:
    anonymise_closed(years=5)
    after_first = {pk: everything(Suggestion, pk) for pk in Suggestion.objects.values_list("pk", flat=True)}
    visits_first = {pk: everything(VoterVisit, pk) for pk in VoterVisit.objects.values_list("pk", flat=True)}
    events_first = list(SuggestionEvent.objects.order_by("id").values_list("id", "note", "data"))
    again = anonymise_closed(years=5)
    assert (again.cases, again.visits, again.attachments) == (0, 0, 0)
    assert {pk: everything(Suggestion, pk) for pk in after_first} == after_first
    assert {pk: everything(VoterVisit, pk) for pk in visits_first} == visits_first
    assert list(SuggestionEvent.objects.order_by("id").values_list("id", "note", "data")) == events_first


def test_a_dry_run_counts_and_changes_nothing(cast: Cast, old_case: Suggestion, recent_case: Suggestion) -> None:
    before = everything(Suggestion, old_case.pk)
    out = io.StringIO()
    call_command("anonymise_closed", "--years", "5", "--dry-run", stdout=out)
    assert "would anonymise 2 cases" in out.getvalue()
    assert everything(Suggestion, old_case.pk) == before
    assert Attachment.objects.filter(suggestion=old_case).exists()
    out = io.StringIO()
    call_command("anonymise_closed", "--years", "5", "--batch-size", "1", stdout=out)
    assert "anonymised 2 cases" in out.getvalue()
    assert Suggestion.objects.get(pk=old_case.pk).submitter_phone == ""
    assert Suggestion.objects.get(pk=recent_case.pk).submitter_phone == "13812345678"


def test_a_longer_retention_keeps_the_case(cast: Cast, old_case: Suggestion) -> None:
    assert anonymise_closed(years=20).cases == 0
    assert Suggestion.objects.get(pk=old_case.pk).submitter_phone == "13900001111"


def test_the_beat_entry_exists_only_when_retention_is_configured(
    cast: Cast, old_case: Suggestion, settings: Any
) -> None:
    settings.RETENTION_YEARS = 0
    assert "retention" not in beat_schedule()
    assert anonymise_task.apply().get() is None
    assert Suggestion.objects.get(pk=old_case.pk).submitter_phone == "13900001111"
    settings.RETENTION_YEARS = 5
    assert beat_schedule()["retention"]["task"] == "suggestions.tasks.anonymise_closed"
    assert anonymise_task.apply().get()["cases"] == 2
    assert Suggestion.objects.get(pk=old_case.pk).submitter_phone == ""
    assert RetentionRun.objects.get().trigger == "beat"

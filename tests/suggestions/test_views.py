"""The staff pages for suggestions, per role: lists and queues, the suggestion page and its
actions, the Excel export and the printable form.

Messages are compared through gettext, so the tests hold whether or not the Chinese catalogue
is compiled; every refusal is also checked to have written nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import struct
import zlib
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import load_workbook

from accounts.models import User
from suggestions import workflow
from suggestions.deadlines import basis_description
from suggestions.models import (
    Assignment,
    Attachment,
    ExtensionRequest,
    ExtensionStatus,
    State,
    Suggestion,
    SuggestionEvent,
    SupervisionLevel,
)
from tests.factories import CategoryFactory, HandlingUnitFactory, SuggestionFactory
from tests.suggestions.workflow_builders import Cast, build, record, snapshot, state_of

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- helpers -----------------------------------------------------------------------------------


def page_text(response: HttpResponse) -> str:
    return html.unescape(response.content.decode())


def login(client: Client, cast: Cast, persona: str) -> User:
    user = cast.users[persona]
    assert user is not None
    client.force_login(user)
    return user


def detail_url(s: Suggestion) -> str:
    return f"/suggestions/{s.tracking_code}/"


def action_url(s: Suggestion, action: str) -> str:
    return f"/suggestions/{s.tracking_code}/do/{action}/"


def act(
    client: Client, s: Suggestion, action: str, data: dict[str, Any] | None = None, *, htmx: bool = False
) -> HttpResponse:
    """Submit an action's form as the browser would, with the version the user saw."""
    payload: dict[str, Any] = {"version": Suggestion.objects.get(pk=s.pk).version, **(data or {})}
    headers = {"HX-Request": "true", "HX-Target": "action-form"} if htmx else {}
    return client.post(action_url(s, action), payload, headers=headers)  # type: ignore[return-value]


def offered_actions(response: HttpResponse) -> list[str]:
    return re.findall(r'data-action="([a-z_]+)"', response.content.decode())


def png_bytes(size: int = 8) -> bytes:
    raw = b"".join(b"\x00" + b"\x10\x80\x10" * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def queries_for(client: Client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


# --- Scope: who may open what -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["other_station_staff", "other_unit_staff", "other_committee_staff"])
def test_a_suggestion_out_of_scope_is_not_found_on_every_page(client: Client, cast: Cast, persona: str) -> None:
    s, _token = build(cast, "in_progress")
    login(client, cast, persona)
    for url in (detail_url(s), f"{detail_url(s)}form/", action_url(s, "reply"), action_url(s, "acknowledge")):
        assert client.get(url).status_code == 404, url
    before = snapshot(s)
    assert act(client, s, "acknowledge").status_code == 404
    assert snapshot(s) == before


def test_the_list_shows_only_the_viewers_suggestions(client: Client, cast: Cast) -> None:
    SuggestionFactory(station=cast.world.station_a, title="鼓东路灯不亮")
    SuggestionFactory(station=cast.world.station_b, title="瀛洲排水不畅")
    login(client, cast, "station_staff")
    text = page_text(client.get("/suggestions/"))
    assert "鼓东路灯不亮" in text
    assert "瀛洲排水不畅" not in text
    login(client, cast, "city_committee_staff")
    text = page_text(client.get("/suggestions/"))
    assert "鼓东路灯不亮" in text
    assert "瀛洲排水不畅" in text


def test_a_unit_sees_only_what_was_handed_to_it(client: Client, cast: Cast) -> None:
    handed, _t = build(cast, "assigned")
    not_yet, _t = build(cast, "proposed")
    login(client, cast, "unit_staff")
    text = page_text(client.get("/suggestions/"))
    assert handed.tracking_code in text.replace("-", "")
    assert not_yet.tracking_code not in text.replace("-", "")
    assert client.get(detail_url(not_yet)).status_code == 404


def test_voters_personal_data_is_on_the_page_for_staff_in_scope(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    for persona in ("station_staff", "committee_staff", "unit_staff", "co_unit_staff"):
        login(client, cast, persona)
        text = page_text(client.get(detail_url(s)))
        assert "张三" in text, persona
        assert "13812345678" in text, persona
    login(client, cast, "other_unit_staff")
    assert client.get(detail_url(s)).status_code == 404


# --- The suggestion page -----------------------------------------------------------------------


@pytest.mark.parametrize("state", ["received", "sorted", "proposed", "assigned", "in_progress", "replied", "closed"])
def test_the_page_offers_exactly_the_allowed_actions(client: Client, cast: Cast, state: str) -> None:
    s, _t = build(cast, state)
    for persona, user in cast.users.items():
        if user is None:
            continue
        client.force_login(user)
        response = client.get(detail_url(s))
        if response.status_code == 404:
            assert workflow.allowed_actions(suggestion=s, user=user) == [], persona
            continue
        assert offered_actions(response) == workflow.allowed_actions(suggestion=s, user=user), persona


def test_the_page_shows_timeline_and_how_each_deadline_was_computed(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    s.refresh_from_db()
    login(client, cast, "committee_staff")
    text = page_text(client.get(detail_url(s)))
    for label in ("Recorded", "Sorted", "Route proposed", "Handed over", "Acknowledged"):
        assert pgettext("timeline", label) in text
    assert s.reply_due is not None
    assert s.reply_due.isoformat() in text
    assert basis_description(s.deadline_basis["reply_due"]) in text
    assert basis_description(s.deadline_basis["ack_due"]) in text
    assert _("Provisional") not in text


def test_a_deadline_counted_on_weekdays_is_shown_as_provisional(client: Client, cast: Cast) -> None:
    # Handed over just before New Year 2027: the calendar package does not know 2027's holidays.
    with time_machine.travel(dt.datetime(2026, 12, 21, 10, 0, tzinfo=SHANGHAI), tick=False):
        s, _t = build(cast, "assigned")
        s.refresh_from_db()
        assert s.deadline_basis["reply_due"]["provisional"] is True
        login(client, cast, "unit_staff")
        text = page_text(client.get(detail_url(s)))
    assert _("Provisional") in text
    assert basis_description(s.deadline_basis["reply_due"]) in text


def test_the_page_costs_the_same_however_long_the_timeline(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "committee_staff")
    short, _sql = queries_for(client, detail_url(s))
    co_staff = cast.users["co_unit_staff"]
    for round_ in range(6):
        workflow.suggestion_co_opinion(suggestion=s, actor=co_staff, text=f"第{round_}次补充意见")  # type: ignore[arg-type]
    long, _sql = queries_for(client, detail_url(s))
    assert long == short


def test_co_units_and_formal_suggestions_show_their_deadlines(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    s.refresh_from_db()
    login(client, cast, "committee_staff")
    text = page_text(client.get(detail_url(s)))
    assert _("Co-units' opinions by") in text
    assert basis_description(s.deadline_basis["co_due"]) in text

    converted = record(cast, title="建议转为闭会建议")
    converted = workflow.suggestion_sort(
        suggestion=converted, actor=cast.admin, category=cast.category, urgency="normal"
    )
    converted = workflow.suggestion_propose(suggestion=converted, actor=cast.admin, route="closed_session")
    converted = workflow.suggestion_decline(
        suggestion=converted, actor=cast.admin, note="涉及面广，转为闭会建议", reference="闭字第12号"
    )
    formal = converted.deadline_basis["formal_reply_due"]
    text = page_text(client.get(detail_url(converted)))
    assert _("Formal suggestion answered by") in text
    assert formal["due"] in text
    assert pgettext("timeline", "Converted to a closed-session suggestion") in text
    assert "闭字第12号" in text


def test_the_supervision_and_feedback_form_holds_the_case(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "closed", reply_category="A")
    login(client, cast, "committee_staff")
    response = client.get(f"{detail_url(s)}form/")
    text = page_text(response)
    assert _("Voters' suggestion supervision and feedback form") in text
    for expected in ("张三", "13812345678", "小区路灯不亮", cast.world.unit_a.name, cast.co_unit.name, "已安排维修"):
        assert expected in text
    assert 'class="tick on"' in response.content.decode()  # the voter's rating is ticked


# --- Actions, station staff ---------------------------------------------------------------------


def test_station_staff_sort_then_propose(client: Client, cast: Cast) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    response = act(client, s, "sort", {"category": cast.category.pk, "urgency": "urgent"})
    assert response.status_code == 302
    assert response["Location"] == detail_url(s)
    s.refresh_from_db()
    assert (s.state, s.category, s.urgency) == (State.SORTED, cast.category, "urgent")
    response = act(client, s, "propose", {"route": "unit", "unit": cast.world.unit_a.pk, "note": "建议住建局办理"})
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.state, s.proposed_unit) == (State.PROPOSED, cast.world.unit_a)


def test_sorting_without_a_category_is_refused_next_to_the_field(client: Client, cast: Cast) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    before = snapshot(s)
    response = act(client, s, "sort", {"category": "", "urgency": "normal"})
    assert response.status_code == 400
    assert _("This field is required.") in page_text(response)
    assert snapshot(s) == before


def test_proposing_not_accepted_needs_a_reason(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "sorted")
    login(client, cast, "station_staff")
    before = snapshot(s)
    response = act(client, s, "propose", {"route": "not_accepted", "note": ""})
    assert response.status_code == 400
    assert _("Give the reason why it is not accepted.") in page_text(response)
    assert snapshot(s) == before


def test_station_staff_merge_a_duplicate(client: Client, cast: Cast) -> None:
    earlier = record(cast, title="同一问题较早一条")
    later = record(cast)
    login(client, cast, "station_staff")
    response = act(client, later, "merge", {"merge_into": earlier.tracking_code.lower()})
    assert response.status_code == 302
    later.refresh_from_db()
    assert later.state == State.MERGED
    assert later.merged_into == earlier


def test_merging_into_an_unknown_code_is_refused(client: Client, cast: Cast) -> None:
    s = record(cast)
    other = SuggestionFactory(station=cast.world.station_b)
    login(client, cast, "station_staff")
    before = snapshot(s)
    response = act(client, s, "merge", {"merge_into": other.tracking_code})
    assert response.status_code == 400
    assert _("No other suggestion you can see has this tracking code.") in page_text(response)
    assert snapshot(s) == before


def test_station_staff_resolve_on_the_spot(client: Client, cast: Cast) -> None:
    s = record(cast)
    login(client, cast, "station_staff")
    assert act(client, s, "resolve_on_spot", {"reply_text": ""}).status_code == 400
    assert state_of(s) == State.RECEIVED
    done = {"reply_text": "代表当场联系物业，已修好。", "category": "A", "representative": cast.representative.pk}
    assert act(client, s, "resolve_on_spot", done).status_code == 302
    s.refresh_from_db()
    assert s.state == State.REPLIED
    assert s.resolved_on_spot


# --- Actions, committee staff ----------------------------------------------------------------------


def test_committee_staff_hand_over_with_computed_deadlines(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    response = act(
        client,
        s,
        "hand_over",
        {"lead_unit": cast.world.unit_a.pk, "co_units": [cast.co_unit.pk], "note": "请按时答复"},
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == State.ASSIGNED
    assert s.lead_unit == cast.world.unit_a
    assert s.reply_due is not None
    assert s.reply_due > timezone.localdate()
    assert set(Assignment.objects.filter(suggestion=s, is_active=True).values_list("unit", "role")) == {
        (cast.world.unit_a.pk, "lead"),
        (cast.co_unit.pk, "co"),
    }


def test_a_hand_over_deadline_before_today_is_refused(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    before = snapshot(s)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = act(client, s, "hand_over", {"lead_unit": cast.world.unit_a.pk, "reply_due": yesterday.isoformat()})
    assert response.status_code == 400
    assert _("The date cannot be before today.") in page_text(response)
    assert snapshot(s) == before


def test_a_hand_over_to_a_unit_outside_the_region_is_refused(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "proposed")
    login(client, cast, "committee_staff")
    before = snapshot(s)
    response = act(client, s, "hand_over", {"lead_unit": cast.world.unit_b.pk})
    assert response.status_code == 400
    assert cast.world.unit_b.name not in page_text(response)  # not even offered
    assert snapshot(s) == before


def test_committee_staff_decide_an_extension(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    unit = cast.users["unit_staff"]
    s = workflow.suggestion_request_extension(suggestion=s, actor=unit, days=3, reason="需协调电力公司")  # type: ignore[arg-type]
    old_due = s.reply_due
    login(client, cast, "committee_staff")
    assert "decide_extension" in offered_actions(client.get(detail_url(s)))
    assert act(client, s, "decide_extension", {"approve": "1", "note": "同意"}).status_code == 302
    s.refresh_from_db()
    assert old_due is not None
    assert s.reply_due is not None
    assert s.reply_due > old_due
    assert ExtensionRequest.objects.get(suggestion=s).status == ExtensionStatus.APPROVED


def test_committee_staff_supervise_up_to_key_supervision(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "committee_staff")
    assert act(client, s, "supervise", {"note": "请加快办理"}).status_code == 302
    assert act(client, s, "supervise", {"note": "列为重点督办"}).status_code == 302
    s.refresh_from_db()
    assert s.supervision_level == SupervisionLevel.KEY
    response = client.get(action_url(s, "supervise"))
    assert response.status_code == 403
    assert _("You cannot do this now.") in page_text(response)
    before = snapshot(s)
    response = act(client, s, "supervise")
    assert response.status_code == 409
    assert _("This suggestion is already under key supervision.") in page_text(response)
    assert snapshot(s) == before


def test_committee_staff_record_a_call_back_and_publish(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    login(client, cast, "committee_staff")
    assert act(client, s, "feedback", {"rating": "satisfied", "text": "电话回访满意"}).status_code == 302
    s.refresh_from_db()
    assert s.state == State.CLOSED
    assert s.rating == "satisfied"
    # The publish form asks what is published (whole case or facts only): the choice is sent.
    assert act(client, s, "publish", {"scope": "full"}).status_code == 302
    s.refresh_from_db()
    assert s.is_published


def test_closing_while_the_voter_can_still_answer_shows_the_domain_message(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    login(client, cast, "committee_staff")
    before = snapshot(s)
    response = act(client, s, "close", {"note": ""})
    assert response.status_code == 409
    s.refresh_from_db()
    expected = _("The voter can still give feedback until %(date)s; close it after that.") % {
        "date": s.feedback_due.isoformat() if s.feedback_due else ""
    }
    assert expected in page_text(response)
    assert snapshot(s) == before


def test_committee_staff_decline_with_a_reason_only(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "sorted")
    s = workflow.suggestion_propose(suggestion=s, actor=cast.admin, route="not_accepted", note="属于司法程序事项")
    login(client, cast, "committee_staff")
    before = snapshot(s)
    response = act(client, s, "decline", {"note": ""})
    assert response.status_code == 400
    assert snapshot(s) == before
    assert act(client, s, "decline", {"note": "不属于人大代表联络站受理范围"}).status_code == 302
    assert state_of(s) == State.CLOSED
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.declined").count() == 1


def test_committee_staff_close_once_the_feedback_time_is_over(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "replied", reply_category="A")
    s.refresh_from_db()
    assert s.feedback_due is not None
    after = dt.datetime.combine(s.feedback_due + dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI)
    with time_machine.travel(after, tick=False):
        login(client, cast, "committee_staff")
        assert "close" in offered_actions(client.get(detail_url(s)))
        assert act(client, s, "close", {"note": "逾期未反馈，按期办结"}).status_code == 302
    assert state_of(s) == State.CLOSED


@pytest.mark.parametrize(
    ("persona", "state", "action", "data"),
    [
        ("station_staff", "proposed", "hand_over", {"lead_unit": "UNIT_A"}),
        ("representative_user", "received", "sort", {"category": "CATEGORY", "urgency": "normal"}),
        ("unit_staff", "proposed", "hand_over", {"lead_unit": "UNIT_A"}),
        ("committee_staff", "in_progress", "reply", {"category": "A", "text": "委员会代答"}),
        ("unit_staff", "closed", "publish", {}),
        ("co_unit_staff", "assigned", "acknowledge", {}),
    ],
)
def test_a_role_cannot_take_another_roles_action(
    client: Client, cast: Cast, persona: str, state: str, action: str, data: dict[str, Any]
) -> None:
    s, _t = build(cast, state)
    values = {
        key: {"UNIT_A": cast.world.unit_a.pk, "CATEGORY": cast.category.pk}.get(str(value), value)
        for key, value in data.items()
    }
    login(client, cast, persona)
    assert action not in offered_actions(client.get(detail_url(s)))
    assert client.get(action_url(s, action)).status_code in (403, 404)
    before = snapshot(s)
    response = act(client, s, action, values)
    assert response.status_code in (400, 403, 404, 409)
    assert snapshot(s) == before


def test_the_unit_requests_an_extension(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "unit_staff")
    assert act(client, s, "request_extension", {"days": 3, "reason": "需协调电力公司停电施工"}).status_code == 302
    request = ExtensionRequest.objects.get(suggestion=s)
    assert (request.days, request.status) == (3, ExtensionStatus.PENDING)
    assert "request_extension" not in offered_actions(client.get(detail_url(s)))  # one request at a time


def test_a_stale_form_is_refused_and_changes_nothing(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "committee_staff")
    seen = Suggestion.objects.get(pk=s.pk).version
    workflow.suggestion_supervise(suggestion=s, actor=cast.admin, note="别人先督办了")
    before = snapshot(s)
    response = client.post(action_url(s, "supervise"), {"version": seen, "note": "我也督办"})
    assert response.status_code == 409
    assert _("Someone else changed this suggestion in the meantime. Reload the page and try again.") in page_text(
        response
    )
    assert snapshot(s) == before


# --- Actions, handling units -------------------------------------------------------------------------


def test_the_unit_acknowledges_and_replies_with_attachments(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    login(client, cast, "unit_staff")
    assert act(client, s, "acknowledge").status_code == 302
    assert state_of(s) == State.IN_PROGRESS
    response = client.post(
        action_url(s, "reply"),
        {
            "version": Suggestion.objects.get(pk=s.pk).version,
            "category": "A",
            "text": "已更换路灯。",
            "attachments": [
                SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png"),
                SimpleUploadedFile("回复函.pdf", PDF, content_type="application/pdf"),
            ],
        },
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == State.REPLIED
    assert s.reply_category == "A"
    stored = dict(Attachment.objects.filter(suggestion=s).values_list("original_name", "content_type"))
    assert stored == {"现场.png": "image/png", "回复函.pdf": "application/pdf"}
    attachment = Attachment.objects.get(suggestion=s, original_name="现场.png")
    download = client.get(f"{detail_url(s)}attachments/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    login(client, cast, "other_station_staff")
    assert client.get(f"{detail_url(s)}attachments/{attachment.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "照片.png",
            b"this is a text file, not a picture",
            "“%(name)s” is not a picture (JPEG, PNG, GIF, WebP) or a PDF document.",
        ),
        (
            "扫描件.pdf",
            b"%PDF-1.4 truncated without its end",
            "“%(name)s” is not a picture (JPEG, PNG, GIF, WebP) or a PDF document.",
        ),
        ("大图.png", png_bytes() + bytes(2048), "“%(name)s” is too big: at most %(max)s MB per file."),
    ],
)
def test_a_bad_attachment_is_refused_and_nothing_is_saved(
    client: Client, cast: Cast, settings: Any, name: str, content: bytes, message: str
) -> None:
    settings.ATTACHMENT_MAX_BYTES = 1024
    s, _t = build(cast, "in_progress")
    login(client, cast, "unit_staff")
    before = snapshot(s)
    response = client.post(
        action_url(s, "reply"),
        {
            "version": Suggestion.objects.get(pk=s.pk).version,
            "category": "A",
            "text": "已处理。",
            "attachments": [SimpleUploadedFile(name, content, content_type="image/png")],
        },
    )
    assert response.status_code == 400
    assert _(message) % {"name": name, "max": f"{1024 / (1024 * 1024):g}"} in page_text(response)
    assert "已处理。" in page_text(response)  # what was typed is kept
    assert snapshot(s) == before


def test_a_being_solved_reply_needs_its_follow_up_date_then_reports_follow(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "unit_staff")
    before = snapshot(s)
    response = act(client, s, "reply", {"category": "B", "text": "已列入明年计划。"})
    assert response.status_code == 400
    assert _("A “being solved” reply needs the date of the next progress report.") in page_text(response)
    assert snapshot(s) == before
    next_month = timezone.localdate() + dt.timedelta(days=30)
    assert (
        act(client, s, "reply", {"category": "B", "text": "已列入计划。", "follow_up_due": next_month}).status_code
        == 302
    )
    assert "report_follow_up" in offered_actions(client.get(detail_url(s)))
    assert act(client, s, "report_follow_up", {"text": "已完工。", "solved": "on"}).status_code == 302
    s.refresh_from_db()
    assert s.follow_up_due is None
    assert SuggestionEvent.objects.filter(suggestion=s, action="suggestion.follow_up_reported").count() == 1


def test_the_unit_returns_with_a_reason_only(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    login(client, cast, "unit_staff")
    before = snapshot(s)
    response = act(client, s, "return", {"reason": "  "})
    assert response.status_code == 400
    assert _("Say why the suggestion is returned.") in page_text(response)
    assert snapshot(s) == before
    assert act(client, s, "return", {"reason": "不属于本单位职责"}).status_code == 302
    assert state_of(s) == State.PROPOSED


def test_an_extension_past_the_cap_shows_the_domain_message(client: Client, cast: Cast, settings: Any) -> None:
    settings.EXTENSION_CAP_DAYS = 10
    s, _t = build(cast, "in_progress")
    login(client, cast, "unit_staff")
    before = snapshot(s)
    response = act(client, s, "request_extension", {"days": 11, "reason": "工程量大"})
    assert response.status_code == 400
    assert _("At most %(remaining)s more working days can be granted (limit %(cap)s in total).") % {
        "remaining": 10,
        "cap": 10,
    } in page_text(response)
    assert snapshot(s) == before


def test_a_co_unit_gives_its_opinion_but_cannot_reply(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "co_unit_staff")
    assert offered_actions(client.get(detail_url(s))) == ["co_opinion"]
    before = snapshot(s)
    response = act(client, s, "reply", {"category": "A", "text": "我们来答复"})
    assert response.status_code == 403
    assert _("You may not do this on this suggestion.") in page_text(response)
    assert snapshot(s) == before
    assert act(client, s, "co_opinion", {"text": "城管局配合清理占道。"}).status_code == 302
    assert Assignment.objects.get(suggestion=s, unit=cast.co_unit, is_active=True).opinion == "城管局配合清理占道。"


def test_an_action_in_the_wrong_state_shows_the_domain_message(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "unit_staff")
    before = snapshot(s)
    response = act(client, s, "acknowledge")
    assert response.status_code == 409
    assert _("This action is not possible while the suggestion is “%(state)s”.") % {
        "state": State.IN_PROGRESS.label
    } in page_text(response)
    assert snapshot(s) == before


def test_an_unknown_action_is_not_found(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    login(client, cast, "unit_staff")
    assert client.get(action_url(s, "delete_everything")).status_code == 404


# --- htmx: forms in place ------------------------------------------------------------------------


def test_forms_come_in_place_with_htmx_and_as_pages_without(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "assigned")
    login(client, cast, "unit_staff")
    partial = client.get(action_url(s, "return"), headers={"HX-Request": "true", "HX-Target": "action-panel"})
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert 'name="reason"' in partial.content.decode()
    page = client.get(action_url(s, "return"))
    assert "<html" in page.content.decode()
    assert 'name="reason"' in page.content.decode()

    invalid = act(client, s, "return", {"reason": ""}, htmx=True)
    assert invalid.status_code == 400
    assert "<html" not in invalid.content.decode()
    done = act(client, s, "acknowledge", htmx=True)
    assert done.status_code == 200
    assert done["HX-Redirect"] == detail_url(s)
    assert state_of(s) == State.IN_PROGRESS


# --- Queues and the dashboard --------------------------------------------------------------------


def _queue(client: Client, code: str) -> str:
    return page_text(client.get(f"/suggestions/?queue={code}")).replace("-", "")


def test_each_role_works_its_own_queues(client: Client, cast: Cast) -> None:
    received = record(cast, title="待梳理")
    sorted_, _t = build(cast, "sorted")
    proposed, _t = build(cast, "proposed")
    assigned, _t = build(cast, "assigned")
    in_progress, _t = build(cast, "in_progress")
    replied, _t = build(cast, "replied")
    returned, _t = build(cast, "assigned")
    workflow.suggestion_return(suggestion=returned, actor=cast.admin, reason="不属于本单位")
    extension, _t = build(cast, "in_progress")
    workflow.suggestion_request_extension(suggestion=extension, actor=cast.admin, days=2, reason="协调中")

    login(client, cast, "station_staff")
    assert received.tracking_code in _queue(client, "to_sort")
    assert sorted_.tracking_code in _queue(client, "to_propose")
    assert received.tracking_code not in _queue(client, "to_propose")
    assert client.get("/suggestions/?queue=to_hand_over").status_code == 404  # not a station's queue

    login(client, cast, "committee_staff")
    to_hand_over = _queue(client, "to_hand_over")
    assert proposed.tracking_code in to_hand_over
    assert returned.tracking_code not in to_hand_over
    assert returned.tracking_code in _queue(client, "returned")
    extension_queue = _queue(client, "extension_requests")
    assert extension.tracking_code in extension_queue
    assert in_progress.tracking_code not in extension_queue
    assert replied.tracking_code in _queue(client, "awaiting_feedback")

    login(client, cast, "unit_staff")
    assert assigned.tracking_code in _queue(client, "to_acknowledge")
    assert in_progress.tracking_code in _queue(client, "in_progress")
    assert replied.tracking_code in _queue(client, "follow_ups")
    assert assigned.tracking_code not in _queue(client, "in_progress")

    login(client, cast, "co_unit_staff")
    assert in_progress.tracking_code in _queue(client, "co_handling")

    login(client, cast, "other_unit_staff")
    for code in ("to_acknowledge", "in_progress", "unit_overdue"):
        assert assigned.tracking_code not in _queue(client, code)
        assert in_progress.tracking_code not in _queue(client, code)


def test_overdue_and_due_soon_follow_the_calendar(client: Client, cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI), tick=False):
        s, _t = build(cast, "in_progress")
        s.refresh_from_db()
    assert s.reply_due is not None
    day_before = dt.datetime.combine(s.reply_due - dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI)
    with time_machine.travel(day_before, tick=False):
        login(client, cast, "unit_staff")
        assert s.tracking_code in _queue(client, "due_soon")
        assert s.tracking_code not in _queue(client, "unit_overdue")
    day_after = dt.datetime.combine(s.reply_due + dt.timedelta(days=1), dt.time(10), tzinfo=SHANGHAI)
    with time_machine.travel(day_after, tick=False):
        login(client, cast, "unit_staff")
        assert s.tracking_code in _queue(client, "unit_overdue")
        assert s.tracking_code not in _queue(client, "due_soon")
        login(client, cast, "committee_staff")
        assert s.tracking_code in _queue(client, "committee_overdue")
        assert _("Overdue") in page_text(client.get(detail_url(s)))


def test_dashboard_counts_are_bounded(client: Client, cast: Cast) -> None:
    for _i in range(101):
        SuggestionFactory(station=cast.world.station_a)
    login(client, cast, "station_staff")
    response = client.get("/")
    content = response.content.decode()
    to_sort = re.search(r'data-queue="to_sort">\s*<span class="queue-count"[^>]*>([^<]+)<', content)
    to_propose = re.search(r'data-queue="to_propose">\s*<span class="queue-count"[^>]*>([^<]+)<', content)
    assert to_sort is not None
    assert to_sort.group(1) == "99+"
    assert to_propose is not None
    assert to_propose.group(1) == "0"


def test_the_dashboard_costs_the_same_however_full_the_queues(client: Client, cast: Cast) -> None:
    login(client, cast, "committee_staff")
    build(cast, "proposed")
    few, _sql = queries_for(client, "/")
    for state in ("proposed", "assigned", "in_progress", "replied"):
        build(cast, state)
    for _i in range(20):
        SuggestionFactory(station=cast.world.station_a)
    many, _sql = queries_for(client, "/")
    assert few == many
    assert many <= 20


# --- Lists: filters, pages, query counts --------------------------------------------------------------


def test_filters_narrow_the_list(client: Client, cast: Cast) -> None:
    lamp = SuggestionFactory(station=cast.world.station_a, title="路灯坏了", channel="hotline")
    drain = SuggestionFactory(station=cast.world.station_a, title="下水道堵塞")
    other = SuggestionFactory(station=cast.world.station_b, title="瀛洲路灯坏了")
    progressing, _t = build(cast, "in_progress")
    login(client, cast, "city_committee_staff")

    def codes(query: str) -> set[str]:
        content = client.get(f"/suggestions/?{query}").content.decode()
        return set(re.findall(r'class="code" href="/suggestions/([A-Z0-9]+)/"', content))

    assert codes("q=坏了") == {lamp.tracking_code, other.tracking_code}
    typed = f"{progressing.tracking_code[:5].lower()}-{progressing.tracking_code[5:]}"  # as read over the phone
    assert codes(f"q={typed}") == {progressing.tracking_code}
    assert codes("channel=hotline") == {lamp.tracking_code}
    assert codes(f"region={cast.world.district_b.code}") == {other.tracking_code}
    assert codes("state=in_progress") == {progressing.tracking_code}
    assert drain.tracking_code in codes("state=received")
    assert codes(f"station={cast.world.station_b.pk}") == {other.tracking_code}
    assert codes(f"unit={cast.co_unit.code}") == {progressing.tracking_code}
    assert codes("overdue=true") == set()


def test_an_invalid_filter_says_so_and_lists_nothing(client: Client, cast: Cast) -> None:
    SuggestionFactory(station=cast.world.station_a)
    login(client, cast, "committee_staff")
    response = client.get("/suggestions/?region=999999999")
    text = page_text(response)
    assert _("Correct the filters marked above.") in text
    assert re.findall(r'class="code" href=', response.content.decode()) == []


def test_keyset_pages_cover_every_row_once_without_counting(client: Client, cast: Cast) -> None:
    rows = [SuggestionFactory(station=cast.world.station_a) for _i in range(120)]
    login(client, cast, "station_staff")
    seen: list[str] = []
    url = "/suggestions/?state=received"
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as ctx:
            content = client.get(url).content.decode()
        on_suggestions = [q["sql"].upper() for q in ctx.captured_queries if "suggestions_suggestion" in q["sql"]]
        assert on_suggestions
        assert not any("COUNT(" in q or "OFFSET" in q for q in on_suggestions)
        seen += re.findall(r'class="code" href="/suggestions/([A-Z0-9]+)/"', content)
        more = re.search(r'rel="next" href="([^"]+)"', content)
        url = f"/suggestions/{html.unescape(more.group(1))}" if more else ""
        pages += 1
    assert pages == 3
    assert seen == [r.tracking_code for r in sorted(rows, key=lambda r: -r.pk)]


def test_a_deep_page_is_an_index_range_not_an_offset(client: Client, cast: Cast) -> None:
    rows = [SuggestionFactory(station=cast.world.station_a) for _i in range(3)]
    login(client, cast, "station_staff")
    _n, sql = queries_for(client, f"/suggestions/?after={rows[-1].pk}")
    listing = [q for q in sql if 'FROM "suggestions_suggestion"' in q and "LIMIT 51" in q]
    assert len(listing) == 1
    assert '"suggestions_suggestion"."id" < ' in listing[0]


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("station_staff", "/suggestions/"),
        ("station_staff", "/suggestions/?queue=to_sort"),
        ("committee_staff", "/suggestions/?state=received&q=路灯"),
        ("committee_staff", "/suggestions/?queue=to_hand_over"),
        ("committee_staff", "/suggestions/?queue=returned"),
        ("committee_staff", "/suggestions/?queue=extension_requests"),
        ("committee_staff", "/suggestions/?queue=committee_overdue"),
        ("committee_staff", "/suggestions/?queue=awaiting_feedback"),
        ("unit_staff", "/suggestions/"),
        ("unit_staff", "/suggestions/?queue=to_acknowledge"),
        ("unit_staff", "/suggestions/?queue=in_progress"),
        ("unit_staff", "/suggestions/?queue=due_soon"),
        ("unit_staff", "/suggestions/?queue=unit_overdue"),
        ("co_unit_staff", "/suggestions/?queue=co_handling"),
        ("unit_staff", "/suggestions/?queue=follow_ups"),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    client: Client, cast: Cast, persona: str, url: str, django_assert_max_num_queries: Any
) -> None:
    def add_rows() -> None:
        for state in ("proposed", "assigned", "in_progress", "replied"):
            build(cast, state)
        for _i in range(3):
            SuggestionFactory(station=cast.world.station_a, title="路灯")

    add_rows()
    login(client, cast, persona)
    few, _sql = queries_for(client, url)
    for _i in range(3):
        add_rows()
    with django_assert_max_num_queries(few):
        assert client.get(url).status_code == 200
    assert few <= 16


def test_htmx_filtering_returns_only_the_results(client: Client, cast: Cast) -> None:
    SuggestionFactory(station=cast.world.station_a, title="路灯坏了")
    login(client, cast, "station_staff")
    response = client.get("/suggestions/?q=路灯", headers={"HX-Request": "true", "HX-Target": "results"})
    content = response.content.decode()
    assert response.status_code == 200
    assert content.lstrip().startswith('<section id="results"')
    assert "路灯坏了" in content


# --- Excel export --------------------------------------------------------------------------------------


def _workbook(response: Any) -> list[list[Any]]:
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows()]


def test_the_export_holds_exactly_the_filtered_rows_and_formulas_stay_text(client: Client, cast: Cast) -> None:
    formulas = ['=HYPERLINK("http://evil.example","点我")', "+86-591-1234", "-1+2", "@SUM(A1:A9)"]
    wanted = [SuggestionFactory(station=cast.world.station_a, title=t, content="路灯") for t in formulas]
    wanted.append(SuggestionFactory(station=cast.world.station_a, title="普通路灯问题", content="=1+1"))
    SuggestionFactory(station=cast.world.station_a, title="下水道")  # filtered out by q
    SuggestionFactory(station=cast.world.station_b, title="瀛洲路灯")  # out of scope
    login(client, cast, "station_staff")
    response = client.get("/suggestions/export.xlsx?state=received&q=路灯")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    rows = _workbook(response)
    header, body = rows[0], rows[1:]
    assert header[0].value == _("Tracking code")
    titles = {row[1].value for row in body}
    assert titles == {s.title for s in wanted if "路灯" in s.title}
    for row in body:
        for cell in row:
            assert cell.value is None or cell.data_type == "s", cell.value
        title = row[1]
        if str(title.value).startswith(("=", "+", "-", "@")):
            assert title.quotePrefix
    for row in body:
        assert row[11].value == "张三"
        assert row[12].value == "13812345678"


def test_the_export_of_a_queue_uses_the_queue(client: Client, cast: Cast) -> None:
    proposed, _t = build(cast, "proposed")
    build(cast, "assigned")
    login(client, cast, "committee_staff")
    rows = _workbook(client.get("/suggestions/export.xlsx?queue=to_hand_over"))
    assert [row[0].value.replace("-", "") for row in rows[1:]] == [proposed.tracking_code]


def test_an_export_beyond_the_limit_asks_for_narrower_filters(client: Client, cast: Cast, settings: Any) -> None:
    settings.EXPORT_MAX_ROWS = 2
    for _i in range(3):
        SuggestionFactory(station=cast.world.station_a)
    login(client, cast, "station_staff")
    response = client.get("/suggestions/export.xlsx", follow=True)
    assert _("The list has more than %(limit)s suggestions; narrow the filters to export it.") % {
        "limit": 2
    } in page_text(response)


def test_the_export_costs_the_same_however_many_rows(client: Client, cast: Cast) -> None:
    login(client, cast, "committee_staff")
    build(cast, "assigned")
    with CaptureQueriesContext(connection) as ctx:
        b"".join(client.get("/suggestions/export.xlsx").streaming_content)  # type: ignore[attr-defined]
    few = len(ctx.captured_queries)
    for state in ("assigned", "in_progress", "replied"):
        build(cast, state)
    with CaptureQueriesContext(connection) as ctx:
        b"".join(client.get("/suggestions/export.xlsx").streaming_content)  # type: ignore[attr-defined]
    many = len(ctx.captured_queries)
    assert few == many
    assert few > 0


# --- Long filter lists and the cached filter form -------------------------------------------------


def test_a_long_unit_list_becomes_a_typed_field_with_suggestions(client: Client, cast: Cast) -> None:
    from suggestions.views import SELECT_LIMIT

    for i in range(SELECT_LIMIT + 1):
        HandlingUnitFactory(code=f"bureau-{i:03d}", name=f"第{i:03d}局", region=cast.world.city)
    water = HandlingUnitFactory(code="water-works", name="榕州市自来水公司", region=cast.world.city)
    progressing, _t = build(cast, "in_progress")
    login(client, cast, "city_committee_staff")

    page = client.get("/suggestions/").content.decode()
    unit_input = re.search(r'<input[^>]*name="unit"[^>]*>', page)
    assert unit_input is not None, "a text field, not a <select> of every unit"
    assert 'list="unit-options"' in unit_input.group(0)
    assert '<datalist id="unit-options"></datalist>' in page
    assert "第000局" not in page  # the options are not on the page

    options = client.get("/suggestions/options/unit/?unit=自来水").content.decode()
    assert f'<option value="{water.code}">榕州市自来水公司</option>' in options
    assert "第000局" not in options
    assert client.get("/suggestions/options/unit/?unit=").content.decode().count("<option") == 20

    # The typed code filters as the <select> did.
    lead = Suggestion.objects.get(pk=progressing.pk).lead_unit
    assert lead is not None
    content = client.get(f"/suggestions/?unit={lead.code}").content.decode()
    assert set(re.findall(r'class="code" href="/suggestions/([A-Z0-9]+)/"', content)) == {progressing.tracking_code}


def test_a_short_list_stays_a_select(client: Client, cast: Cast) -> None:
    login(client, cast, "city_committee_staff")
    page = client.get("/suggestions/").content.decode()
    assert re.search(r'<select[^>]*name="unit"', page)
    assert re.search(r'<select[^>]*name="station"', page)


def test_station_suggestions_are_only_the_viewers_stations(client: Client, cast: Cast) -> None:
    login(client, cast, "station_staff")
    options = client.get("/suggestions/options/station/?station=").content.decode()
    assert cast.world.station_a.name in options
    assert cast.world.station_b.name not in options
    assert client.get("/suggestions/options/voters/").status_code == 404
    client.logout()
    response = client.get("/suggestions/options/unit/")
    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_the_cached_filter_form_shows_a_new_category_at_once(client: Client, cast: Cast) -> None:
    login(client, cast, "city_committee_staff")
    assert "环境保护" not in page_text(client.get("/suggestions/"))
    assert "环境保护" not in page_text(client.get("/suggestions/"))  # now from the cache
    CategoryFactory(code="environment", name="环境保护")
    assert "环境保护" in page_text(client.get("/suggestions/"))


def test_the_cached_filter_form_is_each_viewers_own(client: Client, cast: Cast) -> None:
    login(client, cast, "station_staff")
    assert f'value="{cast.world.station_b.pk}"' not in client.get("/suggestions/").content.decode()
    login(client, cast, "city_committee_staff")
    assert f'value="{cast.world.station_b.pk}"' in client.get("/suggestions/").content.decode()


def test_list_lines_escape_what_voters_typed(client: Client, cast: Cast) -> None:
    s = SuggestionFactory(station=cast.world.station_a, title='<script>alert("x")</script> & 路灯')
    login(client, cast, "station_staff")
    content = client.get("/suggestions/").content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; 路灯" in content
    assert f'href="/suggestions/{s.tracking_code}/"' in content


def test_the_filter_form_submitted_untouched_hides_nothing(client: Client, cast: Cast) -> None:
    urged, _t = build(cast, "assigned")
    Suggestion.objects.filter(pk=urged.pk).update(supervision_level=SupervisionLevel.KEY)
    plain = SuggestionFactory(station=cast.world.station_a)
    login(client, cast, "city_committee_staff")
    page = client.get("/suggestions/").content.decode()
    # Every select starts blank ("any"), so an untouched form sends empty values.
    assert re.search(r'<select name="supervision_level"[^>]*>\s*<option value="" selected>', page)
    assert re.search(r'<select name="overdue"[^>]*>\s*<option value="" selected>', page)
    # What the browser sends for it (unchecked state boxes send nothing).
    untouched = (
        "region=&station=&unit=&category=&channel=&created_after=&created_before=&overdue=&supervision_level=&q="
    )
    content = client.get(f"/suggestions/?{untouched}").content.decode()
    codes = set(re.findall(r'class="code" href="/suggestions/([A-Z0-9]+)/"', content))
    assert {urged.tracking_code, plain.tracking_code} <= codes


def test_a_station_is_picked_by_its_name_and_a_wrong_name_is_marked(client: Client, cast: Cast) -> None:
    mine = SuggestionFactory(station=cast.world.station_b, title="桥面破损")
    SuggestionFactory(station=cast.world.station_a)
    login(client, cast, "city_committee_staff")
    content = client.get("/suggestions/", {"station": cast.world.station_b.name}).content.decode()
    assert set(re.findall(r'class="code" href="/suggestions/([A-Z0-9]+)/"', content)) == {mine.tracking_code}
    response = client.get(
        "/suggestions/", {"station": "没有这个站"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    text = page_text(response)
    assert _("Correct the filters marked above.") in text
    # The fields come back out of band with the wrong one marked.
    assert 'id="filter-fields" hx-swap-oob="true"' in text
    assert "field-station has-error" in text
    assert _("No single station of yours has this name: pick one from the list.") in text


def test_the_filter_form_speaks_to_people_not_to_api_clients(client: Client, cast: Cast) -> None:
    login(client, cast, "city_committee_staff")
    for url in ("/suggestions/", "/suggestions/?station=没有这个站&overdue=true"):
        text = page_text(client.get(url))
        assert _("Dates received, inclusive: created_after and created_before (YYYY-MM-DD).") not in text
        assert _("True: acknowledgement or reply deadline has passed; false: it has not.") not in text
        assert _("Title words or tracking code") in text


def test_lists_work_while_the_cache_is_down(client: Client, cast: Cast, settings: Any) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on: every cache call fails
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    SuggestionFactory(station=cast.world.station_a, title="缓存停了也能看")
    login(client, cast, "city_committee_staff")  # the session lives in the database
    settings.CACHES = {"default": {"BACKEND": "liaison.cache.RedisCache", "LOCATION": f"redis://127.0.0.1:{dead}/0"}}
    CategoryFactory(code="water", name="供水")  # invalidating the cached form cannot fail either
    response = client.get("/suggestions/")
    assert response.status_code == 200
    text = page_text(response)
    assert "缓存停了也能看" in text
    assert "供水" in text


def test_a_pending_extension_reads_awaiting_approval_not_awaiting_sending(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    workflow.suggestion_request_extension(suggestion=s, actor=cast.admin, days=5, reason="工程量大")
    client.force_login(cast.admin)
    text = page_text(client.get("/admin/suggestions/extensionrequest/"))
    assert "待审批" in text
    assert "待发送" not in text


def test_an_over_long_note_is_refused_in_plain_chinese(client: Client, cast: Cast) -> None:
    s, _t = build(cast, "in_progress")
    login(client, cast, "committee_staff")
    before = snapshot(s)
    response = act(client, s, "supervise", {"note": "催" * 2001})
    assert response.status_code == 400
    assert "最多 2000 字，现在有 2001 字，请删减后再提交。" in page_text(response)
    assert "确保该变量" not in page_text(response)
    assert snapshot(s) == before

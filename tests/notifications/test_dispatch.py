"""Transition notifications: each workflow action's outbox row reaches the right people, through a
real SMTP server and the in-memory SMS backend, once; a refused address does not stop the others."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from notifications import sms
from notifications.models import Channel, Delivery, DeliveryStatus, Notification, Outbox, OutboxStatus
from notifications.rendering import render_message
from notifications.services import deliveries_send, outbox_expand, relay_collect
from notifications.tasks import outbox_dispatch
from representatives.models import Representative
from suggestions import workflow
from suggestions.models import FeedbackToken, Suggestion
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import HandlingUnitContactFactory, HandlingUnitFactory
from tests.notifications.helpers import acknowledge, at, hand_over
from tests.notifications.smtp import Inbox, body_text

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2025, 11, 3)  # a Monday with no holiday near


def dispatch_all() -> None:
    """What the worker does after commit: run outbox_dispatch for every pending outbox row."""
    for outbox_id in Outbox.objects.filter(status=OutboxStatus.PENDING).order_by("id").values_list("id", flat=True):
        outbox_dispatch(outbox_id)


def deliveries(kind: str) -> set[tuple[str, str]]:
    return set(Delivery.objects.filter(kind=kind).values_list("channel", "recipient"))


@pytest.fixture
def handed(world: World, station_staff: User, committee_staff: User, representative_user: User) -> Suggestion:
    rep = Representative.objects.get(user=representative_user)
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=TODAY,
        submitter_email="voter@example.cn",
        representative=rep,
    )
    Outbox.objects.all().delete()  # recorded/handed over: tested separately below
    return s


def test_hand_over_tells_the_lead_and_co_unit_contacts_on_each_channel(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    co_unit = HandlingUnitFactory(name="鼓楼区城管局", region=world.district_a)
    HandlingUnitContactFactory(unit=co_unit, name="赵科长", email="zhao@co.example.cn", phone="13700000000")
    HandlingUnitContactFactory(unit=world.unit_a, name="刘干事", user=unit_staff, email="", phone="")
    s = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY, co_units=(co_unit,))
    with at(TODAY):
        dispatch_all()

    assert sorted(str(m["To"]) for m in smtp.messages) == ["wang@unit-a.example.cn", "zhao@co.example.cn"]
    for message in smtp.messages:
        assert tracking_code_display(s.tracking_code) in str(message["Subject"])
        assert f"http://127.0.0.1:8000/suggestions/{s.tracking_code}/" in body_text(message)
        assert "张三" not in body_text(message)  # never the voter's name to a unit
        assert "13812345678" not in body_text(message)
    # The units' contacts, and the voter once: their tracking code when it was recorded.
    assert sorted(m.to for m in sms_outbox) == ["13700000000", "13812345678", "13900000000"]
    assert all(tracking_code_display(s.tracking_code) in m.text for m in sms_outbox)
    (voter_sms,) = [m for m in sms_outbox if m.to == "13812345678"]
    assert "/suggestions/" not in voter_sms.text  # a voter never gets a staff link
    note = Notification.objects.get(recipient=unit_staff)
    assert note.suggestion_id == s.pk
    assert note.url == f"/suggestions/{s.tracking_code}/"
    # The outbox rows are all done.
    assert set(Outbox.objects.values_list("kind", "status")) == {
        ("suggestion.recorded", OutboxStatus.SENT),
        ("suggestion.handed_over", OutboxStatus.SENT),
    }
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


def test_dispatching_an_outbox_row_twice_sends_nothing_twice(
    handed: Suggestion, committee_staff: User, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        workflow.suggestion_supervise(suggestion=handed, actor=committee_staff)
        (row,) = Outbox.objects.filter(kind="suggestion.supervised")
        outbox_dispatch(row.pk)
        outbox_dispatch(row.pk)  # a redelivered task, or the relay racing the first dispatch
        deliveries_send(delivery_ids=list(Delivery.objects.values_list("id", flat=True)))
    assert len(smtp.messages) == 1
    assert len(sms_outbox) == 1
    assert Delivery.objects.filter(key=f"outbox:{row.pk}").count() == 2


def test_return_tells_the_committee_staff_of_the_region_and_above_only(
    handed: Suggestion,
    unit_staff: User,
    committee_staff: User,
    city_committee_staff: User,
    other_committee_staff: User,
    smtp: Inbox,
) -> None:
    with at(TODAY):
        workflow.suggestion_return(suggestion=handed, actor=unit_staff, reason="不属于本单位职责")
        dispatch_all()
    assert deliveries("returned") == {
        (Channel.IN_APP, str(committee_staff.pk)),
        (Channel.EMAIL, committee_staff.email),
        (Channel.IN_APP, str(city_committee_staff.pk)),
        (Channel.EMAIL, city_committee_staff.email),
    }
    assert not Notification.objects.filter(recipient=other_committee_staff).exists()
    (message,) = smtp.to(committee_staff.email)
    assert "不属于本单位职责" in body_text(message)
    assert "鼓楼区住建局" in body_text(message)


def test_extension_request_goes_to_the_committee_and_the_decision_back_to_the_unit(
    handed: Suggestion, unit_staff: User, committee_staff: User, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        s = workflow.suggestion_acknowledge(suggestion=handed, actor=unit_staff)
        s = workflow.suggestion_request_extension(suggestion=s, actor=unit_staff, days=5, reason="需协调资金")
        dispatch_all()
        assert Notification.objects.filter(recipient=committee_staff, kind="extension_requested").exists()
        s = workflow.suggestion_decide_extension(suggestion=s, actor=committee_staff, approve=True)
        dispatch_all()
    assert deliveries("extension_decided") == {
        (Channel.EMAIL, "wang@unit-a.example.cn"),
        (Channel.SMS, "13900000000"),
    }
    (message,) = [
        m for m in smtp.to("wang@unit-a.example.cn") if tracking_code_display(s.tracking_code) in str(m["Subject"])
    ]
    assert s.reply_due is not None
    assert s.reply_due.isoformat() in body_text(message)


def test_each_supervision_step_notifies_the_unit(
    handed: Suggestion, unit_staff: User, committee_staff: User, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        s = workflow.suggestion_supervise(suggestion=handed, actor=committee_staff, note="请加快办理")
        s = workflow.suggestion_supervise(suggestion=s, actor=committee_staff)
        dispatch_all()
    urged, key = smtp.to("wang@unit-a.example.cn")
    assert str(urged["Subject"]) != str(key["Subject"])
    assert "请加快办理" in body_text(urged)
    assert Delivery.objects.filter(kind="supervised", channel=Channel.SMS).count() == 2


def test_reply_tells_the_representative_and_the_voter_with_status_and_feedback_links(
    handed: Suggestion,
    unit_staff: User,
    representative_user: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    with at(TODAY):
        s = acknowledge(handed, unit_staff=unit_staff, on=TODAY)
        s = workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="A", text="路灯已修复。")
        dispatch_all()
    assert Notification.objects.filter(recipient=representative_user, kind="replied").exists()
    (voter_mail,) = smtp.to("voter@example.cn")
    text = body_text(voter_mail)
    assert "http://127.0.0.1:8000/s/status/" in text
    assert tracking_code_display(s.tracking_code) in text
    (voter_sms,) = [m for m in sms_outbox if m.to == "13812345678"]
    # The link carries the raw token whose hash the workflow stored; nowhere else is it kept.
    token = text.split("/s/rate/", 1)[1].split("/", 1)[0]
    assert f"/s/rate/{token}/" in voter_sms.text
    assert FeedbackToken.objects.filter(suggestion=s, token_hash=hashlib.sha256(token.encode()).hexdigest()).exists()
    reply_row = Outbox.objects.get(kind="suggestion.replied")
    assert "feedback_token" not in reply_row.payload
    # The voter's own address never reaches the representative's message.
    assert all("voter@example.cn" not in body_text(m) for m in smtp.messages)


def test_dissatisfied_feedback_first_rehandling_then_committee_decision(
    handed: Suggestion,
    unit_staff: User,
    committee_staff: User,
    station_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    with at(TODAY):
        s = acknowledge(handed, unit_staff=unit_staff, on=TODAY)
        s = workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="C", text="暂无条件。")
        dispatch_all()
        Delivery.objects.all().delete()
        s = workflow.suggestion_feedback(suggestion=s, actor=station_staff, rating="dissatisfied")
        dispatch_all()
        # The first dissatisfaction means re-handling: the unit hears it once per channel, with the new
        # deadline; the receiving representative hears of the feedback.
        assert set(Delivery.objects.values_list("kind", flat=True)) == {"rehandling", "feedback_received"}
        assert deliveries("rehandling") == {(Channel.EMAIL, "wang@unit-a.example.cn"), (Channel.SMS, "13900000000")}
        s.refresh_from_db()
        assert s.reply_due is not None
        assert s.reply_due.isoformat() in body_text(smtp.to("wang@unit-a.example.cn")[-1])

        s = workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="C", text="仍无条件。")
        s = workflow.suggestion_feedback(suggestion=s, actor=station_staff, rating="dissatisfied")
        dispatch_all()
    assert Notification.objects.filter(recipient=committee_staff, kind="feedback_dissatisfied").exists()
    assert (Channel.EMAIL, "wang@unit-a.example.cn") in deliveries("feedback_dissatisfied")


def test_dissatisfaction_with_an_answer_on_the_spot_asks_the_committee_to_hand_it_over(
    world: World, station_staff: User, committee_staff: User
) -> None:
    from tests.factories import SuggestionFactory

    s = SuggestionFactory(region=world.town_a, station=world.station_a, title="楼道灯不亮")
    s = workflow.suggestion_resolve_on_spot(suggestion=s, actor=station_staff, reply_text="代表当场联系物业更换。")
    Outbox.objects.all().delete()
    s = workflow.suggestion_feedback(suggestion=s, actor=station_staff, rating="dissatisfied")
    dispatch_all()
    # The first dissatisfaction: not the message about a case "handled again", which it never was.
    assert "feedback_dissatisfied" not in set(Delivery.objects.values_list("kind", flat=True))
    told = Notification.objects.get(recipient=committee_staff, kind="feedback_reproposed")
    assert "楼道灯不亮" in told.body
    assert "经重新办理" not in told.body
    assert "等待交办" in told.body


def test_recording_and_closing_tell_the_voter_only(handed: Suggestion) -> None:
    for kind in ("suggestion.recorded", "suggestion.closed"):
        row = Outbox.objects.create(kind=kind, suggestion=handed, payload={})
        assert len(outbox_expand(outbox_id=row.pk)) == 2
        row.refresh_from_db()
        assert row.status == OutboxStatus.SENT
    assert set(Delivery.objects.values_list("kind", "channel", "recipient")) == {
        ("recorded_voter", Channel.EMAIL, "voter@example.cn"),
        ("recorded_voter", Channel.SMS, "13812345678"),
        ("closed_voter", Channel.EMAIL, "voter@example.cn"),
        ("closed_voter", Channel.SMS, "13812345678"),
    }


def test_a_refused_address_does_not_stop_the_others_and_is_retried_with_backoff(
    world: World,
    station_staff: User,
    committee_staff: User,
    settings: SettingsWrapper,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    settings.NOTIFY_RETRY_SECONDS = 60
    settings.NOTIFY_RELAY_AFTER_SECONDS = 60
    HandlingUnitContactFactory(unit=world.unit_a, name="错号", email="broken@unit-a.example.cn", phone="")
    HandlingUnitContactFactory(unit=world.unit_a, name="陈干事", email="chen@unit-a.example.cn", phone="")
    smtp.refuse.add("broken@unit-a.example.cn")
    hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY)
    with at(TODAY):
        dispatch_all()
    assert sorted(str(m["To"]) for m in smtp.messages) == ["chen@unit-a.example.cn", "wang@unit-a.example.cn"]
    assert sorted(m.to for m in sms_outbox) == ["13812345678", "13900000000"]  # the voter's code, the unit
    broken = Delivery.objects.get(recipient="broken@unit-a.example.cn")
    assert broken.status == DeliveryStatus.PENDING
    assert broken.attempts == 1
    assert "550" in broken.last_error
    assert broken.next_attempt_at is not None

    # Before the backoff has passed the relay leaves it alone; after it, the relay picks it up.
    with at(TODAY, hour=9):
        assert broken.pk not in relay_collect(now=timezone.now()).delivery_ids
    smtp.refuse.clear()
    later = timezone.now() + dt.timedelta(minutes=2)
    with at(TODAY, hour=10):
        work = relay_collect(now=later)
        assert work.delivery_ids == [broken.pk]
        assert deliveries_send(delivery_ids=work.delivery_ids).sent == 1
    assert len(smtp.to("broken@unit-a.example.cn")) == 1


def test_a_delivery_gives_up_after_the_maximum_attempts(
    handed: Suggestion, settings: SettingsWrapper, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    settings.NOTIFY_MAX_ATTEMPTS = 2
    smtp.refuse.add("wang@unit-a.example.cn")
    row = Outbox.objects.create(kind="suggestion.supervised", suggestion=handed, payload={"level": 1})
    ids = outbox_expand(outbox_id=row.pk)
    deliveries_send(delivery_ids=ids)
    Delivery.objects.update(next_attempt_at=None)
    deliveries_send(delivery_ids=ids)
    failed = Delivery.objects.get(channel=Channel.EMAIL)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.attempts == 2
    Delivery.objects.update(next_attempt_at=None)
    assert deliveries_send(delivery_ids=ids).sent == 0  # no third attempt
    assert failed.pk not in relay_collect(now=timezone.now() + dt.timedelta(hours=2)).delivery_ids


def test_a_claim_left_by_a_killed_worker_is_taken_over_after_it_expires(
    handed: Suggestion, settings: SettingsWrapper, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    settings.NOTIFY_CLAIM_SECONDS = 120
    row = Outbox.objects.create(kind="suggestion.supervised", suggestion=handed, payload={"level": 1})
    ids = outbox_expand(outbox_id=row.pk)
    # A worker claimed them and died before sending.
    Delivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.SENDING, claimed_until=timezone.now() + dt.timedelta(seconds=120), attempts=1
    )
    assert deliveries_send(delivery_ids=ids).sent == 0  # still claimed
    assert relay_collect(now=timezone.now()).delivery_ids == []
    later = timezone.now() + dt.timedelta(seconds=121)
    assert relay_collect(now=later).delivery_ids == sorted(ids)
    with time_machine.travel(later, tick=False):
        assert deliveries_send(delivery_ids=ids).sent == 2
    assert len(smtp.messages) == 1


def test_messages_are_rendered_in_the_recipients_language(handed: Suggestion) -> None:
    row = Outbox.objects.create(kind="suggestion.handed_over", suggestion=handed, payload={})
    outbox_expand(outbox_id=row.pk)
    delivery = Delivery.objects.filter(channel=Channel.EMAIL).first()
    assert delivery is not None
    chinese = render_message(delivery)
    delivery.language = "en"
    english = render_message(delivery)
    assert (
        english.subject == f"Suggestion {tracking_code_display(handed.tracking_code)} has been handed over to your unit"
    )
    assert chinese.subject == f"建议 {tracking_code_display(handed.tracking_code)} 已交办贵单位"
    assert "请勿直接回复" in chinese.body

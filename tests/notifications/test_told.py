"""Every party told (issue 14 §5): the voter on recording, decline, conversion, escalation and
closure; a merged duplicate's voter with the case theirs follows; the staff who handed it over
and the station's staff of a reply; the representative of feedback. Each once, through a real
SMTP server and the in-memory SMS backend, and never with the voter's name or phone to staff."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import User
from notifications import sms
from notifications.models import Channel, Delivery, Notification, Outbox, OutboxStatus
from notifications.tasks import outbox_dispatch
from representatives.models import Representative
from suggestions import workflow
from suggestions.models import Suggestion
from suggestions.tracking import tracking_code_display
from tests.conftest import World
from tests.factories import CategoryFactory
from tests.notifications.helpers import acknowledge, at, hand_over
from tests.notifications.smtp import Inbox, body_text

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 11, 3)  # a Monday with no holiday near
STATUS_URL = "http://127.0.0.1:8000/s/status/"
VOTER_PHONE = "13812345678"
VOTER_EMAIL = "voter@example.cn"


def dispatch_all() -> None:
    """What the worker does after commit: run outbox_dispatch for every pending outbox row."""
    for outbox_id in Outbox.objects.filter(status=OutboxStatus.PENDING).order_by("id").values_list("id", flat=True):
        outbox_dispatch(outbox_id)


def deliveries(kind: str) -> list[tuple[str, str]]:
    """(channel, recipient) of this message kind, as a sorted list: a repeat would show twice."""
    return sorted(Delivery.objects.filter(kind=kind).values_list("channel", "recipient"))


def record(world: World, actor: User | None, **fields: str) -> Suggestion:
    values = {"title": "小区路灯不亮", "content": "晚上路灯不亮，老人出行不便。", "submitter_name": "张三"}
    values.update(fields)
    return workflow.suggestion_record(
        actor=actor,
        region=world.town_a,
        station=world.station_a,
        channel="reception" if actor is not None else "online",
        **values,  # type: ignore[arg-type]
    )


def proposed(world: World, station_staff: User, route: str, **fields: str) -> Suggestion:
    s = record(world, station_staff, submitter_phone=VOTER_PHONE, **fields)
    category = CategoryFactory(code=f"c{s.pk}", name="道路交通")
    s = workflow.suggestion_sort(suggestion=s, actor=station_staff, category=category, urgency="normal")
    note = "" if route == "unit" else "理由见备注"
    return workflow.suggestion_propose(suggestion=s, actor=station_staff, route=route, note=note)


# --- The voter on recording -----------------------------------------------------------------


def test_a_voter_recorded_with_a_phone_gets_the_tracking_code_by_sms_once(
    world: World, station_staff: User, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        s = record(world, station_staff, submitter_phone="138 1234 5678")
        dispatch_all()
        dispatch_all()  # a second pass (the relay) sends nothing again
    (message,) = sms_outbox
    assert message.to == VOTER_PHONE
    assert tracking_code_display(s.tracking_code) in message.text
    assert STATUS_URL in message.text
    assert message.text.startswith("【人大代表联络站】")
    assert "/suggestions/" not in message.text  # never a staff link to a voter
    assert smtp.messages == []
    assert deliveries("recorded_voter") == [(Channel.SMS, VOTER_PHONE)]
    assert not Notification.objects.exists()  # a voter has no account


def test_a_voter_who_left_only_an_e_mail_gets_it_by_e_mail(
    world: World, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        s = record(world, None, submitter_email="Voter@Example.cn")
        dispatch_all()
    (mail,) = smtp.messages
    assert str(mail["To"]) == VOTER_EMAIL
    assert tracking_code_display(s.tracking_code) in str(mail["Subject"])
    assert "已受理" in str(mail["Subject"])
    text = body_text(mail)
    assert tracking_code_display(s.tracking_code) in text
    assert STATUS_URL in text
    assert sms_outbox == []


def test_a_voter_who_left_no_phone_nor_e_mail_is_told_nothing(
    world: World, station_staff: User, smtp: Inbox, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        record(world, station_staff)
        dispatch_all()
    assert not Delivery.objects.exists()
    assert smtp.messages == sms_outbox == []


# --- The voter on decline, conversion, escalation and closure -------------------------------


@pytest.mark.parametrize(
    ("route", "reference", "subject", "says"),
    [
        ("not_accepted", "", "不予受理", "不属于人大代表建议受理范围"),
        ("closed_session", "闭字第12号", "闭会建议", "闭字第12号"),
        ("escalate", "福建省人大常委会", "上级人大", "福建省人大常委会"),
    ],
)
def test_a_declined_converted_or_escalated_suggestion_tells_the_voter_why(
    world: World,
    station_staff: User,
    committee_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
    route: str,
    reference: str,
    subject: str,
    says: str,
) -> None:
    with at(TODAY):
        s = proposed(world, station_staff, route, submitter_email=VOTER_EMAIL)
        dispatch_all()
        Delivery.objects.all().delete()
        sms_outbox.clear()
        smtp.messages.clear()
        workflow.suggestion_decline(
            suggestion=s,
            actor=committee_staff,
            note="不属于人大代表建议受理范围，请联系张三的社区居委会，电话13912345678。",
            reference=reference,
        )
        dispatch_all()
    assert deliveries("closed_voter") == [(Channel.EMAIL, VOTER_EMAIL), (Channel.SMS, VOTER_PHONE)]
    (mail,) = smtp.messages
    assert subject in str(mail["Subject"])
    text = body_text(mail)
    assert says in text
    assert "不属于人大代表建议受理范围" in text  # the reason
    assert "13912345678" not in text  # masked as on the status page
    assert STATUS_URL in text
    (message,) = sms_outbox
    assert subject in message.text
    assert "理由：不属于人大代表建议受理范围" in message.text
    assert Delivery.objects.count() == 2  # nobody else


def test_closure_by_the_committee_tells_the_voter(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    s = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY)
    s = acknowledge(s, unit_staff=unit_staff, on=TODAY)
    with at(TODAY):
        s = workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="C", text="暂无条件。")
    assert s.feedback_due is not None
    with at(s.feedback_due + dt.timedelta(days=1)):
        dispatch_all()
        sms_outbox.clear()
        workflow.suggestion_close(suggestion=s, actor=committee_staff)
        dispatch_all()
    (message,) = sms_outbox
    assert message.to == VOTER_PHONE
    assert "办结" in message.text
    assert tracking_code_display(s.tracking_code) in message.text
    assert deliveries("closed_voter") == [(Channel.SMS, VOTER_PHONE)]


def test_a_rating_that_closes_the_case_tells_the_voter_unless_they_gave_it_themselves(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    called_back = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY)
    by_link = hand_over(world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY, title="井盖缺失")
    with at(TODAY):
        for s in (called_back, by_link):
            s = workflow.suggestion_acknowledge(suggestion=s, actor=unit_staff)
            workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="A", text="已修复。")
        # The raw token leaves the outbox payload once the voter's messages are out.
        token = Outbox.objects.filter(suggestion=by_link, kind="suggestion.replied").get().payload["feedback_token"]
        dispatch_all()
        Delivery.objects.all().delete()
        workflow.suggestion_feedback(suggestion=called_back, actor=station_staff, rating="satisfied")
        workflow.suggestion_feedback(suggestion=by_link, actor=None, token=token, rating="satisfied")
        dispatch_all()
    assert list(Delivery.objects.filter(kind="closed_voter").values_list("suggestion_id", "channel")) == [
        (called_back.pk, Channel.SMS)
    ]


# --- Staff and the representative of a reply and of feedback ---------------------------------


@pytest.fixture
def rep(representative_user: User) -> Representative:
    rep = Representative.objects.get(user=representative_user)
    rep.phone = "13600000000"
    rep.save(update_fields=["phone"])
    return rep


def test_a_reply_tells_who_handed_it_over_and_the_stations_staff_in_app_and_by_e_mail(
    world: World,
    station_staff: User,
    other_station_staff: User,
    committee_staff: User,
    city_committee_staff: User,
    unit_staff: User,
    representative_user: User,
    rep: Representative,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    station_staff.phone = "13500000000"
    station_staff.save(update_fields=["phone"])
    s = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=TODAY,
        submitter_email=VOTER_EMAIL,
        representative=rep,
    )
    s = acknowledge(s, unit_staff=unit_staff, on=TODAY)
    with at(TODAY):
        dispatch_all()
        Delivery.objects.all().delete()
        smtp.messages.clear()
        sms_outbox.clear()
        workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="A", text="张三反映的路灯已修复。")
        dispatch_all()
        dispatch_all()
    assert deliveries("replied_staff") == sorted(
        [
            (Channel.IN_APP, str(committee_staff.pk)),
            (Channel.EMAIL, committee_staff.email),
            (Channel.IN_APP, str(station_staff.pk)),
            (Channel.EMAIL, station_staff.email),
        ]
    )  # no SMS to staff; not the city's committee, not another station
    assert deliveries("replied") == sorted(
        [
            (Channel.IN_APP, str(representative_user.pk)),
            (Channel.EMAIL, representative_user.email),
            (Channel.SMS, "13600000000"),
        ]
    )
    assert deliveries("replied_voter") == [(Channel.EMAIL, VOTER_EMAIL), (Channel.SMS, VOTER_PHONE)]
    for user in (city_committee_staff, other_station_staff):
        assert not Notification.objects.filter(recipient=user).exists()
    note = Notification.objects.get(recipient=committee_staff)
    assert note.url == f"/suggestions/{s.tracking_code}/"
    assert world.unit_a.name in note.body
    # Staff and the representative never get the voter's name, phone or address in a message.
    for mail in smtp.messages:
        if str(mail["To"]) == VOTER_EMAIL:
            continue
        for secret in ("张三", VOTER_PHONE, VOTER_EMAIL):
            assert secret not in body_text(mail)
            assert secret not in str(mail["Subject"])
    for message in sms_outbox:
        if message.to != VOTER_PHONE:
            assert VOTER_PHONE not in message.text


def test_the_representative_hears_of_feedback_unless_they_gave_it(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    representative_user: User,
    rep: Representative,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    by_voter = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY, representative=rep
    )
    by_rep = hand_over(
        world,
        station_staff=station_staff,
        committee_staff=committee_staff,
        on=TODAY,
        representative=rep,
        title="井盖缺失",
    )
    with at(TODAY):
        for s in (by_voter, by_rep):
            s = workflow.suggestion_acknowledge(suggestion=s, actor=unit_staff)
            workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="A", text="已修复。")
        dispatch_all()
        Delivery.objects.all().delete()
        smtp.messages.clear()
        workflow.suggestion_feedback(suggestion=by_voter, actor=station_staff, rating="basic")
        workflow.suggestion_rate_as_representative(suggestion=by_rep, actor=representative_user, rating="satisfied")
        dispatch_all()
    assert sorted(Delivery.objects.filter(kind="feedback_received").values_list("suggestion_id", "channel")) == sorted(
        [(by_voter.pk, Channel.IN_APP), (by_voter.pk, Channel.EMAIL), (by_voter.pk, Channel.SMS)]
    )
    (mail,) = smtp.to(representative_user.email)
    assert tracking_code_display(by_voter.tracking_code) in str(mail["Subject"])
    assert "基本满意" in str(mail["Subject"])
    assert "张三" not in body_text(mail)


# --- A merged duplicate's voter follows the case --------------------------------------------


def test_a_merged_duplicates_voter_hears_the_reply_under_their_own_code_without_the_rating_link(
    world: World,
    station_staff: User,
    committee_staff: User,
    unit_staff: User,
    smtp: Inbox,
    sms_outbox: list[sms.SmsMessage],
) -> None:
    target = hand_over(
        world, station_staff=station_staff, committee_staff=committee_staff, on=TODAY, submitter_email=VOTER_EMAIL
    )
    with at(TODAY):
        duplicate = record(
            world,
            station_staff,
            title="鼓东路路灯坏了",
            submitter_name="李四",
            submitter_phone="13911112222",
            submitter_email="li@example.cn",
        )
        workflow.suggestion_sort(
            suggestion=duplicate, actor=station_staff, category=None, urgency="normal", merge_into=target
        )
        dispatch_all()
        Delivery.objects.all().delete()
        smtp.messages.clear()
        sms_outbox.clear()
        s = workflow.suggestion_acknowledge(suggestion=target, actor=unit_staff)
        workflow.suggestion_reply(suggestion=s, actor=unit_staff, category="A", text="路灯已修复。")
        dispatch_all()
        dispatch_all()
    assert deliveries("replied_voter") == [
        (Channel.EMAIL, "li@example.cn"),
        (Channel.EMAIL, VOTER_EMAIL),
        (Channel.SMS, VOTER_PHONE),
        (Channel.SMS, "13911112222"),
    ]
    (mine,) = smtp.to(VOTER_EMAIL)
    assert "/s/rate/" in body_text(mine)
    (theirs,) = smtp.to("li@example.cn")
    text = body_text(theirs)
    assert tracking_code_display(duplicate.tracking_code) in str(theirs["Subject"])
    assert tracking_code_display(duplicate.tracking_code) in text
    assert "鼓东路路灯坏了" in text
    assert "合并" in text
    assert STATUS_URL in text
    # Not the other voter's rating link, code, title or name.
    assert "/s/rate/" not in text
    for secret in (
        target.tracking_code,
        tracking_code_display(target.tracking_code),
        target.title,
        "张三",
        VOTER_PHONE,
    ):
        assert secret not in text
        assert secret not in str(theirs["Subject"])
    (their_sms,) = [m for m in sms_outbox if m.to == "13911112222"]
    assert tracking_code_display(duplicate.tracking_code) in their_sms.text
    assert tracking_code_display(target.tracking_code) not in their_sms.text
    assert "/s/rate/" not in their_sms.text


def test_voters_merged_through_a_chain_hear_when_the_case_is_declined(
    world: World, station_staff: User, committee_staff: User, sms_outbox: list[sms.SmsMessage]
) -> None:
    with at(TODAY):
        target = record(world, station_staff, submitter_phone=VOTER_PHONE)
        middle = record(world, station_staff, title="同一件事", submitter_phone="13911112222")
        last = record(world, station_staff, title="又一件同样的事", submitter_phone="13733334444")
        unrelated = record(world, station_staff, title="别的事", submitter_phone="13655556666")
        # The last merged into the middle one, which was then merged into the target.
        workflow.suggestion_sort(
            suggestion=last, actor=station_staff, category=None, urgency="normal", merge_into=middle
        )
        workflow.suggestion_sort(
            suggestion=middle, actor=station_staff, category=None, urgency="normal", merge_into=target
        )
        category = CategoryFactory(code="roads", name="道路交通")
        s = workflow.suggestion_sort(suggestion=target, actor=station_staff, category=category, urgency="normal")
        s = workflow.suggestion_propose(suggestion=s, actor=station_staff, route="not_accepted", note="不属于受理范围")
        dispatch_all()
        sms_outbox.clear()
        workflow.suggestion_decline(suggestion=s, actor=committee_staff, note="不属于受理范围")
        dispatch_all()
    assert sorted(m.to for m in sms_outbox) == ["13733334444", VOTER_PHONE, "13911112222"]
    assert unrelated.submitter_phone not in {m.to for m in sms_outbox}
    by_phone = {m.to: m.text for m in sms_outbox}
    assert tracking_code_display(middle.tracking_code) in by_phone["13911112222"]
    assert tracking_code_display(last.tracking_code) in by_phone["13733334444"]
    assert target.tracking_code not in by_phone["13733334444"]

"""Corrections in the admin: each change is on the timeline with its old and new values; what
the workflow owns cannot be changed there. Reference data keeps a history of who changed what."""

from __future__ import annotations

import html

import pytest
from django.test import Client

from accounts.models import Membership, Role, User
from suggestions import workflow
from suggestions.models import HandlingUnit, State, Suggestion, SuggestionEvent
from tests.factories import UserFactory
from tests.html_forms import form_data
from tests.suggestions.workflow_builders import Cast, build, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(cast: Cast) -> User:
    """A superuser: the Django admin, every model."""
    return UserFactory(username="root", display_name="系统管理员", is_staff=True, is_superuser=True)


def admin_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def change_form(client: Client, suggestion: Suggestion) -> dict[str, str | list[str]]:
    page = client.get(f"/admin/suggestions/suggestion/{suggestion.pk}/change/")
    assert page.status_code == 200
    return form_data(page.content.decode(), "suggestion_form")


def corrections(suggestion: Suggestion) -> list[SuggestionEvent]:
    return list(SuggestionEvent.objects.filter(suggestion=suggestion, action="suggestion.corrected"))


def page_text(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_an_admin_correction_is_on_the_timeline_with_old_and_new_values(cast: Cast, superuser: User) -> None:
    suggestion = record(cast)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    data.update(title="小区路灯长期不亮", submitter_phone="13900001111", reason="选民来电更正手机号")
    response = client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]

    row = Suggestion.objects.get(pk=suggestion.pk)
    assert (row.title, row.submitter_phone, row.submitter_phone_last4) == ("小区路灯长期不亮", "13900001111", "1111")
    assert row.version == suggestion.version + 1
    [event] = corrections(suggestion)
    assert event.actor == superuser
    assert event.note == "选民来电更正手机号"
    assert not event.is_public
    assert event.data["changes"] == [
        {"field": "title", "old": "小区路灯不亮", "new": "小区路灯长期不亮"},
        {"field": "submitter_phone", "old": "13812345678", "new": "13900001111"},
    ]
    # Committee staff of the district read the change in full on the suggestion's page.
    committee = admin_client(cast.users["committee_staff"])  # type: ignore[arg-type]
    text = page_text(committee, f"/suggestions/{suggestion.tracking_code}/")
    assert "管理员更正登记信息" in text
    assert "13812345678 → 13900001111" in text
    assert "小区路灯不亮 → 小区路灯长期不亮" in text
    assert "选民来电更正手机号" in text


def test_units_and_representatives_read_the_voters_old_and_new_phone_masked(cast: Cast, superuser: User) -> None:
    suggestion, _token = build(cast, State.IN_PROGRESS)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    data.update(submitter_phone="13900001111", submitter_name="张三丰", reason="更正")
    assert client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data).status_code == 302

    for persona in ("unit_staff", "representative_user"):
        viewer = admin_client(cast.users[persona])  # type: ignore[arg-type]
        text = page_text(viewer, f"/suggestions/{suggestion.tracking_code}/")
        assert "138****5678 → 139****1111" in text
        assert "张** → 张**" in text
        assert "13900001111" not in text.split('data-testid="timeline"')[1].split("</ol>")[0]
        api = viewer.get(f"/api/v1/suggestions/{suggestion.tracking_code}/events/").json()
        [change] = [e for e in api if e["action"] == "suggestion.corrected"]
        assert {c["field"]: (c["old"], c["new"]) for c in change["data"]["changes"]}["submitter_phone"] == (
            "138****5678",
            "139****1111",
        )
    station = admin_client(cast.users["station_staff"])  # type: ignore[arg-type]
    assert "13812345678 → 13900001111" in page_text(station, f"/suggestions/{suggestion.tracking_code}/")


def test_a_correction_without_a_reason_is_refused_and_nothing_changes(cast: Cast, superuser: User) -> None:
    suggestion = record(cast)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    data.update(title="改过的标题", reason="")
    response = client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert response.status_code == 200
    assert "请说明更正的原因" in html.unescape(response.content.decode())
    row = Suggestion.objects.get(pk=suggestion.pk)
    assert (row.title, row.version) == (suggestion.title, suggestion.version)
    assert corrections(suggestion) == []


def test_what_the_workflow_owns_cannot_be_changed_in_the_admin(cast: Cast, superuser: User) -> None:
    suggestion, _token = build(cast, State.REPLIED)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    assert not {"state", "reply_text", "lead_unit"} & set(data)
    # Posted anyway, they are ignored: only the correctable facts are form fields.
    data.update(state="closed", reply_text="伪造的答复", rating="satisfied", reason="试图改状态")
    response = client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert response.status_code == 302
    row = Suggestion.objects.get(pk=suggestion.pk)
    assert (row.state, row.reply_text, row.rating, row.version) == (
        State.REPLIED,
        suggestion.reply_text,
        "",
        suggestion.version,
    )
    assert corrections(suggestion) == []
    # Nor can the timeline be written by hand.
    events = SuggestionEvent.objects.filter(suggestion=suggestion).count()
    data["events-TOTAL_FORMS"] = str(int(str(data["events-TOTAL_FORMS"])) + 1)
    client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert SuggestionEvent.objects.filter(suggestion=suggestion).count() == events


def test_consent_cannot_be_removed_while_the_whole_case_is_published(cast: Cast, superuser: User) -> None:
    suggestion, _token = build(cast, State.CLOSED)
    suggestion = workflow.suggestion_publish(suggestion=suggestion, actor=cast.admin)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    data.pop("consent_to_publish")
    data["reason"] = "选民撤回同意"
    response = client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert response.status_code == 200
    assert "请先撤销公示，再取消选民的同意" in html.unescape(response.content.decode())
    assert Suggestion.objects.get(pk=suggestion.pk).consent_to_publish is True
    assert corrections(suggestion) == []


def test_a_stale_change_form_is_refused(cast: Cast, superuser: User) -> None:
    suggestion = record(cast)
    client = admin_client(superuser)
    data = change_form(client, suggestion)
    workflow.suggestion_sort(suggestion=suggestion, actor=cast.admin, category=cast.category, urgency="normal")
    data.update(title="迟到的更正", reason="更正")
    response = client.post(f"/admin/suggestions/suggestion/{suggestion.pk}/change/", data)
    assert response.status_code == 200
    assert Suggestion.objects.get(pk=suggestion.pk).title == suggestion.title
    assert corrections(suggestion) == []


def test_a_unit_edited_in_the_admin_keeps_a_history_row_with_the_user(cast: Cast, superuser: User) -> None:
    unit = cast.world.unit_a
    client = admin_client(superuser)
    page = client.get(f"/admin/suggestions/handlingunit/{unit.pk}/change/")
    data = form_data(page.content.decode(), "handlingunit_form")
    data.update(name="鼓楼区住房和城乡建设局", phone="0591-88880000")
    response = client.post(f"/admin/suggestions/handlingunit/{unit.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]

    latest = HandlingUnit.history.filter(id=unit.pk).latest("history_date")
    assert latest.history_user == superuser
    assert latest.history_type == "~"
    delta = latest.diff_against(latest.prev_record)
    assert {(c.field, c.old, c.new) for c in delta.changes} == {
        ("name", "鼓楼区住建局", "鼓楼区住房和城乡建设局"),
        ("phone", unit.phone, "0591-88880000"),
    }
    history = page_text(client, f"/admin/suggestions/handlingunit/{unit.pk}/history/")
    assert "系统管理员" in history or "root" in history
    assert "鼓楼区住房和城乡建设局" in history


def test_a_membership_granted_in_the_admin_keeps_who_granted_it(cast: Cast, superuser: User) -> None:
    newcomer = UserFactory(username="newcomer")
    client = admin_client(superuser)
    page = client.get("/admin/accounts/membership/add/")
    data = form_data(page.content.decode(), "membership_form")
    data.update(user=str(newcomer.pk), role=Role.UNIT_STAFF, unit=str(cast.world.unit_a.pk))
    assert client.post("/admin/accounts/membership/add/", data).status_code == 302
    membership = Membership.objects.get(user=newcomer)
    created = Membership.history.get(id=membership.pk)
    assert (created.history_type, created.history_user, created.unit_id) == ("+", superuser, cast.world.unit_a.pk)

"""Publishing only what may be published (issue 14 §4): the voter's consent, the facts-only
choice, the public wording staff edit with its preview, withdrawal, and what the board, the
voter's timeline and Open311 then show."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework.test import APIClient

from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Suggestion, SuggestionEvent
from suggestions.public import public_timeline, published_case
from tests.api.conftest import token_client
from tests.suggestions.workflow_builders import Cast, build, snapshot

pytestmark = pytest.mark.django_db

SECRET_CONTENT = "晚上路灯不亮，张三住在幸福小区3号楼，电话13812345678。"


def _closed(cast: Cast, *, consent: bool) -> Suggestion:
    s, _t = build(cast, "closed", reply_category="A", consent=consent)
    Suggestion.objects.filter(pk=s.pk).update(content=SECRET_CONTENT)
    return Suggestion.objects.get(pk=s.pk)


def _committee(cast: Cast) -> object:
    user = cast.users["committee_staff"]
    assert user is not None
    return user


def _text(response: object) -> str:
    return html.unescape(response.content.decode())  # type: ignore[attr-defined]


def _open311(client: Client, s: Suggestion) -> dict[str, object]:
    [item] = client.get(f"/open311/v2/requests/{s.tracking_code}.json").json()
    assert isinstance(item, dict)
    return item


# --- The workflow -------------------------------------------------------------------------


def test_a_whole_case_without_the_voters_consent_is_refused_and_nothing_is_written(cast: Cast) -> None:
    s = _closed(cast, consent=False)
    before = snapshot(s)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_publish(suggestion=s, actor=cast.users["committee_staff"], public_title="路灯问题")
    assert (refused.value.code, refused.value.status) == ("consent_missing", 409)
    assert snapshot(s) == before
    assert published_case(s.pk) is None


def test_the_facts_only_may_be_published_without_consent_and_the_board_marks_them(cast: Cast, client: Client) -> None:
    s = _closed(cast, consent=False)
    s = workflow.suggestion_publish(
        suggestion=s, actor=cast.users["committee_staff"], facts_only=True, public_title="不会被保存"
    )
    assert (s.is_published, s.publication_scope, s.public_title) == (True, "facts", "")
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.published")
    assert event.data["scope"] == "facts"

    board = _text(client.get(reverse("public:board")))
    case_page = _text(client.get(reverse("public:board_case", args=[s.pk])))
    for page in (board, case_page):
        assert _("Handling facts only") in page
        assert cast.world.unit_a.name in page  # the facts: unit, category, region, rating
        assert cast.category.name in page
        assert _("Satisfied") in page
        # None of the voter's words, and no reply text that answers them.
        for words in ("小区路灯不亮", "幸福小区", "138****5678", "张**", "已安排维修"):
            assert words not in page
    # The voter's timeline says what was published, truthfully.
    labels = [e.label for e in public_timeline(s)]
    assert _("Published on the public board: the facts only, without your words") in labels
    # Open311 shows no words of a facts-only case either.
    item = _open311(client, s)
    assert (item["description"], item["status_notes"], item["address"]) == (None, None, None)


def test_edited_public_wording_is_what_the_board_and_open311_show_masked(cast: Cast, client: Client) -> None:
    s = _closed(cast, consent=True)
    workflow.suggestion_publish(
        suggestion=s,
        actor=cast.users["committee_staff"],
        public_title="小区路灯长期不亮",
        public_content="晚上路灯不亮，李四先生说老人出行不便。",
        public_reply="已修复。咨询电话0591-87654321，经办人手机13900001111。",
    )
    page = _text(client.get(reverse("public:board_case", args=[s.pk])))
    assert "小区路灯长期不亮" in page
    assert "李**先生说老人出行不便" in page
    assert "幸福小区" not in page  # the recorded content is replaced by the edited one
    assert "0591-87654321" in page  # the unit's landline stays
    assert "139****1111" in page
    assert "13900001111" not in page
    item = _open311(client, s)
    assert item["description"] == "小区路灯长期不亮\n晚上路灯不亮，李**先生说老人出行不便。"
    assert item["status_notes"] == "已修复。咨询电话0591-87654321，经办人手机139****1111。"


@pytest.mark.parametrize("persona", ["unit_staff", "station_staff", "representative_user", "other_committee_staff"])
def test_only_committee_staff_withdraw_a_publication(cast: Cast, persona: str) -> None:
    s = _closed(cast, consent=True)
    s = workflow.suggestion_publish(suggestion=s, actor=cast.users["committee_staff"])
    before = snapshot(s)
    actor = cast.users[persona]
    assert "withdraw_publication" not in workflow.allowed_actions(suggestion=s, user=actor)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_withdraw_publication(suggestion=s, actor=actor, reason="有误")
    assert refused.value.code in {"not_allowed", "not_found"}
    assert snapshot(s) == before


def test_withdrawing_needs_a_reason_and_takes_the_case_off_the_board_and_open311(
    cast: Cast, client: Client, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    s = _closed(cast, consent=True)
    committee = cast.users["committee_staff"]
    s = workflow.suggestion_publish(suggestion=s, actor=committee, public_title="路灯")
    assert "withdraw_publication" in workflow.allowed_actions(suggestion=s, user=committee)
    assert client.get(reverse("public:board_case", args=[s.pk])).status_code == 200
    assert _open311(client, s)["description"] is not None  # also fills Open311's list cache
    client.get("/open311/v2/requests.json")

    before = snapshot(s)
    with pytest.raises(WorkflowError) as refused:
        workflow.suggestion_withdraw_publication(suggestion=s, actor=committee, reason="   ")
    assert refused.value.code == "reason_required"
    assert snapshot(s) == before

    with django_capture_on_commit_callbacks(execute=True):
        s = workflow.suggestion_withdraw_publication(
            suggestion=s, actor=committee, reason="含第三人住址，需修改后再公示"
        )
    assert (s.is_published, s.published_at, s.publication_scope) == (False, None, "")
    event = SuggestionEvent.objects.get(suggestion=s, action="suggestion.publication_withdrawn")
    assert (event.note, event.from_state, event.to_state) == ("含第三人住址，需修改后再公示", "closed", "closed")
    assert client.get(reverse("public:board_case", args=[s.pk])).status_code == 404
    assert f"/s/board/{s.pk}/" not in _text(client.get(reverse("public:board")))
    assert _open311(client, s)["description"] is None
    listed = [r for r in client.get("/open311/v2/requests.json").json() if r["service_request_id"] == s.tracking_code]
    assert [r["description"] for r in listed] == [None]  # not served from the cache of before
    # The voter sees it was removed, not why; it may be published again, the edit kept.
    timeline = public_timeline(s)
    assert [e.code for e in timeline][-2:] == ["published", "unpublished"]
    assert all("第三人" not in e.text for e in timeline)
    offered = workflow.allowed_actions(suggestion=s, user=committee)
    assert "publish" in offered
    assert "withdraw_publication" not in offered
    assert Suggestion.objects.get(pk=s.pk).public_title == "路灯"
    with pytest.raises(WorkflowError) as twice:
        workflow.suggestion_withdraw_publication(suggestion=s, actor=committee, reason="再次撤销")
    assert twice.value.code == "not_published"


def test_the_voters_timeline_never_claims_a_publication_that_did_not_show(cast: Cast) -> None:
    """Before issue 14 a case without consent could be 'published' and never appear: the
    migration took such cases off, and the timeline leaves out their publication event."""
    s = _closed(cast, consent=False)
    SuggestionEvent.objects.create(
        suggestion=s, action="suggestion.published", from_state="closed", to_state="closed", is_public=True
    )
    assert "published" not in [e.code for e in public_timeline(s)]


# --- The staff page -----------------------------------------------------------------------


def _action_url(s: Suggestion, action: str) -> str:
    return f"/suggestions/{s.tracking_code}/do/{action}/"


def test_the_publish_form_previews_the_masked_case_and_publishes_the_edited_wording(cast: Cast, client: Client) -> None:
    s = _closed(cast, consent=True)
    client.force_login(cast.users["committee_staff"])  # type: ignore[arg-type]
    form = _text(client.get(_action_url(s, "publish"), headers={"HX-Request": "true"}))
    assert _("Preview: exactly what the public board will show") in form
    assert "幸福小区" in form
    assert "138****5678" in form
    assert "13812345678" not in form
    assert "张**" in form
    assert "张三" not in form

    edited = {
        "version": s.version,
        "scope": "full",
        "public_title": "小区路灯长期不亮",
        "public_content": "晚上路灯不亮，老人出行不便。",
        "public_reply": "已安排维修，月底前完工。",
    }
    preview = client.post(_action_url(s, "publish"), {**edited, "preview": "1"})
    assert preview.status_code == 200
    page = _text(preview)
    assert "小区路灯长期不亮" in page
    assert not Suggestion.objects.get(pk=s.pk).is_published  # a preview publishes nothing

    assert client.post(_action_url(s, "publish"), edited).status_code == 302
    s.refresh_from_db()
    assert (s.is_published, s.publication_scope, s.public_title, s.public_content) == (
        True,
        "full",
        "小区路灯长期不亮",
        "晚上路灯不亮，老人出行不便。",
    )
    assert s.public_reply == ""  # left as the board showed it: no edit stored
    board = _text(client.get(reverse("public:board")))
    assert "小区路灯长期不亮" in board
    assert "幸福小区" not in board


def test_the_publish_form_refuses_a_whole_case_without_consent_with_the_message(cast: Cast, client: Client) -> None:
    s = _closed(cast, consent=False)
    client.force_login(cast.users["committee_staff"])  # type: ignore[arg-type]
    form = _text(client.get(_action_url(s, "publish")))
    assert _("The voter did not consent to publication: only the facts may be published.") in form
    assert re.search(r'value="facts"[^>]*checked', form)  # the facts only, chosen for the staff member
    before = snapshot(s)
    response = client.post(_action_url(s, "publish"), {"version": s.version, "scope": "full"})
    assert response.status_code == 409
    assert str(workflow.MSG_CONSENT_MISSING) in _text(response)
    assert snapshot(s) == before
    response = client.post(_action_url(s, "publish"), {"version": s.version, "scope": "facts"})
    assert response.status_code == 302
    assert Suggestion.objects.get(pk=s.pk).publication_scope == "facts"
    detail = _text(client.get(f"/suggestions/{s.tracking_code}/"))
    assert _("Published: facts only") in detail
    assert f'href="/s/board/{s.pk}/"' in detail  # staff can look at what the public sees
    assert _("Withdraw the publication") in detail


def test_the_withdraw_form_needs_a_reason(cast: Cast, client: Client) -> None:
    s = _closed(cast, consent=True)
    s = workflow.suggestion_publish(suggestion=s, actor=cast.users["committee_staff"])
    client.force_login(cast.users["committee_staff"])  # type: ignore[arg-type]
    before = snapshot(s)
    response = client.post(_action_url(s, "withdraw_publication"), {"version": s.version, "reason": ""})
    assert response.status_code == 400
    assert _("Say why the publication is withdrawn.") in _text(response)
    assert snapshot(s) == before
    response = client.post(_action_url(s, "withdraw_publication"), {"version": s.version, "reason": "住址未删"})
    assert response.status_code == 302
    assert not Suggestion.objects.get(pk=s.pk).is_published


# --- The API ------------------------------------------------------------------------------


def _post(client: APIClient, s: Suggestion, path: str, body: dict[str, object]) -> object:
    return client.post(f"/api/v1/suggestions/{s.tracking_code}/{path}/", body, format="json")


def test_the_api_answers_409_consent_missing_and_accepts_facts_only_and_wording(cast: Cast) -> None:
    committee = token_client(cast.users["committee_staff"])
    s = _closed(cast, consent=False)
    before = snapshot(s)
    refused = _post(committee, s, "publish", {"public_title": "路灯"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    body = refused.json()  # type: ignore[attr-defined]
    assert body["code"] == "consent_missing"
    assert body["message"] == str(workflow.MSG_CONSENT_MISSING)
    assert snapshot(s) == before
    facts = _post(committee, s, "publish", {"facts_only": True})
    assert facts.status_code == 200  # type: ignore[attr-defined]
    assert facts.json()["publication_scope"] == "facts"  # type: ignore[attr-defined]
    assert "withdraw_publication" in facts.json()["allowed_actions"]  # type: ignore[attr-defined]

    consenting = _closed(cast, consent=True)
    whole = _post(committee, consenting, "publish", {"public_title": "路灯长期不亮", "public_reply": "已修复。"})
    assert whole.status_code == 200  # type: ignore[attr-defined]
    data = whole.json()  # type: ignore[attr-defined]
    assert (data["publication_scope"], data["public_title"], data["public_reply"]) == (
        "full",
        "路灯长期不亮",
        "已修复。",
    )
    no_reason = _post(committee, consenting, "withdraw-publication", {"reason": ""})
    assert (no_reason.status_code, no_reason.json()["code"]) == (400, "reason_required")  # type: ignore[attr-defined]
    withdrawn = _post(committee, consenting, "withdraw-publication", {"reason": "需修改措辞"})
    assert withdrawn.status_code == 200  # type: ignore[attr-defined]
    assert withdrawn.json()["is_published"] is False  # type: ignore[attr-defined]

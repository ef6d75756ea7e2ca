"""The committee's 已答复待反馈 queue says which replied suggestions may be closed now: those whose
voter let the feedback window pass (可办结), exactly the ones the close action accepts."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client
from django.utils import timezone

from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import State, Suggestion
from suggestions.tracking import tracking_code_display
from tests.suggestions.workflow_builders import Cast, build

pytestmark = pytest.mark.django_db


def rows(page: str) -> dict[str, str]:
    """Each line of the list's table by its tracking code."""
    found = {}
    for line in re.findall(r"<tr>.*?</tr>|<tr class=[^>]*>.*?</tr>", page, flags=re.S):
        code = re.search(r'<a class="code" href="[^"]*">([^<]+)</a>', line)
        if code:
            found[code.group(1)] = line
    return found


def test_replied_suggestions_past_their_feedback_window_are_marked_closable(cast: Cast) -> None:
    today = timezone.localdate()
    late, _t = build(cast, State.REPLIED)
    waiting, _t = build(cast, State.REPLIED)
    last_day, _t = build(cast, State.REPLIED)
    Suggestion.objects.filter(pk=late.pk).update(feedback_due=today - dt.timedelta(days=1))
    Suggestion.objects.filter(pk=waiting.pk).update(feedback_due=today + dt.timedelta(days=3))
    Suggestion.objects.filter(pk=last_day.pk).update(feedback_due=today)  # the voter has today still
    client = Client()
    client.force_login(cast.users["committee_staff"])

    page = html.unescape(client.get("/suggestions/", {"queue": "awaiting_feedback"}).content.decode())

    lines = rows(page)
    assert set(lines) == {tracking_code_display(s.tracking_code) for s in (late, waiting, last_day)}
    assert "可办结" in lines[tracking_code_display(late.tracking_code)]
    assert "可办结" not in lines[tracking_code_display(waiting.tracking_code)]
    assert "可办结" not in lines[tracking_code_display(last_day.tracking_code)]
    assert page.count('data-testid="closable"') == 1

    # The badge tells the truth: the close action takes the marked one and refuses the others.
    committee = cast.users["committee_staff"]
    assert committee is not None
    for s in (waiting, last_day):
        with pytest.raises(WorkflowError) as refused:
            workflow.suggestion_close(suggestion=Suggestion.objects.get(pk=s.pk), actor=committee)
        assert refused.value.code == "feedback_pending"
    closed = workflow.suggestion_close(suggestion=Suggestion.objects.get(pk=late.pk), actor=committee)
    assert closed.state == State.CLOSED


def test_a_unit_never_sees_the_closable_badge(cast: Cast) -> None:
    late, _t = build(cast, State.REPLIED)
    Suggestion.objects.filter(pk=late.pk).update(feedback_due=timezone.localdate() - dt.timedelta(days=5))
    client = Client()
    client.force_login(cast.users["unit_staff"])
    page = html.unescape(client.get("/suggestions/").content.decode())
    assert tracking_code_display(late.tracking_code) in page
    assert "可办结" not in page

"""Random sequences of actions by random people, with time passing, and the invariants after
every step (Hypothesis stateful testing, on the real database):

* a state is reached only by a move of DESIGN §3's table;
* every change writes exactly one event, a refusal writes nothing at all;
* the version goes up by exactly one on every change, never otherwise;
* no deadline lies before the day its count started;
* a closed suggestion never leaves "closed", and afterwards only publication (and its
  withdrawal) and the follow-up reports of a "being solved" reply change it (DESIGN §3: "the unit reports again
  until solved"); a merged one never changes again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from notifications.models import Outbox
from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Assignment, Reply, Suggestion, SuggestionEvent
from tests.suggestions.workflow_builders import Cast, record, snapshot

pytestmark = pytest.mark.django_db

# Written from DESIGN §3, independently of workflow.TRANSITIONS.
MOVES = {
    ("received", "sorted"),
    ("received", "merged"),
    ("received", "replied"),
    ("sorted", "replied"),
    ("sorted", "proposed"),
    ("proposed", "assigned"),
    ("proposed", "closed"),
    ("assigned", "in_progress"),
    ("assigned", "proposed"),
    ("in_progress", "replied"),
    ("replied", "closed"),
    ("replied", "in_progress"),
    ("replied", "proposed"),  # dissatisfied with an on-the-spot resolution: to be handed over
    # actions that keep the state
    ("assigned", "assigned"),
    ("in_progress", "in_progress"),
    ("replied", "replied"),
    ("closed", "closed"),
}
ACTIONS = [*workflow.ACTIONS]
ROLES = [
    "station_staff",
    "other_station_staff",
    "committee_staff",
    "city_committee_staff",
    "other_committee_staff",
    "unit_staff",
    "co_unit_staff",
    "other_unit_staff",
    "representative_user",
    "admin_user",
    "voter",
]
REACHED: set[str] = set()  # states reached over all examples: proves the sequences go deep
START = dt.datetime(2026, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _call(cast: Cast, action: str, s: Suggestion, actor: Any, good: bool, choice: int, earlier: Suggestion) -> None:
    """One call of `action`, with valid input when `good`, otherwise with a typical mistake."""
    today = timezone.localdate()
    text = "说明。" if good else "  "
    w = cast.world
    units = [w.unit_a, cast.co_unit, w.unit_b]
    if action == "sort":
        workflow.suggestion_sort(
            suggestion=s,
            actor=actor,
            category=cast.category if good else None,
            urgency=["normal", "urgent"][choice % 2],
        )
    elif action == "merge":
        workflow.suggestion_sort(
            suggestion=s, actor=actor, category=None, urgency="normal", merge_into=earlier if good else s
        )
    elif action == "resolve_on_spot":
        workflow.suggestion_resolve_on_spot(suggestion=s, actor=actor, reply_text=text)
    elif action == "propose":
        route = ["unit", "closed_session", "escalate", "not_accepted"][choice % 4]
        workflow.suggestion_propose(suggestion=s, actor=actor, route=route if good else "nowhere", note="原因。")
    elif action == "hand_over":
        workflow.suggestion_hand_over(
            suggestion=s,
            actor=actor,
            lead_unit=units[choice % 2] if good else units[2],
            co_units=[units[(choice + 1) % 2]] if choice % 3 == 0 else [],
        )
    elif action == "decline":
        workflow.suggestion_decline(suggestion=s, actor=actor, note=text, reference="编号1")
    elif action == "acknowledge":
        workflow.suggestion_acknowledge(suggestion=s, actor=actor)
    elif action == "return":
        workflow.suggestion_return(suggestion=s, actor=actor, reason=text)
    elif action == "co_opinion":
        workflow.suggestion_co_opinion(suggestion=s, actor=actor, text=text)
    elif action == "request_extension":
        workflow.suggestion_request_extension(
            suggestion=s, actor=actor, days=[2, 5, 9, 16][choice % 4] if good else 0, reason="原因。"
        )
    elif action == "decide_extension":
        workflow.suggestion_decide_extension(suggestion=s, actor=actor, approve=choice % 2 == 0, note="决定。")
    elif action == "supervise":
        workflow.suggestion_supervise(suggestion=s, actor=actor, note="催办。")
    elif action == "reply":
        category = "ABCD"[choice % 4]
        follow_up = today + dt.timedelta(days=20) if category == "B" else None
        workflow.suggestion_reply(suggestion=s, actor=actor, category=category, text=text, follow_up_due=follow_up)
    elif action == "report_follow_up":
        solved = choice % 2 == 0
        workflow.suggestion_report_follow_up(
            suggestion=s,
            actor=actor,
            text=text,
            solved=solved,
            next_due=None if solved else today + dt.timedelta(days=15),
        )
    elif action == "feedback":
        rating = ["satisfied", "basic", "dissatisfied", "dissatisfied"][choice % 4]
        token = None
        if actor is None:
            row = Outbox.objects.filter(suggestion=s, kind="suggestion.replied").order_by("-id").first()
            token = row.payload["feedback_token"] if row and good else "forged"
        workflow.suggestion_feedback(suggestion=s, actor=actor, rating=rating if good else "", token=token)
    elif action == "rate_as_representative":
        rating = ["satisfied", "basic", "dissatisfied"][choice % 3]
        workflow.suggestion_rate_as_representative(suggestion=s, actor=actor, rating=rating if good else "x")
    elif action == "close":
        workflow.suggestion_close(suggestion=s, actor=actor, note=text)
    elif action == "publish":
        workflow.suggestion_publish(suggestion=s, actor=actor, facts_only=choice % 3 == 0)
    elif action == "withdraw_publication":
        workflow.suggestion_withdraw_publication(suggestion=s, actor=actor, reason=text)
    else:  # pragma: no cover
        raise AssertionError(action)


class WorkflowMachine(RuleBasedStateMachine):
    cast: Cast

    def __init__(self) -> None:
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.traveller = time_machine.travel(START, tick=False)
        self.clock = self.traveller.start()
        self.earlier = record(self.cast, title="较早的同一问题")
        self.subject = record(self.cast)
        self.version = self.subject.version
        self.changes = 0
        self.reached = REACHED

    @rule(
        action=st.sampled_from(ACTIONS),
        role=st.sampled_from(ROLES),
        good=st.booleans(),
        choice=st.integers(min_value=0, max_value=11),
    )
    def anyone_tries_anything(self, action: str, role: str, good: bool, choice: int) -> None:
        self._step(action, role, good, choice)

    @rule(data=st.data(), choice=st.integers(min_value=0, max_value=11))
    def someone_does_what_the_page_offers(self, data: st.DataObject, choice: int) -> None:
        """Mostly valid work by someone the page offers an action to, so sequences get deep."""
        current = Suggestion.objects.get(pk=self.subject.pk)
        offers = [
            (role, action)
            for role in ROLES
            for action in (
                ["feedback"]
                if role == "voter"
                else workflow.allowed_actions(suggestion=current, user=self.cast.users[role])
            )
        ]
        role, action = data.draw(st.sampled_from(offers), label="role and action")
        good = data.draw(st.sampled_from([True, True, True, False]), label="good")
        self._step(action, role, good, choice)

    def _step(self, action: str, role: str, good: bool, choice: int) -> None:
        before = snapshot(self.subject)
        old = before["row"]
        fresh = Suggestion.objects.get(pk=self.subject.pk)
        refused: str | None = None
        try:
            _call(self.cast, action, fresh, self.cast.users[role], good, choice, self.earlier)
        except WorkflowError as exc:
            refused = exc.code
        if refused is not None:
            assert snapshot(self.subject) == before, f"{action} by {role} refused ({refused}) but wrote something"
            return
        self.reached.add(Suggestion.objects.get(pk=self.subject.pk).state)
        after = snapshot(self.subject)
        new = after["row"]
        assert (old["state"], new["state"]) in MOVES, f"{action} by {role}: {old['state']} → {new['state']}"
        assert new["version"] == old["version"] + 1
        new_events = after["events"][len(before["events"]) :]
        assert after["events"][: len(before["events"])] == before["events"]
        assert len(new_events) == 1, new_events
        event = SuggestionEvent.objects.get(pk=new_events[0][0])
        assert event.action.startswith("suggestion.")
        assert (event.from_state, event.to_state) == (old["state"], new["state"])
        if old["state"] == "closed":
            changed = {k for k in new if new[k] != old[k]} - {"version", "updated_at"}
            assert action in {"publish", "withdraw_publication", "report_follow_up", "rate_as_representative"}, action
            publication = {"is_published", "published_at", "publication_scope", "public_title", "public_content"}
            assert changed <= {*publication, "public_reply", "follow_up_due"}, changed
        # The case file only grows: every earlier round is still there, unchanged.
        for part in ("replies", "feedbacks", "co_opinions", "follow_ups"):
            assert after[part][: len(before[part])] == before[part], part
        replies = Reply.objects.filter(suggestion_id=self.subject.pk)
        facts = Suggestion.objects.values("answers", "answers_on_time").get(pk=self.subject.pk)
        assert facts == {"answers": replies.count(), "answers_on_time": replies.filter(on_time=True).count()}
        assert old["state"] != "merged"
        self.version = new["version"]
        self.changes += 1

    @rule(days=st.integers(min_value=1, max_value=25))
    def time_passes(self, days: int) -> None:
        self.clock.shift(dt.timedelta(days=days))

    @invariant()
    def version_counts_every_change(self) -> None:
        row = Suggestion.objects.get(pk=self.subject.pk)
        assert row.version == 1 + self.changes == self.version
        assert SuggestionEvent.objects.filter(suggestion=row).count() == 1 + self.changes

    @invariant()
    def deadlines_never_before_their_start(self) -> None:
        row = Suggestion.objects.get(pk=self.subject.pk)
        for name, basis in row.deadline_basis.items():
            start = dt.date.fromisoformat(basis["start"])
            if name == "co_due":
                dues = Assignment.objects.filter(suggestion=row, role="co", is_active=True).values_list(
                    "due", flat=True
                )
            elif name == "formal_reply_due":
                dues = [dt.date.fromisoformat(basis["due"])]
            else:
                dues = [getattr(row, name)]
            for due in dues:
                assert due is None or due >= start, (name, basis, due)

    def teardown(self) -> None:
        self.traveller.stop()
        transaction.savepoint_rollback(self.savepoint)


def test_random_action_sequences_keep_the_invariants(cast: Cast) -> None:
    machine = type("Machine", (WorkflowMachine,), {"cast": cast})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,  # the same sequences on every run: a failure is never a fluke
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert {"sorted", "proposed", "assigned", "in_progress", "replied", "closed"} <= REACHED, REACHED

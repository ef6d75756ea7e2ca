"""Eight threads race the same action on the same suggestion, 200 rounds, on PostgreSQL.

Each thread has its own database connection (Django opens one per thread) and closes it when
it ends. Every round: exactly one wins, every loser gets the domain error, the version went up
by exactly one, exactly one event was written, and the winner's change is the one stored.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import connection, connections

from accounts.models import User
from notifications.models import Outbox
from suggestions import workflow
from suggestions.errors import WorkflowError
from suggestions.models import Assignment, Suggestion, SuggestionEvent
from tests.suggestions.workflow_builders import Cast, build

THREADS = 8
ROUNDS = 200

Action = Callable[[Suggestion], Suggestion]


@dataclass
class Round:
    subject: Suggestion
    actions: list[Action]
    last_event: int  # the newest event before the race
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # ("ok", action) or ("error", code)


def _race_factory(cast: Cast, kind: str, subject: Suggestion) -> list[Action]:
    """Eight competing calls for one round."""
    u = cast.users
    committee, city, unit = u["committee_staff"], u["city_committee_staff"], u["unit_staff"]
    assert committee is not None
    assert city is not None
    assert unit is not None

    def hand_over(actor: User, unit_choice: int) -> Action:
        target = [cast.world.unit_a, cast.co_unit][unit_choice]
        return lambda s: workflow.suggestion_hand_over(suggestion=s, actor=actor, lead_unit=target)

    if kind == "hand_over":  # two committees, two units: only one hand-over may stand
        return [hand_over([committee, city][i % 2], (i // 2) % 2) for i in range(THREADS)]
    if kind == "acknowledge_or_return":  # the unit's two answers to the same hand-over
        return [
            (lambda s: workflow.suggestion_acknowledge(suggestion=s, actor=unit))
            if i % 2
            else (lambda s: workflow.suggestion_return(suggestion=s, actor=unit, reason="不属于本单位。"))
            for i in range(THREADS)
        ]
    # "reply_or_supervise": everyone acts on the version they saw; only the first may write.
    seen = subject.version
    return [
        (
            lambda s: workflow.suggestion_reply(
                suggestion=s, actor=unit, category="A", text="已办。", expected_version=seen
            )
        )
        if i % 2
        else (lambda s: workflow.suggestion_supervise(suggestion=s, actor=committee, expected_version=seen))
        for i in range(THREADS)
    ]


def _state_for(kind: str) -> str:
    return {"hand_over": "proposed", "acknowledge_or_return": "assigned", "reply_or_supervise": "in_progress"}[kind]


@pytest.mark.django_db(transaction=True)
def test_eight_threads_two_hundred_rounds(cast: Cast) -> None:
    assert connection.vendor == "postgresql", "the concurrency test needs PostgreSQL's row locks"
    kinds = ["hand_over", "acknowledge_or_return", "reply_or_supervise"]
    rounds: list[Round] = []
    for n in range(ROUNDS):
        kind = kinds[n % len(kinds)]
        subject, _ = build(cast, _state_for(kind))
        last_event = SuggestionEvent.objects.filter(suggestion=subject).latest("id").id
        rounds.append(Round(subject=subject, actions=_race_factory(cast, kind, subject), last_event=last_event))

    start = threading.Barrier(THREADS)
    lock = threading.Lock()
    crashes: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            for current in rounds:
                start.wait(timeout=60)  # all eight fire together
                try:
                    current.actions[index](current.subject)
                    outcome = ("ok", str(index % 2))
                except WorkflowError as exc:
                    outcome = ("error", exc.code)
                with lock:
                    current.outcomes.append(outcome)
        except BaseException as exc:  # anything else fails the test below
            crashes.append(exc)
            start.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not crashes, crashes
    assert not any(t.is_alive() for t in threads)

    problems: list[str] = []
    for n, current in enumerate(rounds):
        kind = kinds[n % len(kinds)]
        before = current.subject
        after = Suggestion.objects.get(pk=before.pk)
        wins = [o for o in current.outcomes if o[0] == "ok"]
        codes = Counter(code for status, code in current.outcomes if status == "error")
        round_events = list(SuggestionEvent.objects.filter(suggestion=before, id__gt=current.last_event).order_by("id"))
        if len(current.outcomes) != THREADS or len(wins) != 1:
            problems.append(f"round {n} ({kind}): outcomes {current.outcomes}")
            continue
        expected_codes = {
            "hand_over": {"invalid_state"},
            # after a return the unit no longer sees the suggestion at all
            "acknowledge_or_return": {"invalid_state"} if after.state == "in_progress" else {"not_found"},
            "reply_or_supervise": {"stale_version"},
        }[kind]
        if set(codes) != expected_codes:
            problems.append(f"round {n} ({kind}): unexpected refusals {codes}")
        if after.version != before.version + 1:
            problems.append(f"round {n} ({kind}): version {before.version} → {after.version}")
        if len(round_events) != 1:
            problems.append(f"round {n} ({kind}): {len(round_events)} events")
            continue
        event = round_events[0]
        if (event.from_state, event.to_state) != (before.state, after.state):
            problems.append(f"round {n} ({kind}): event {event.action} {event.from_state}→{event.to_state}")
        if kind == "hand_over":
            active = list(Assignment.objects.filter(suggestion=before, is_active=True))
            if len(active) != 1 or active[0].unit_id != after.lead_unit_id or after.state != "assigned":
                problems.append(f"round {n}: assignments {[(a.unit_id, a.role) for a in active]}")
            if Outbox.objects.filter(suggestion=before, kind="suggestion.handed_over").count() != 1:
                problems.append(f"round {n}: hand-over notifications duplicated")
        if kind == "acknowledge_or_return" and after.state not in {"in_progress", "proposed"}:
            problems.append(f"round {n}: state {after.state}")
        if kind == "reply_or_supervise":
            replied = after.state == "replied"
            supervised = after.supervision_level == before.supervision_level + 1
            if replied == supervised:  # exactly one of the two changes is stored
                problems.append(f"round {n}: replied={replied} supervised={supervised}")
    assert not problems, "\n".join(problems[:20])

"""Tracking codes a voter can read out over the phone."""

from __future__ import annotations

import math

import pytest

from suggestions import workflow
from suggestions.models import Suggestion
from suggestions.tracking import (
    ALPHABET,
    LENGTH,
    tracking_code_display,
    tracking_code_new,
    tracking_code_normalize,
)
from tests.suggestions.workflow_builders import Cast, record


def test_alphabet_has_no_confusable_symbols_and_enough_entropy() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 30
    assert LENGTH * math.log2(len(ALPHABET)) >= 40


def test_new_codes_use_only_the_alphabet_and_do_not_repeat() -> None:
    codes = {tracking_code_new() for _ in range(20000)}
    assert len(codes) == 20000
    assert all(len(c) == LENGTH and set(c) <= set(ALPHABET) for c in codes)
    # every symbol turns up in every position: the codes are not predictable by position
    for position in range(LENGTH):
        assert {c[position] for c in codes} == set(ALPHABET)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("k7mq3-x9prt", "K7MQ3X9PRT"),
        (" K7MQ3 X9PRT ", "K7MQ3X9PRT"),
        ("K7MQ3·X9PRT", "K7MQ3X9PRT"),
        ("K7MQ3X9PR0", None),  # zero is never part of a code
        ("K7MQ3X9PR", None),
        ("", None),
    ],
)
def test_what_people_type_is_normalised(typed: str, stored: str | None) -> None:
    assert tracking_code_normalize(typed) == stored


def test_display_in_two_groups_of_five() -> None:
    assert tracking_code_display("K7MQ3X9PRT") == "K7MQ3-X9PRT"
    assert tracking_code_display("legacy") == "legacy"


@pytest.mark.django_db
def test_recorded_suggestions_get_distinct_valid_codes(cast: Cast) -> None:
    codes = [record(cast, title=f"问题{i}").tracking_code for i in range(30)]
    assert len(set(codes)) == 30
    assert all(tracking_code_normalize(c) == c for c in codes)
    assert Suggestion.objects.filter(tracking_code__in=codes).count() == 30


@pytest.mark.django_db
def test_a_colliding_code_is_replaced(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    """If the random code is taken, recording retries with a new one instead of failing."""
    taken = record(cast).tracking_code
    fresh = iter([taken, taken, "23456789AB"])
    monkeypatch.setattr(workflow, "tracking_code_new", lambda: next(fresh))
    s = record(cast)
    assert s.tracking_code == "23456789AB"

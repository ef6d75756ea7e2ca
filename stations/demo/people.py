"""Fake people: names, genders and mobile numbers, drawn from a seeded random generator."""

from __future__ import annotations

import random
from bisect import bisect_right
from itertools import accumulate
from typing import NamedTuple

from stations.demo import vocabulary as V

# Mainland mobile prefixes; the rest of the number is random.
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


class Person(NamedTuple):
    name: str
    gender: str
    phone: str


class PersonMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = [s for s, _ in V.SURNAMES]
        self.cum = list(accumulate(w for _, w in V.SURNAMES))
        self.total = self.cum[-1]

    def surname(self) -> str:
        return self.surnames[bisect_right(self.cum, self.rng.random() * self.total)]

    def name(self, gender: str) -> str:
        pool = V.GIVEN_MALE if gender == "m" else V.GIVEN_FEMALE
        rnd = self.rng.random
        given = pool[int(rnd() * len(pool))]
        if rnd() < 0.7:
            given += pool[int(rnd() * len(pool))]
        return self.surname() + given

    def phone(self) -> str:
        rnd = self.rng.random
        return f"{MOBILE_PREFIXES[int(rnd() * len(MOBILE_PREFIXES))]}{int(rnd() * 100_000_000):08d}"

    def person(self) -> Person:
        gender = "m" if self.rng.random() < 0.6 else "f"
        return Person(name=self.name(gender), gender=gender, phone=self.phone())

"""Tracking codes a voter can read out over the phone.

Format: 10 symbols from a 30-symbol alphabet, stored plain ("K7MQ3X9PRT") and shown in two
groups of five ("K7MQ3-X9PRT"). The alphabet leaves out 0/O and 1/I (the brief), and also L
(read as 1) and Z (read as 2), so what remains is unambiguous on paper and on the phone:
digits 2-9 and the letters A-Y without I, L, O. 30**10 ≈ 5.9e14 ≈ 2**49 codes: 49 random bits
from `secrets`, so codes cannot be guessed or enumerated; uniqueness is enforced by the
database and a collision is simply retried.

`tracking_code_normalize` accepts what people type: lower case, spaces, dashes.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXY"
LENGTH = 10
GROUP = 5

_VALID = re.compile(f"^[{ALPHABET}]{{{LENGTH}}}$")
_SEPARATORS = re.compile(r"[\s\-_.·]+")

assert len(ALPHABET) == 30 and len(set(ALPHABET)) == 30  # noqa: PT018 - guards the documented entropy


def tracking_code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def tracking_code_normalize(raw: str) -> str | None:
    """The stored form of what a person typed, or None if it cannot be a tracking code."""
    code = _SEPARATORS.sub("", raw or "").upper()
    return code if _VALID.match(code) else None


def tracking_code_display(code: str) -> str:
    """Grouped for reading aloud and printing: K7MQ3-X9PRT. Codes of another shape pass through."""
    if _VALID.match(code):
        return f"{code[:GROUP]}-{code[GROUP:]}"
    return code

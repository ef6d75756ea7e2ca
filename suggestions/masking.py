"""Masking of personal data before anything is shown in public (DESIGN §5).

Names become 张**, phones 138****5678, and free text (titles, content, replies) has
mobile and landline numbers, ID-card numbers, e-mail addresses and the given names
masked. Numbers are recognised however they were typed: full-width digits (１３８),
spaces, dashes or dots between digit groups. Any other run of seven or more digits
(local numbers, bank cards, QQ numbers) is masked too: a false positive costs the
reader a number, a false negative leaks one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Characters people put between digit groups: ASCII and full-width spaces, the
# no-break space, hyphen, full-width hyphen, en/em dash, minus sign, dots.
_SEP = "[ \u00a0\u3000\t\\-\uff0d\u2010\u2011\u2012\u2013\u2014\u2212.\uff0e\u00b7]"
# A run of at least seven digits (any script, \d is Unicode-aware), each pair of
# neighbours separated by at most three separator characters, optionally ending
# in the check character X of an ID-card number.
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}{{0,3}}\d){{6,}}(?:{_SEP}{{0,3}}[XxＸｘ])?")
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-]{1,64})[@＠]([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})")
_MOBILE = re.compile(r"(86)?(1[3-9]\d{9})")
_ID_CHECK = "XxＸｘ"
_SEP_SPLIT = re.compile(f"({_SEP}+)")
# Dates such as 2025-03-01 or 2025.3.1 (optionally followed by an hour, "14:30") are
# kept readable; they are recognised group by group inside a digit run.
_DATE_SEPS = frozenset("-.\uff0d\uff0e")
_HOUR_FOLLOWERS = frozenset(":：时点")
_MOBILE_ANYWHERE = re.compile(r"1[3-9]\d{9}")
_ID_ANYWHERE = re.compile(r"\d{6}(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_MIN_RUN = 7


def _ascii_digits(text: str) -> str:
    """The digits of `text` as ASCII (full-width and other scripts' digits converted)."""
    return "".join(str(unicodedata.digit(ch)) for ch in text if ch.isdecimal())


def _mask_digits(digits: str) -> str:
    """Mask a string of ASCII digits, keeping a short head and tail so it stays recognisable."""
    n = len(digits)
    mobile = _MOBILE.fullmatch(digits)
    if mobile:
        prefix, number = mobile.group(1), mobile.group(2)
        return f"{prefix + ' ' if prefix else ''}{number[:3]}****{number[-4:]}"
    if n >= 11:
        return f"{digits[:3]}{'*' * (n - 7)}{digits[-4:]}"
    if n >= _MIN_RUN:
        return f"{digits[:2]}{'*' * (n - 4)}{digits[-2:]}"
    return "*" * n


def mask_name(name: str) -> str:
    """'张三丰' → '张**'. The length is hidden: every name gets two stars after its first character."""
    name = name.strip()
    if not name:
        return ""
    return f"{name[0]}**"


def mask_phone(phone: str) -> str:
    """'13812345678' → '138****5678'; landlines keep their area code's start and last digits."""
    digits = _ascii_digits(phone)
    if not digits:
        return ""
    return _mask_digits(digits)


def _is_year(group: str) -> bool:
    return len(group) == 4 and group[:2] in {"19", "20"}


def _in_range(group: str, low: int, high: int) -> bool:
    return 1 <= len(group) <= 2 and low <= int(group) <= high


def _date_length(groups: list[str], seps: list[str], i: int, hour_allowed: bool) -> int:
    """How many groups from `i` form a date (3, or 4 with an hour), or 0."""
    if i + 2 >= len(groups) or not _is_year(groups[i]):
        return 0
    if seps[i] != seps[i + 1] or seps[i] not in _DATE_SEPS:
        return 0
    if not (_in_range(groups[i + 1], 1, 12) and _in_range(groups[i + 2], 1, 31)):
        return 0
    if (
        hour_allowed
        and i + 3 == len(groups) - 1
        and seps[i + 2].strip(" \u3000") == ""
        and _in_range(groups[i + 3], 0, 23)
    ):
        return 4
    return 3


def _mask_run(match: re.Match[str]) -> str:
    run = match.group(0)
    tail = run[-1] if run[-1] in _ID_CHECK else ""
    digits = _ascii_digits(run)
    if tail and len(digits) == 17:
        return f"{digits[:3]}{'*' * 11}{digits[-3:]}X"
    if _MOBILE_ANYWHERE.search(digits) or _ID_ANYWHERE.search(digits + ("X" if tail else "")):
        # A mobile number or an ID-card number is somewhere in this run, however it is
        # grouped (even around something that looks like a date): mask the run whole.
        return _mask_digits(digits) + tail
    body = run[:-1] if tail else run
    parts = _SEP_SPLIT.split(body)
    groups = ["".join(str(unicodedata.digit(ch)) for ch in part) for part in parts[0::2]]
    seps = parts[1::2]
    following = match.string[match.end() : match.end() + 1]
    hour_allowed = following in _HOUR_FOLLOWERS and not tail
    out: list[str] = []
    stretch: list[str] = []  # raw text of the current non-date stretch

    def flush() -> None:
        raw = "".join(stretch)
        count = len(_ascii_digits(raw))
        out.append(_mask_digits(_ascii_digits(raw)) if count >= _MIN_RUN else raw)
        stretch.clear()

    i = 0
    while i < len(groups):
        size = _date_length(groups, seps, i, hour_allowed)
        if size:
            flush()
            out.append("".join(parts[2 * i : 2 * (i + size) - 1]))
            i += size
        else:
            stretch.append(parts[2 * i])
            i += 1
        if i < len(groups):
            (stretch if not size else out).append(seps[i - 1])
    flush()
    return "".join(out) + tail


def _mask_email(match: re.Match[str]) -> str:
    local, domain = match.group(1), match.group(2)
    return f"{local[0]}***@{domain}"


def _name_pattern(name: str) -> re.Pattern[str] | None:
    chars = [ch for ch in name if not ch.isspace()]
    if len(chars) < 2:
        # A one-letter "name" would mangle ordinary text; real names have at least two characters.
        return None
    # Allow spaces (ASCII or full-width) between the characters: "张 三 丰".
    return re.compile(r"[\s\u3000]*".join(re.escape(ch) for ch in chars), re.IGNORECASE)


def mask_text(text: str, *, names: Iterable[str] = ()) -> str:
    """Mask phone numbers, ID-card numbers, e-mail addresses and the given names inside free text."""
    if not text:
        return text
    folded = text.casefold()
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        # Most texts do not contain the name at all: skip compiling its pattern then.
        if not all(ch in folded for ch in name.casefold() if not ch.isspace()):
            continue
        pattern = _name_pattern(name)
        if pattern is not None:
            text = pattern.sub(mask_name(name), text)
    text = _EMAIL.sub(_mask_email, text)
    return _DIGIT_RUN.sub(_mask_run, text)

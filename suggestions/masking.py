"""Masking of personal data before anything is shown in public (DESIGN §5).

Names become 张**, phones 138****5678, and free text (titles, content, replies) has
mobile and landline numbers, ID-card numbers, e-mail addresses and the given names
masked. Numbers are recognised however they were typed: full-width digits (１３８),
spaces, dashes or dots between digit groups. Any other run of seven or more digits
(local numbers, bank cards, QQ numbers) is masked too: a false positive costs the
reader a number, a false negative leaks one.

Other people's names are found where Chinese text gives them away: a common surname, up
to two more characters and a form of address (张三先生, 李主任, 王大爷) become 张**先生,
李**主任, 王**大爷 — the surname and the title stay, the length of the name is hidden as
in `mask_name`. Words that only look like that (党支部书记, 班主任, 保安大爷) are left alone.

A handling unit's reply may keep the unit's official numbers (`keep_landlines`): a
landline with its area code (0591-87654321) and the unit's own phone stay readable,
while mobile numbers and the voter's own phone are masked as everywhere else.
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


# A landline with its area code: 010 and 020-029 have three digits, the others four; the
# local number has seven or eight digits and never starts with 0 or 1.
_LANDLINE = re.compile(r"0(?:10|2\d|[3-9]\d{2})[2-9]\d{6,7}")


def _kept(digits: str, *, keep: frozenset[str], keep_landlines: bool, always: frozenset[str]) -> bool:
    """Whether a run of digits is an official number that stays readable."""
    if _MOBILE_ANYWHERE.search(digits):
        return False
    # The voter's own number, also when written without its area code.
    if any(digits in number or number in digits for number in always):
        return False
    return digits in keep or bool(keep_landlines and _LANDLINE.fullmatch(digits))


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


# --- Names of other people, recognised by a surname and a form of address -------------

# Common surnames (a few hundred cover nearly everyone). Characters that are far more often
# words than surnames before a title (卫 in 门卫, 安 in 保安) are left out or caught below.
_SURNAMES_1 = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
    "梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简"
    "车项连芦麦褚娄窦戚岑景党宫费卜冷晏席米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛"
    "仲虞敖巩明佘池查麻苑迟邝洪"
)
_SURNAMES_2 = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "夏侯",
    "长孙",
    "宇文",
    "司徒",
    "端木",
    "西门",
)
# Forms of address that follow a name. Office titles that usually follow an organisation's
# abbreviation (局长 after 公安, 城管) are not here: they would mask the organisation.
TITLES = (
    "先生",
    "女士",
    "小姐",
    "书记",
    "主任",
    "师傅",
    "老师",
    "阿姨",
    "大爷",
    "大妈",
    "大姐",
    "大哥",
    "奶奶",
    "爷爷",
    "同志",
    "经理",
    "医生",
    "律师",
)
_TITLED_NAME = re.compile(
    "(?P<surname>"
    + "|".join(_SURNAMES_2)
    + f"|[{_SURNAMES_1}])(?P<given>[\u4e00-\u9fff]{{0,2}}?)(?P<title>"
    + "|".join(TITLES)
    + ")"
)
# Characters of organisations and offices, never of the rest of a name: 党支部书记, 村委会主任.
_OFFICE_CHARS = frozenset("部委会区办处局科队所院校厂司村镇乡街副总支组务间室")
# Words around a surname character that make it no name: checked on the match and the two
# characters before it (任 of 班主任 is a surname too).
_NOT_NAMES = (
    "班主任",
    "保安",
    "公安",
    "治安",
    "门卫",
    "城管",
    "宿管",
    "物管",
    "主管",
    "司机",
    "语文",
    "作文",
    "中文",
    "历史",
    "调解",
    "车间",
    "常务",
    "老师傅",
)
# Surnames that are also the little words before a name: in 和张三主任 the name is 张三.
_PARTICLES = frozenset("和于向")


def _not_a_name(text: str, match: re.Match[str]) -> int | None:
    """None if this match of `_TITLED_NAME` is a person's name with a form of address; else
    where to look for the next one (past a word that only looks like a name)."""
    given = match.group("given")
    begin = max(match.start() - 2, 0)
    window = text[begin : match.end()]
    for word in _NOT_NAMES:
        at = window.find(word)
        if at >= 0 and begin + at + len(word) > match.start():  # the word overlaps the match
            return begin + at + len(word)
    surname = match.group("surname")
    if any(ch in _OFFICE_CHARS for ch in given) or (surname in _PARTICLES and given and given[0] in _SURNAMES_1):
        return match.start() + 1
    return None


def mask_titled_names(text: str) -> str:
    """张三先生 → 张**先生, 李主任 → 李**主任: other people's names found by their form of address."""
    if not any(title in text for title in TITLES):
        return text
    out: list[str] = []
    pos = 0
    start = 0
    while (match := _TITLED_NAME.search(text, start)) is not None:
        again = _not_a_name(text, match)
        if again is None:
            out.append(text[pos : match.start()])
            out.append(f"{match.group('surname')}**{match.group('title')}")
            pos = start = match.end()
        else:
            # Look again further on: 和张三主任, 保安王大爷, 班主任张老师.
            start = max(again, match.start() + 1)
    out.append(text[pos:])
    return "".join(out)


def mask_text(
    text: str,
    *,
    names: Iterable[str] = (),
    keep_landlines: bool = False,
    keep_numbers: Iterable[str] = (),
    always_mask: Iterable[str] = (),
) -> str:
    """Mask phone numbers, ID-card numbers, e-mail addresses, the given names and other people's
    names with a form of address inside free text.

    `keep_landlines` keeps landlines written with their area code, and `keep_numbers` these
    numbers (a unit's own phone), unless they are mobiles or one of `always_mask` (the voter's
    phone): for a handling unit's reply, which gives the unit's official numbers.
    """
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
    text = mask_titled_names(text)
    text = _EMAIL.sub(_mask_email, text)
    keep = frozenset(d for d in (_ascii_digits(n) for n in keep_numbers) if len(d) >= _MIN_RUN)
    always = frozenset(d for d in (_ascii_digits(n) for n in always_mask) if len(d) >= _MIN_RUN)
    if not keep and not keep_landlines:
        return _DIGIT_RUN.sub(_mask_run, text)

    def run(match: re.Match[str]) -> str:
        if _kept(_ascii_digits(match.group(0)), keep=keep, keep_landlines=keep_landlines, always=always):
            return match.group(0)
        return _mask_run(match)

    return _DIGIT_RUN.sub(run, text)


def mask_reply(text: str, *, submitter_name: str, submitter_phone: str, unit_phone: str = "") -> str:
    """A handling unit's words (reply, progress report) for the public: masked like any free text,
    but the unit's official landline and its own phone stay readable."""
    return mask_text(
        text,
        names=(submitter_name,),
        keep_landlines=True,
        keep_numbers=(unit_phone,) if unit_phone else (),
        always_mask=(submitter_phone,) if submitter_phone else (),
    )

"""Counts of the killed and injured, written in words or digits.

Reports say "the deaths of 18 civilians, including 11 women", "four civilians (three
children and one woman) were killed", "five civilians - three children and two women -",
"killing 18 civilians, mostly members of the same family, including 13 children", "a
13-year-old child ... was killed", "injuring nearly 15 others". "At least 18" is 18;
"dozens" is not a number and stays null.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "zero": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "both": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WORD_NUMBER = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four"
    r"|five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven"
    r"|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+|{_WORD_NUMBER})"
_QUALIFIER = (
    r"(?:(?:at\s+least|about|around|approximately|nearly|some|up\s+to|more\s+than|over)\s+)?"
)

_CIVILIANS = (
    r"(?:civilians?|people|persons?|individuals?|victims?|workers?|men|man|others?|students?"
    r"|passengers?|farmers?|shepherds?|residents?|villagers?|displaced\s+persons|IDPs|refugees"
    r"|family\s+members|members\s+of\s+(?:a|the\s+same|one)\s+family)"
)
_CHILDREN = (
    r"(?:children|child|boys?|girls?|kids?|infants?|bab(?:y|ies)|minors?|brothers?|sisters?"
    r"|sons?|daughters?)"
)
_WOMEN = r"(?:women|woman|females?|mothers?|wives|wife)"


def parse_number(text: str) -> int | None:
    """An integer from digits ("1,635") or English words ("twenty-one", "one"); else None."""
    cleaned = text.strip().lower().replace(",", "")
    if cleaned in {"a", "an"}:
        return 1
    if cleaned.isdigit():
        return int(cleaned)
    if cleaned in _UNITS:
        return _UNITS[cleaned]
    parts = re.split(r"[- ]", cleaned)
    if parts and parts[0] in _TENS:
        value = _TENS[parts[0]]
        if len(parts) == 2 and parts[1] in _UNITS:
            value += _UNITS[parts[1]]
        elif len(parts) > 1:
            return None
        return value
    return None


@dataclass
class Counts:
    killed_total: int | None = None
    killed_children: int | None = None
    killed_women: int | None = None
    injured: int | None = None


_KILL_WORDS = (
    r"(?:killed|killing|dead|died|deaths?|drowned|massacre|shot\s+dead|lost\s+their\s+lives)"
)
_INJURY_WORDS = r"(?:injur(?:ed|ing|y|ies)|wound(?:ed|ing|s)?)"

_TOTAL_PATTERNS = [
    # "leaving five civilians dead"
    re.compile(
        rf"\b(?:leaving|left)\s+{_QUALIFIER}(?P<n>{NUMBER})\s+(?P<who>{_CIVILIANS}|{_CHILDREN}"
        rf"|{_WOMEN})\s+dead\b",
        re.I,
    ),
    # "the deaths of 18 civilians", "killing 18 civilians", "killed 15 civilians"
    re.compile(
        rf"\b(?:deaths?\s+of|killing|killed|kill|bodies\s+of|massacre\s+of|lives\s+of)\s+"
        rf"(?:the\s+)?{_QUALIFIER}"
        rf"(?P<n>{NUMBER})\s+(?:of\s+the\s+)?(?:(?:more|other|local|adult)\s+)?"
        rf"(?P<who>{_CIVILIANS}|{_CHILDREN}|{_WOMEN})\b",
        re.I,
    ),
    # "five civilians, including a child, were killed", "four civilians (three children and
    # one woman) were killed", "five children from the same family were killed"
    re.compile(
        rf"(?<![\w-])(?P<n>{NUMBER})\s+(?:(?:more|other|local|adult)\s+)?"
        rf"(?P<who>{_CIVILIANS}|{_CHILDREN}|{_WOMEN})\b[^.;]{{0,120}}?\b(?:were|was)\s+"
        rf"(?:all\s+)?(?:killed|shot\s+dead|found\s+dead|drowned|executed)",
        re.I,
    ),
    # "we documented the deaths of seven civilians, including one woman, who drowned"
    re.compile(
        rf"\b(?:the\s+)?deaths?\s+of\s+{_QUALIFIER}(?P<n>{NUMBER})\s+(?P<who>{_CIVILIANS})", re.I
    ),
    # "84 individuals ... were killed": the count precedes a later verb
    re.compile(
        rf"(?<![\w-]){_QUALIFIER}(?P<n>{NUMBER})\s+(?P<who>{_CIVILIANS}),?\s+(?:including|mostly)"
        rf"[^.;]{{0,80}}?\b(?:were|was)\s+(?:all\s+)?(?:killed|shot\s+dead)",
        re.I,
    ),
]
_BREAKDOWN = re.compile(
    rf"(?P<n>{NUMBER}|\ban?\b)\s+(?:(?:female|male|more|other)\s+)?"
    rf"(?P<who>{_CHILDREN}|{_WOMEN})\b",
    re.I,
)
_INJURED_PATTERNS = [
    re.compile(
        rf"\b{_INJURY_WORDS}\s+(?:of\s+)?(?:another\s+)?{_QUALIFIER}(?P<n>{NUMBER})\s+"
        rf"(?:(?:more|other)\s+)?(?:{_CIVILIANS}|{_CHILDREN}|{_WOMEN}|of\s+(?:his|her|their))",
        re.I,
    ),
    re.compile(
        rf"(?:\band\s+|another\s+|while\s+){_QUALIFIER}(?P<n>{NUMBER})\s+(?:(?:more|other)\s+)?"
        rf"(?:{_CIVILIANS}|{_CHILDREN}|{_WOMEN})?(?:,[^.;]{{0,60}}?,)?\s*"
        rf"(?:were\s+|being\s+|was\s+)?(?:also\s+)?{_INJURY_WORDS}",
        re.I,
    ),
    re.compile(
        rf"\b(?P<n>{NUMBER})\s+(?:of\s+(?:his|her|their)\s+\w+|(?:other\s+)?(?:others?|civilians"
        rf"|people|children|women))\s+(?:were\s+)?(?:also\s+)?{_INJURY_WORDS}",
        re.I,
    ),
]
_SINGLE_INJURED = re.compile(
    r"\b(?:while|and|with)\s+(?:(?:his|her|their)\s+\w+|an?\s+[^.;]{0,80}?|another|other)"
    r"\s+(?:was|were|being)\s+(?:also\s+)?(?:injured|wounded)"
    r"|\binjuring\s+(?:an?|one)\s"
    r"|^(?:an?|one)\s+(?:\w+\s+){0,3}?(?:was)\s+(?:injured|wounded)",
    re.I,
)
_SINGLE_KILLED = re.compile(
    r"\b(?:was|had\s+been)\s+(?:also\s+)?(?:killed|shot\s+dead|found\s+dead|executed"
    r"|tortured\s+to\s+death|burned\s+to\s+death|drowned)\b"
    r"|\bresulting\s+in\s+the\s+death\s+of\s+(?:an?\s|one\s|[A-Z])"
    r"|\bkill(?:ing|ed)\s+(?:an?|one)\s+(?!number\b|group\b|total\b|further\b)"
    r"|\bkill(?:ing|ed)\s+the\s+(?:driver|owner|man|woman|boy|girl|child|shepherd|farmer"
    r"|father|mother)\b"
    r"|\bthe\s+(?:body|corpse)\s+of\b"
    r"|\b(?:died|drowned|subsequently\s+dying)\b",
    re.I,
)
_VAGUE_GROUP = re.compile(
    r"\b(?:along\s+with|with)\s+(?:a\s+number\s+of|several|many|some|members\s+of)\b"
    r"|\b(?:dozens|scores|hundreds)\b",
    re.I,
)
_CHILD_VICTIM = re.compile(
    r"\b(?:child|boy|girl|baby|infant|(?:1[0-7]|[1-9])-year-old|(?:one|two|three|four|five|six"
    r"|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)-year-old)\b",
    re.I,
)
_WOMAN_VICTIM = re.compile(r"\b(?:Ms\.|Mrs\.|woman|female|mother|wife)(?!\w)", re.I)


_MASSACRE_PHRASE = re.compile(
    r"\b(?:resulted\s+in|resulting\s+in|caused|causing|committed|committing|perpetrated|led\s+to"
    r"|in)\s+(?:a|the|another)\s+massacre\b|\bmassacre\s+(?:perpetrated|committed|caused|took)\b",
    re.IGNORECASE,
)


def mentions_massacre(text: str) -> bool:
    """Whether the text says this incident was a massacre (not a previous one nearby)."""
    for match in _MASSACRE_PHRASE.finditer(text):
        if not re.search(
            r"\b(?:previous|earlier|prior)\b",
            text[max(0, match.start() - 50) : match.start()],
            re.I,
        ):
            return True
    return False


def _who_is_child(word: str) -> bool:
    return bool(re.fullmatch(_CHILDREN, word, re.I))


def _who_is_woman(word: str) -> bool:
    return bool(re.fullmatch(_WOMEN, word, re.I))


def _breakdown(text: str) -> tuple[int | None, int | None]:
    children = women = None
    for match in _BREAKDOWN.finditer(text):
        value = parse_number(match.group("n"))
        if value is None:
            continue
        if _who_is_child(match.group("who")) and children is None:
            children = value
        elif _who_is_woman(match.group("who")) and women is None:
            women = value
    return children, women


def _cut_injury_clause(text: str) -> str:
    """Text before the injured are counted, so their breakdown is not read as the dead's."""
    cut = re.search(
        rf"(?:,\s*|\band\s+|\bwhile\s+)(?:\w+\s+){{0,5}}?(?:were\s+|being\s+)?{_INJURY_WORDS}"
        rf"|\band\s+{_INJURY_WORDS}|\b{_INJURY_WORDS}\s+(?:about|nearly|around|another)?",
        text,
        re.I,
    )
    return text[: cut.start()] if cut else text


_CIVILIANS_AMONG = re.compile(
    rf"\((?:{NUMBER})\s+(?:fighters|combatants|soldiers|servicemen|military\s+\w+)\s+and\s+"
    rf"(?P<n>{NUMBER})\s+civilians\)",
    re.I,
)
_NON_CIVILIANS = re.compile(
    rf"\bwith\s+(?P<n>{NUMBER})\s+of\s+the\s+(?:victims|dead|deceased)\s+being\s+"
    r"(?:military|fighters|combatants|soldiers|servicemen|members\s+of)",
    re.I,
)
_ALONG_WITH = re.compile(rf"\bkilled\s+along\s+with\s+(?P<n>{NUMBER})\s+others\b", re.I)


_LIST_NOUN = (
    r"(?:children|child|boys?|girls?|bab(?:y|ies)|infants?|women|woman|mothers?|wives|wife"
    r"|men|man|husbands?|fathers?|sons?|daughters?|brothers?|sisters?|civilians?|persons?"
    r"|people|relatives|grandmothers?|grandfathers?)"
)
_LIST_ITEM = (
    rf"(?:(?:{NUMBER}|an?)\s+|(?:his|her|their)\s+(?:{NUMBER}\s+)?)"
    rf"(?:(?!and\b)[\w-]+\s+){{0,2}}?{_LIST_NOUN}\b"
)
_VICTIM_LIST = re.compile(rf"{_LIST_ITEM}(?:(?:,\s*(?:and\s+)?|\s+and\s+){_LIST_ITEM})+", re.I)
_ITEM_PARTS = re.compile(
    rf"(?:(?P<n>{NUMBER}|an?)\s+|(?:his|her|their)\s+(?:(?P<n2>{NUMBER})\s+)?)"
    rf"(?:(?!and\b)[\w-]+\s+){{0,2}}?(?P<noun>{_LIST_NOUN})\b",
    re.I,
)
_LIST_CHILD = re.compile(r"^(?:children|child|boys?|girls?|bab(?:y|ies)|infants?)$", re.I)
_LIST_WOMAN = re.compile(r"^(?:women|woman|mothers?|wives|wife|grandmothers?)$", re.I)


def _victim_list(text: str) -> Counts | None:
    """ "killing a child and his mother", "a woman and her two children were killed"."""
    for match in _VICTIM_LIST.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()].lower()
        after = text[match.end() : match.end() + 40].lower()
        if not (
            before.rstrip().endswith(("killing", "killed", "deaths of"))
            or re.match(
                r"\s*(?:,[^,]{0,40},\s*)?(?:were|all\s+were)\s+(?:all\s+)?(?:killed|shot)", after
            )
        ):
            continue
        counts = Counts(killed_total=0)
        children = women = 0
        for item in _ITEM_PARTS.finditer(match.group(0)):
            raw = item.group("n") or item.group("n2")
            value = parse_number(raw) if raw else 1
            if value is None:
                return None
            counts.killed_total = (counts.killed_total or 0) + value
            noun = item.group("noun")
            if _LIST_CHILD.match(noun):
                children += value
            elif _LIST_WOMAN.match(noun):
                women += value
        counts.killed_children = children or None
        counts.killed_women = women or None
        return counts
    return None


def extract_counts(text: str) -> Counts:
    """Killed (total, children, women) and injured counts stated in an incident's text."""
    listed = _victim_list(text)
    if listed is not None:
        listed.injured = extract_injured(text)
        return listed
    counts = Counts()
    civilians_among = _CIVILIANS_AMONG.search(text)
    if civilians_among and parse_number(civilians_among.group("n")) is not None:
        # "26 dead bodies (12 fighters and 14 civilians)": only civilians are counted.
        counts.killed_total = parse_number(civilians_among.group("n"))
        tail = _cut_injury_clause(text[civilians_among.end() : civilians_among.end() + 120])
        counts.killed_children, counts.killed_women = _breakdown(re.split(r"[.;]", tail)[0])
        counts.injured = extract_injured(text)
        return counts
    along = _ALONG_WITH.search(text)
    if along and parse_number(along.group("n")) is not None:
        counts.killed_total = (parse_number(along.group("n")) or 0) + 1
        counts.injured = extract_injured(text)
        return counts
    for pattern in _TOTAL_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        value = parse_number(match.group("n"))
        if value is None:
            continue
        counts.killed_total = value
        who = match.group("who")
        if _who_is_child(who):
            counts.killed_children = value
        elif _who_is_woman(who):
            counts.killed_women = value
        tail_start = match.end("who")
        # The breakdown follows the total: "(three children and one woman)", ", including
        # 11 women", "- three children and two women -". Stop before the injured.
        tail = _cut_injury_clause(text[tail_start : tail_start + 160])
        extra = re.match(
            rf"\s*(?:,\s*)?and\s+(?P<n>{NUMBER}|an?)\s+(?:\w+\s+)?(?P<who>{_CHILDREN}|{_WOMEN}|man|men)\b",
            tail,
            re.I,
        )
        is_group = _who_is_child(who) or _who_is_woman(who) or who.lower() in {"man", "men"}
        if extra and is_group and extra.group("who").lower() != who.lower():
            added = parse_number(extra.group("n")) or 1
            counts.killed_total = value + added
            if _who_is_child(extra.group("who")):
                counts.killed_children = added
            elif _who_is_woman(extra.group("who")):
                counts.killed_women = added
        tail = re.split(r"[.;]", tail, maxsplit=1)[0]
        children, women = _breakdown(tail)
        if counts.killed_total is not None and counts.killed_total != value:
            break
        if children is not None and counts.killed_children is None:
            counts.killed_children = children
        if women is not None and counts.killed_women is None:
            counts.killed_women = women
        break
    non_civilians = _NON_CIVILIANS.search(text)
    if non_civilians and counts.killed_total is not None:
        removed = parse_number(non_civilians.group("n")) or 0
        if removed < counts.killed_total:
            counts.killed_total -= removed
    if counts.killed_total is None:
        _single_victim(text, counts)
    counts.injured = extract_injured(text)
    return counts


_PAIR = re.compile(
    r"\band\s+(?:his|her|their)\s+(?P<age>(?:[\w-]+-year-old|[\w-]+)\s+)?"
    r"(?P<relation>daughter|son|child|baby|wife|husband|mother|father|brother|sister)\b"
    r"[^.;]{0,80}?\bwere\s+(?:both\s+)?(?:killed|shot\s+dead|found\s+dead)",
    re.I,
)
_MINOR_AGE = re.compile(
    r"\b(?:(?:1[0-7]|[1-9])|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|thirteen|fourteen|fifteen|sixteen|seventeen)-year-old\b",
    re.I,
)


def _victim_pair(text: str, counts: Counts) -> bool:
    """ "X, a 35-year-old woman ..., and her two-year-old daughter ... were shot dead"."""
    match = _PAIR.search(text)
    if not match:
        return False
    counts.killed_total = 2
    relation = match.group("relation").lower()
    second_is_child = relation in {"child", "baby"} or bool(
        relation in {"daughter", "son", "brother", "sister"}
        and _MINOR_AGE.search(match.group("age") or "")
    )
    second_is_woman = not second_is_child and relation in {"wife", "mother", "daughter", "sister"}
    first = text[: match.start()]
    first_is_child = bool(_CHILD_VICTIM.search(first))
    first_is_woman = not first_is_child and bool(_WOMAN_VICTIM.search(first))
    children = int(first_is_child) + int(second_is_child)
    women = int(first_is_woman) + int(second_is_woman)
    counts.killed_children = children or None
    counts.killed_women = women or None
    return True


def _single_victim(text: str, counts: Counts) -> None:
    """One named victim: "a 13-year-old child ... was killed", "The body of Ms. X"."""
    if _VAGUE_GROUP.search(text) and re.search(r"\balong\s+with\b", text, re.I):
        return
    if mentions_massacre(text):
        # One named victim of a massacre: the death toll is not this one person.
        return
    if _victim_pair(text, counts):
        return
    kill = _SINGLE_KILLED.search(text) or re.search(
        r"\b(?:his|her)\s+death\b|\bhad\s+died\b", text, re.I
    )
    if not kill:
        return
    counts.killed_total = 1
    subject = _cut_injury_clause(text[: kill.start()])
    if kill.group(0).lower().startswith(("resulting", "the body", "the corpse", "kill")):
        subject = _cut_injury_clause(text[: kill.end() + 60])
    if _CHILD_VICTIM.search(subject):
        counts.killed_children = 1
    elif _WOMAN_VICTIM.search(subject):
        counts.killed_women = 1


def extract_injured(text: str) -> int | None:
    for pattern in _INJURED_PATTERNS:
        for match in pattern.finditer(text):
            value = parse_number(match.group("n"))
            if value is None:
                continue
            following = text[match.start() : match.end() + 12].lower()
            if "year-old" in following:
                continue
            return value
    if _SINGLE_INJURED.search(text):
        return 1
    return None

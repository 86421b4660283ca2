"""Perpetrators and controlling forces named in report prose.

Names resolve through the shared party taxonomy (``db.parties``) plus the per-source phrase
lookups in ``party_phrases``. Control statements ("which is controlled by X", "The area was
under the joint control of X and Y at the time of the incident") are cut out of a sentence
before the perpetrator is looked for, so the force holding a place is never mistaken for
the one that attacked it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from db.parties import alias_key, load_party_taxonomy
from etl.report.party_phrases import SNHR_PARTY_LOOKUPS, UNSCANNABLE_ALIASES

UNKNOWN_CODES = frozenset(
    {"unknown", "landmine_unknown", "gunfire_unknown", "bombing_unknown", "killing_unknown"}
)
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class PartyMention:
    text: str
    code: str  # a taxonomy code, or AMBIGUOUS when the text leaves it open
    start: int
    end: int


def _alias_pattern(alias: str) -> str:
    parts = [re.escape(part) for part in re.split(r"[\s\-/]+", alias.strip()) if part]
    body = r"[\s\-/]+".join(parts)
    return body.replace("\\'", "['’]?").replace("’", "['’]?")


@cache
def _scanner() -> tuple[re.Pattern[str], dict[str, str]]:
    taxonomy = load_party_taxonomy()
    patterns: list[tuple[str, str]] = []
    for party in taxonomy.parties.values():
        for alias in (party.name_en, *party.aliases):
            if not alias.isascii() or alias_key(alias) in UNSCANNABLE_ALIASES:
                continue
            patterns.append((_alias_pattern(alias), party.code))
    for option in SNHR_PARTY_LOOKUPS:
        value = option["value"] or AMBIGUOUS
        for phrase in option["match"]:
            patterns.append((phrase, value))
    groups = []
    codes: dict[str, str] = {}
    for index, (pattern, code) in enumerate(patterns):
        name = f"p{index}"
        codes[name] = code
        groups.append(f"(?P<{name}>{pattern})")
    combined = re.compile(r"(?<![\w-])(?:" + "|".join(groups) + r")(?![\w])", re.IGNORECASE)
    return combined, codes


def find_parties(text: str) -> list[PartyMention]:
    """Every party mention, longest at each position, in text order."""
    return list(_find_parties(text))


@lru_cache(maxsize=8192)
def _find_parties(text: str) -> tuple[PartyMention, ...]:
    # The same sentences are scanned for attackers, controllers and tolls: scan each once.
    pattern, codes = _scanner()
    found: list[PartyMention] = []
    position = 0
    while position < len(text):
        # The combined alternation finds where the next mention starts quickly, but it takes
        # the first alternative that matches, not the longest: re-try them all there.
        match = pattern.search(text, position)
        if not match:
            break
        name = match.lastgroup
        fallback = (
            PartyMention(match.group(0), codes[name], match.start(), match.end()) if name else None
        )
        best = _longest_at(text, match.start()) or fallback
        if best is None:
            break
        found.append(best)
        position = max(best.end, match.start() + 1)
    return tuple(found)


@cache
def _single_patterns() -> list[tuple[re.Pattern[str], str]]:
    compiled = []
    taxonomy = load_party_taxonomy()
    for party in taxonomy.parties.values():
        for alias in (party.name_en, *party.aliases):
            if not alias.isascii() or alias_key(alias) in UNSCANNABLE_ALIASES:
                continue
            compiled.append((re.compile(_alias_pattern(alias) + r"(?![\w])", re.I), party.code))
    for option in SNHR_PARTY_LOOKUPS:
        for phrase in option["match"]:
            compiled.append((re.compile(phrase + r"(?![\w])", re.I), option["value"] or AMBIGUOUS))
    return compiled


def _longest_at(text: str, start: int) -> PartyMention | None:
    best: PartyMention | None = None
    for pattern, code in _single_patterns():
        match = pattern.match(text, start)
        if match and (best is None or match.end() > best.end):
            best = PartyMention(text=match.group(0), code=code, start=start, end=match.end())
    return best


def category_of(code: str) -> tuple[str | None, str | None]:
    """(perpetrator_category, perpetrator_subcategory) for a taxonomy code."""
    if code == AMBIGUOUS:
        return None, None
    taxonomy = load_party_taxonomy()
    party = taxonomy.parties.get(code)
    if party is None:
        return None, None
    if party.parent:
        return party.parent, party.code
    return party.code, None


def resolve_force_name(name: str) -> list[str]:
    """Codes for a force name as written; "X and Y" names two forces."""
    codes: list[str] = []
    for mention in find_parties(name):
        if mention.code in (AMBIGUOUS,) or mention.code in UNKNOWN_CODES:
            continue
        category, subcategory = category_of(mention.code)
        code = subcategory or category
        if code and code not in codes:
            codes.append(code)
    if not codes:
        party = load_party_taxonomy().lookup(name)
        if party is not None:
            codes.append(party.code)
    return codes


# ---------------------------------------------------------------------------------------------
# Control statements

_FORCE = r"(?P<force>[^.;:]{2,160}?)"
_CONTROL_END = r"(?=\s+at\s+the\s+time\b|\s+since\b|\s*[.;:,(]|\s+when\b|\s+while\b|$)"
CONTROL = re.compile(
    r"(?:(?:which\s+)?(?:is|was|were|are|remains?|being)\s+)?under\s+the\s+"
    rf"(?:(?P<joint>joint\s+)?control\s+of\s+{_FORCE}{_CONTROL_END}"
    rf"|(?P<owner>[A-Z][^.;:]{{1,60}}?)['’]s\s+(?:joint\s+)?control{_CONTROL_END})"
    rf"|(?:which\s+is\s+|that\s+is\s+|was\s+|is\s+)?controlled\s+by\s+"
    rf"{_FORCE.replace('force', 'force2')}{_CONTROL_END}",
    re.IGNORECASE,
)
# "stationed at a site controlled by X" describes where the attacker stood, and "between
# areas controlled by X and others controlled by Y" describes a front line; neither says
# who held the place that was hit.
_NOT_PLACE_CONTROL = re.compile(
    r"\b(?:site|sites|position|positions|base|point|checkpoint|areas|others|lines)\s*$", re.I
)


@dataclass(frozen=True)
class ControlStatement:
    text: str  # the whole clause as written
    force_text: str
    codes: tuple[str, ...]
    start: int
    end: int


def find_control_statements(text: str) -> list[ControlStatement]:
    """Statements of who held a place ("which is controlled by X"), with force codes."""
    return list(_find_control_statements(text))


@lru_cache(maxsize=8192)
def _find_control_statements(text: str) -> tuple[ControlStatement, ...]:
    found: list[ControlStatement] = []
    for match in CONTROL.finditer(text):
        if _NOT_PLACE_CONTROL.search(text[max(0, match.start() - 30) : match.start()]):
            continue
        force = match.group("force") or match.group("force2") or match.group("owner") or ""
        force = force.strip().rstrip(",")
        codes = tuple(resolve_force_name(force))
        if not codes:
            continue
        clause = match.group(0).strip()
        found.append(ControlStatement(clause, force, codes, match.start(), match.end()))
    return tuple(found)


def mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the given spans blanked out, keeping every other offset."""
    chars = list(text)
    for start, end in spans:
        for index in range(max(0, start), min(len(chars), end)):
            chars[index] = " "
    return "".join(chars)

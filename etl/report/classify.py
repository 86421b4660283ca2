"""What an incident's words say about it: weapon, attacker, facility hit, victims' work.

Each classifier reads the incident's own text (the dated sentence first, then the rest of
its paragraph); the assembly in ``etl.report.incidents`` decides which text to pass.
"""

from __future__ import annotations

import re
from dataclasses import replace

from etl.report import lookups
from etl.report.model import Incident
from etl.report.parties import (
    AMBIGUOUS,
    UNKNOWN_CODES,
    PartyMention,
    category_of,
    find_control_statements,
    find_parties,
    mask_spans,
)

_INJURY_CLAUSE = re.compile(
    r"\b(?:injur\w*|wound\w*)\b[^.;]{0,80}|\bincluding\s+(?:\w+\s+){0,3}of\s+the\s+\w+['’]s\b",
    re.I,
)


_UNKNOWN_HINTS = [
    ("landmine_unknown", re.compile(r"\blandmines?\b", re.I)),
    ("gunfire_unknown", re.compile(r"\bgunfire\b|\bshooting", re.I)),
    ("bombing_unknown", re.compile(r"\bbombings?\b|\bexplosions?\b|\bwar\s+remnants\b", re.I)),
    ("killing_unknown", re.compile(r"\bkillings?\s+by\b|\bkilling\s+by\s+unknown", re.I)),
]


_UNKNOWN_WORDS = re.compile(
    r"\b(?:unknown|unidentified|not\s+(?:yet\s+)?been\s+identified)\b", re.I
)


_WEAPON_UNKNOWN_SUBCATEGORY = {
    "landmine": "landmine_unknown",
    "erw": "bombing_unknown",
    "ied": "bombing_unknown",
    "car_bomb": "bombing_unknown",
    "gunfire": "gunfire_unknown",
}


_ANY_CONTROL = re.compile(
    r"\b(?:controlled\s+by|under\s+the\s+(?:joint\s+)?control\s+of)\s+[^.;,]{1,120}", re.I
)


_SPECIFIC_WEAPONS = (
    "torture",
    "drowning",
    "cluster_munition",
    "landmine",
    "erw",
    "car_bomb",
    "ied",
)


def heading_party(text: str) -> str | None:
    """The party a heading announces, with unknown perpetrators narrowed by kind."""
    if _UNKNOWN_WORDS.search(text):
        for code, pattern in _UNKNOWN_HINTS:
            if pattern.search(text):
                return code
    mentions = [m for m in find_parties(text) if m.code not in UNKNOWN_CODES]
    return mentions[0].code if mentions else None


def weapon_of(text: str) -> str | None:
    # "fired rockets in response to Israeli airstrikes": the other attack is not this one's.
    text = re.sub(r"\bin\s+(?:response|retaliation)\s+(?:to|for)\s+[^,.;]*", " ", text, flags=re.I)
    specific = lookups.first_in_order(
        [row for row in lookups.WEAPONS if row[0] in _SPECIFIC_WEAPONS], text
    )
    if specific:
        return specific
    return lookups.first_in_order(
        [row for row in lookups.WEAPONS if row[0] not in _SPECIFIC_WEAPONS], text
    )


def perpetrator_in(texts: list[str]) -> PartyMention | None:
    for text in texts:
        spans = [(c.start, c.end) for c in find_control_statements(text)]
        # Also "stationed at a site controlled by X": X held the site, it did not attack.
        spans += [(m.start(), m.end()) for m in _ANY_CONTROL.finditer(text)]
        masked = mask_spans(text, spans)
        mentions = find_parties(masked)
        if mentions:
            return _with_head_noun(mentions[0], text)
    return None


def _with_head_noun(mention: PartyMention, text: str) -> PartyMention:
    """ "of unidentified source" reads as "a landmine of unidentified source": keep the noun
    the attribution hangs on, as an analyst would write the perpetrator."""
    if not re.match(r"(?:of|from|whose)\b", mention.text, re.I):
        return mention
    head = re.search(r"\b(?:an?|the)\s+(?:[\w-]+\s+){0,2}?[\w-]+\s+$", text[: mention.start])
    if head is None:
        return mention
    return replace(mention, text=text[head.start() : mention.end], start=head.start())


def victim_categories_of(text: str) -> list[str]:
    cleaned = _INJURY_CLAUSE.sub(" ", text)
    return lookups.all_codes(lookups.VICTIM_CATEGORIES, cleaned)


_NOT_TARGET = re.compile(
    r"\b(?:arrived|taken|transferred|admitted|returned|brought|rushed|works?|worked|working"
    r"|employed|volunteered?|studying|studied|belonging|affiliated|supported|member)\b"
    r"[^,.;]{0,45}$",
    re.I,
)


def facility_of(text: str, weapon: str | None) -> str | None:
    if weapon in {"torture", "drowning"}:
        return None
    if re.search(r"\bRed\s+Crescent\b", text):
        return "red_crescent"
    hits: list[tuple[int, int, str]] = []
    for rank, (code, pattern) in enumerate(lookups.FACILITIES):
        for match in pattern.finditer(text):
            before = text[max(0, match.start() - 60) : match.start()]
            if _NOT_TARGET.search(before):
                continue
            hits.append((match.start(), rank, code))
            break
    if not hits:
        return None
    code = min(hits)[2]
    if code == "camp" and weapon in {"gunfire", None}:
        # People shot inside a camp are not an attack on the camp.
        return None
    return code


def fill_perpetrator(
    incident: Incident,
    mention: PartyMention | None,
    hint: str | None,
    weapon: str | None,
    text: str,
) -> None:
    """Perpetrator text and codes; unknown attackers are narrowed by the section heading
    ("Killings by unidentified parties") or by the weapon (a landmine, a bomb, gunfire)."""
    if mention is not None:
        incident.perpetrator = mention.text
        if mention.code == AMBIGUOUS:
            return
        code = mention.code
        if code in UNKNOWN_CODES:
            if hint in UNKNOWN_CODES:
                code = hint
            elif weapon in _WEAPON_UNKNOWN_SUBCATEGORY:
                code = _WEAPON_UNKNOWN_SUBCATEGORY[weapon]
            elif re.search(r"\bexplosions?\b|\bbombings?\b", text, re.I):
                code = "bombing_unknown"
            elif code == "unknown":
                code = "killing_unknown"
        incident.perpetrator_category, incident.perpetrator_subcategory = category_of(code)
        return
    if weapon in {"drowning", "fire"}:
        incident.perpetrator_category, incident.perpetrator_subcategory = category_of(weapon)
        return
    if hint and hint in UNKNOWN_CODES:
        incident.perpetrator_category, incident.perpetrator_subcategory = category_of(hint)
        return
    if weapon in {"landmine", "erw", "ied", "car_bomb"} or re.search(
        r"\bexplosion\b|\bbombing\s+occurred\b", text, re.I
    ):
        code = _WEAPON_UNKNOWN_SUBCATEGORY.get(weapon or "", "bombing_unknown")
        incident.perpetrator_category, incident.perpetrator_subcategory = category_of(code)
        return
    if hint:
        incident.perpetrator_category, incident.perpetrator_subcategory = category_of(hint)

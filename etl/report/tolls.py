"""Report totals (tolls): how many were killed, by whom, in the period the report covers.

Tolls come in a few shapes:

* a documented total: "SNHR documented the deaths of 172 civilians, including 16 children
  and 11 women", optionally "at the hands of X";
* a running total: "bringing the documented death toll ... since the beginning of 2020 ...
  to 1,635" (period: the year);
* a list line under a breakdown: "Landmines of unknown source: 51 civilians, including six
  children and 20 women." or "Syrian regime forces: 16 attacks";
* an explicit zero: "SNHR didn't document any deaths among media workers in November 2020".

The scope (civilians, torture, medical, media, civil_defense, massacres, facility_attacks)
comes from the sentence when it says, otherwise from the section heading above it.
"""

from __future__ import annotations

import re

from etl.report.dates import DAY_DATE, Period
from etl.report.model import EVIDENCE_MAX_CHARS, Toll
from etl.report.numbers import NUMBER, parse_number
from etl.report.parties import AMBIGUOUS, UNKNOWN_CODES, category_of, find_parties
from etl.report.segment import Paragraph, Sentence

_SCOPE_WORDS: list[tuple[str, re.Pattern[str]]] = [
    (
        "facility_attacks",
        re.compile(r"\battacks?\s+on\b[^.]{0,60}\bfacilit", re.I),
    ),
    ("massacres", re.compile(r"\bmassacres?\b", re.I)),
    ("torture", re.compile(r"\btorture\b", re.I)),
    ("civil_defense", re.compile(r"\bcivil\s+defen[cs]e\b", re.I)),
    ("media", re.compile(r"\bmedia\s+(?:workers?|personnel|activists?)\b|\bjournalists?\b", re.I)),
    ("medical", re.compile(r"\bmedical\s+(?:personnel|workers?|staff)\b", re.I)),
]
_UNKNOWN_LABELS: list[tuple[str, re.Pattern[str]]] = [
    ("landmine_unknown", re.compile(r"^\s*landmines?\b", re.I)),
    ("gunfire_unknown", re.compile(r"^\s*gunfire\b", re.I)),
    ("bombing_unknown", re.compile(r"^\s*bombings?\b|^\s*explosions?\b", re.I)),
    ("killing_unknown", re.compile(r"^\s*killings?\s+by\b", re.I)),
    ("drowning", re.compile(r"^\s*drowning\b", re.I)),
    ("other_parties", re.compile(r"^\s*(?:[A-Z]\.\s*)?other\s+parties\b", re.I)),
]
_DOCUMENTED = re.compile(
    rf"\b(?:documented|recorded)\s+(?:in\s+\w+(?:\s+\d{{4}})?\s+)?(?:the\s+)?"
    rf"(?:deaths?|killing|killings)\s+of\s+(?:at\s+least\s+)?(?P<n>{NUMBER})\s+"
    r"(?P<who>civilians?|victims?|individuals?|medical|media|civil|people|persons)",
    re.I,
)
_DOCUMENTED_COUNT = re.compile(
    rf"\b(?:documented|recorded)\s+(?:at\s+least\s+)?(?P<n>{NUMBER})\s+"
    r"(?P<what>massacres?|attacks?)\b",
    re.I,
)
_ZERO = re.compile(
    r"\b(?:didn['’]t|did\s+not|no)\s+(?:document\s+any\s+)?deaths?\s+(?:among|of)\s+"
    r"(?P<who>medical\s+personnel|media\s+workers|civil\s+defen[cs]e\s+personnel)"
    r"|\bdocumented\s+no\s+deaths\s+among\s+(?P<who2>medical\s+personnel|media\s+workers"
    r"|civil\s+defen[cs]e\s+personnel)",
    re.I,
)
_RUNNING = re.compile(
    rf"\bsince\s+the\s+(?:beginning|start)\s+of\s+(?:the\s+year\s+|(?P<year>\d{{4}}))"
    rf"[^.;]{{0,80}}?\bto\s+(?:at\s+least\s+)?(?P<n>{NUMBER})\b",
    re.I,
)
_LIST_LINE = re.compile(r"^(?:[-•➤]\s*)?(?:[A-Z]\.\s*)?(?P<label>[^:]{2,140}):\s*(?P<rest>\S.*)$")
_CHILDREN = re.compile(rf"(?P<n>{NUMBER})\s+(?:female\s+)?child(?:ren)?\b", re.I)
_WOMEN = re.compile(rf"(?P<n>{NUMBER})\s+wom[ae]n\b", re.I)
_HANDS_OF = re.compile(r"\s*,?\s*\b(?:at\s+the\s+hands\s+of|by)\s+(?P<who>[^,.;]{2,80})", re.I)


_MONTH_WORDS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
)
# "1. In 2023", "B. in December 2023": subsections of an annual report.
_PERIOD_HEADING = re.compile(
    rf"^(?:[A-Z0-9]{{1,4}}[.-]\s*)?in\s+(?:(?P<month>{_MONTH_WORDS})\s+)?(?P<year>\d{{4}})\s*:?$",
    re.I,
)
# "In 2023, SNHR documented ...": a sentence that names its own period.
_PERIOD_LEAD = re.compile(
    rf"^(?:In|During)\s+(?:(?P<month>{_MONTH_WORDS}),?\s+)?(?P<year>\d{{4}})\b", re.I
)


def _period_of(match: re.Match[str]) -> str:
    month = match.group("month")
    if not month:
        return match.group("year")
    from etl.report.dates import MONTHS

    return f"{match.group('year')}-{MONTHS[month.lower()]:02d}"


def _scope(text: str, default: str) -> str:
    for scope, pattern in _SCOPE_WORDS:
        if pattern.search(text):
            return scope
    return default


def _party_code(text: str) -> str | None:
    for code, pattern in _UNKNOWN_LABELS:
        if pattern.search(text):
            return code
    if re.search(r"\bparties\s+to\s+the\s+conflict\b|\ball\s+parties\b", text, re.I):
        return "all"
    for mention in find_parties(text):
        if mention.code == AMBIGUOUS:
            return None
        if mention.code in UNKNOWN_CODES:
            continue
        category, subcategory = category_of(mention.code)
        return subcategory or category
    return None


def _breakdown(text: str) -> tuple[int | None, int | None]:
    head = re.split(r"\bdistributed\b|\binjur|\bwound|\bbringing\b", text, maxsplit=1)[0]
    children = _CHILDREN.search(head)
    women = _WOMEN.search(head)
    return (
        parse_number(children.group("n")) if children else None,
        parse_number(women.group("n")) if women else None,
    )


def _evidence(text: str) -> str:
    return text if len(text) <= EVIDENCE_MAX_CHARS else text[: EVIDENCE_MAX_CHARS - 3] + "..."


def _period_label(period: Period | None) -> str | None:
    return period.label if period else None


def extract_tolls(
    paragraphs: list[Paragraph], period: Period | None, warnings: list[str]
) -> list[Toll]:
    """Totals stated in the report, in the ``*.tolls.json`` format."""
    label = _period_label(period)
    if label is None:
        warnings.append("no report period: tolls skipped")
        return []
    tolls: list[Toll] = []
    section_scope = "civilians"
    list_mode = {"massacres": "count"}
    current = [label]  # the period the current subsection speaks of ("1. In 2023")
    last_party = ["all"]
    division: _Division | None = None
    for paragraph in paragraphs:
        text = paragraph.text
        if len(text) > 30_000:
            continue
        if len(text) <= 140 and not text.endswith(".") and not _LIST_LINE.match(text):
            top_level = re.match(r"^(?:[IVX]+|V1)\.\s", text) is not None
            heading_period = _PERIOD_HEADING.match(text)
            if heading_period:
                current[0] = _period_of(heading_period)
            elif top_level:
                current[0] = label
            inherited = "civilians" if top_level or "death toll" in text.lower() else section_scope
            section_scope = _scope(text, inherited)
            if section_scope == "facility_attacks" and re.search(r"\bkillings?\b", text, re.I):
                section_scope = "civilians"
            if re.search(r"civilian", text, re.I):
                section_scope = "civilians"
            if not re.search(
                r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine)\b", text, re.I
            ):
                continue
        for sentence in paragraph.sentences:
            if DAY_DATE.search(sentence.text) and re.search(r"\bOn\s", sentence.text):
                continue  # a dated incident, not a total
            item = _DIVISION_ITEM.match(sentence.text)
            if division is not None and item and parse_number(item.group("n")) is not None:
                division.add(parse_number(item.group("n")) or 0, item.group("what"))
                continue
            if division is not None:
                tolls.extend(division.tolls(current[0]))
                division = None
            line = _LIST_LINE.match(sentence.text)
            if (
                line
                and _DIVIDED.search(line.group("rest"))
                and not re.search(r"\battacks?\b", line.group("rest"), re.I)
                and section_scope in {"medical", "civil_defense"}
            ):
                party = _party_code(line.group("label"))
                if party:
                    division = _Division(party, sentence)
                    continue
            if not _LIST_LINE.match(sentence.text):
                # A list of massacres by party counts massacres, unless the sentence that
                # introduces it speaks of the people they killed.
                list_mode["massacres"] = (
                    "killed"
                    if re.search(
                        r"\bmassacres?\b[^.]{0,120}\b(?:deaths?|killed)\b", sentence.text, re.I
                    )
                    and not _DOCUMENTED_COUNT.search(sentence.text)
                    else "count"
                )
            own = _PERIOD_LEAD.match(sentence.text)
            sentence_label = _period_of(own) if own else current[0]
            new = _sentence_tolls(sentence, sentence_label, section_scope, period, list_mode)
            if new:
                last_party[0] = new[-1].party
            new.extend(_governorate_tolls(sentence, sentence_label, section_scope, last_party[0]))
            tolls.extend(new)
    if division is not None:
        tolls.extend(division.tolls(current[0]))
    return _personnel_totals(_merge(_dedupe(tolls)))


def _sentence_tolls(
    sentence: Sentence,
    label: str,
    section_scope: str,
    period: Period | None,
    list_mode: dict[str, str] | None = None,
) -> list[Toll]:
    text = sentence.text
    found: list[Toll] = []

    def add(
        scope: str,
        party: str,
        killed: int | None = None,
        children: int | None = None,
        women: int | None = None,
        count: int | None = None,
    ) -> None:
        found.append(
            Toll(
                period=label,
                scope=scope,
                party=party,
                killed=killed,
                children=children,
                women=women,
                count=count,
                evidence=_evidence(text),
                span_start=sentence.start,
                span_end=sentence.end,
            )
        )

    zero = _ZERO.search(text)
    if zero:
        who = (zero.group("who") or zero.group("who2") or "").lower()
        scope = (
            "medical"
            if who.startswith("medical")
            else "media"
            if who.startswith("media")
            else "civil_defense"
        )
        add(scope, "all", killed=0)
        return found

    line = _LIST_LINE.match(text)
    if line:
        party = _party_code(line.group("label"))
        number = re.match(
            rf"\s*(?:killed\s+)?(?:at\s+least\s+)?(?P<n>{NUMBER})\b", line.group("rest"), re.I
        )
        if party and number and parse_number(number.group("n")) is not None:
            value = parse_number(number.group("n"))
            rest = line.group("rest")
            scope = _scope(rest, section_scope)
            if re.search(r"\battacks?\b", rest, re.I):
                scope = "facility_attacks"
            elif _PROFESSION.search(rest):
                scope = "civil_defense" if re.search(r"civil\s+defen", rest, re.I) else "medical"
                if re.search(r"\(an?\s+woman\)", rest, re.I):
                    add(scope, party, killed=value, women=1)
                    return found
            children, women = _breakdown(rest)
            if scope == "massacres" and (list_mode or {}).get("massacres") == "killed":
                add("massacres", party, killed=value, children=children, women=women)
            elif scope in {"massacres", "facility_attacks"} or re.search(
                r"^\s*\S+\s+(?:attacks?|massacres?)\b", rest, re.I
            ):
                add(
                    scope if scope in {"massacres", "facility_attacks"} else section_scope,
                    party,
                    count=value,
                )
            else:
                add(scope, party, killed=value, children=children, women=women)
            return found

    documented = _DOCUMENTED.search(text)
    if documented and parse_number(documented.group("n")) is not None:
        value = parse_number(documented.group("n"))
        after = text[documented.end() :]
        hands = _HANDS_OF.search(after)
        party = _party_code(hands.group("who")) if hands else None
        scope = _scope(text[: documented.end() + 60], section_scope)
        children, women = _breakdown(after)
        add(scope, party or "all", killed=value, children=children, women=women)

    massacre_dead = _MASSACRE_DEATHS.search(text)
    if massacre_dead and parse_number(massacre_dead.group("n")) is not None:
        children, women = _breakdown(text[massacre_dead.end() :])
        hands = _HANDS_OF.match(text, massacre_dead.end())
        party = (_party_code(hands.group("who")) if hands else None) or "all"
        add(
            "massacres",
            party,
            killed=parse_number(massacre_dead.group("n")),
            children=children,
            women=women,
        )

    count = _DOCUMENTED_COUNT.search(text)
    if count and parse_number(count.group("n")) is not None:
        what = count.group("what").lower()
        scope = "massacres" if what.startswith("massacre") else "facility_attacks"
        running_year = re.search(r"\bsince\s+the\s+(?:beginning|start)\s+of\s+(\d{4})", text)
        toll_period = (
            running_year.group(1)
            if running_year and text.find(running_year.group(0)) < count.end() + 30
            else label
        )
        clause = re.split(r",|\bincluding\b", text[count.end() :], maxsplit=1)[0]
        hands = _HANDS_OF.search(clause)
        party = (_party_code(hands.group("who")) if hands else None) or "all"
        add(scope, party, count=parse_number(count.group("n")))
        found[-1].period = toll_period
        within = _INCLUDING_IN_MONTH.search(text, count.end())
        if toll_period != label and within and parse_number(within.group("n")) is not None:
            add(scope, party, count=parse_number(within.group("n")))

    running = _RUNNING.search(text)
    if running and parse_number(running.group("n")) is not None:
        year = running.group("year") or (str(period.year) if period else label[:4])
        scope = _scope(text, section_scope)
        party = "landmine_unknown" if re.search(r"\blandmines?\b", text, re.I) else "all"
        children, women = _breakdown(text[running.end() :])
        found.append(
            Toll(
                period=year,
                scope=scope if scope != "massacres" else "civilians",
                party=party,
                killed=parse_number(running.group("n")),
                children=children,
                women=None,
                evidence=_evidence(text),
                span_start=sentence.start,
                span_end=sentence.end,
            )
        )
    return found


_MASSACRE_DEATHS = re.compile(
    rf"\bmassacres?\b[^.]{{0,120}}?\bresult(?:ed|ing)\s+in\s+the\s+deaths\s+of\s+"
    rf"(?:at\s+least\s+)?(?P<n>{NUMBER})\s+civilians",
    re.I,
)
_INCLUDING_IN_MONTH = re.compile(rf"\bincluding\s+(?P<n>{NUMBER})\s+massacres?\s+in\s+[A-Z]", re.I)
_GOV_SHARE = re.compile(
    rf"(?P<n>{NUMBER})(?:\s+of\s+the\s+{NUMBER})?(?:\s+(?:civilians|victims|people))?"
    r"(?:\s+(?:were|was)\s+killed)?"
    r"(?P<each>\s+each)?\s+(?:were\s+killed\s+)?in\s+(?:the\s+governorates?\s+of\s+)?"
    r"(?P<govs>[A-Z][\w' -]*?(?:\s+and\s+[A-Z][\w' -]*?)?)(?:\s+governorate)?(?=[,.;]|$)",
)


def _governorate_tolls(
    sentence: Sentence, label: str, section_scope: str, party: str
) -> list[Toll]:
    """ "five were killed in Idlib governorate, two each in the governorates of Daraa and
    Homs": one toll per governorate, for the party the sentence (or the last total) names."""
    from etl.report.places import governorate_name

    text = sentence.text
    if len(re.findall(r"\bgovernorate", text, re.I)) < 1 or "percent" in text.lower():
        return []
    hands = re.search(r"\bkilled\s+by\s+(?P<who>[^,.;:]{2,60}?)\s+in\s+various", text)
    if hands:
        party = _party_code(hands.group("who")) or party
    found: list[Toll] = []
    for match in _GOV_SHARE.finditer(text):
        value = parse_number(match.group("n"))
        if value is None:
            continue
        names = re.split(r"\s+and\s+", match.group("govs"))
        governorates = [governorate_name(name) for name in names]
        if not all(governorates):
            continue
        for governorate in governorates:
            found.append(
                Toll(
                    period=label,
                    scope=section_scope,
                    party=party,
                    governorate=governorate,
                    killed=value,
                    evidence=_evidence(text),
                    span_start=sentence.start,
                    span_end=sentence.end,
                )
            )
    return found if len(found) >= 2 else []


def _merge(tolls: list[Toll]) -> list[Toll]:
    """A count-only and a killed-only record of the same total are one record."""
    merged: list[Toll] = []
    for toll in tolls:
        twin = next(
            (
                kept
                for kept in merged
                if (kept.period, kept.scope, kept.party, kept.governorate)
                == (toll.period, toll.scope, toll.party, toll.governorate)
                and (kept.count is None) != (toll.count is None)
                and (kept.killed is None) != (toll.killed is None)
            ),
            None,
        )
        if twin is None:
            merged.append(toll)
            continue
        twin.count = twin.count if twin.count is not None else toll.count
        if twin.killed is None:
            twin.killed, twin.children, twin.women = toll.killed, toll.children, toll.women
    return merged


_PROFESSION = re.compile(
    r"\b(?:doctors?|nurses?|paramedics?|pharmacists?|dentists?|medical\s+(?:personnel|workers?)"
    r"|civil\s+defen[cs]e\s+(?:personnel|workers?|members?|volunteers?))\b",
    re.I,
)
_DIVIDED = re.compile(r"\bdivided\s+into:?\s*$", re.I)
_DIVISION_ITEM = re.compile(rf"^[-•]\s*(?P<n>{NUMBER})\s+(?P<what>.+)$", re.I)


class _Division:
    """ "Syrian regime forces: five, divided into: - One nurse - One civil defense member":
    one party's dead split by profession into medical and civil-defense tolls."""

    def __init__(self, party: str, sentence: Sentence) -> None:
        self.party = party
        self.sentence = sentence
        self.killed = {"medical": 0, "civil_defense": 0}
        self.women = {"medical": 0, "civil_defense": 0}
        self.evidence = sentence.text

    def add(self, value: int, what: str) -> None:
        scope = "civil_defense" if re.search(r"civil\s+defen", what, re.I) else "medical"
        self.killed[scope] += value
        if re.search(r"\bwom[ae]n\b", what, re.I):
            self.women[scope] += value if re.search(r"\bwomen\b", what, re.I) else 1
        self.evidence = f"{self.evidence} - {value} {what}"

    def tolls(self, label: str) -> list[Toll]:
        return [
            Toll(
                period=label,
                scope=scope,
                party=self.party,
                killed=killed,
                women=self.women[scope] or None,
                evidence=_evidence(self.evidence),
                span_start=self.sentence.start,
                span_end=self.sentence.end,
            )
            for scope, killed in self.killed.items()
            if killed
        ]


def _personnel_totals(tolls: list[Toll]) -> list[Toll]:
    """When a report gives one total for medical and civil-defense personnel together ("the
    killing of nine medical personnel and civil defense personnel, as follows"), the totals
    per profession are the sums of the parties' tolls below it."""
    mixed = [
        t
        for t in tolls
        if t.party == "all"
        and t.scope in {"medical", "civil_defense"}
        and re.search(r"medical", t.evidence, re.I)
        and re.search(r"civil\s+defen", t.evidence, re.I)
    ]
    if not mixed:
        return tolls
    kept = [t for t in tolls if t not in mixed]
    for scope in ("medical", "civil_defense"):
        parts = [
            t for t in kept if t.scope == scope and t.party != "all" and t.period == mixed[0].period
        ]
        if not parts:
            continue
        women = sum(t.women or 0 for t in parts)
        kept.append(
            Toll(
                period=mixed[0].period,
                scope=scope,
                party="all",
                killed=sum(t.killed or 0 for t in parts),
                women=women or None,
                evidence=mixed[0].evidence,
                span_start=mixed[0].span_start,
                span_end=mixed[0].span_end,
            )
        )
    return kept


def _dedupe(tolls: list[Toll]) -> list[Toll]:
    seen: set[tuple[object, ...]] = set()
    unique: list[Toll] = []
    for toll in tolls:
        key = (toll.period, toll.scope, toll.party, toll.governorate, toll.killed, toll.count)
        if key in seen:
            continue
        seen.add(key)
        unique.append(toll)
    return unique

"""Assemble incidents from a report's paragraphs.

An incident is anchored on a sentence that dates harm to a day ("On Friday, March 12, 2021,
a landmine ... exploded"). The first anchor of a paragraph is its main incident and owns the
paragraph's other sentences (the victim's introduction before it, the damage and the
control statement after it); later anchors in the same paragraph ("Also, the hospital was
damaged by airstrikes ... on Sunday, January 21") are incidents of their own that inherit
what they do not say (place, attacker) from the main one.

Fields are filled from the nearest text that states them: the anchor sentence, then the
rest of the incident's text, then the introduction, then the section heading (reports
group incidents under headings such as "Killings by unidentified parties"). The readings
themselves (weapon, attacker, facility, victims' work) live in ``etl.report.classify``, and
the choice and resolution of the place in ``etl.report.locate``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from etl.report.classify import (
    facility_of,
    fill_perpetrator,
    heading_party,
    perpetrator_in,
    victim_categories_of,
    weapon_of,
)
from etl.report.dates import (
    SAME_DAY,
    DateMention,
    Period,
    death_date,
    find_dates,
    find_month_anchor,
    find_time,
    is_context_date,
)
from etl.report.locate import (
    INTERCHANGE_PRECISION,
    PlaceMemory,
    fill_place,
    pick_place,
    place_key,
)
from etl.report.model import EVIDENCE_MAX_CHARS, ControlObservation, Incident, ReviewItem
from etl.report.numbers import Counts, extract_counts, mentions_massacre
from etl.report.parties import (
    find_control_statements,
)
from etl.report.places import (
    PlaceMention,
    context_after,
    find_governorates,
    find_places,
    gazetteer_available,
    governorate_name,
    resolve_place,
)
from etl.report.segment import Paragraph, Sentence

HARM = re.compile(
    r"\b(?:killed|killing|kill|died|dying|death|deaths|dead|shot|injur\w*|wound\w*|explo\w+"
    r"|fired|shell\w*|bomb\w*|airstrikes?|targeted|targeting|struck|damaged|destroyed|drown\w*"
    r"|massacre|tortur\w*|burned|attack\w*|detonated|capsized)\b",
    re.IGNORECASE,
)
_CAPTION_END = re.compile(
    r"[-–—]\s*(?:\w+\s+)?(?:January|February|March|April|May|June|July|August|September"
    r"|October|November|December)\s+\d{1,2},\s+\d{4}\s*(?:©.*)?$"
)
_QUOTE_START = re.compile(r"^[\"“‘«]")
_CIVIL_REGISTRY = re.compile(
    r"\bregistered\b[^.]{0,60}\b(?:civil\s+registry|records)\b", re.IGNORECASE
)
_KILL_WORDS = re.compile(
    r"\b(?:killed|killing|died|dying|death|dead|drowned|massacre|shot\s+dead|tortured\s+to\s+death)\b",
    re.IGNORECASE,
)
_REFERS_BACK = re.compile(r"\bthe\s+same\s+(?:warplanes|forces|aircraft|artillery|party)\b", re.I)
# A month-dated sentence is an incident only when it narrates one event ("a landmine
# exploded in X village"), not when it sums up the month ("we documented the deaths of ...").
_MONTH_INCIDENT = re.compile(
    r"\b(?:an?|one)\s+(?:[\w-]+\s+){0,3}(?:exploded|was\s+killed|was\s+shot|struck|hit|targeted"
    r"|fired|shelled|detonated)\b|\b(?:exploded|detonated)\b",
    re.I,
)
_TOLL_WORDS = re.compile(
    r"\b(?:documented|recorded|death\s+toll|percent|%|distributed|bringing|total)\b", re.I
)
_NUMBERED_HEADING = re.compile(r"^(?:[-•➤]\s*)?(?:[A-Z]|[IVX]+|\d{1,2})\s*[.)]\s+\S")
_PUBLICATION = re.compile(
    r"\b(?:issued|published|released|launched)\s+(?:a|an|its|our|the|their)\s+"
    r"(?:[\w-]+\s+){0,2}(?:report|statement|briefing|appeal|press\s+release)\b",
    re.I,
)
# "In total, 111 refugees were killed ... between September 23 and ...": a sum over a span
# of days is a toll, not an incident.
_SUMMED = re.compile(
    r"^\s*In\s+total\b|\bbetween\s+(?:[A-Z][a-z]+\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]+)\b"
    r"[^.;]{0,40}?\band\s+(?:[A-Z][a-z]+\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]+|the\s+end)",
)
_SAME_ATTACK_MASSACRE = re.compile(
    r"\b(?:the\s+same|this|that)\s+(?:attack|bombing|shelling|strike|airstrike)\s+"
    r"(?:also\s+)?(?:resulted\s+in|caused|led\s+to)\s+a\s+massacre\b",
    re.I,
)


# Report paragraphs are a few thousand characters; a far longer one is a table dump or
# junk, and reading it as prose would only cost time (several passes are per-sentence).
MAX_PARAGRAPH_CHARS = 30_000
MAX_ANCHORS_PER_PARAGRAPH = 40


@dataclass
class SectionState:
    """What the headings above the current paragraph say about the incidents under them."""

    party_code: str | None = None
    weapon: str | None = None


def is_heading(paragraph: Paragraph) -> bool:
    text = paragraph.text.strip()
    if len(text) <= 120 and not text.endswith((".", "”", '"')) and not find_dates(text, None):
        return True
    if text.endswith(":"):
        return True
    return bool(_NUMBERED_HEADING.match(text) and len(text) <= 120)


def _skip_paragraph(paragraph: Paragraph) -> bool:
    text = paragraph.text
    if _QUOTE_START.match(text) or text.startswith(("↑", "👁")):
        return True
    return bool(len(text) < 400 and _CAPTION_END.search(text))


@dataclass
class Anchor:
    sentence: Sentence
    date: DateMention
    secondary: bool


def find_anchors(paragraph: Paragraph, period: Period | None) -> list[Anchor]:
    """Sentences that date harm: day dates (not arrests or publications), a "same day"
    massacre aside, or a month-dated sentence narrating one event at a named place."""
    anchors: list[Anchor] = []
    for sentence in paragraph.sentences:
        dates = [
            d for d in find_dates(sentence.text, period) if not is_context_date(sentence.text, d)
        ]
        if dates and (_PUBLICATION.search(sentence.text) or _SUMMED.search(sentence.text)):
            # "On May 3, SNHR issued a report on the killing of ...": the date is the
            # report's, the harm is told elsewhere.
            continue
        if dates:
            chosen = death_date(sentence.text, period) or dates[0]
            anchors.append(Anchor(sentence, chosen, secondary=bool(anchors)))
            continue
        if anchors and SAME_DAY.search(sentence.text) and mentions_massacre(sentence.text):
            anchors.append(Anchor(sentence, anchors[0].date, secondary=True))
            continue
        month = find_month_anchor(sentence.text)
        if (
            month
            and _MONTH_INCIDENT.search(sentence.text)
            and not _TOLL_WORDS.search(sentence.text)
            and any(m.role == "harm" and m.type_word for m in find_places(sentence.text))
        ):
            anchors.append(Anchor(sentence, month, secondary=bool(anchors)))
    return anchors


def _sentences_text(sentences: list[Sentence]) -> str:
    return " ".join(s.text for s in sentences)


def build_incidents(
    paragraphs: list[Paragraph],
    period: Period | None,
    source_name: str | None,
    review: list[ReviewItem],
    observations: list[ControlObservation],
    warnings: list[str],
) -> list[Incident]:
    section = SectionState()
    memory = PlaceMemory()
    # First pass: what the report says about places anywhere (context, control).
    for position, paragraph in enumerate(paragraphs):
        if len(paragraph.text) <= MAX_PARAGRAPH_CHARS:
            _remember_places(position, paragraph, memory, period, observations)

    incidents: list[Incident] = []
    sections: dict[int, int] = {}
    section_number = 0
    previous_text = ""
    last_primary: Incident | None = None
    for position, paragraph in enumerate(paragraphs):
        if _skip_paragraph(paragraph):
            continue
        if len(paragraph.text) > MAX_PARAGRAPH_CHARS:
            review.append(
                ReviewItem(
                    reason=f"paragraph of {len(paragraph.text)} characters is too long to read as "
                    "prose",
                    text=paragraph.text[:500],
                    span_start=paragraph.start,
                    span_end=paragraph.end,
                )
            )
            continue
        anchors = find_anchors(paragraph, period)[:MAX_ANCHORS_PER_PARAGRAPH]
        if not anchors:
            if is_heading(paragraph):
                section_number += 1
                last = paragraph.sentences[-1].text if paragraph.sentences else paragraph.text
                heading_text = last if len(paragraph.text) > 120 else paragraph.text
                section.party_code = heading_party(heading_text)
                section.weapon = (
                    "torture" if re.search(r"\btorture\b", heading_text, re.I) else None
                )
                previous_text = ""
            else:
                previous_text = paragraph.text
                if last_primary is not None and _SAME_ATTACK_MASSACRE.search(paragraph.text):
                    # A witness paragraph right after an incident: "the same attack resulted
                    # in a massacre".
                    last_primary.massacre = True
                last_primary = None
            continue
        primary: Incident | None = None
        secondary_sentences = {id(a.sentence) for a in anchors if a.secondary}
        for anchor in anchors:
            index = paragraph.sentences.index(anchor.sentence)
            intro = list(paragraph.sentences[:index]) if not anchor.secondary else []
            if anchor.secondary:
                following: list[Sentence] = []
            else:
                following = [
                    s for s in paragraph.sentences[index + 1 :] if id(s) not in secondary_sentences
                ]
            incident_text = _sentences_text([anchor.sentence, *following])
            if not HARM.search(incident_text):
                continue
            if _CIVIL_REGISTRY.search(anchor.sentence.text):
                review.append(
                    _review(
                        "death known only from a civil-registry entry; no place or "
                        "date of death stated",
                        anchor.sentence,
                    )
                )
                continue
            incident = _build_one(
                anchor,
                intro,
                following,
                paragraph,
                section,
                memory,
                source_name,
                primary if anchor.secondary else None,
                previous_text if index == 0 and not anchor.secondary else "",
                position,
            )
            if isinstance(incident, str):
                review.append(_review(incident, anchor.sentence))
                continue
            parts = [] if anchor.secondary else _split_by_place(incident, anchor, following)
            for part in parts or [incident]:
                incidents.append(part)
                sections[id(part)] = section_number
            if not anchor.secondary:
                primary = incident
        previous_text = ""
        last_primary = primary
    merged = _merge_duplicates(incidents, sections)
    if len(merged) < len(incidents):
        warnings.append(f"merged {len(incidents) - len(merged)} repeated incident(s)")
    if merged and not gazetteer_available():
        warnings.append("gazetteer unavailable: place codes and coordinates left null")
    for incident in merged:
        if incident.governorate is None and incident.location_precision != "country":
            review.append(
                ReviewItem(
                    reason=f"place {incident.place_text!r} could not be located in a governorate",
                    text=incident.evidence,
                    span_start=incident.span_start,
                    span_end=incident.span_end,
                )
            )
    for paragraph in paragraphs:
        for match in re.finditer(
            r"\b([A-Z][\w'’-]+(?:[- ][A-Z][\w'’-]+)?)\s+governorate\b",
            paragraph.text[:MAX_PARAGRAPH_CHARS],
        ):
            if governorate_name(match.group(1)) is None and match.group(1).lower() not in {
                "the",
                "each",
                "every",
                "which",
                "a",
                "this",
                "that",
                "one",
            }:
                warnings.append(f"unknown governorate {match.group(1)!r}; left null")
    return merged


_SUB_PLACE_TYPES = frozenset({"neighborhood", "neighbourhood", "village", "town", "camp"})


def _split_by_place(
    incident: Incident, anchor: Anchor, following: list[Sentence]
) -> list[Incident]:
    """One attack told as several places each with its own dead ("The rockets hit X
    neighborhood, killing three ... Regime forces also targeted Y neighborhood, killing two")
    is one incident per place. Only when the dated sentence itself counts no dead."""
    if extract_counts(anchor.sentence.text).killed_total is not None:
        return []
    parts: list[tuple[Sentence, PlaceMention]] = []
    for sentence in following:
        if find_dates(sentence.text, None):
            break
        places = [
            m
            for m in find_places(sentence.text)
            if m.role == "harm" and (m.type_word or "").lower() in _SUB_PLACE_TYPES
        ]
        if places and extract_counts(sentence.text).killed_total is not None:
            parts.append((sentence, places[0]))
    if len(parts) < 2:
        return []
    split: list[Incident] = []
    for sentence, mention in parts:
        counts = extract_counts(sentence.text)
        context = ", ".join(x for x in (incident.place_text, incident.place_context) if x)
        part = replace(
            incident,
            place_text=mention.text,
            place_context=context or None,
            killed_total=counts.killed_total,
            killed_children=counts.killed_children,
            killed_women=counts.killed_women,
            injured=counts.injured,
            massacre=bool(counts.killed_total and counts.killed_total >= 5),
            victim_categories=list(incident.victim_categories),
            controlling_force_categories=list(incident.controlling_force_categories),
            evidence=_evidence(sentence.text),
            span_start=sentence.start,
            span_end=sentence.end,
        )
        resolution = resolve_place(
            mention.text, " ".join(x for x in (context, incident.governorate) if x) or None
        )
        if resolution.resolved and governorate_name(resolution.governorate) in (
            None,
            incident.governorate,
        ):
            part.place_pcode, part.lat, part.lon = resolution.pcode, resolution.lat, resolution.lon
            part.location_precision = INTERCHANGE_PRECISION.get(
                resolution.location_precision or "", part.location_precision
            )
        split.append(part)
    return split


def _evidence(text: str) -> str:
    if len(text) <= EVIDENCE_MAX_CHARS:
        return text
    return text[: EVIDENCE_MAX_CHARS - 3].rstrip() + "..."


def _review(reason: str, sentence: Sentence) -> ReviewItem:
    return ReviewItem(
        reason=reason, text=sentence.text[:500], span_start=sentence.start, span_end=sentence.end
    )


def _remember_places(
    position: int,
    paragraph: Paragraph,
    memory: PlaceMemory,
    period: Period | None,
    observations: list[ControlObservation],
) -> None:
    for sentence in paragraph.sentences:
        places = find_places(sentence.text)
        for mention in places:
            key = place_key(mention.name)
            context = context_after(sentence.text, mention.end)
            if context and key not in memory.context:
                memory.context[key] = context
                governorates = find_governorates(context)
                if governorates:
                    memory.governorate.setdefault(key, governorates[0].name)
        statements = find_control_statements(sentence.text)
        if not statements:
            continue
        dates = find_dates(sentence.text, period) or find_dates(paragraph.text, period)
        for statement in statements:
            before = [p for p in places if p.end <= statement.start]
            subject = before[-1] if before else None
            if subject is None:
                # "The area was under the control of X" closes an incident's paragraph: the
                # area is where the harm happened, else the last place named before.
                earlier = find_places(paragraph.text[: paragraph.text.find(sentence.text)])
                harm = [p for p in earlier if p.role == "harm" and p.type_word]
                subject = harm[0] if harm else (earlier[-1] if earlier else None)
            if subject is not None:
                memory.control.setdefault(place_key(subject.name), (position, statement))
            span = paragraph.original_span(
                sentence.local_start + statement.start, sentence.local_start + statement.end
            )
            observations.append(
                ControlObservation(
                    date=dates[0].value if dates else (period.label if period else None),
                    place_text=subject.text if subject else None,
                    governorate=(
                        memory.governorate.get(place_key(subject.name)) if subject else None
                    )
                    or next(iter(g.name for g in find_governorates(sentence.text)), None),
                    force_text=statement.force_text,
                    force_categories=list(statement.codes),
                    span_start=span[0],
                    span_end=span[1],
                )
            )


def _build_one(
    anchor: Anchor,
    intro: list[Sentence],
    following: list[Sentence],
    paragraph: Paragraph,
    section: SectionState,
    memory: PlaceMemory,
    source_name: str | None,
    primary: Incident | None,
    previous_text: str,
    position: int,
) -> Incident | str:
    """The incident an anchor states, or the reason it cannot be one (for review)."""
    anchor_text = anchor.sentence.text
    following_text = _sentences_text(following)
    intro_text = _sentences_text(intro) or previous_text
    incident_text = " ".join(t for t in (anchor_text, following_text) if t)

    weapon = weapon_of(anchor_text) or weapon_of(following_text)
    if weapon is None and primary is not None:
        weapon = primary.weapon if _REFERS_BACK.search(anchor_text) else None
    if weapon is None and section.weapon and _KILL_WORDS.search(incident_text):
        weapon = section.weapon

    mention, found_in = pick_place(anchor_text, following_text, intro_text, weapon)
    incident = Incident(
        date=anchor.date.value,
        date_precision=anchor.date.precision,
        place_text="",
        source_name=source_name,
    )
    if mention is None:
        if primary is None:
            return "dated harm but no place could be identified"
        incident = replace(
            primary,
            date=anchor.date.value,
            date_precision=anchor.date.precision,
            victim_categories=[],
            controlling_force=None,
            controlling_force_categories=[],
            killed_total=None,
            killed_children=None,
            killed_women=None,
            injured=None,
            massacre=False,
            facility=None,
            time=None,
        )
    else:
        if (
            (mention.role != "harm" or found_in != anchor_text)
            and death_date(anchor_text, None) is not None
            and anchor.date.precision == "year"
        ):
            return "death date known only as a year and no place of death stated"
        fill_place(incident, mention, found_in, paragraph.text, memory)

    incident.time = find_time(anchor_text)
    incident.weapon = weapon

    # Attacker.
    perpetrator = perpetrator_in([anchor_text])
    if perpetrator is None and primary is not None and _REFERS_BACK.search(anchor_text):
        incident.perpetrator = primary.perpetrator
        incident.perpetrator_category = primary.perpetrator_category
        incident.perpetrator_subcategory = primary.perpetrator_subcategory
    else:
        if perpetrator is None:
            earlier = [s.text for s in intro] if intro else [previous_text]
            perpetrator = perpetrator_in([*reversed(earlier), following_text])
        fill_perpetrator(incident, perpetrator, section.party_code, weapon, incident_text)

    # Casualties.
    counts = extract_counts(anchor_text)
    if counts.killed_total is None and following_text:
        more = extract_counts(following_text)
        counts.killed_total = more.killed_total
        counts.killed_children = more.killed_children
        counts.killed_women = more.killed_women
        counts.injured = counts.injured if counts.injured is not None else more.injured
    elif counts.injured is None and following_text:
        counts.injured = extract_counts(following_text).injured
    if (
        counts.killed_total == 1
        and counts.killed_children is None
        and counts.killed_women is None
        and intro_text
    ):
        _victim_from_intro(intro_text, anchor_text, counts)
    if counts.killed_total is None and weapon == "torture":
        counts.killed_total = 1  # a death in detention is one person's
    incident.killed_total = counts.killed_total
    incident.killed_children = counts.killed_children
    incident.killed_women = counts.killed_women
    incident.injured = counts.injured
    incident.massacre = bool(
        (counts.killed_total is not None and counts.killed_total >= 5)
        or mentions_massacre(incident_text)
    )

    if _KILL_WORDS.search(incident_text):
        incident.victim_categories = victim_categories_of(" ".join((intro_text, incident_text)))
    if SAME_DAY.search(anchor_text):
        facility = None  # a separate attack recalled in passing; what it hit is not stated
    else:
        facility = facility_of(incident_text, weapon)
        if facility is None and primary is not None:
            facility = primary.facility
    incident.facility = facility

    statements = find_control_statements(incident_text)
    if not statements and mention is not None and not anchor.secondary:
        remembered = memory.control.get(place_key(mention.name))
        # Only a statement made before the incident is told carries over to it.
        statements = [remembered[1]] if remembered and remembered[0] < position else []
    if statements:
        incident.controlling_force = re.sub(
            r"^(?:which\s+|that\s+)?(?:is|was|were|are|being)\s+", "", statements[0].text
        )
        incident.controlling_force_categories = list(statements[0].codes)

    evidence = anchor_text
    if len(evidence) > EVIDENCE_MAX_CHARS:
        evidence = evidence[: EVIDENCE_MAX_CHARS - 3].rstrip() + "..."
    incident.evidence = evidence
    incident.span_start, incident.span_end = anchor.sentence.start, anchor.sentence.end
    return incident


def _victim_from_intro(intro: str, anchor_text: str, counts: Counts) -> None:
    """A lone victim introduced before the dated sentence ("X, a 15-year-old boy ...")."""
    child = re.search(r"\b(?:child|boy|girl|baby|infant|(?:1[0-7]|[1-9])-year-old)\b", intro, re.I)
    if child:
        counts.killed_children = 1
        return
    if re.search(r"\b(?:she|her|woman|Ms\.|Mrs\.|female)\b", " ".join((intro, anchor_text)), re.I):
        counts.killed_women = 1


def _merge_duplicates(incidents: list[Incident], sections: dict[int, int]) -> list[Incident]:
    """One incident told twice (in the summary and again in its section) becomes one.

    Within one section, two records of the same day and place are two incidents (two bodies
    found in the same camp on the same day), so only repeats across sections merge.
    """
    merged: list[Incident] = []
    for incident in incidents:
        twin = next(
            (
                kept
                for kept in merged
                if sections.get(id(kept)) != sections.get(id(incident))
                and kept.date == incident.date
                and place_key(kept.place_text) == place_key(incident.place_text)
                and (
                    kept.weapon is None or incident.weapon is None or kept.weapon == incident.weapon
                )
                and (
                    kept.perpetrator_category is None
                    or incident.perpetrator_category is None
                    or kept.perpetrator_category == incident.perpetrator_category
                )
            ),
            None,
        )
        if twin is None:
            merged.append(incident)
            continue
        for category in incident.victim_categories:
            if category not in twin.victim_categories:
                twin.victim_categories.append(category)
        for name in (
            "time",
            "place_context",
            "governorate",
            "admin1_pcode",
            "place_pcode",
            "lat",
            "lon",
            "perpetrator",
            "perpetrator_category",
            "perpetrator_subcategory",
            "weapon",
            "killed_total",
            "killed_children",
            "killed_women",
            "injured",
            "facility",
            "controlling_force",
        ):
            if getattr(twin, name) is None and getattr(incident, name) is not None:
                setattr(twin, name, getattr(incident, name))
        if not twin.controlling_force_categories:
            twin.controlling_force_categories = list(incident.controlling_force_categories)
        twin.massacre = twin.massacre or incident.massacre
    return merged

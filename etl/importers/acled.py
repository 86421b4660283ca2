"""ACLED exports (CSV) -> interchange records.

Columns used: event_date, event_type, sub_event_type, actor1, admin1, admin2, admin3,
location, latitude, longitude, geo_precision, fatalities, notes, source (and country, when
present, to skip rows outside Syria). ACLED's fatalities count everyone killed, fighters
included, so killed_total is an upper bound for civilians; the source line says so.

Actor names go through ACLED-specific lookups first (zavod style: phrases -> party code),
then through the shared party taxonomy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from etl.importers.record import ImportProblem, ImportResult, RowError, build_record
from etl.inputs import InputFileError, read_csv, read_text_file
from etl.report.parties import AMBIGUOUS, UNKNOWN_CODES, category_of, find_parties

REQUIRED_COLUMNS = (
    "event_date",
    "sub_event_type",
    "actor1",
    "admin1",
    "location",
    "latitude",
    "longitude",
    "fatalities",
)

ACLED_ACTOR_LOOKUPS: list[tuple[str, re.Pattern[str]]] = [
    (code, re.compile(pattern, re.IGNORECASE))
    for code, pattern in [
        ("turkish_border_guards", r"Gendarmerie|Jandarma|Border\s+Guard.*Turkey"),
        (
            "syrian_regime",
            r"(?:Military|Police)\s+Forces\s+of\s+Syria|NDF|National\s+Defen[cs]e"
            r"\s+Forces|Militia\s+\(Pro-Government\)|Pro-Government",
        ),
        ("russian_forces", r"Military\s+Forces\s+of\s+Russia|Wagner"),
        ("turkish_forces", r"Military\s+Forces\s+of\s+Turkey"),
        ("israeli_forces", r"Military\s+Forces\s+of\s+Israel"),
        ("jordanian_forces", r"Military\s+Forces\s+of\s+Jordan"),
        ("lebanese_forces", r"Military\s+Forces\s+of\s+Lebanon"),
        (
            "iranian_militias",
            r"Military\s+Forces\s+of\s+Iran|Hezbollah|IRGC|Fatemiyoun"
            r"|Zainabiyoun",
        ),
        (
            "international_coalition",
            r"Military\s+Forces\s+of\s+the\s+United\s+States"
            r"|Operation\s+Inherent\s+Resolve|Global\s+Coalition",
        ),
        ("isis", r"Islamic\s+State"),
        ("hts", r"Hayat\s+Tahrir\s+al[- ]Sham|\bHTS\b"),
        ("sdf", r"\bSDF\b|Syrian\s+Democratic\s+Forces|\bYPG\b|\bYPJ\b|Asayish"),
        (
            "armed_opposition_sna",
            r"Syrian\s+National\s+Army|\bSNA\b|National\s+Liberation\s+Front"
            r"|Opposition\s+Rebels|Free\s+Syrian\s+Army",
        ),
        ("unknown", r"Unidentified\s+(?:Armed\s+Group|Military\s+Forces)"),
    ]
]
_PRECISION = {"1": "community", "2": "district", "3": "governorate"}


def actor_code(actor: str) -> str | None:
    for code, pattern in ACLED_ACTOR_LOOKUPS:
        if pattern.search(actor):
            return code
    for mention in find_parties(actor):
        if mention.code != AMBIGUOUS:
            return mention.code
    return None


def weapon_for(sub_event_type: str, notes: str) -> str | None:
    sub = sub_event_type.lower()
    text = notes.lower()
    if "air/drone strike" in sub:
        return "airstrike"
    if "shelling" in sub or "artillery" in sub or "missile" in sub:
        if "rocket" in text:
            return "rocket"
        if "missile" in text:
            return "missile"
        return "artillery"
    if "landmine" in sub or "remote explosive" in sub or "suicide" in sub:
        if re.search(r"\bland\s?mines?\b|\bmine\b", text):
            return "landmine"
        if re.search(r"remnants?|unexploded|\buxo\b|\berw\b", text):
            return "erw"
        if re.search(r"car bomb|vbied|booby-trapped (?:car|vehicle)", text):
            return "car_bomb"
        return "ied"
    if "grenade" in sub:
        return "other"
    if "armed clash" in sub or sub == "attack" or "excessive force" in sub:
        return "gunfire"
    return None


def _unknown_subcategory(weapon: str | None) -> str:
    return {
        "landmine": "landmine_unknown",
        "erw": "bombing_unknown",
        "ied": "bombing_unknown",
        "car_bomb": "bombing_unknown",
        "gunfire": "gunfire_unknown",
    }.get(weapon or "", "killing_unknown")


def _values(row: dict[str, str]) -> dict[str, Any]:
    notes = (row.get("notes") or "").strip()
    weapon = weapon_for(row.get("sub_event_type") or "", notes)
    actor = (row.get("actor1") or "").strip()
    code = actor_code(actor) if actor else None
    category = subcategory = None
    if code in UNKNOWN_CODES:
        category, subcategory = "other_parties", _unknown_subcategory(weapon)
    elif code:
        category, subcategory = category_of(code)
    context = ", ".join(
        part
        for part in ((row.get("admin3") or "").strip(), (row.get("admin2") or "").strip())
        if part
    )
    source = (row.get("source") or "").strip()
    evidence = (
        notes
        if not source
        else f"{notes} [ACLED; source: {source}; fatalities may include combatants]"
    )
    return {
        "date": (row.get("event_date") or "").strip(),
        "place_text": (row.get("location") or "").strip(),
        "place_context": context or None,
        "governorate": row.get("admin1"),
        "lat": row.get("latitude"),
        "lon": row.get("longitude"),
        "location_precision": _PRECISION.get((row.get("geo_precision") or "").strip()),
        "perpetrator": actor or None,
        "perpetrator_category": category,
        "perpetrator_subcategory": subcategory,
        "weapon": weapon,
        "killed_total": row.get("fatalities"),
        "evidence": evidence,
    }


def import_acled(source: str | Path) -> ImportResult:
    """Records from an ACLED CSV export (text or path); rows outside Syria are skipped.

    A file without ACLED's columns raises :class:`~etl.inputs.InputFileError`.
    """
    text = read_text_file(source) if isinstance(source, Path) else source
    table = read_csv(text, required=REQUIRED_COLUMNS)
    if not table.rows:
        raise InputFileError("no rows after the header")
    result = ImportResult()
    for csv_row in table.rows:
        line, row = csv_row.line, csv_row.values
        if csv_row.problem:
            result.problems.append(ImportProblem(line, csv_row.problem))
            continue
        country = (row.get("country") or "Syria").strip()
        if country and country != "Syria":
            result.problems.append(ImportProblem(line, f"country {country!r} is not Syria"))
            continue
        fatalities = (row.get("fatalities") or "").strip()
        if fatalities and not fatalities.isdigit():
            result.problems.append(
                ImportProblem(line, f"fatalities {fatalities!r} is not a whole number")
            )
            continue
        try:
            result.add(build_record(_values(row)), line)
        except RowError as error:
            result.problems.append(ImportProblem(line, str(error)))
    return result

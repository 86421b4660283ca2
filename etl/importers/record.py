"""Validation shared by the importers: one row of values -> one interchange record.

Values arrive as strings (CSV) or JSON scalars (GeoJSON); both go through the same checks so
a record imported from any format obeys the format the report parser emits.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from db import vocab
from db.parties import load_party_taxonomy
from etl.inputs import bad_string
from etl.report.model import EVIDENCE_MAX_CHARS, INTERCHANGE_FIELDS
from etl.report.places import GOVERNORATES, governorate_name

_TAXONOMY = load_party_taxonomy()
PERPETRATOR_CATEGORIES = frozenset(
    code for code, party in _TAXONOMY.parties.items() if party.parent is None
)
PERPETRATOR_SUBCATEGORIES = frozenset(
    code for code, party in _TAXONOMY.parties.items() if party.parent is not None
)
WEAPONS = frozenset(vocab.WEAPONS)
FACILITIES = frozenset(vocab.FACILITIES)
VICTIM_CATEGORIES = frozenset(vocab.VICTIM_CATEGORIES)
# The interchange format has no "camp" precision: a camp is located as its community.
PRECISIONS = frozenset(vocab.LOCATION_PRECISIONS) - {"camp"}
_INT_FIELDS = ("killed_total", "killed_children", "killed_women", "injured")
# A generous box around Syria: points outside it are typos (swapped lat/lon, missing minus).
_LAT_RANGE = (32.0, 37.6)
_LON_RANGE = (35.4, 42.5)
# Counts are stored as PostgreSQL integers; a larger number is a typo, not a count.
_MAX_COUNT = 2**31 - 1
# Earlier dates are typos (0000, 0021); later ones cannot be documented yet.
_EARLIEST_YEAR = 1900


class RowError(ValueError):
    """A value that cannot go into an incident record."""


@dataclass(frozen=True)
class ImportProblem:
    line: int  # CSV line number, or the 0-based feature index for GeoJSON (as in /features/N)
    message: str
    unit: str = "line"  # 'line' or 'feature'

    @property
    def where(self) -> str:
        return f"{self.unit} {self.line}"


@dataclass
class ImportResult:
    records: list[dict[str, Any]] = field(default_factory=list)
    # Rows or features skipped, with the reason.
    problems: list[ImportProblem] = field(default_factory=list)
    # Notes that skip nothing (columns ignored).
    warnings: list[ImportProblem] = field(default_factory=list)
    # The line (CSV) or 0-based feature index (GeoJSON) each record came from.
    lines: list[int] = field(default_factory=list)

    def add(self, record: dict[str, Any], line: int) -> None:
        self.records.append(record)
        self.lines.append(line)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _plausible(first_day: dt.date, text: str) -> None:
    if first_day.year < _EARLIEST_YEAR:
        raise RowError(f"date {text!r} is before {_EARLIEST_YEAR}")
    if first_day > dt.date.today():
        raise RowError(f"date {text!r} is in the future")


def parse_date(value: object) -> tuple[str, str]:
    """ISO date and its precision from "2021-03-12", "2021-03", "2021" or "12 March 2021"."""
    if _blank(value):
        raise RowError("date is missing")
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        if int(text) == 0:
            raise RowError(f"date {text!r} is not a real year")
        _plausible(dt.date(int(text), 1, 1), text)
        return text, "year"
    if re.fullmatch(r"\d{4}-\d{2}", text):
        try:
            first = dt.date(int(text[:4]), int(text[5:]), 1)
        except ValueError:
            raise RowError(f"date {text!r} is not a real month") from None
        _plausible(first, text)
        return text, "month"
    for pattern in ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d/%m/%Y", "%B %d, %Y"):
        try:
            day = dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        _plausible(day, text)
        return day.isoformat(), "day"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise RowError(f"date {text!r} is not a real day")
    raise RowError(f"date {text!r} is not YYYY-MM-DD, YYYY-MM, YYYY or '12 March 2021'")


def _int(name: str, value: object) -> int | None:
    if _blank(value):
        return None
    try:
        number = int(str(value).strip().replace(",", ""))
    except ValueError:
        raise RowError(f"{name} {value!r} is not a whole number") from None
    if number < 0:
        raise RowError(f"{name} {number} is negative")
    if number > _MAX_COUNT:
        raise RowError(f"{name} {number} is too large to be a count")
    return number


def _float(name: str, value: object, bounds: tuple[float, float]) -> float | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        raise RowError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise RowError(f"{name} {value!r} is not a finite number")
    if not bounds[0] <= number <= bounds[1]:
        raise RowError(f"{name} {number} is outside Syria ({bounds[0]}..{bounds[1]})")
    return number


def _choice(name: str, value: object, allowed: frozenset[str]) -> str | None:
    if _blank(value):
        return None
    text = str(value).strip()
    if text not in allowed:
        raise RowError(f"{name} {text!r} is not one of {', '.join(sorted(allowed))}")
    return text


def _list(name: str, value: object, allowed: frozenset[str]) -> list[str]:
    if _blank(value):
        return []
    items = value if isinstance(value, list) else re.split(r"[;|,]", str(value))
    out = []
    for item in items:
        code = _choice(name, item, allowed)
        if code and code not in out:
            out.append(code)
    return out


def _bool(name: str, value: object) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "yes", "1", "y"}:
        return True
    if text in {"false", "no", "0", "n"}:
        return False
    raise RowError(f"{name} {value!r} is not true/false")


def build_record(values: Mapping[str, object]) -> dict[str, Any]:
    """An interchange record from loosely typed values; raises RowError on a bad value."""
    for name, value in values.items():
        unstorable = bad_string(value, str(name))
        if unstorable:
            raise RowError(unstorable)
    date, precision = parse_date(values.get("date"))
    stated_precision = values.get("date_precision")
    if not _blank(stated_precision) and stated_precision != precision:
        raise RowError(f"date_precision {stated_precision!r} does not match date {date!r}")
    record: dict[str, Any] = dict.fromkeys(INTERCHANGE_FIELDS)
    record.update(date=date, date_precision=precision)
    time = values.get("time")
    if not _blank(time):
        if not re.fullmatch(r"(?:[01]\d|2[0-3]):[0-5]\d", str(time).strip()):
            raise RowError(f"time {time!r} is not HH:MM")
        record["time"] = str(time).strip()
    for name in ("place_text", "place_context", "perpetrator", "controlling_force"):
        if not _blank(values.get(name)):
            record[name] = str(values.get(name)).strip()
    if not record["place_text"] and _blank(values.get("lat")):
        raise RowError("neither place_text nor coordinates given")
    governorate = values.get("governorate")
    if not _blank(governorate):
        official = governorate_name(str(governorate))
        if official is None:
            raise RowError(f"governorate {governorate!r} is not a Syrian governorate")
        record["governorate"] = official
        record["admin1_pcode"] = GOVERNORATES[official]
    admin1 = values.get("admin1_pcode")
    if not _blank(admin1):
        if str(admin1) not in GOVERNORATES.values():
            raise RowError(f"admin1_pcode {admin1!r} is not SY01..SY14")
        if record["admin1_pcode"] not in (None, str(admin1)):
            raise RowError(f"admin1_pcode {admin1!r} contradicts governorate {governorate!r}")
        record["admin1_pcode"] = str(admin1)
    if not _blank(values.get("place_pcode")):
        record["place_pcode"] = str(values.get("place_pcode")).strip()
    record["lat"] = _float("lat", values.get("lat"), _LAT_RANGE)
    record["lon"] = _float("lon", values.get("lon"), _LON_RANGE)
    if (record["lat"] is None) != (record["lon"] is None):
        raise RowError("lat and lon must be given together")
    record["location_precision"] = _choice(
        "location_precision", values.get("location_precision"), PRECISIONS
    ) or (
        "community"
        if record["lat"] is not None
        else "governorate"
        if record["governorate"]
        else "country"
    )
    record["perpetrator_category"] = _choice(
        "perpetrator_category", values.get("perpetrator_category"), PERPETRATOR_CATEGORIES
    )
    record["perpetrator_subcategory"] = _choice(
        "perpetrator_subcategory",
        values.get("perpetrator_subcategory"),
        PERPETRATOR_SUBCATEGORIES,
    )
    if record["perpetrator_subcategory"] and record["perpetrator_category"] in (
        None,
        "other_parties",
    ):
        record["perpetrator_category"] = "other_parties"
    elif record["perpetrator_subcategory"]:
        raise RowError("perpetrator_subcategory is only for perpetrator_category other_parties")
    record["weapon"] = _choice("weapon", values.get("weapon"), WEAPONS)
    for name in _INT_FIELDS:
        record[name] = _int(name, values.get(name))
    total = record["killed_total"]
    for part in ("killed_children", "killed_women"):
        if total is not None and record[part] is not None and record[part] > total:
            raise RowError(f"{part} {record[part]} exceeds killed_total {total}")
    massacre = _bool("massacre", values.get("massacre"))
    record["massacre"] = (
        massacre if massacre is not None else bool(total is not None and total >= 5)
    )
    record["victim_categories"] = _list(
        "victim_categories", values.get("victim_categories"), VICTIM_CATEGORIES
    )
    record["facility"] = _choice("facility", values.get("facility"), FACILITIES)
    record["controlling_force_categories"] = _list(
        "controlling_force_categories",
        values.get("controlling_force_categories"),
        PERPETRATOR_CATEGORIES | PERPETRATOR_SUBCATEGORIES,
    )
    evidence = "" if _blank(values.get("evidence")) else str(values.get("evidence")).strip()
    record["evidence"] = evidence[:EVIDENCE_MAX_CHARS]
    return record

"""Records the report parser produces: incidents, tolls, control observations, review items.

Incidents carry every interchange field (``/work/shared/gold/README.md`` defines the format)
plus provenance, the character span of the evidence in the original report text, so a
reviewer can always jump from a record back to the words it came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

INTERCHANGE_FIELDS: tuple[str, ...] = (
    "date",
    "date_precision",
    "time",
    "place_text",
    "place_context",
    "governorate",
    "admin1_pcode",
    "place_pcode",
    "lat",
    "lon",
    "location_precision",
    "perpetrator",
    "perpetrator_category",
    "perpetrator_subcategory",
    "weapon",
    "killed_total",
    "killed_children",
    "killed_women",
    "injured",
    "massacre",
    "victim_categories",
    "facility",
    "controlling_force",
    "controlling_force_categories",
    "evidence",
)

TOLL_FIELDS: tuple[str, ...] = (
    "period",
    "scope",
    "party",
    "governorate",
    "killed",
    "children",
    "women",
    "count",
    "evidence",
)

EVIDENCE_MAX_CHARS = 300


@dataclass
class Incident:
    date: str
    date_precision: str
    place_text: str
    time: str | None = None
    place_context: str | None = None
    governorate: str | None = None
    admin1_pcode: str | None = None
    place_pcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    location_precision: str = "country"
    perpetrator: str | None = None
    perpetrator_category: str | None = None
    perpetrator_subcategory: str | None = None
    weapon: str | None = None
    killed_total: int | None = None
    killed_children: int | None = None
    killed_women: int | None = None
    injured: int | None = None
    massacre: bool = False
    victim_categories: list[str] = field(default_factory=list)
    facility: str | None = None
    controlling_force: str | None = None
    controlling_force_categories: list[str] = field(default_factory=list)
    evidence: str = ""
    # Provenance: offsets into the report text exactly as it was passed in.
    span_start: int = 0
    span_end: int = 0
    source_name: str | None = None

    def to_interchange(self, *, provenance: bool = False) -> dict[str, Any]:
        record = asdict(self)
        out = {name: record[name] for name in INTERCHANGE_FIELDS}
        if provenance:
            out["provenance"] = {
                "source": self.source_name,
                "start": self.span_start,
                "end": self.span_end,
            }
        return out


@dataclass
class Toll:
    period: str
    scope: str
    party: str
    governorate: str | None = None
    killed: int | None = None
    children: int | None = None
    women: int | None = None
    count: int | None = None
    evidence: str = ""
    span_start: int = 0
    span_end: int = 0

    def to_interchange(self) -> dict[str, Any]:
        record = asdict(self)
        return {name: record[name] for name in TOLL_FIELDS}


@dataclass
class ControlObservation:
    """A dated statement of who controlled a place ("which is controlled by X")."""

    date: str | None
    place_text: str | None
    governorate: str | None
    force_text: str
    force_categories: list[str]
    span_start: int
    span_end: int


@dataclass
class ReviewItem:
    """A passage that reads like an incident but could not be turned into one."""

    reason: str
    text: str
    span_start: int
    span_end: int


@dataclass
class ParsedReport:
    source_name: str | None
    period: str | None
    incidents: list[Incident] = field(default_factory=list)
    tolls: list[Toll] = field(default_factory=list)
    control_observations: list[ControlObservation] = field(default_factory=list)
    review_items: list[ReviewItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

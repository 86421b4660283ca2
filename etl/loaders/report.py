"""Store a parsed report: its source document, incidents with provenance, tolls, control
observations and review items, in the caller's transaction (one transaction per document).

Re-ingesting updates rather than duplicates. Each incident has a stable fingerprint made of
the document's key, the date, the place and the weapon (plus an ordinal when a report narrates
two such events), so an edited report with a corrected count updates the same row; incidents
that disappear from an edited report are marked ``retracted``, never deleted. Concurrent
ingests of the same document are serialised by a transaction-scoped advisory lock on its key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.audit import record as audit
from db.control import refresh_incident_control
from db.models import (
    AdminUnit,
    ControlObservation,
    ControlObservationParty,
    Incident,
    IncidentReportedControl,
    Party,
    Place,
    ProvenanceSpan,
    ReportToll,
    ReviewItem,
    SourceDocument,
    Victim,
)
from db.versions import bump
from db.vocab import FACILITIES, LOCATION_PRECISIONS, VICTIM_CATEGORIES, WEAPONS
from etl.redact import redact_names
from etl.report import ParsedReport, parse_report
from gazetteer.normalize import strict_key

log = logging.getLogger("athar.etl")


@dataclass
class IngestSummary:
    """What one ingest did; the CLI adds these up for its closing line."""

    source_key: str
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    retracted: int = 0
    review: int = 0
    tolls: int = 0
    observations: int = 0
    skipped_document: bool = False
    warnings: list[str] = field(default_factory=list)


KNOWN_PUBLISHERS = {
    "Syrian Network for Human Rights": "Syrian Network for Human Rights (SNHR)",
    "Syrian Observatory for Human Rights": "Syrian Observatory for Human Rights (SOHR)",
    "Violations Documentation Center": "Violations Documentation Center (VDC)",
}


def document_title(content: str, fallback: str) -> str:
    """The report's headline: its first non-empty line, bounded in length."""
    for line in content.splitlines():
        line = " ".join(line.split())
        if line:
            return line[:300]
    return fallback


def detect_publisher(content: str) -> str | None:
    """The organisation a report names itself as, when it is one we know."""
    head = content[:20000]
    for needle, publisher in KNOWN_PUBLISHERS.items():
        if needle in head or needle in content[-5000:]:
            return publisher
    return None


def checksum(text_content: str) -> str:
    return hashlib.sha256(text_content.encode("utf-8")).hexdigest()


def _parse_date(value: str | None) -> tuple[dt.date, str] | None:
    if not value:
        return None
    parts = value.split("-")
    try:
        if len(parts) == 3:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2])), "day"
        if len(parts) == 2:
            return dt.date(int(parts[0]), int(parts[1]), 1), "month"
        if len(parts) == 1:
            return dt.date(int(parts[0]), 1, 1), "year"
    except ValueError:
        return None
    return None


def _parse_time(value: str | None) -> dt.time | None:
    if not value:
        return None
    try:
        return dt.time.fromisoformat(value)
    except ValueError:
        return None


def incident_fingerprint(source_key: str, record: dict[str, Any], ordinal: int) -> str:
    """Stable across re-ingests and edits of counts or wording of the same event."""
    place = record.get("place_pcode") or strict_key(record.get("place_text") or "")
    parts = [source_key, record.get("date") or "", place, record.get("weapon") or "", str(ordinal)]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


def upsert_document(
    session: Session,
    *,
    source_key: str,
    content: str | None,
    digest: str,
    kind: str,
    title: str,
    period: str | None,
    publisher: str | None,
    url: str | None,
    published_on: dt.date | None,
    licence: str | None,
) -> SourceDocument:
    statement = insert(SourceDocument).values(
        source_key=source_key,
        kind=kind,
        title=title,
        publisher=publisher,
        period=period,
        url=url,
        published_on=published_on,
        checksum=digest,
        media_type="text/plain" if content is not None else None,
        content=content,
        licence=licence,
    )
    upsert = statement.on_conflict_do_update(
        index_elements=[SourceDocument.source_key],
        set_={
            "kind": statement.excluded.kind,
            "title": statement.excluded.title,
            "publisher": func.coalesce(statement.excluded.publisher, SourceDocument.publisher),
            "period": statement.excluded.period,
            "url": func.coalesce(statement.excluded.url, SourceDocument.url),
            "published_on": func.coalesce(
                statement.excluded.published_on, SourceDocument.published_on
            ),
            "checksum": statement.excluded.checksum,
            "media_type": statement.excluded.media_type,
            "content": statement.excluded.content,
            "licence": func.coalesce(statement.excluded.licence, SourceDocument.licence),
            "updated_at": func.now(),
        },
    ).returning(SourceDocument.id)
    document_id = session.execute(upsert).scalar_one()
    document = session.get(SourceDocument, document_id, populate_existing=True)
    assert document is not None
    return document


class _Lookups:
    """Per-document caches of reference tables, so each record costs no extra queries."""

    def __init__(self, session: Session) -> None:
        self.parties = set(session.scalars(select(Party.code)))
        self.admin_units = set(session.scalars(select(AdminUnit.pcode)))
        self.governorates = {
            strict_key(name): pcode
            for pcode, name in session.execute(
                select(AdminUnit.pcode, AdminUnit.name_en).where(AdminUnit.level == 1)
            )
        }
        self.places: dict[str, int] = {}
        self._session = session

    def place_id(self, pcode: str | None) -> int | None:
        if not pcode or pcode[:1] not in ("C", "N"):
            return None
        if pcode not in self.places:
            found = self._session.scalar(select(Place.id).where(Place.pcode == pcode))
            if found is None:
                return None
            self.places[pcode] = found
        return self.places[pcode]


def _known(value: Any, allowed: Iterable[str], field_name: str, warnings: list[str]) -> Any:
    if value is None or value in allowed:
        return value
    warnings.append(f"unknown {field_name} {value!r}; stored as null")
    return None


def _incident_values(
    record: dict[str, Any], lookups: _Lookups, warnings: list[str]
) -> dict[str, Any] | None:
    parsed_date = _parse_date(record.get("date"))
    if parsed_date is None:
        warnings.append(f"incident without a usable date ({record.get('date')!r}); skipped")
        return None
    day, precision = parsed_date
    lat, lon = record.get("lat"), record.get("lon")
    point = None
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            point = f"SRID=4326;POINT({lon} {lat})"  # WKT order is x y = lon lat
        else:
            warnings.append(f"coordinates out of range ({lat}, {lon}); stored without a point")
    killed = record.get("killed_total")
    children = record.get("killed_children")
    women = record.get("killed_women")
    if killed is not None and (children or 0) + (women or 0) > killed:
        warnings.append(
            f"children+women exceed killed on {record.get('date')} at {record.get('place_text')};"
            " breakdown dropped"
        )
        children = women = None
    admin1 = record.get("admin1_pcode")
    if admin1 not in lookups.admin_units:
        admin1 = lookups.governorates.get(strict_key(record.get("governorate") or ""))
    return {
        "date_start": day,
        "date_precision": precision,
        "event_time": _parse_time(record.get("time")),
        "place_text": record.get("place_text"),
        "place_context": record.get("place_context"),
        "governorate": record.get("governorate"),
        "place_id": lookups.place_id(record.get("place_pcode")),
        "place_pcode": record.get("place_pcode"),
        "admin1_pcode": admin1 if admin1 in lookups.admin_units else None,
        "geom": point,
        "location_precision": _known(
            record.get("location_precision"), LOCATION_PRECISIONS, "location precision", warnings
        ),
        "perpetrator_text": record.get("perpetrator"),
        "perpetrator_category": _known(
            record.get("perpetrator_category"), lookups.parties, "party", warnings
        ),
        "perpetrator_subcategory": _known(
            record.get("perpetrator_subcategory"), lookups.parties, "party", warnings
        ),
        "weapon": _known(record.get("weapon"), WEAPONS, "weapon", warnings),
        "killed_total": killed,
        "killed_children": children,
        "killed_women": women,
        "injured": record.get("injured"),
        "massacre": bool(record.get("massacre")) and (killed is None or killed >= 5),
        "victim_categories": [
            c for c in record.get("victim_categories") or [] if c in VICTIM_CATEGORIES
        ],
        "facility": _known(record.get("facility"), FACILITIES, "facility", warnings),
        "controlling_force_text": record.get("controlling_force"),
        # People's names leave the sentence here; store_incidents files them apart.
        "evidence": redact_names(record.get("evidence")).text or None,
        "status": "published",
    }


def _store_victim_names(
    session: Session, incident_id: int, span_id: int, names: tuple[str, ...]
) -> None:
    """Names found in the evidence go to restricted.victims, replacing the previous parse's."""
    session.execute(
        delete(Victim).where(
            Victim.incident_id == incident_id, Victim.provenance_span_id == span_id
        )
    )
    if names:
        session.execute(
            insert(Victim),
            [
                {"incident_id": incident_id, "name": name, "provenance_span_id": span_id}
                for name in dict.fromkeys(names)
            ],
        )


def store_incidents(
    session: Session,
    document: SourceDocument,
    records: list[tuple[dict[str, Any], int, int]],
    summary: IngestSummary,
    locators: list[str] | None = None,
) -> list[tuple[int, int, int]]:
    """Upsert ``(interchange record, span start, span end)`` tuples.

    Returns ``(incident id, span start, span end)`` for every record stored or kept.
    """
    lookups = _Lookups(session)
    existing = {
        row.fingerprint: row
        for row in session.execute(
            select(Incident.id, Incident.fingerprint, Incident.provenance_span_id).where(
                Incident.source_document_id == document.id
            )
        )
    }
    seen: Counter[str] = Counter()
    kept: list[tuple[int, int, int]] = []
    for position, (record, start, end) in enumerate(records):
        locator = locators[position] if locators else None
        values = _incident_values(record, lookups, summary.warnings)
        if values is None:
            continue
        base = incident_fingerprint(document.source_key, record, 0)
        seen[base] += 1
        fingerprint = incident_fingerprint(document.source_key, record, seen[base] - 1)
        previous = existing.get(fingerprint)
        redaction = redact_names(record.get("evidence"))
        quote = redaction.text[:1000] or None
        if previous is not None:
            session.execute(
                update(ProvenanceSpan)
                .where(ProvenanceSpan.id == previous.provenance_span_id)
                .values(start_offset=start, end_offset=end, quote=quote, locator=locator)
            )
            span_id = previous.provenance_span_id
        else:
            span_id = session.execute(
                insert(ProvenanceSpan)
                .values(
                    document_id=document.id,
                    start_offset=start,
                    end_offset=end,
                    quote=quote,
                    locator=locator,
                )
                .returning(ProvenanceSpan.id)
            ).scalar_one()
        statement = insert(Incident).values(
            fingerprint=fingerprint,
            source_document_id=document.id,
            provenance_span_id=span_id,
            **values,
        )
        changed = {key: statement.excluded[key] for key in values}
        upsert = statement.on_conflict_do_update(
            index_elements=[Incident.fingerprint],
            set_={**changed, "updated_at": func.now()},
            # Only touch the row (and updated_at) when a stored value really differs.
            where=func.row(*[getattr(Incident, key) for key in values]).is_distinct_from(
                func.row(*[statement.excluded[key] for key in values])
            ),
        ).returning(Incident.id)
        incident_id = session.execute(upsert).scalar()
        if incident_id is None:
            # The WHERE clause skipped the update, which only happens for an existing row.
            assert previous is not None
            summary.unchanged += 1
            incident_id = previous.id
        elif previous is None:
            summary.stored += 1
        else:
            summary.updated += 1
        kept.append((incident_id, start, end))
        _store_victim_names(session, incident_id, span_id, redaction.names)
        session.execute(
            delete(IncidentReportedControl).where(
                IncidentReportedControl.incident_id == incident_id
            )
        )
        codes = [
            c
            for c in dict.fromkeys(record.get("controlling_force_categories") or [])
            if c in lookups.parties
        ]
        if codes:
            session.execute(
                insert(IncidentReportedControl),
                [{"incident_id": incident_id, "party_code": code} for code in codes],
            )
    kept_ids = {incident_id for incident_id, _, _ in kept}
    vanished = [row.id for row in existing.values() if row.id not in kept_ids]
    if vanished:
        result = session.execute(
            update(Incident)
            .where(Incident.id.in_(vanished), Incident.status != "retracted")
            .values(status="retracted", updated_at=func.now())
        )
        summary.retracted += result.rowcount or 0  # type: ignore[attr-defined]
    _fill_admin_from_point(session, sorted(kept_ids))
    return kept


def _fill_admin_from_point(session: Session, incident_ids: list[int]) -> None:
    """ADM1-3 of each incident from point-in-polygon on the admin layer (GiST-indexed)."""
    if not incident_ids:
        return
    session.execute(
        text(
            """
            UPDATE incidents i SET
                admin1_pcode = substr(a.pcode, 1, 4),
                admin2_pcode = substr(a.pcode, 1, 6),
                admin3_pcode = a.pcode
            FROM admin_units a
            WHERE i.id = ANY(:ids) AND i.geom IS NOT NULL AND a.level = 3
              AND ST_Contains(a.geom, i.geom)
              AND i.location_precision IN ('exact', 'community', 'neighbourhood', 'camp',
                                           'subdistrict')
              AND (i.admin3_pcode IS DISTINCT FROM a.pcode)
            """
        ),
        {"ids": incident_ids},
    )


def store_tolls(
    session: Session,
    document: SourceDocument,
    tolls: Iterable[dict[str, Any]],
    lookups: _Lookups | None = None,
) -> int:
    """Replace the document's tolls with ``tolls`` (dicts in the *.tolls.json format)."""
    lookups = lookups or _Lookups(session)
    session.execute(delete(ReportToll).where(ReportToll.document_id == document.id))
    rows = []
    for toll in tolls:
        party = None if toll.get("party") in (None, "all") else toll.get("party")
        if party is not None and party not in lookups.parties:
            continue
        period = toll.get("period")
        if not period or _parse_date(period) is None:
            continue
        rows.append(
            {
                "document_id": document.id,
                "period": period,
                "scope": toll.get("scope") or "civilians",
                "party_code": party,
                "governorate_pcode": lookups.governorates.get(
                    strict_key(toll.get("governorate") or "")
                ),
                "killed": toll.get("killed"),
                "children": toll.get("children"),
                "women": toll.get("women"),
                "count": toll.get("count"),
                "evidence": toll.get("evidence") or None,
            }
        )
    if rows:
        session.execute(insert(ReportToll), rows)
    return len(rows)


# A control statement follows the narrative it belongs to within a paragraph or two.
_OBSERVATION_REACH_CHARS = 2000


def _owning_incident(incidents: list[tuple[int, int, int]], start: int, end: int) -> int | None:
    """The incident whose evidence contains the statement, else the nearest one before it."""
    for incident_id, span_start, span_end in incidents:
        if span_start <= start < span_end or span_start < end <= span_end:
            return incident_id
    before = [
        (start - span_start, incident_id)
        for incident_id, span_start, _ in incidents
        if 0 <= start - span_start <= _OBSERVATION_REACH_CHARS
    ]
    return min(before)[1] if before else None


def _store_observations(
    session: Session,
    document: SourceDocument,
    parsed: ParsedReport,
    incidents: list[tuple[int, int, int]],
    lookups: _Lookups,
) -> int:
    """Control statements become dated points at the place of the incident they belong to."""
    session.execute(
        delete(ControlObservation).where(ControlObservation.source_document_id == document.id)
    )
    stored = 0
    for observation in parsed.control_observations:
        codes = [c for c in dict.fromkeys(observation.force_categories) if c in lookups.parties]
        owner = _owning_incident(incidents, observation.span_start, observation.span_end)
        if owner is None or not codes:
            continue
        row = session.execute(
            select(Incident.geom, Incident.date_start, Incident.place_id).where(
                Incident.id == owner
            )
        ).one()
        parsed_date = _parse_date(observation.date)
        observed_on = parsed_date[0] if parsed_date else row.date_start
        if row.geom is None:
            continue
        observation_id = session.execute(
            insert(ControlObservation)
            .values(
                geom=row.geom,
                observed_on=observed_on,
                place_id=row.place_id,
                statement=observation.force_text[:1000],
                source_document_id=document.id,
                incident_id=owner,
            )
            .returning(ControlObservation.id)
        ).scalar_one()
        session.execute(
            insert(ControlObservationParty),
            [{"observation_id": observation_id, "party_code": code} for code in codes],
        )
        stored += 1
    return stored


def _store_review_items(session: Session, document: SourceDocument, parsed: ParsedReport) -> int:
    # Items a person already resolved or dismissed stay as they are; open ones are replaced.
    decided = set(
        session.scalars(
            select(ReviewItem.excerpt).where(
                ReviewItem.document_id == document.id, ReviewItem.status != "open"
            )
        )
    )
    session.execute(
        delete(ReviewItem).where(ReviewItem.document_id == document.id, ReviewItem.status == "open")
    )
    rows = [
        {
            "document_id": document.id,
            "start_offset": item.span_start,
            "end_offset": item.span_end,
            "excerpt": item.text[:2000],
            "reason": item.reason,
        }
        for item in parsed.review_items
        if item.text[:2000] not in decided
    ]
    if rows:
        session.execute(insert(ReviewItem), rows)
    return len(rows)


def ingest_report(
    session: Session,
    content: str,
    *,
    source_key: str,
    title: str | None = None,
    publisher: str | None = None,
    url: str | None = None,
    published_on: dt.date | None = None,
    force: bool = False,
    actor: str = "cli",
) -> IngestSummary:
    """Parse and store one report inside the caller's transaction; never commits."""
    summary = IngestSummary(source_key=source_key)
    # Same key, same lock: eight processes ingesting one report run one after another.
    session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": source_key})
    digest = checksum(content)
    current = session.scalar(
        select(SourceDocument.checksum).where(SourceDocument.source_key == source_key)
    )
    if current == digest and not force:
        summary.skipped_document = True
        return summary
    parsed = parse_report(content, source_name=source_key)
    summary.warnings.extend(parsed.warnings)
    document = upsert_document(
        session,
        source_key=source_key,
        content=content,
        digest=digest,
        kind="report",
        title=title or document_title(content, source_key),
        period=parsed.period if parsed.period and _parse_date(parsed.period) else None,
        publisher=publisher or detect_publisher(content),
        url=url,
        published_on=published_on,
        licence=None,
    )
    records = [
        (incident.to_interchange(), incident.span_start, incident.span_end)
        for incident in parsed.incidents
    ]
    spans = store_incidents(session, document, records, summary)
    lookups = _Lookups(session)
    summary.tolls = store_tolls(
        session, document, [toll.to_interchange() for toll in parsed.tolls], lookups
    )
    summary.observations = _store_observations(session, document, parsed, spans, lookups)
    summary.review = _store_review_items(session, document, parsed)
    # Join each incident to the control zone (or nearby observation) of its date.
    refresh_incident_control(session, [incident_id for incident_id, _, _ in spans])
    bump(session, "incidents")
    audit(
        session,
        actor=actor,
        action="ingest",
        entity="source_document",
        entity_id=document.id,
        details={
            "source_key": source_key,
            "stored": summary.stored,
            "updated": summary.updated,
            "retracted": summary.retracted,
            "review": summary.review,
        },
    )
    return summary

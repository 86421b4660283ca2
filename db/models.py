"""The athar schema: SQLAlchemy 2 models with GeoAlchemy2 geometry columns.

Every geometry is SRID 4326 with lon/lat axis order (x = longitude, y = latitude), as
GeoJSON and MVT expect; distances and areas are computed on ``geography`` or in a metric
projection by the queries, never on degrees stored here.

Personal data (victims, witnesses) lives in the ``restricted`` schema so that a database
role for public reads can be denied it wholesale, and no public query joins it by accident.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    Text,
    Time,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.vocab import (
    API_ROLES,
    CONTAMINATION_TYPES,
    CONTROL_METHODS,
    DATE_PRECISIONS,
    FACILITIES,
    HAZARD_STATUSES,
    HAZARD_TYPES,
    INCIDENT_STATUSES,
    LOCATION_PRECISIONS,
    NAME_KINDS,
    PLACE_KINDS,
    REVIEW_STATUSES,
    SOURCE_KINDS,
    VICTIM_CATEGORIES,
    WEAPONS,
    sql_array_subset,
    sql_in,
)

SRID = 4326
RESTRICTED_SCHEMA = "restricted"

# Deterministic constraint names keep Alembic migrations reproducible and reviewable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ADMIN_PCODE_PATTERN = "^SY([0-9]{2}){0,3}$"


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _admin_fk(**kwargs: Any) -> Any:
    return mapped_column(
        Text, ForeignKey("admin_units.pcode", ondelete="RESTRICT"), nullable=True, **kwargs
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- Places and admin units -------------------------------------------------------------


class AdminUnit(Base):
    """OCHA COD-AB admin unit: country (0), governorate (1), district (2), sub-district (3)."""

    __tablename__ = "admin_units"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 3", name="level_range"),
        CheckConstraint(f"pcode ~ '{ADMIN_PCODE_PATTERN}'", name="pcode_format"),
        CheckConstraint("char_length(pcode) = 2 + 2 * level", name="pcode_matches_level"),
        Index("ix_admin_units_geom", "geom", postgresql_using="gist"),
    )

    pcode: Mapped[str] = mapped_column(Text, primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, nullable=False, index=True)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    name_ar: Mapped[str | None] = mapped_column(Text)
    parent_pcode: Mapped[str | None] = mapped_column(
        Text, ForeignKey("admin_units.pcode", ondelete="RESTRICT"), index=True
    )
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False
    )
    valid_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, nullable=False)


class Place(Base):
    """A named point: OCHA community, city neighbourhood, IDP camp or landmark."""

    __tablename__ = "places"
    __table_args__ = (
        CheckConstraint(sql_in("kind", PLACE_KINDS), name="kind_known"),
        CheckConstraint(
            "pcode IS NULL OR kind <> 'community' OR pcode ~ '^C[0-9]{4,6}$'",
            name="community_pcode_format",
        ),
        CheckConstraint(
            "pcode IS NULL OR kind <> 'neighbourhood' OR pcode ~ '^N[0-9]{4}$'",
            name="neighbourhood_pcode_format",
        ),
        Index("ix_places_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    pcode: Mapped[str | None] = mapped_column(Text, unique=True)
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    name_ar: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=False), nullable=False
    )
    area_geom: Mapped[Any | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False)
    )
    admin1_pcode: Mapped[str | None] = _admin_fk()
    admin2_pcode: Mapped[str | None] = _admin_fk()
    admin3_pcode: Mapped[str | None] = _admin_fk(index=True)
    parent_place_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("places.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(Text, nullable=False)
    # The place's id in the bundled gazetteer (or an editor's key): reloads upsert on it, so
    # incidents keep their place_id across gazetteer rebuilds.
    source_ref: Mapped[str | None] = mapped_column(Text, unique=True)
    added_by: Mapped[str | None] = mapped_column(Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[dt.datetime] = _now()

    names: Mapped[list[PlaceName]] = relationship(back_populates="place")


class PlaceName(Base):
    """One spelling of a place or admin unit, with the key the gazetteer matches on."""

    __tablename__ = "place_names"
    __table_args__ = (
        CheckConstraint("num_nonnulls(place_id, admin_pcode) = 1", name="names_one_thing"),
        CheckConstraint(sql_in("name_kind", NAME_KINDS), name="name_kind_known"),
        CheckConstraint("lang ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?$'", name="lang_format"),
        UniqueConstraint(
            "place_id", "admin_pcode", "name", "lang", postgresql_nulls_not_distinct=True
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    place_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("places.id", ondelete="CASCADE"), index=True
    )
    admin_pcode: Mapped[str | None] = mapped_column(
        Text, ForeignKey("admin_units.pcode", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text, nullable=False)
    lang: Mapped[str] = mapped_column(Text, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    name_kind: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    added_by: Mapped[str | None] = mapped_column(Text)

    place: Mapped[Place | None] = relationship(back_populates="names")


class AdminIndicator(Base):
    """A dated figure per admin unit (e.g. HNO mine-action severity, population)."""

    __tablename__ = "admin_indicators"

    admin_pcode: Mapped[str] = mapped_column(
        Text, ForeignKey("admin_units.pcode", ondelete="CASCADE"), primary_key=True
    )
    indicator: Mapped[str] = mapped_column(Text, primary_key=True)
    reference_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[float | None] = mapped_column(Double)
    source: Mapped[str] = mapped_column(Text, nullable=False)


class GeocodeCache(Base):
    """Answers of an online fallback geocoder, kept so each query is asked once."""

    __tablename__ = "geocode_cache"

    provider: Mapped[str] = mapped_column(Text, primary_key=True)
    query_key: Mapped[str] = mapped_column(Text, primary_key=True)
    query: Mapped[str] = mapped_column(Text, nullable=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    created_at: Mapped[dt.datetime] = _now()


# --- Parties -----------------------------------------------------------------------------


class Party(Base):
    """A perpetrator or controlling force; subcategories point to their category."""

    __tablename__ = "parties"
    __table_args__ = (CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name="code_format"),)

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT")
    )
    name_en: Mapped[str] = mapped_column(Text, nullable=False)
    name_ar: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[PartyAlias]] = relationship(
        back_populates="party", cascade="all, delete-orphan"
    )


class PartyAlias(Base):
    __tablename__ = "party_aliases"
    __table_args__ = (UniqueConstraint("party_code", "key"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    party_code: Mapped[str] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="CASCADE"), nullable=False
    )
    alias: Mapped[str] = mapped_column(Text, nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)

    party: Mapped[Party] = relationship(back_populates="aliases")


# --- Provenance --------------------------------------------------------------------------


class SourceDocument(Base):
    """A report or file incidents were taken from; ``source_key`` names it across edits."""

    __tablename__ = "source_documents"
    __table_args__ = (
        CheckConstraint(sql_in("kind", SOURCE_KINDS), name="kind_known"),
        CheckConstraint("checksum ~ '^[0-9a-f]{64}$'", name="checksum_sha256"),
        CheckConstraint(
            "period IS NULL OR period ~ '^[0-9]{4}(-[0-9]{2})?$'", name="period_format"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    source_key: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(Text, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    publisher: Mapped[str | None] = mapped_column(Text)
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    media_type: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    licence: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class ProvenanceSpan(Base):
    """Where in a source document a fact was read: character offsets and the quoted text."""

    __tablename__ = "provenance_spans"
    __table_args__ = (
        CheckConstraint("start_offset >= 0 AND start_offset <= end_offset", name="offsets_order"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    start_offset: Mapped[int] = mapped_column(Integer, nullable=False)
    end_offset: Mapped[int] = mapped_column(Integer, nullable=False)
    quote: Mapped[str | None] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(Text)


# --- Control ----------------------------------------------------------------------------


class ControlZone(Base):
    """An area held by one or more parties during a period (``valid_to`` NULL = still valid).

    ``valid_during`` is the inclusive date range as a generated column so that a single GiST
    index over (geom, valid_during) answers "who held this point on this date".
    """

    __tablename__ = "control_zones"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_from <= valid_to", name="valid_order"),
        Index(
            "ix_control_zones_geom_valid_during", "geom", "valid_during", postgresql_using="gist"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    valid_during: Mapped[Any] = mapped_column(
        DATERANGE, Computed("daterange(valid_from, valid_to, '[]')", persisted=True)
    )
    geom: Mapped[Any] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False), nullable=False
    )
    label: Mapped[str | None] = mapped_column(Text)
    # The snapshot series the zone belongs to (e.g. "bundled:hno2023_adm3_control"); a new
    # snapshot of a series closes the series' open zones it overlaps.
    derivation: Mapped[str] = mapped_column(Text, nullable=False, index=True)
    admin3_pcode: Mapped[str | None] = _admin_fk()
    observed_on: Mapped[dt.date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_document_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="SET NULL"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[dt.datetime] = _now()

    parties: Mapped[list[ControlZoneParty]] = relationship(cascade="all, delete-orphan")


class ControlZoneParty(Base):
    """A party holding a zone; several rows mean joint or mixed control, ``share`` if known."""

    __tablename__ = "control_zone_parties"
    __table_args__ = (
        CheckConstraint("share IS NULL OR (share >= 0 AND share <= 1)", name="share_fraction"),
    )

    zone_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("control_zones.id", ondelete="CASCADE"), primary_key=True
    )
    party_code: Mapped[str] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT"), primary_key=True
    )
    share: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))


class ControlObservation(Base):
    """A dated statement of who controlled a place, as written in a source."""

    __tablename__ = "control_observations"
    __table_args__ = (Index("ix_control_observations_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    geom: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=False), nullable=False
    )
    observed_on: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    place_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("places.id", ondelete="SET NULL")
    )
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    source_document_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="CASCADE"), index=True
    )
    provenance_span_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("provenance_spans.id", ondelete="SET NULL")
    )
    incident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = _now()

    parties: Mapped[list[ControlObservationParty]] = relationship(cascade="all, delete-orphan")


class ControlObservationParty(Base):
    __tablename__ = "control_observation_parties"

    observation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("control_observations.id", ondelete="CASCADE"), primary_key=True
    )
    party_code: Mapped[str] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT"), primary_key=True
    )


# --- Incidents ---------------------------------------------------------------------------


class Incident(Base):
    """One event at one place and date, with every field of the interchange format.

    ``date_start`` is the first day of the stated period; ``date_precision`` says whether the
    text gave the day, the month or only the year.
    """

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(sql_in("date_precision", DATE_PRECISIONS), name="date_precision_known"),
        CheckConstraint(
            "date_precision = 'day' OR extract(day FROM date_start) = 1", name="month_starts_day1"
        ),
        CheckConstraint(
            "date_precision <> 'year' OR extract(month FROM date_start) = 1",
            name="year_starts_jan1",
        ),
        CheckConstraint(
            f"location_precision IS NULL OR {sql_in('location_precision', LOCATION_PRECISIONS)}",
            name="location_precision_known",
        ),
        CheckConstraint(f"weapon IS NULL OR {sql_in('weapon', WEAPONS)}", name="weapon_known"),
        CheckConstraint(
            f"facility IS NULL OR {sql_in('facility', FACILITIES)}", name="facility_known"
        ),
        CheckConstraint(
            sql_array_subset("victim_categories", VICTIM_CATEGORIES), name="victim_categories_known"
        ),
        CheckConstraint(sql_in("status", INCIDENT_STATUSES), name="status_known"),
        CheckConstraint(
            f"control_method IS NULL OR {sql_in('control_method', CONTROL_METHODS)}",
            name="control_method_known",
        ),
        CheckConstraint(
            "(killed_total IS NULL OR killed_total >= 0)"
            " AND (killed_children IS NULL OR killed_children >= 0)"
            " AND (killed_women IS NULL OR killed_women >= 0)"
            " AND (injured IS NULL OR injured >= 0)",
            name="counts_nonnegative",
        ),
        CheckConstraint(
            "killed_total IS NULL OR killed_children IS NULL OR killed_women IS NULL"
            " OR killed_children + killed_women <= killed_total",
            name="children_women_within_killed",
        ),
        CheckConstraint(
            "killed_total IS NULL OR ((killed_children IS NULL OR killed_children <= killed_total)"
            " AND (killed_women IS NULL OR killed_women <= killed_total))",
            name="each_within_killed",
        ),
        CheckConstraint(
            "NOT massacre OR killed_total IS NULL OR killed_total >= 5", name="massacre_five_plus"
        ),
        CheckConstraint(
            "documented_on IS NULL OR documented_on >= date_start", name="documented_after_event"
        ),
        CheckConstraint(
            "evidence IS NULL OR char_length(evidence) <= 1000", name="evidence_length"
        ),
        Index("ix_incidents_geom", "geom", postgresql_using="gist"),
        Index("ix_incidents_public_geom", "public_geom", postgresql_using="gist"),
        # Landmine hotspots and the landmines tile layer read only these rows.
        Index(
            "ix_incidents_landmine_geom",
            "geom",
            postgresql_using="gist",
            postgresql_where=text("weapon IN ('landmine', 'erw')"),
        ),
        # Aggregated tiles: one quadkey range per tile, read index-only (migration 0006).
        Index(
            "ix_incidents_tile_grid",
            "public_quadkey",
            postgresql_include=[
                "public_mx",
                "public_my",
                "killed_total",
                "killed_children",
                "killed_women",
                "injured",
                "massacre",
                "status",
                "date_start",
                "perpetrator_category",
                "perpetrator_subcategory",
                "weapon",
                "facility",
                "victim_categories",
            ],
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    date_start: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    date_precision: Mapped[str] = mapped_column(Text, nullable=False)
    event_time: Mapped[dt.time | None] = mapped_column(Time)
    documented_on: Mapped[dt.date | None] = mapped_column(Date)
    place_text: Mapped[str | None] = mapped_column(Text)
    place_context: Mapped[str | None] = mapped_column(Text)
    governorate: Mapped[str | None] = mapped_column(Text)
    place_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("places.id", ondelete="SET NULL")
    )
    place_pcode: Mapped[str | None] = mapped_column(Text)
    admin1_pcode: Mapped[str | None] = _admin_fk(index=True)
    admin2_pcode: Mapped[str | None] = _admin_fk()
    admin3_pcode: Mapped[str | None] = _admin_fk(index=True)
    geom: Mapped[Any | None] = mapped_column(Geometry("POINT", srid=SRID, spatial_index=False))
    # Where the public may see the incident: ``geom``, or for a sensitive incident a point on
    # its sub-district. Kept by a trigger (migration 0005) so that public spatial filters and
    # tiles can use a GiST index without ever touching a sensitive incident's true point.
    public_geom: Mapped[Any | None] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=False)
    )
    # The public point in EPSG:3857 and its level-18 quadkey, kept by the same trigger
    # (migration 0006): tiles group and range-scan these instead of projecting each point.
    public_mx: Mapped[float | None] = mapped_column(Double)
    public_my: Mapped[float | None] = mapped_column(Double)
    public_quadkey: Mapped[int | None] = mapped_column(BigInteger)
    location_precision: Mapped[str | None] = mapped_column(Text)
    perpetrator_text: Mapped[str | None] = mapped_column(Text)
    perpetrator_category: Mapped[str | None] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT"), index=True
    )
    perpetrator_subcategory: Mapped[str | None] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT")
    )
    weapon: Mapped[str | None] = mapped_column(Text, index=True)
    killed_total: Mapped[int | None] = mapped_column(Integer)
    killed_children: Mapped[int | None] = mapped_column(Integer)
    killed_women: Mapped[int | None] = mapped_column(Integer)
    injured: Mapped[int | None] = mapped_column(Integer)
    massacre: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    victim_categories: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    facility: Mapped[str | None] = mapped_column(Text)
    controlling_force_text: Mapped[str | None] = mapped_column(Text)
    control_zone_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("control_zones.id", ondelete="SET NULL"), index=True
    )
    # use_alter: observations also point at incidents, so one side of the cycle is added later.
    control_observation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("control_observations.id", ondelete="SET NULL", use_alter=True)
    )
    control_method: Mapped[str | None] = mapped_column(Text)
    control_evidence_age_days: Mapped[int | None] = mapped_column(Integer)
    control_disagrees: Mapped[bool | None] = mapped_column(Boolean)
    # Comma-separated party codes (sorted), written by refresh_incident_control with the
    # join above, so popups and tiles need no sub-query per incident.
    control_reported: Mapped[str | None] = mapped_column(Text)
    control_mapped: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    sensitive: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'published'"))
    source_document_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    provenance_span_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("provenance_spans.id", ondelete="RESTRICT"), nullable=False
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()

    reported_control: Mapped[list[IncidentReportedControl]] = relationship(
        cascade="all, delete-orphan"
    )
    source_document: Mapped[SourceDocument] = relationship()
    provenance_span: Mapped[ProvenanceSpan] = relationship()


class IncidentReportedControl(Base):
    """A party the source says controlled the incident's area (one row per force named)."""

    __tablename__ = "incident_reported_control"

    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    party_code: Mapped[str] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT"), primary_key=True
    )


class ReportToll(Base):
    """A total a report states ("the deaths of 177 civilians, including 28 children")."""

    __tablename__ = "report_tolls"
    __table_args__ = (
        CheckConstraint("period ~ '^[0-9]{4}(-[0-9]{2})?$'", name="period_format"),
        CheckConstraint(
            "(killed IS NULL OR killed >= 0) AND (children IS NULL OR children >= 0)"
            " AND (women IS NULL OR women >= 0) AND (count IS NULL OR count >= 0)",
            name="counts_nonnegative",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    document_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    period: Mapped[str] = mapped_column(Text, nullable=False)
    scope: Mapped[str] = mapped_column(Text, nullable=False)
    party_code: Mapped[str | None] = mapped_column(
        Text, ForeignKey("parties.code", ondelete="RESTRICT")
    )
    governorate_pcode: Mapped[str | None] = _admin_fk()
    killed: Mapped[int | None] = mapped_column(Integer)
    children: Mapped[int | None] = mapped_column(Integer)
    women: Mapped[int | None] = mapped_column(Integer)
    count: Mapped[int | None] = mapped_column(Integer)
    evidence: Mapped[str | None] = mapped_column(Text)


class ReviewItem(Base):
    """A passage that looked like an incident but could not be fully parsed, and why."""

    __tablename__ = "review_items"
    __table_args__ = (CheckConstraint(sql_in("status", REVIEW_STATUSES), name="status_known"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    document_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="CASCADE"), index=True
    )
    start_offset: Mapped[int | None] = mapped_column(Integer)
    end_offset: Mapped[int | None] = mapped_column(Integer)
    excerpt: Mapped[str] = mapped_column(Text, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'open'"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


# --- Landmines ---------------------------------------------------------------------------


class HazardArea(Base):
    """A suspected or confirmed hazardous area (or point), after the IMSMA Hazard Area form."""

    __tablename__ = "hazard_areas"
    __table_args__ = (
        CheckConstraint(sql_in("hazard_type", HAZARD_TYPES), name="hazard_type_known"),
        CheckConstraint(sql_in("status", HAZARD_STATUSES), name="status_known"),
        CheckConstraint(
            sql_array_subset("contamination", CONTAMINATION_TYPES), name="contamination_known"
        ),
        CheckConstraint("area_m2 IS NULL OR area_m2 >= 0", name="area_nonnegative"),
        CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')", name="geom_kind"
        ),
        CheckConstraint(
            "closed_on IS NULL OR reported_on IS NULL OR reported_on <= closed_on",
            name="closed_after_reported",
        ),
        Index("ix_hazard_areas_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    hazard_code: Mapped[str | None] = mapped_column(Text, unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    hazard_type: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False, server_default=text("'active'"))
    closure_reason: Mapped[str | None] = mapped_column(Text)
    contamination: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    device_types: Mapped[list[str]] = mapped_column(
        ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")
    )
    area_m2: Mapped[float | None] = mapped_column(Double)
    geom: Mapped[Any] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=False), nullable=False
    )
    reported_on: Mapped[dt.date | None] = mapped_column(Date)
    surveyed_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    admin1_pcode: Mapped[str | None] = _admin_fk()
    admin2_pcode: Mapped[str | None] = _admin_fk()
    admin3_pcode: Mapped[str | None] = _admin_fk(index=True)
    community_pcode: Mapped[str | None] = mapped_column(Text)
    organisation: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    source_document_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("source_documents.id", ondelete="SET NULL")
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class HazardAreaIncident(Base):
    __tablename__ = "hazard_area_incidents"

    hazard_area_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("hazard_areas.id", ondelete="CASCADE"), primary_key=True
    )
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )


# --- Personal data (restricted schema) ---------------------------------------------------


class Victim(Base):
    """A person killed or injured. Never serialised by public routes, tiles or exports."""

    __tablename__ = "victims"
    __table_args__ = (
        CheckConstraint("sex IS NULL OR sex IN ('female', 'male')", name="sex_known"),
        CheckConstraint("age IS NULL OR (age >= 0 AND age < 130)", name="age_range"),
        {"schema": RESTRICTED_SCHEMA},
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    alias: Mapped[str | None] = mapped_column(Text)
    sex: Mapped[str | None] = mapped_column(Text)
    age: Mapped[int | None] = mapped_column(SmallInteger)
    is_child: Mapped[bool | None] = mapped_column(Boolean)
    category: Mapped[str | None] = mapped_column(Text)
    residence: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    provenance_span_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("provenance_spans.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = _now()


class Witness(Base):
    """A witness or contact person; ``alias`` is what may be shown if they asked for one."""

    __tablename__ = "witnesses"
    __table_args__ = ({"schema": RESTRICTED_SCHEMA},)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(Text)
    alias: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    consent_to_share: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _now()


# --- Operations ---------------------------------------------------------------------------


class AuditEntry(Base):
    """Who wrote or read what, and when; rows are only ever inserted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
        # Listings filter by actor or action and page newest first by id (db.audit.entries;
        # migration 0007): equality then id serves the filter, the order and the ``before``
        # bound, so a page stops after ``limit`` entries. ``at`` last lets ``since`` reject
        # older entries in the index, without a heap visit each, when fewer than ``limit``
        # match.
        Index("ix_audit_log_actor_id_at", "actor", "id", "at"),
        Index("ix_audit_log_action_id_at", "action", "id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now(), index=True
    )
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    action: Mapped[str] = mapped_column(Text, nullable=False)
    entity: Mapped[str] = mapped_column(Text, nullable=False)
    entity_id: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, nullable=False, server_default=text("'{}'::jsonb")
    )


class ApiKey(Base):
    """An API key: only a salted hash is stored; ``key_prefix`` identifies it in logs."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint(sql_in("role", API_ROLES), name="role_known"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    key_prefix: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    key_hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = _now()
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DataVersion(Base):
    """A counter bumped by every write to a layer, so tile and query caches know when to drop."""

    __tablename__ = "data_versions"

    layer: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=text("0"))
    changed_at: Mapped[dt.datetime] = _now()

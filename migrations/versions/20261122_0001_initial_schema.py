"""Initial schema: places and admin units, parties, control, incidents, landmines, provenance.

Personal data tables go to the ``restricted`` schema. The PostGIS extension is created if
missing but left in place on downgrade, since other database objects may use it.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:35:10.091893+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE SCHEMA IF NOT EXISTS restricted")
    op.create_geospatial_table(
        "admin_units",
        sa.Column("pcode", sa.Text(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("parent_pcode", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("valid_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "pcode ~ '^SY([0-9]{2}){0,3}$'", name=op.f("ck_admin_units_pcode_format")
        ),
        sa.CheckConstraint(
            "char_length(pcode) = 2 + 2 * level", name=op.f("ck_admin_units_pcode_matches_level")
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name=op.f("ck_admin_units_level_range")),
        sa.ForeignKeyConstraint(
            ["parent_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_admin_units_parent_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("pcode", name=op.f("pk_admin_units")),
    )
    op.create_geospatial_index(
        "ix_admin_units_geom",
        "admin_units",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_admin_units_level"), "admin_units", ["level"], unique=False)
    op.create_index(
        op.f("ix_admin_units_parent_pcode"), "admin_units", ["parent_pcode"], unique=False
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("key_prefix", sa.Text(), nullable=False),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('partner', 'editor', 'admin')", name=op.f("ck_api_keys_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_prefix", name=op.f("uq_api_keys_key_prefix")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index(
        "ix_audit_log_entity_entity_id", "audit_log", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "data_versions",
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("layer", name=op.f("pk_data_versions")),
    )
    op.create_geospatial_table(
        "geocode_cache",
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("query_key", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("provider", "query_key", name=op.f("pk_geocode_cache")),
    )
    op.create_table(
        "parties",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("parent_code", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name=op.f("ck_parties_code_format")),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["parties.code"],
            name=op.f("fk_parties_parent_code_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_parties")),
    )
    op.create_table(
        "source_documents",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("source_key", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=True),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "checksum ~ '^[0-9a-f]{64}$'", name=op.f("ck_source_documents_checksum_sha256")
        ),
        sa.CheckConstraint(
            "kind IN ('report', 'csv', 'geojson', 'acled', 'zones', 'hazards', 'manual', 'sample')",
            name=op.f("ck_source_documents_kind_known"),
        ),
        sa.CheckConstraint(
            "period IS NULL OR period ~ '^[0-9]{4}(-[0-9]{2})?$'",
            name=op.f("ck_source_documents_period_format"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_documents")),
        sa.UniqueConstraint("source_key", name=op.f("uq_source_documents_source_key")),
    )
    op.create_index(
        op.f("ix_source_documents_checksum"), "source_documents", ["checksum"], unique=False
    )
    op.create_table(
        "admin_indicators",
        sa.Column("admin_pcode", sa.Text(), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("reference_date", sa.Date(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_admin_indicators_admin_pcode_admin_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "admin_pcode", "indicator", "reference_date", name=op.f("pk_admin_indicators")
        ),
    )
    op.create_geospatial_table(
        "control_zones",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "valid_during",
            postgresql.DATERANGE(),
            sa.Computed("daterange(valid_from, valid_to, '[]')", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("derivation", sa.Text(), nullable=False),
        sa.Column("admin3_pcode", sa.Text(), nullable=True),
        sa.Column("observed_on", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from <= valid_to", name=op.f("ck_control_zones_valid_order")
        ),
        sa.ForeignKeyConstraint(
            ["admin3_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_control_zones_admin3_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["source_documents.id"],
            name=op.f("fk_control_zones_source_document_id_source_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_zones")),
    )
    op.create_index(
        "ix_control_zones_geom_valid_during",
        "control_zones",
        ["geom", "valid_during"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_geospatial_table(
        "hazard_areas",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("hazard_code", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("hazard_type", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("closure_reason", sa.Text(), nullable=True),
        sa.Column(
            "contamination",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column(
            "device_types",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("area_m2", sa.Double(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("reported_on", sa.Date(), nullable=True),
        sa.Column("surveyed_on", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("admin1_pcode", sa.Text(), nullable=True),
        sa.Column("admin2_pcode", sa.Text(), nullable=True),
        sa.Column("admin3_pcode", sa.Text(), nullable=True),
        sa.Column("community_pcode", sa.Text(), nullable=True),
        sa.Column("organisation", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')",
            name=op.f("ck_hazard_areas_geom_kind"),
        ),
        sa.CheckConstraint(
            "contamination <@ ARRAY['mine', 'erw', 'ied', 'cluster_munition', 'uxo', 'other']::text[]",
            name=op.f("ck_hazard_areas_contamination_known"),
        ),
        sa.CheckConstraint(
            "hazard_type IN ('suspected', 'confirmed')",
            name=op.f("ck_hazard_areas_hazard_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'in_progress', 'closed', 'cancelled')",
            name=op.f("ck_hazard_areas_status_known"),
        ),
        sa.CheckConstraint(
            "area_m2 IS NULL OR area_m2 >= 0", name=op.f("ck_hazard_areas_area_nonnegative")
        ),
        sa.CheckConstraint(
            "closed_on IS NULL OR reported_on IS NULL OR reported_on <= closed_on",
            name=op.f("ck_hazard_areas_closed_after_reported"),
        ),
        sa.ForeignKeyConstraint(
            ["admin1_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_hazard_areas_admin1_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin2_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_hazard_areas_admin2_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin3_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_hazard_areas_admin3_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["source_documents.id"],
            name=op.f("fk_hazard_areas_source_document_id_source_documents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_areas")),
        sa.UniqueConstraint("hazard_code", name=op.f("uq_hazard_areas_hazard_code")),
    )
    op.create_index(
        op.f("ix_hazard_areas_admin3_pcode"), "hazard_areas", ["admin3_pcode"], unique=False
    )
    op.create_geospatial_index(
        "ix_hazard_areas_geom",
        "hazard_areas",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_table(
        "party_aliases",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("party_code", sa.Text(), nullable=False),
        sa.Column("alias", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["parties.code"],
            name=op.f("fk_party_aliases_party_code_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_aliases")),
        sa.UniqueConstraint("party_code", "key", name=op.f("uq_party_aliases_party_code_key")),
    )
    op.create_index(op.f("ix_party_aliases_key"), "party_aliases", ["key"], unique=False)
    op.create_geospatial_table(
        "places",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("pcode", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ar", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column(
            "area_geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("admin1_pcode", sa.Text(), nullable=True),
        sa.Column("admin2_pcode", sa.Text(), nullable=True),
        sa.Column("admin3_pcode", sa.Text(), nullable=True),
        sa.Column("parent_place_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.Text(), nullable=True),
        sa.Column("added_by", sa.Text(), nullable=True),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('community', 'neighbourhood', 'camp', 'landmark', 'settlement')",
            name=op.f("ck_places_kind_known"),
        ),
        sa.CheckConstraint(
            "pcode IS NULL OR kind <> 'community' OR pcode ~ '^C[0-9]{4,6}$'",
            name=op.f("ck_places_community_pcode_format"),
        ),
        sa.CheckConstraint(
            "pcode IS NULL OR kind <> 'neighbourhood' OR pcode ~ '^N[0-9]{4}$'",
            name=op.f("ck_places_neighbourhood_pcode_format"),
        ),
        sa.ForeignKeyConstraint(
            ["admin1_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_places_admin1_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin2_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_places_admin2_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin3_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_places_admin3_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_place_id"],
            ["places.id"],
            name=op.f("fk_places_parent_place_id_places"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_places")),
        sa.UniqueConstraint("pcode", name=op.f("uq_places_pcode")),
    )
    op.create_index(op.f("ix_places_admin3_pcode"), "places", ["admin3_pcode"], unique=False)
    op.create_geospatial_index(
        "ix_places_geom",
        "places",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_places_kind"), "places", ["kind"], unique=False)
    op.create_table(
        "provenance_spans",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("start_offset", sa.Integer(), nullable=False),
        sa.Column("end_offset", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("locator", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "start_offset >= 0 AND start_offset <= end_offset",
            name=op.f("ck_provenance_spans_offsets_order"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["source_documents.id"],
            name=op.f("fk_provenance_spans_document_id_source_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provenance_spans")),
    )
    op.create_index(
        op.f("ix_provenance_spans_document_id"), "provenance_spans", ["document_id"], unique=False
    )
    op.create_table(
        "report_tolls",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("party_code", sa.Text(), nullable=True),
        sa.Column("governorate_pcode", sa.Text(), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("children", sa.Integer(), nullable=True),
        sa.Column("women", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "period ~ '^[0-9]{4}(-[0-9]{2})?$'", name=op.f("ck_report_tolls_period_format")
        ),
        sa.CheckConstraint(
            "(killed IS NULL OR killed >= 0) AND (children IS NULL OR children >= 0) AND (women IS NULL OR women >= 0) AND (count IS NULL OR count >= 0)",
            name=op.f("ck_report_tolls_counts_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["source_documents.id"],
            name=op.f("fk_report_tolls_document_id_source_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["governorate_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_report_tolls_governorate_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["parties.code"],
            name=op.f("fk_report_tolls_party_code_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_tolls")),
    )
    op.create_index(
        op.f("ix_report_tolls_document_id"), "report_tolls", ["document_id"], unique=False
    )
    op.create_table(
        "review_items",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("start_offset", sa.Integer(), nullable=True),
        sa.Column("end_offset", sa.Integer(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'open'"), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'dismissed')", name=op.f("ck_review_items_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["source_documents.id"],
            name=op.f("fk_review_items_document_id_source_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_items")),
    )
    op.create_index(
        op.f("ix_review_items_document_id"), "review_items", ["document_id"], unique=False
    )
    op.create_table(
        "control_zone_parties",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("party_code", sa.Text(), nullable=False),
        sa.Column("share", sa.Numeric(precision=5, scale=4), nullable=True),
        sa.CheckConstraint(
            "share IS NULL OR (share >= 0 AND share <= 1)",
            name=op.f("ck_control_zone_parties_share_fraction"),
        ),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["parties.code"],
            name=op.f("fk_control_zone_parties_party_code_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"],
            ["control_zones.id"],
            name=op.f("fk_control_zone_parties_zone_id_control_zones"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("zone_id", "party_code", name=op.f("pk_control_zone_parties")),
    )
    op.create_geospatial_table(
        "incidents",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("date_start", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.Text(), nullable=False),
        sa.Column("event_time", sa.Time(), nullable=True),
        sa.Column("documented_on", sa.Date(), nullable=True),
        sa.Column("place_text", sa.Text(), nullable=True),
        sa.Column("place_context", sa.Text(), nullable=True),
        sa.Column("governorate", sa.Text(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("place_pcode", sa.Text(), nullable=True),
        sa.Column("admin1_pcode", sa.Text(), nullable=True),
        sa.Column("admin2_pcode", sa.Text(), nullable=True),
        sa.Column("admin3_pcode", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("location_precision", sa.Text(), nullable=True),
        sa.Column("perpetrator_text", sa.Text(), nullable=True),
        sa.Column("perpetrator_category", sa.Text(), nullable=True),
        sa.Column("perpetrator_subcategory", sa.Text(), nullable=True),
        sa.Column("weapon", sa.Text(), nullable=True),
        sa.Column("killed_total", sa.Integer(), nullable=True),
        sa.Column("killed_children", sa.Integer(), nullable=True),
        sa.Column("killed_women", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("massacre", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "victim_categories",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("facility", sa.Text(), nullable=True),
        sa.Column("controlling_force_text", sa.Text(), nullable=True),
        sa.Column("control_zone_id", sa.Integer(), nullable=True),
        sa.Column("control_method", sa.Text(), nullable=True),
        sa.Column("control_evidence_age_days", sa.Integer(), nullable=True),
        sa.Column("control_disagrees", sa.Boolean(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("sensitive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'published'"), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=False),
        sa.Column("provenance_span_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "attributes",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "control_method IS NULL OR control_method IN ('zone', 'observation', 'as_reported')",
            name=op.f("ck_incidents_control_method_known"),
        ),
        sa.CheckConstraint(
            "date_precision <> 'year' OR extract(month FROM date_start) = 1",
            name=op.f("ck_incidents_year_starts_jan1"),
        ),
        sa.CheckConstraint(
            "date_precision = 'day' OR extract(day FROM date_start) = 1",
            name=op.f("ck_incidents_month_starts_day1"),
        ),
        sa.CheckConstraint(
            "date_precision IN ('day', 'month', 'year')",
            name=op.f("ck_incidents_date_precision_known"),
        ),
        sa.CheckConstraint(
            "facility IS NULL OR facility IN ('hospital', 'medical_point', 'ambulance', 'civil_defense_center', 'red_crescent', 'school', 'mosque', 'market', 'camp', 'other')",
            name=op.f("ck_incidents_facility_known"),
        ),
        sa.CheckConstraint(
            "location_precision IS NULL OR location_precision IN ('exact', 'community', 'neighbourhood', 'camp', 'subdistrict', 'district', 'governorate', 'country')",
            name=op.f("ck_incidents_location_precision_known"),
        ),
        sa.CheckConstraint(
            "status IN ('published', 'review', 'retracted')", name=op.f("ck_incidents_status_known")
        ),
        sa.CheckConstraint(
            "victim_categories <@ ARRAY['medical', 'civil_defense', 'media', 'aid_worker']::text[]",
            name=op.f("ck_incidents_victim_categories_known"),
        ),
        sa.CheckConstraint(
            "weapon IS NULL OR weapon IN ('landmine', 'erw', 'airstrike', 'artillery', 'rocket', 'missile', 'cluster_munition', 'gunfire', 'ied', 'car_bomb', 'torture', 'drowning', 'fire', 'other')",
            name=op.f("ck_incidents_weapon_known"),
        ),
        sa.CheckConstraint(
            "(killed_total IS NULL OR killed_total >= 0) AND (killed_children IS NULL OR killed_children >= 0) AND (killed_women IS NULL OR killed_women >= 0) AND (injured IS NULL OR injured >= 0)",
            name=op.f("ck_incidents_counts_nonnegative"),
        ),
        sa.CheckConstraint(
            "NOT massacre OR killed_total IS NULL OR killed_total >= 5",
            name=op.f("ck_incidents_massacre_five_plus"),
        ),
        sa.CheckConstraint(
            "documented_on IS NULL OR documented_on >= date_start",
            name=op.f("ck_incidents_documented_after_event"),
        ),
        sa.CheckConstraint(
            "evidence IS NULL OR char_length(evidence) <= 1000",
            name=op.f("ck_incidents_evidence_length"),
        ),
        sa.CheckConstraint(
            "killed_total IS NULL OR ((killed_children IS NULL OR killed_children <= killed_total) AND (killed_women IS NULL OR killed_women <= killed_total))",
            name=op.f("ck_incidents_each_within_killed"),
        ),
        sa.CheckConstraint(
            "killed_total IS NULL OR killed_children IS NULL OR killed_women IS NULL OR killed_children + killed_women <= killed_total",
            name=op.f("ck_incidents_children_women_within_killed"),
        ),
        sa.ForeignKeyConstraint(
            ["admin1_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_incidents_admin1_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin2_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_incidents_admin2_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["admin3_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_incidents_admin3_pcode_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["control_zone_id"],
            ["control_zones.id"],
            name=op.f("fk_incidents_control_zone_id_control_zones"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["perpetrator_category"],
            ["parties.code"],
            name=op.f("fk_incidents_perpetrator_category_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["perpetrator_subcategory"],
            ["parties.code"],
            name=op.f("fk_incidents_perpetrator_subcategory_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_incidents_place_id_places"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provenance_span_id"],
            ["provenance_spans.id"],
            name=op.f("fk_incidents_provenance_span_id_provenance_spans"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["source_documents.id"],
            name=op.f("fk_incidents_source_document_id_source_documents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_incidents_fingerprint")),
    )
    op.create_index(op.f("ix_incidents_admin1_pcode"), "incidents", ["admin1_pcode"], unique=False)
    op.create_index(op.f("ix_incidents_admin3_pcode"), "incidents", ["admin3_pcode"], unique=False)
    op.create_index(
        op.f("ix_incidents_control_zone_id"), "incidents", ["control_zone_id"], unique=False
    )
    op.create_index(op.f("ix_incidents_date_start"), "incidents", ["date_start"], unique=False)
    op.create_geospatial_index(
        "ix_incidents_geom",
        "incidents",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_incidents_perpetrator_category"),
        "incidents",
        ["perpetrator_category"],
        unique=False,
    )
    op.create_index(
        op.f("ix_incidents_source_document_id"), "incidents", ["source_document_id"], unique=False
    )
    op.create_index(op.f("ix_incidents_weapon"), "incidents", ["weapon"], unique=False)
    op.create_table(
        "place_names",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("admin_pcode", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("lang", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("name_kind", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("added_by", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "lang ~ '^[a-z]{2,3}(-[A-Z][a-z]{3})?$'", name=op.f("ck_place_names_lang_format")
        ),
        sa.CheckConstraint(
            "name_kind IN ('official', 'alternate', 'transliteration', 'historic', 'abbreviation', 'editor')",
            name=op.f("ck_place_names_name_kind_known"),
        ),
        sa.CheckConstraint(
            "num_nonnulls(place_id, admin_pcode) = 1", name=op.f("ck_place_names_names_one_thing")
        ),
        sa.ForeignKeyConstraint(
            ["admin_pcode"],
            ["admin_units.pcode"],
            name=op.f("fk_place_names_admin_pcode_admin_units"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_place_names_place_id_places"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_names")),
        sa.UniqueConstraint(
            "place_id",
            "admin_pcode",
            "name",
            "lang",
            name=op.f("uq_place_names_place_id_admin_pcode_name_lang"),
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        op.f("ix_place_names_admin_pcode"), "place_names", ["admin_pcode"], unique=False
    )
    op.create_index(op.f("ix_place_names_key"), "place_names", ["key"], unique=False)
    op.create_index(op.f("ix_place_names_place_id"), "place_names", ["place_id"], unique=False)
    op.create_geospatial_table(
        "control_observations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("source_document_id", sa.Integer(), nullable=True),
        sa.Column("provenance_span_id", sa.BigInteger(), nullable=True),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_control_observations_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["places.id"],
            name=op.f("fk_control_observations_place_id_places"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["provenance_span_id"],
            ["provenance_spans.id"],
            name=op.f("fk_control_observations_provenance_span_id_provenance_spans"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["source_documents.id"],
            name=op.f("fk_control_observations_source_document_id_source_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_observations")),
    )
    op.create_geospatial_index(
        "ix_control_observations_geom",
        "control_observations",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(
        op.f("ix_control_observations_incident_id"),
        "control_observations",
        ["incident_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_control_observations_observed_on"),
        "control_observations",
        ["observed_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_control_observations_source_document_id"),
        "control_observations",
        ["source_document_id"],
        unique=False,
    )
    op.create_table(
        "hazard_area_incidents",
        sa.Column("hazard_area_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_area_id"],
            ["hazard_areas.id"],
            name=op.f("fk_hazard_area_incidents_hazard_area_id_hazard_areas"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_hazard_area_incidents_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "hazard_area_id", "incident_id", name=op.f("pk_hazard_area_incidents")
        ),
    )
    op.create_table(
        "incident_reported_control",
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("party_code", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_reported_control_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["parties.code"],
            name=op.f("fk_incident_reported_control_party_code_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "incident_id", "party_code", name=op.f("pk_incident_reported_control")
        ),
    )
    op.create_table(
        "victims",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("alias", sa.Text(), nullable=True),
        sa.Column("sex", sa.Text(), nullable=True),
        sa.Column("age", sa.SmallInteger(), nullable=True),
        sa.Column("is_child", sa.Boolean(), nullable=True),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("residence", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("provenance_span_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "sex IS NULL OR sex IN ('female', 'male')", name=op.f("ck_victims_sex_known")
        ),
        sa.CheckConstraint(
            "age IS NULL OR (age >= 0 AND age < 130)", name=op.f("ck_victims_age_range")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_victims_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provenance_span_id"],
            ["provenance_spans.id"],
            name=op.f("fk_victims_provenance_span_id_provenance_spans"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_victims")),
        schema="restricted",
    )
    op.create_index(
        op.f("ix_victims_incident_id"),
        "victims",
        ["incident_id"],
        unique=False,
        schema="restricted",
    )
    op.create_table(
        "witnesses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("alias", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column(
            "consent_to_share", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_witnesses_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_witnesses")),
        schema="restricted",
    )
    op.create_index(
        op.f("ix_witnesses_incident_id"),
        "witnesses",
        ["incident_id"],
        unique=False,
        schema="restricted",
    )
    op.create_table(
        "control_observation_parties",
        sa.Column("observation_id", sa.BigInteger(), nullable=False),
        sa.Column("party_code", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["control_observations.id"],
            name=op.f("fk_control_observation_parties_observation_id_control_observations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_code"],
            ["parties.code"],
            name=op.f("fk_control_observation_parties_party_code_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "observation_id", "party_code", name=op.f("pk_control_observation_parties")
        ),
    )


def downgrade() -> None:
    op.drop_table("control_observation_parties")
    op.drop_index(op.f("ix_witnesses_incident_id"), table_name="witnesses", schema="restricted")
    op.drop_table("witnesses", schema="restricted")
    op.drop_index(op.f("ix_victims_incident_id"), table_name="victims", schema="restricted")
    op.drop_table("victims", schema="restricted")
    op.drop_table("incident_reported_control")
    op.drop_table("hazard_area_incidents")
    op.drop_index(
        op.f("ix_control_observations_source_document_id"), table_name="control_observations"
    )
    op.drop_index(op.f("ix_control_observations_observed_on"), table_name="control_observations")
    op.drop_index(op.f("ix_control_observations_incident_id"), table_name="control_observations")
    op.drop_geospatial_index(
        "ix_control_observations_geom",
        table_name="control_observations",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("control_observations")
    op.drop_index(op.f("ix_place_names_place_id"), table_name="place_names")
    op.drop_index(op.f("ix_place_names_key"), table_name="place_names")
    op.drop_index(op.f("ix_place_names_admin_pcode"), table_name="place_names")
    op.drop_table("place_names")
    op.drop_index(op.f("ix_incidents_weapon"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_source_document_id"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_perpetrator_category"), table_name="incidents")
    op.drop_geospatial_index(
        "ix_incidents_geom", table_name="incidents", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_incidents_date_start"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_control_zone_id"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_admin3_pcode"), table_name="incidents")
    op.drop_index(op.f("ix_incidents_admin1_pcode"), table_name="incidents")
    op.drop_geospatial_table("incidents")
    op.drop_table("control_zone_parties")
    op.drop_index(op.f("ix_review_items_document_id"), table_name="review_items")
    op.drop_table("review_items")
    op.drop_index(op.f("ix_report_tolls_document_id"), table_name="report_tolls")
    op.drop_table("report_tolls")
    op.drop_index(op.f("ix_provenance_spans_document_id"), table_name="provenance_spans")
    op.drop_table("provenance_spans")
    op.drop_index(op.f("ix_places_kind"), table_name="places")
    op.drop_geospatial_index(
        "ix_places_geom", table_name="places", postgresql_using="gist", column_name="geom"
    )
    op.drop_index(op.f("ix_places_admin3_pcode"), table_name="places")
    op.drop_geospatial_table("places")
    op.drop_index(op.f("ix_party_aliases_key"), table_name="party_aliases")
    op.drop_table("party_aliases")
    op.drop_geospatial_index(
        "ix_hazard_areas_geom",
        table_name="hazard_areas",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_index(op.f("ix_hazard_areas_admin3_pcode"), table_name="hazard_areas")
    op.drop_geospatial_table("hazard_areas")
    op.drop_index(
        "ix_control_zones_geom_valid_during", table_name="control_zones", postgresql_using="gist"
    )
    op.drop_geospatial_table("control_zones")
    op.drop_table("admin_indicators")
    op.drop_index(op.f("ix_source_documents_checksum"), table_name="source_documents")
    op.drop_table("source_documents")
    op.drop_table("parties")
    op.drop_geospatial_table("geocode_cache")
    op.drop_table("data_versions")
    op.drop_index("ix_audit_log_entity_entity_id", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_admin_units_parent_pcode"), table_name="admin_units")
    op.drop_index(op.f("ix_admin_units_level"), table_name="admin_units")
    op.drop_geospatial_index(
        "ix_admin_units_geom", table_name="admin_units", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("admin_units")
    op.execute("DROP SCHEMA IF EXISTS restricted")

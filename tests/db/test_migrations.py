"""Migrations round-trip, and the models and the migrations describe the same schema."""

from __future__ import annotations

from collections.abc import Callable

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from db.engine import make_engine
from db.migrate import current_revision, downgrade, head_revision, upgrade
from db.models import RESTRICTED_SCHEMA, Base

EXPECTED_TABLES = {
    "admin_units",
    "places",
    "place_names",
    "parties",
    "party_aliases",
    "control_zones",
    "control_zone_parties",
    "control_observations",
    "source_documents",
    "provenance_spans",
    "incidents",
    "incident_reported_control",
    "hazard_areas",
    "hazard_area_incidents",
    "report_tolls",
    "review_items",
    "audit_log",
}


def _autogenerate_diff(connection) -> list[object]:  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(
        connection,
        opts={
            "include_schemas": True,
            "include_name": lambda name, type_, parents: (
                type_ != "schema" or name in (None, "public", RESTRICTED_SCHEMA)
            ),
            "include_object": lambda obj, name, type_, reflected, compare_to: (
                not (type_ == "table" and name == "spatial_ref_sys")
            ),
            "compare_type": True,
        },
    )
    return list(compare_metadata(context, Base.metadata))


#: Added by 0007 for the audit-log listings, with their key columns.
AUDIT_LISTING_INDEXES = {
    "ix_audit_log_actor_id_at": ["actor", "id", "at"],
    "ix_audit_log_action_id_at": ["action", "id", "at"],
}


def _audit_listing_indexes(engine: Engine) -> dict[str, list[str | None]]:
    return {
        index["name"]: index["column_names"]
        for index in inspect(engine).get_indexes("audit_log")
        if index["name"] in AUDIT_LISTING_INDEXES
    }


def test_upgrade_downgrade_upgrade_round_trip(make_database: Callable[[], str]) -> None:
    engine = make_engine(make_database())
    try:
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        tables = set(inspect(engine).get_table_names())
        assert tables >= EXPECTED_TABLES
        assert set(inspect(engine).get_table_names(schema=RESTRICTED_SCHEMA)) == {
            "victims",
            "witnesses",
        }
        assert _audit_listing_indexes(engine) == AUDIT_LISTING_INDEXES

        # One step back first, so the newest downgrade is seen to undo exactly its upgrade.
        downgrade(engine, "0006")
        assert current_revision(engine) == "0006"
        assert _audit_listing_indexes(engine) == {}

        downgrade(engine, "base")
        assert current_revision(engine) is None
        leftover = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
        assert leftover == set()
        with engine.connect() as conn:
            schemas = conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname = :name"),
                {"name": RESTRICTED_SCHEMA},
            ).all()
        assert schemas == []

        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
        assert _audit_listing_indexes(engine) == AUDIT_LISTING_INDEXES
    finally:
        engine.dispose()


def test_autogenerate_finds_no_difference(make_database: Callable[[], str]) -> None:
    engine = make_engine(make_database())
    try:
        upgrade(engine)
        with engine.connect() as conn:
            assert _autogenerate_diff(conn) == []
    finally:
        engine.dispose()


def test_autogenerate_notices_a_model_change(make_database: Callable[[], str]) -> None:
    """Guard against a comparison that can never fail: an unmigrated database must differ."""
    engine = make_engine(make_database())
    try:
        upgrade(engine, "head")
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE incidents DROP COLUMN injured"))
        with engine.connect() as conn:
            diff = _autogenerate_diff(conn)
        assert any("injured" in repr(item) for item in diff)
    finally:
        engine.dispose()

"""Incidents get stored tile keys and control codes, so tiles read one narrow index.

* ``public_mx``/``public_my``: the public point in Web Mercator (EPSG:3857), and
  ``public_quadkey``: the level-18 quadkey (Morton code, x bits even, y bits odd) of the
  tile holding it. All three are kept by the ``athar_incident_public_geom`` trigger next to
  ``public_geom``. A tile at zoom z <= 18 owns exactly one contiguous quadkey range, and a
  grid cell of it is ``quadkey >> k``: an aggregated tile is one range scan and one
  integer GROUP BY, with no PROJ call or trigonometry per incident.
* ``ix_incidents_tile_grid``: a B-tree on the quadkey that INCLUDEs the columns of the
  aggregates and of the common filters, so a low-zoom tile is an index-only scan of a
  contiguous slice rather than a walk over the wide heap.
* ``control_reported``/``control_mapped``: comma-separated party codes, written by
  ``refresh_incident_control`` with the rest of the control join. Popups, tiles and exports
  read them as plain columns instead of two correlated sub-queries per incident.
  ``control_mapped`` now also carries the parties of an observation when no zone applied,
  as ``control_method = 'observation'`` always said it did.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 18 bits per axis: cells of 32 x 32-cell grids up to z13 (cell = tile at z + 5).
SPREAD_BITS = """
CREATE OR REPLACE FUNCTION athar_spread_bits(v bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
    -- Put bit i of v at bit 2i (v < 2^18): the halves of a Morton code.
    v := (v | (v << 16)) & 281470681808895;      -- 0x0000FFFF0000FFFF
    v := (v | (v << 8)) & 71777214294589695;     -- 0x00FF00FF00FF00FF
    v := (v | (v << 4)) & 1085102592571150095;   -- 0x0F0F0F0F0F0F0F0F
    v := (v | (v << 2)) & 3689348814741910323;   -- 0x3333333333333333
    v := (v | (v << 1)) & 6148914691236517205;   -- 0x5555555555555555
    RETURN v;
END
$$;
"""

QUADKEY = """
CREATE OR REPLACE FUNCTION athar_quadkey(mx double precision, my double precision)
RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- Column from the west edge, row from the north edge of the EPSG:3857 square, as
    -- ST_TileEnvelope numbers tiles; clamped so points beyond +-85.05 deg stay in the world.
    SELECT athar_spread_bits(LEAST(GREATEST(
               floor((mx + 20037508.342789244) / (40075016.685578488 / 262144))::bigint,
               0), 262143))
         | (athar_spread_bits(LEAST(GREATEST(
               floor((20037508.342789244 - my) / (40075016.685578488 / 262144))::bigint,
               0), 262143)) << 1)
$$;
"""

FUNCTION = """
CREATE OR REPLACE FUNCTION athar_incident_public_geom() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    projected geometry;
BEGIN
    IF NEW.sensitive THEN
        NEW.public_geom := (
            SELECT ST_PointOnSurface(a.geom) FROM admin_units a WHERE a.pcode = NEW.admin3_pcode
        );
    ELSE
        NEW.public_geom := NEW.geom;
    END IF;
    IF NEW.public_geom IS NULL THEN
        NEW.public_mx := NULL;
        NEW.public_my := NULL;
        NEW.public_quadkey := NULL;
    ELSE
        projected := ST_Transform(NEW.public_geom, 3857);
        NEW.public_mx := ST_X(projected);
        NEW.public_my := ST_Y(projected);
        NEW.public_quadkey := athar_quadkey(NEW.public_mx, NEW.public_my);
    END IF;
    RETURN NEW;
END
$$;
"""

FUNCTION_0005 = """
CREATE OR REPLACE FUNCTION athar_incident_public_geom() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.sensitive THEN
        NEW.public_geom := (
            SELECT ST_PointOnSurface(a.geom) FROM admin_units a WHERE a.pcode = NEW.admin3_pcode
        );
    ELSE
        NEW.public_geom := NEW.geom;
    END IF;
    RETURN NEW;
END
$$;
"""

# The codes as refresh_incident_control writes them: sorted, comma-separated.
BACKFILL_CONTROL = """
UPDATE incidents i
   SET control_reported = (
           SELECT string_agg(r.party_code, ',' ORDER BY r.party_code)
             FROM incident_reported_control r WHERE r.incident_id = i.id),
       control_mapped = CASE
           WHEN i.control_zone_id IS NOT NULL THEN (
               SELECT string_agg(p.party_code, ',' ORDER BY p.party_code)
                 FROM control_zone_parties p WHERE p.zone_id = i.control_zone_id)
           WHEN i.control_observation_id IS NOT NULL THEN (
               SELECT string_agg(p.party_code, ',' ORDER BY p.party_code)
                 FROM control_observation_parties p
                WHERE p.observation_id = i.control_observation_id)
       END
"""

GRID_INCLUDE = [
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
]


def upgrade() -> None:
    op.add_column("incidents", sa.Column("public_mx", sa.Double(), nullable=True))
    op.add_column("incidents", sa.Column("public_my", sa.Double(), nullable=True))
    op.add_column("incidents", sa.Column("public_quadkey", sa.BigInteger(), nullable=True))
    op.add_column("incidents", sa.Column("control_reported", sa.Text(), nullable=True))
    op.add_column("incidents", sa.Column("control_mapped", sa.Text(), nullable=True))
    op.execute(SPREAD_BITS)
    op.execute(QUADKEY)
    op.execute(FUNCTION)
    # Fire the trigger once for every existing row, then fill the control codes.
    op.execute("UPDATE incidents SET sensitive = sensitive")
    op.execute(BACKFILL_CONTROL)
    op.create_index(
        "ix_incidents_tile_grid",
        "incidents",
        ["public_quadkey"],
        postgresql_include=GRID_INCLUDE,
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_tile_grid", table_name="incidents")
    op.execute(FUNCTION_0005)
    op.execute("DROP FUNCTION IF EXISTS athar_quadkey(double precision, double precision)")
    op.execute("DROP FUNCTION IF EXISTS athar_spread_bits(bigint)")
    for column in (
        "control_mapped",
        "control_reported",
        "public_quadkey",
        "public_my",
        "public_mx",
    ):
        op.drop_column("incidents", column)

"""Incidents get ``public_geom``: the point the public may see, kept by a trigger.

A sensitive incident's public point is a point on its sub-district (NULL if the sub-district
is unknown, so it is not shown at all); any other incident's is its own point. Public
filters and tiles query this indexed column, so no search can home in on a true location.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 06:20:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
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

TRIGGER = """
CREATE TRIGGER incidents_public_geom
BEFORE INSERT OR UPDATE OF geom, sensitive, admin3_pcode ON incidents
FOR EACH ROW EXECUTE FUNCTION athar_incident_public_geom();
"""


def upgrade() -> None:
    op.add_column(
        "incidents",
        sa.Column(
            "public_geom",
            Geometry(geometry_type="POINT", srid=4326, spatial_index=False),
            nullable=True,
        ),
    )
    op.execute(FUNCTION)
    op.execute(TRIGGER)
    # Fire the trigger once for every existing row.
    op.execute("UPDATE incidents SET sensitive = sensitive")
    op.create_index(
        "ix_incidents_public_geom", "incidents", ["public_geom"], postgresql_using="gist"
    )


def downgrade() -> None:
    op.drop_index("ix_incidents_public_geom", table_name="incidents", postgresql_using="gist")
    op.execute("DROP TRIGGER IF EXISTS incidents_public_geom ON incidents")
    op.execute("DROP FUNCTION IF EXISTS athar_incident_public_geom()")
    op.drop_column("incidents", "public_geom")

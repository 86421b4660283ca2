"""Indexes for landmine hotspots (partial GiST) and for zone series and files.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_incidents_landmine_geom",
        "incidents",
        ["geom"],
        postgresql_using="gist",
        postgresql_where=sa.text("weapon IN ('landmine', 'erw')"),
    )
    op.create_index(op.f("ix_control_zones_derivation"), "control_zones", ["derivation"])
    op.create_index(
        op.f("ix_control_zones_source_document_id"), "control_zones", ["source_document_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_control_zones_source_document_id"), table_name="control_zones")
    op.drop_index(op.f("ix_control_zones_derivation"), table_name="control_zones")
    op.drop_index("ix_incidents_landmine_geom", table_name="incidents")

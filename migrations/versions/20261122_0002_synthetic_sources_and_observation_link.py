"""Synthetic source documents; incidents remember the control observation they were joined to.

Synthetic data (``athar dev synth``) is marked by its source kind so that it can never be
mistaken for, or exported as, documented incidents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = "'report', 'csv', 'geojson', 'acled', 'zones', 'hazards', 'manual', 'sample'"
NEW_KINDS = OLD_KINDS + ", 'synthetic'"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_source_documents_kind_known"), "source_documents", type_="check")
    op.create_check_constraint(
        op.f("ck_source_documents_kind_known"), "source_documents", f"kind IN ({NEW_KINDS})"
    )
    op.add_column("incidents", sa.Column("control_observation_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_incidents_control_observation_id_control_observations"),
        "incidents",
        "control_observations",
        ["control_observation_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_incidents_control_observation_id_control_observations"),
        "incidents",
        type_="foreignkey",
    )
    op.drop_column("incidents", "control_observation_id")
    op.execute("DELETE FROM source_documents WHERE kind = 'synthetic'")
    op.drop_constraint(op.f("ck_source_documents_kind_known"), "source_documents", type_="check")
    op.create_check_constraint(
        op.f("ck_source_documents_kind_known"), "source_documents", f"kind IN ({OLD_KINDS})"
    )

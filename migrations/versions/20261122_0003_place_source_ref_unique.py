"""Places are identified by ``source_ref`` so gazetteer reloads update rather than duplicate.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_unique_constraint(op.f("uq_places_source_ref"), "places", ["source_ref"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_places_source_ref"), "places", type_="unique")

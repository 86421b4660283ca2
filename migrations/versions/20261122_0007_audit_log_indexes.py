"""Indexes for the audit-log listings, which filter by actor or action, newest first.

Every write and every read of personal data appends to ``audit_log``, so it only grows,
and ``GET /audit`` and ``athar audit list`` (``db.audit.entries``) ask for
``WHERE actor = ... [AND id < before] [AND at >= since] ORDER BY id DESC LIMIT n``, or the
same by action. Until now only ``at`` and (entity, entity_id) were indexed, so such a page
walked the primary key backwards past every other actor's entries, or sorted all of the
actor's.

* ``ix_audit_log_actor_id_at`` and ``ix_audit_log_action_id_at``: equality on the first
  column, then ``id`` in index order, so a page is a backward range scan that stops after
  ``limit`` entries and ``before`` narrows the range. ``at`` comes last so that ``since``
  is checked in the index, not in the heap, when fewer than ``limit`` entries match and the
  scan goes on through the older ones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 12:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_log_actor_id_at", "audit_log", ["actor", "id", "at"])
    op.create_index("ix_audit_log_action_id_at", "audit_log", ["action", "id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_action_id_at", table_name="audit_log")
    op.drop_index("ix_audit_log_actor_id_at", table_name="audit_log")

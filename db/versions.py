"""Per-layer data versions: writers bump them, caches key on them.

A tile or response cache that includes the version of every layer it reads can never serve
data older than the last committed write, without any cross-process invalidation message.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import DataVersion

LAYERS = ("incidents", "control_zones", "hazard_areas", "admin_units", "places")


def bump(session: Session, *layers: str) -> None:
    """Mark ``layers`` changed; takes effect when the caller's transaction commits."""
    for layer in layers:
        statement = insert(DataVersion).values(layer=layer, version=1)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[DataVersion.layer],
                set_={"version": DataVersion.version + 1, "changed_at": text("now()")},
            )
        )


def current(session: Session) -> dict[str, int]:
    """Version of every layer that has one (a layer never written is absent)."""
    rows = session.execute(select(DataVersion.layer, DataVersion.version))
    return {layer: version for layer, version in rows}

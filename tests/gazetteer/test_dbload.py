"""The bundled gazetteer loads into PostGIS: nested admin polygons, places, names; idempotent."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.models import AdminUnit, Place, PlaceName
from gazetteer.data import Gazetteer
from gazetteer.dbload import load_gazetteer


@pytest.fixture(scope="module")
def bundled() -> Gazetteer:
    return Gazetteer.load()


def test_load_is_complete_and_geometrically_sound(db_session: Session, bundled: Gazetteer) -> None:
    counts = load_gazetteer(db_session, bundled, force=True)
    assert not counts.skipped
    levels = dict(
        db_session.execute(select(AdminUnit.level, func.count()).group_by(AdminUnit.level)).all()
    )
    assert levels == {0: 1, 1: 14, 2: 62, 3: 272}
    assert db_session.scalar(select(func.count()).select_from(Place)) == len(bundled.places)
    assert counts.names > len(bundled.places)

    # Every sub-district lies inside its governorate: the levels are unions, so they nest.
    outside = db_session.scalar(
        text(
            "SELECT count(*) FROM admin_units a3 JOIN admin_units a1"
            " ON a1.pcode = substr(a3.pcode, 1, 4)"
            " WHERE a3.level = 3 AND NOT ST_Covers(ST_Buffer(a1.geom, 1e-6), a3.geom)"
        )
    )
    assert outside == 0

    # OCHA says 7,652 community points fall in their own sub-district; simplification may
    # move a few border points out, never many, and none into another sub-district.
    inside, wrong = db_session.execute(
        text(
            "SELECT count(*) FILTER (WHERE ST_Contains(own.geom, p.geom)),"
            " count(*) FILTER (WHERE other.pcode IS NOT NULL)"
            " FROM places p JOIN admin_units own ON own.pcode = p.admin3_pcode"
            " LEFT JOIN admin_units other ON other.level = 3 AND other.pcode <> own.pcode"
            "  AND ST_Contains(other.geom, p.geom) AND NOT ST_Contains(own.geom, p.geom)"
            " WHERE p.kind = 'community' AND p.pcode IS NOT NULL"
        )
    ).one()
    assert inside >= 7600
    assert wrong <= 10

    aleppo = db_session.scalar(select(Place).where(Place.pcode == "C1007"))
    assert aleppo is not None and aleppo.admin1_pcode == "SY02"
    arabic = db_session.scalar(
        select(func.count()).select_from(PlaceName).where(PlaceName.lang == "ar")
    )
    assert arabic and arabic > 7000


def test_reload_keeps_place_ids_and_skips_when_unchanged(
    db_session: Session, bundled: Gazetteer
) -> None:
    load_gazetteer(db_session, bundled, force=True)
    before = dict(db_session.execute(select(Place.source_ref, Place.id)).all())
    assert load_gazetteer(db_session, bundled).skipped
    forced = load_gazetteer(db_session, bundled, force=True)
    assert not forced.skipped
    after = dict(db_session.execute(select(Place.source_ref, Place.id)).all())
    assert after == before

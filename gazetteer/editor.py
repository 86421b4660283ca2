"""Editors' additions to the gazetteer: aliases and new places, kept in PostGIS with a source.

Additions live in the database (``places.added_by``, ``place_names.name_kind = 'editor'``), so
rebuilding or reloading the bundled data never loses them; :func:`merge_additions` lays them
over a bundled :class:`~gazetteer.data.Gazetteer` before resolving.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.extent import SYRIA_BOUNDS
from db.models import AdminUnit, Place, PlaceName
from db.versions import bump
from gazetteer.data import Gazetteer
from gazetteer.data import Place as GazetteerPlace
from gazetteer.normalize import is_arabic, strict_key

EDITOR_SOURCE_PREFIX = "editor:"
EDITABLE_KINDS = ("community", "neighbourhood", "camp", "landmark", "settlement")
# The same limits the HTTP API states, so the command line cannot store what the API refuses.
MAX_NAME_CHARS = 200
MAX_SOURCE_CHARS = 500
MAX_TARGET_CHARS = 40
_MAX_PLACE_ID = 2**31 - 1  # places.id is an integer column


class AdditionError(ValueError):
    """An addition that cannot be stored, with a reason meant for the editor."""


def _check_text(field: str, value: str | None, limit: int) -> None:
    """Text PostgreSQL can store (no NUL, no lone surrogate), within the stated length."""
    if value is None:
        return
    if "\x00" in value:
        raise AdditionError(f"{field}: must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise AdditionError(f"{field}: is not valid Unicode text") from None
    if len(value) > limit:
        raise AdditionError(f"{field}: longer than {limit} characters")


@dataclass(frozen=True)
class Target:
    place_id: int | None
    admin_pcode: str | None
    label: str


def _find_target(session: Session, target: str, field: str = "target") -> Target:
    _check_text(field, target, MAX_TARGET_CHARS)
    if re.fullmatch(r"SY[0-9]{2}([0-9]{2}){0,2}", target) or target == "SY":
        unit = session.get(AdminUnit, target)
        if unit is None:
            raise AdditionError(f"{field}: no admin unit {target!r}")
        return Target(None, unit.pcode, unit.name_en)
    place = session.scalar(
        select(Place).where(or_(Place.pcode == target, Place.source_ref == target))
    )
    if place is None and target.isascii() and target.isdigit() and int(target) <= _MAX_PLACE_ID:
        place = session.get(Place, int(target))
    if place is None:
        raise AdditionError(
            f"{field}: no place {target!r} (give a P-code, a gazetteer id or a place id)"
        )
    return Target(place.id, None, place.name_en)


def add_alias(session: Session, *, target: str, alias: str, source: str, added_by: str) -> int:
    """Store another spelling of a place or admin unit; returns the name row's id."""
    _check_text("alias", alias, MAX_NAME_CHARS)
    _check_text("source", source, MAX_SOURCE_CHARS)
    name = " ".join(alias.split())
    key = strict_key(name) if name else ""
    if not key:
        raise AdditionError("alias: empty once normalised")
    if not source.strip():
        raise AdditionError("source: required for every addition")
    found = _find_target(session, target)
    lang = "ar" if is_arabic(name) else "ar-Latn"
    existing = session.scalar(
        select(PlaceName.id).where(
            PlaceName.place_id.is_not_distinct_from(found.place_id),
            PlaceName.admin_pcode.is_not_distinct_from(found.admin_pcode),
            PlaceName.name == name,
            PlaceName.lang == lang,
        )
    )
    if existing is not None:
        return existing
    row = PlaceName(
        place_id=found.place_id,
        admin_pcode=found.admin_pcode,
        name=name,
        lang=lang,
        key=key,
        name_kind="editor",
        source=EDITOR_SOURCE_PREFIX + source.strip(),
        added_by=added_by,
    )
    session.add(row)
    session.flush()
    bump(session, "places")
    return row.id


def add_place(
    session: Session,
    *,
    name: str,
    kind: str,
    lat: float,
    lon: float,
    source: str,
    added_by: str,
    name_ar: str | None = None,
    parent: str | None = None,
) -> Place:
    """Store a new place (e.g. a camp); its admin units come from point-in-polygon."""
    _check_text("name", name, MAX_NAME_CHARS)
    _check_text("name_ar", name_ar, MAX_NAME_CHARS)
    _check_text("source", source, MAX_SOURCE_CHARS)
    if not (math.isfinite(lat) and math.isfinite(lon)):
        raise AdditionError(f"lat, lon: ({lat}, {lon}) are not finite numbers")
    name = " ".join(name.split())
    if not name or not strict_key(name):
        raise AdditionError("name: the place needs a name")
    if kind not in EDITABLE_KINDS:
        raise AdditionError(f"kind: must be one of {', '.join(EDITABLE_KINDS)}")
    if not source.strip():
        raise AdditionError("source: required for every addition")
    min_lon, min_lat, max_lon, max_lat = SYRIA_BOUNDS
    if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
        raise AdditionError(
            f"lat, lon: ({lat}, {lon}) is not in or near Syria (check the lat, lon order)"
        )
    point = func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326)  # x = lon, y = lat
    sub_district = session.scalar(
        select(AdminUnit.pcode).where(AdminUnit.level == 3, func.ST_Contains(AdminUnit.geom, point))
    )
    parent_id = _find_target(session, parent, "parent").place_id if parent else None
    place = Place(
        kind=kind,
        name_en=name,
        name_ar=name_ar,
        geom=f"SRID=4326;POINT({lon} {lat})",
        admin1_pcode=sub_district[:4] if sub_district else None,
        admin2_pcode=sub_district[:6] if sub_district else None,
        admin3_pcode=sub_district,
        parent_place_id=parent_id,
        source=EDITOR_SOURCE_PREFIX + source.strip(),
        added_by=added_by,
    )
    session.add(place)
    session.flush()
    place.source_ref = f"editor-{place.id}"
    for spelling, lang in ((name, "ar-Latn"), (name_ar, "ar")):
        if spelling:
            session.add(
                PlaceName(
                    place_id=place.id,
                    name=spelling,
                    lang=lang,
                    key=strict_key(spelling),
                    name_kind="editor",
                    source=place.source,
                    added_by=added_by,
                )
            )
    session.flush()
    bump(session, "places")
    return place


def merge_additions(session: Session, gazetteer: Gazetteer) -> int:
    """Lay the database's editor places and aliases over ``gazetteer``; returns how many."""
    merged = 0
    places = session.execute(
        select(
            Place.source_ref,
            Place.kind,
            Place.name_en,
            Place.name_ar,
            func.ST_Y(Place.geom),
            func.ST_X(Place.geom),
            Place.admin1_pcode,
            Place.admin2_pcode,
            Place.admin3_pcode,
            Place.source,
        ).where(Place.added_by.is_not(None))
    )
    for ref, kind, name, name_ar, lat, lon, adm1, adm2, adm3, source in places:
        if ref in gazetteer.places:
            continue
        gazetteer.add_place(
            GazetteerPlace(
                id=ref,
                kind=kind,
                name=name,
                name_ar=name_ar,
                lat=lat,
                lon=lon,
                adm1=adm1,
                adm2=adm2,
                adm3=adm3,
                source=source,
            )
        )
        merged += 1
    aliases = session.execute(
        select(PlaceName.name, Place.source_ref, PlaceName.admin_pcode)
        .join(Place, Place.id == PlaceName.place_id, isouter=True)
        # An editor-added place already carries its own names; only aliases of others remain.
        .where(PlaceName.name_kind == "editor", Place.added_by.is_(None))
    )
    for alias, place_ref, admin_pcode in aliases:
        target = admin_pcode or place_ref
        if target is None:
            continue
        try:
            gazetteer.add_alias(target, alias, source="editor")
        except (KeyError, ValueError):
            continue
        merged += 1
    return merged

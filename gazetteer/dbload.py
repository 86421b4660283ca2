"""Put the bundled gazetteer into PostGIS: admin units, places and every spelling of their names.

Idempotent: admin units upsert on their P-code and places on ``source_ref`` (the gazetteer's
own id), so incidents keep their ``place_id`` across reloads; places an editor added
(``added_by`` set) are never touched. A checksum of the bundled files is kept in
``data_versions`` so an unchanged gazetteer is skipped in milliseconds (``make run`` calls
this on every start).

Sub-district (ADM3) polygons come from the bundle; districts, governorates and the country are
their unions, computed in PostGIS so that the levels nest exactly.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import DataVersion, Place, PlaceName
from db.versions import bump
from db.vocab import PLACE_KINDS
from gazetteer.data import DATA_DIR, Gazetteer
from gazetteer.normalize import is_arabic, strict_key

LAYER = "gazetteer"
BUNDLED_SOURCE_PREFIX = "athar-gazetteer:"
_COMMUNITY_PCODE = re.compile(r"^C[0-9]{4,6}$")
_NEIGHBOURHOOD_PCODE = re.compile(r"^N[0-9]{4}$")
_LATIN = re.compile(r"[A-Za-z]")
_BATCH = 5000


@dataclass(frozen=True)
class LoadCounts:
    admin_units: int
    places: int
    names: int
    skipped: bool = False


def bundle_checksum(data_dir: Path = DATA_DIR) -> int:
    """A 60-bit fingerprint of the bundled data files (fits data_versions.version)."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.glob("*.json.gz")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return int(digest.hexdigest()[:15], 16)


def _batches(rows: list[dict[str, Any]], size: int = _BATCH) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _name_lang(name: str) -> str:
    if is_arabic(name):
        return "ar"
    # Latin spellings of Syrian places are romanised Arabic; other scripts are unlabelled.
    return "ar-Latn" if _LATIN.search(name) else "und"


def _name_rows(
    names: Iterable[str], *, official_en: str | None, official_ar: str | None, source: str
) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in names:
        name = " ".join(raw.split())
        key = strict_key(name) if name else ""
        if not key:
            continue
        if name == official_en:
            lang, kind = "en", "official"
        elif name == official_ar:
            lang, kind = "ar", "official"
        else:
            lang, kind = _name_lang(name), "alternate"
        rows.setdefault(
            (name, lang),
            {"name": name, "lang": lang, "key": key, "name_kind": kind, "source": source},
        )
    return list(rows.values())


def _load_admin_units(session: Session, gazetteer: Gazetteer, data_dir: Path) -> int:
    with gzip.open(data_dir / "adm3.json.gz", "rt", encoding="utf-8") as fh:
        polygons: dict[str, Any] = json.load(fh)["polygons"]
    session.execute(text("DROP TABLE IF EXISTS athar_adm3_stage"))
    session.execute(
        text(
            "CREATE TEMP TABLE athar_adm3_stage (pcode text PRIMARY KEY, geom geometry)"
            " ON COMMIT DROP"
        )
    )
    session.execute(
        text(
            "INSERT INTO athar_adm3_stage (pcode, geom)"
            " VALUES (:pcode, ST_Multi(ST_CollectionExtract("
            "ST_MakeValid(ST_SetSRID(ST_GeomFromGeoJSON(:geojson), 4326)), 3)))"
        ),
        [{"pcode": pcode, "geojson": json.dumps(geom)} for pcode, geom in polygons.items()],
    )
    units = sorted(gazetteer.admins.values(), key=lambda unit: (unit.level, unit.pcode))
    upsert = text(
        """
        INSERT INTO admin_units (pcode, level, name_en, name_ar, parent_pcode, geom, source)
        SELECT :pcode, :level, :name_en, :name_ar, :parent, ST_Multi(
                   ST_CollectionExtract(ST_MakeValid(ST_Union(s.geom)), 3)),
               :source
        FROM athar_adm3_stage s
        WHERE s.pcode LIKE :prefix
        HAVING count(*) > 0
        ON CONFLICT (pcode) DO UPDATE SET
            level = EXCLUDED.level, name_en = EXCLUDED.name_en, name_ar = EXCLUDED.name_ar,
            parent_pcode = EXCLUDED.parent_pcode, geom = EXCLUDED.geom, source = EXCLUDED.source
        """
    )
    loaded = 0
    for unit in units:
        parent = {0: None, 1: "SY", 2: unit.adm1, 3: unit.adm2}.get(unit.level)
        # The country's P-code "SY" prefixes every sub-district, so LIKE 'SY%' unions them all.
        result = session.execute(
            upsert,
            {
                "pcode": unit.pcode,
                "level": unit.level,
                "name_en": unit.name,
                "name_ar": unit.name_ar,
                "parent": parent,
                "source": "OCHA COD-AB Syria (valid on 2020-12-17)",
                "prefix": unit.pcode + "%",
            },
        )
        loaded += result.rowcount or 0  # type: ignore[attr-defined]
    # Editors' aliases of admin units carry their own source and survive the reload.
    session.execute(
        delete(PlaceName).where(
            PlaceName.admin_pcode.is_not(None), PlaceName.source.startswith(BUNDLED_SOURCE_PREFIX)
        )
    )
    name_rows = [
        {"admin_pcode": unit.pcode, **row}
        for unit in units
        for row in _name_rows(
            unit.names or (unit.name,),
            official_en=unit.name,
            official_ar=unit.name_ar,
            source=BUNDLED_SOURCE_PREFIX + "admin",
        )
    ]
    for batch in _batches(name_rows):
        session.execute(insert(PlaceName), batch)
    return loaded


def _place_row(place: Any) -> dict[str, Any]:
    kind = place.kind if place.kind in PLACE_KINDS else "landmark"
    own_pcode = None
    if place.pcode and place.pcode == place.id:
        pattern = _COMMUNITY_PCODE if kind == "community" else _NEIGHBOURHOOD_PCODE
        own_pcode = place.pcode if pattern.match(place.pcode) else None
    return {
        "kind": kind,
        "pcode": own_pcode,
        "name_en": place.name,
        "name_ar": place.name_ar,
        # WKT is x y = lon lat.
        "geom": f"SRID=4326;POINT({place.lon} {place.lat})",
        "admin1_pcode": place.adm1,
        "admin2_pcode": place.adm2,
        "admin3_pcode": place.adm3,
        "source": BUNDLED_SOURCE_PREFIX + place.source,
        "source_ref": place.id,
        "attributes": {
            "parent_ref": place.parent,
            "community_pcode": place.pcode,
            "precise": place.precise,
        },
    }


def _load_places(session: Session, gazetteer: Gazetteer) -> tuple[int, int]:
    known_admin = set(session.scalars(text("SELECT pcode FROM admin_units")))
    rows = []
    for place in gazetteer.places.values():
        row = _place_row(place)
        for column in ("admin1_pcode", "admin2_pcode", "admin3_pcode"):
            if row[column] not in known_admin:
                row[column] = None
        rows.append(row)
    statement = insert(Place)
    upsert = statement.on_conflict_do_update(
        index_elements=[Place.source_ref],
        set_={
            column: statement.excluded[column]
            for column in (
                "kind",
                "pcode",
                "name_en",
                "name_ar",
                "geom",
                "admin1_pcode",
                "admin2_pcode",
                "admin3_pcode",
                "source",
                "attributes",
            )
        },
    )
    for batch in _batches(rows):
        session.execute(upsert, batch)
    wanted = {row["source_ref"] for row in rows}
    stale = [
        ref
        for ref in session.scalars(
            select(Place.source_ref).where(
                Place.added_by.is_(None), Place.source.startswith(BUNDLED_SOURCE_PREFIX)
            )
        )
        if ref not in wanted
    ]
    if stale:
        session.execute(delete(Place).where(Place.source_ref.in_(stale)))
    # Fresh statistics: without them (new database, or many dead rows after a rolled-back
    # load) the planner picks a nested loop for the self-join below, which takes a minute.
    session.execute(text("ANALYZE places"))
    session.execute(
        text(
            "UPDATE places p SET parent_place_id = q.id FROM places q"
            " WHERE q.source_ref = p.attributes->>'parent_ref'"
            " AND p.parent_place_id IS DISTINCT FROM q.id"
        )
    )
    ids = dict(
        session.execute(
            select(Place.source_ref, Place.id).where(Place.source.startswith(BUNDLED_SOURCE_PREFIX))
        ).all()
    )
    session.execute(
        delete(PlaceName).where(
            PlaceName.place_id.is_not(None), PlaceName.source.startswith(BUNDLED_SOURCE_PREFIX)
        )
    )
    name_rows = [
        {"place_id": ids[place.id], **row}
        for place in gazetteer.places.values()
        for row in _name_rows(
            place.all_names(),
            official_en=place.name,
            official_ar=place.name_ar,
            source=BUNDLED_SOURCE_PREFIX + place.source,
        )
    ]
    for batch in _batches(name_rows):
        session.execute(insert(PlaceName).on_conflict_do_nothing(), batch)
    return len(rows), len(name_rows)


def load_gazetteer(
    session: Session,
    gazetteer: Gazetteer | None = None,
    *,
    data_dir: Path = DATA_DIR,
    force: bool = False,
) -> LoadCounts:
    """Load admin units, places and names; skipped when the bundle is already loaded."""
    checksum = bundle_checksum(data_dir)
    current = session.get(DataVersion, LAYER)
    if current is not None and current.version == checksum and not force:
        return LoadCounts(0, 0, 0, skipped=True)
    gazetteer = gazetteer or Gazetteer.load(data_dir)
    admin_units = _load_admin_units(session, gazetteer, data_dir)
    places, names = _load_places(session, gazetteer)
    # Sensitive incidents are shown on their sub-district: recompute where (trigger).
    session.execute(text("UPDATE incidents SET admin3_pcode = admin3_pcode WHERE sensitive"))
    # Tile and response caches key on these: admin layers and relocated sensitive points.
    bump(session, "admin_units", "places", "incidents")
    statement = insert(DataVersion).values(layer=LAYER, version=checksum)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[DataVersion.layer],
            set_={"version": checksum, "changed_at": text("now()")},
        )
    )
    return LoadCounts(admin_units, places, names)

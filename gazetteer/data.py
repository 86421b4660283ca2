"""The gazetteer data object: admin units, places and sub-district polygons.

:class:`Gazetteer` is what a :class:`~gazetteer.resolver.Resolver` is built from.  It is
loaded from the bundled files in ``gazetteer/data/`` (see :mod:`gazetteer.build`) and can
take additions later — an alias for a known place, or a new place with its source — so
editors' corrections stored in the database can be merged in before resolving.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"

ADMIN_KINDS = {0: "country", 1: "governorate", 2: "district", 3: "subdistrict"}


@dataclass(frozen=True)
class AdminUnit:
    """One OCHA admin unit (level 0 country ... level 3 sub-district)."""

    pcode: str
    level: int
    name: str
    name_ar: str | None
    adm1: str | None
    adm2: str | None
    lat: float
    lon: float
    centre_lat: float
    centre_lon: float
    radius_km: float
    names: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return ADMIN_KINDS[self.level]


@dataclass(frozen=True)
class Place:
    """A named point: community, neighbourhood, camp or landmark."""

    id: str
    kind: str
    name: str
    lat: float
    lon: float
    adm1: str | None
    adm2: str | None
    adm3: str | None
    pcode: str | None = None
    name_ar: str | None = None
    parent: str | None = None
    names: tuple[str, ...] = ()
    weight: float = 0.0
    precise: bool = True
    source: str = "unknown"

    def all_names(self) -> tuple[str, ...]:
        extra = tuple(n for n in (self.name, self.name_ar) if n and n not in self.names)
        return extra + self.names


@dataclass(frozen=True)
class Addition:
    """One change merged in after loading: what, to which target, and on whose word."""

    action: str  # "alias" or "place"
    target: str
    value: str
    source: str


def _read_gz_json(path: Path) -> Any:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class Gazetteer:
    """All places and admin units known to athar, plus later additions."""

    admins: dict[str, AdminUnit]
    places: dict[str, Place]
    data_dir: Path | None = None
    # Bumped on every addition so resolvers know their index is stale.
    version: int = 0
    additions: list[Addition] = field(default_factory=list)
    _polygons: Any = field(default=None, repr=False)

    # ------------------------------------------------------------------ loading

    @classmethod
    def load(cls, data_dir: Path | str | None = None) -> Gazetteer:
        """Load the bundled data files (or those in ``data_dir``)."""
        directory = Path(data_dir) if data_dir is not None else DATA_DIR
        admins: dict[str, AdminUnit] = {}
        for unit in _read_gz_json(directory / "admin.json.gz")["units"]:
            admins[unit["pcode"]] = AdminUnit(
                pcode=unit["pcode"],
                level=unit["level"],
                name=unit["name"],
                name_ar=unit.get("name_ar"),
                adm1=unit.get("adm1"),
                adm2=unit.get("adm2"),
                lat=unit["lat"],
                lon=unit["lon"],
                centre_lat=unit.get("clat", unit["lat"]),
                centre_lon=unit.get("clon", unit["lon"]),
                radius_km=unit.get("radius_km", 10.0),
                names=tuple(unit.get("names", ())),
                regions=tuple(unit.get("regions", ())),
            )
        places: dict[str, Place] = {}
        for raw in _read_gz_json(directory / "places.json.gz")["places"]:
            place = Place(
                id=raw["id"],
                kind=raw["kind"],
                name=raw["name"],
                lat=raw["lat"],
                lon=raw["lon"],
                adm1=raw.get("adm1"),
                adm2=raw.get("adm2"),
                adm3=raw.get("adm3"),
                pcode=raw.get("pcode"),
                name_ar=raw.get("name_ar"),
                parent=raw.get("parent"),
                names=tuple(raw.get("names", ())),
                weight=raw.get("weight", 0.0),
                precise=raw.get("precise", True),
                source=raw.get("source", "unknown"),
            )
            places[place.id] = place
        return cls(admins=admins, places=places, data_dir=directory)

    @classmethod
    def from_records(cls, admins: Iterable[AdminUnit], places: Iterable[Place]) -> Gazetteer:
        """Build a small gazetteer in memory (tests, fixtures)."""
        return cls(admins={a.pcode: a for a in admins}, places={p.id: p for p in places})

    # ------------------------------------------------------------------ additions

    def add_alias(self, target: str, alias: str, source: str = "editor") -> None:
        """Record another name for a place (by id or P-code) or an admin unit."""
        alias = " ".join(alias.split())
        if not alias:
            raise ValueError("empty alias")
        if target in self.admins:
            unit = self.admins[target]
            if alias not in unit.names:
                self.admins[target] = replace(unit, names=(*unit.names, alias))
        else:
            place = self.place_by_code(target)
            if place is None:
                raise KeyError(f"no place or admin unit {target!r}")
            if alias not in place.names:
                self.places[place.id] = replace(place, names=(*place.names, alias))
            target = place.id
        self.additions.append(Addition("alias", target, alias, source))
        self.version += 1

    def add_place(self, place: Place) -> Place:
        """Add a new place; admin codes are filled in by point-in-polygon when missing."""
        if place.id in self.places:
            raise ValueError(f"place id {place.id!r} already exists")
        if place.adm3 is None:
            located = self.locate_admin(place.lat, place.lon)
            if located is not None:
                place = replace(place, adm1=located[0], adm2=located[1], adm3=located[2])
        self.places[place.id] = place
        self.additions.append(Addition("place", place.id, place.name, place.source))
        self.version += 1
        return place

    def place_by_code(self, code: str) -> Place | None:
        """A place by its id, or else by its P-code."""
        found = self.places.get(code)
        if found is not None:
            return found
        for place in self.places.values():
            if place.pcode == code:
                return place
        return None

    # ------------------------------------------------------------------ geometry

    def _load_polygons(self) -> Any:
        if self._polygons is None:
            from shapely.geometry import shape
            from shapely.strtree import STRtree

            directory = self.data_dir or DATA_DIR
            path = directory / "adm3.json.gz"
            if not path.exists():
                self._polygons = (None, [], [])
                return self._polygons
            raw = _read_gz_json(path)["polygons"]
            pcodes = list(raw)
            geoms = [shape(raw[p]) for p in pcodes]
            self._polygons = (STRtree(geoms), pcodes, geoms)
        return self._polygons

    def locate_admin(self, lat: float, lon: float) -> tuple[str, str, str] | None:
        """(adm1, adm2, adm3) P-codes of the sub-district holding the point, if any."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        from shapely.geometry import Point

        tree, pcodes, _ = self._load_polygons()
        if tree is None:
            return None
        for index in tree.query(Point(lon, lat), predicate="intersects"):
            unit = self.admins.get(pcodes[int(index)])
            if unit is not None and unit.adm1 and unit.adm2:
                return unit.adm1, unit.adm2, unit.pcode
        return None

"""Build the bundled gazetteer files in ``gazetteer/data/`` from the raw sources.

Run as ``athar gazetteer build --from ../shared/data``.  The raw sources (OCHA COD-AB,
OpenSyria aliases, GeoNames cities500, camp lists, the Wikipedia detailed-map places) are
read once; the output is three small gzip'd JSON files:

* ``admin.json.gz``   — admin units (country, 14 governorates, 62 districts, 272
  sub-districts) with names, aliases, parent P-codes and label points;
* ``adm3.json.gz``    — sub-district polygons, topology-preservingly simplified, for
  point-in-polygon at run time (reverse lookups, places added later);
* ``places.json.gz``  — communities, neighbourhoods, camps and other named places with
  every name they are known by, their admin P-codes and a prominence weight.

Place admin codes are computed here by point-in-polygon against the *unsimplified*
polygons, so simplification can never move a place into the wrong unit.
"""

from __future__ import annotations

import csv
import gzip
import json
import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazetteer.geo import haversine_km
from gazetteer.normalize import is_arabic, normalize, strict_key

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data"

# 0.0001 deg is about 10 m: small enough that no community point changes sub-district
# (checked in build_admin_polygons), large enough to cut the polygon file several-fold.
SIMPLIFY_TOLERANCE = 0.0001
COORD_DECIMALS = 5

# Wikipedia/GeoNames points are attached to an OCHA community when closer than this and
# the names agree; otherwise they become places of their own.
ATTACH_RADIUS_KM = 2.5
ATTACH_MIN_SIMILARITY = 72.0

# Camps whose source row gives no P-code, placed by what the row's location note says
# (host town named there, or the district for "Derik countryside").
CAMP_HOST_HINTS: dict[str, str] = {
    "Roj": "SY0803",  # Al-Malikiyah (Derik) countryside
    "Newroz": "C4881",  # 2 km north of Derik / Al-Malikeyyeh
    "Serekaniye": "C4360",  # about 6 km east of Al-Hasakah city centre
    "Menbij East Old": "C1767",  # near Menbij
    "Menbij East New": "C1767",
}

# Regions that reports name like admin units but that are not OCHA units.  Each maps to
# the OCHA unit that best stands for it (looked up by OCHA English name at build time).
REGION_ALIASES: tuple[tuple[str, int, str], ...] = (
    ("Syria", 0, "Syrian Arab Republic"),
    ("سوريا", 0, "Syrian Arab Republic"),
    ("سورية", 0, "Syrian Arab Republic"),
    ("Jabal al-Zawiya", 3, "Ehsem"),
    ("Jebel Zawiya", 3, "Ehsem"),
    ("Jabal al-Zawiyah", 3, "Ehsem"),
    ("Eastern Ghouta", 2, "Duma"),
    ("East Ghouta", 2, "Duma"),
    ("Ghouta", 2, "Duma"),
    ("al-Ghouta al-Sharqiya", 2, "Duma"),
    ("Western Ghouta", 2, "Darayya"),
    ("Qalamoun", 2, "An Nabk"),
    ("Qalamoun mountains", 2, "An Nabk"),
    ("Sahl al-Ghab", 2, "As-Suqaylabiyah"),
    ("Ghab plain", 2, "As-Suqaylabiyah"),
    ("al-Ghab", 2, "As-Suqaylabiyah"),
    ("Jabal al-Turkman", 3, "Rabee'a"),
    ("Jabal al-Akrad", 3, "Salanfa"),
    ("Hawran", 1, "Dar'a"),
    ("Houran", 1, "Dar'a"),
    ("Jabal al-Arab", 1, "As-Sweida"),
    ("Jabal al-Druze", 1, "As-Sweida"),
    ("Jazira", 1, "Al-Hasakeh"),
    ("Syrian capital", 1, "Damascus"),
    ("Rif Dimashq", 1, "Rural Damascus"),
    ("Afrin region", 2, "Afrin"),
    ("Efrin", 2, "Afrin"),
    ("Ifreen", 2, "Afrin"),
    ("Kobani", 2, "Ain Al Arab"),
    ("Kobane", 2, "Ain Al Arab"),
    ("Euphrates Shield area", 2, "Al Bab"),
)

_OF_SHAM_RE = re.compile(r"^(.+?)\s+(?:el|al|ash|as)[\s-]?sham$", re.IGNORECASE)
_AL_BALAD_RE = re.compile(r"\s+(?:al|el)[\s-]+balad$", re.IGNORECASE)
_PAREN_RE = re.compile(r"\s*\(([^)]*)\)\s*")
_LATIN_OK_RE = re.compile(r"^[\sA-Za-z0-9'\-‘’`ʿʾ.()À-ɏḀ-ỿ]+$")


# --------------------------------------------------------------------------- helpers


def _round(value: float) -> float:
    return round(float(value), COORD_DECIMALS)


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _useful_alias(text: str) -> bool:
    """Keep Latin and Arabic spellings only (GeoNames carries Cyrillic, Greek, CJK...)."""
    text = text.strip()
    if len(text) < 2 or not strict_key(text):
        return False
    return is_arabic(text) or bool(_LATIN_OK_RE.match(text))


def split_compound_name(name: str) -> list[str]:
    """OCHA writes merged places as "Hamama - Kafr Debbin" and repeats as "Borj (Al Bab)"."""
    name = _PAREN_RE.sub(" ", name).strip()
    parts = [p.strip() for p in re.split(r"\s+[-–_]\s+|_|/", name) if p.strip()]
    return [name, *parts] if len(parts) > 1 else [name]


def _dedupe(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        name = " ".join(name.split())
        if name and name not in seen:
            seen.add(name)
            out.append(name)
    return out


@dataclass
class BuildPlace:
    """A place while the build is assembling its names."""

    id: str
    kind: str
    name: str
    name_ar: str | None
    lat: float
    lon: float
    adm: tuple[str | None, str | None, str | None]
    source: str
    pcode: str | None = None
    parent: str | None = None
    names: list[str] = field(default_factory=list)
    weight: float = 0.0
    precise: bool = True
    # False for the few OCHA points outside every polygon (their admin codes come from
    # the source attributes instead of point-in-polygon).
    inside: bool = True

    def to_json(self) -> dict[str, Any]:
        names = _dedupe([self.name, *(n for n in [self.name_ar] if n), *self.names])
        return {
            "id": self.id,
            "pcode": self.pcode,
            "kind": self.kind,
            "name": self.name,
            "name_ar": self.name_ar,
            "lat": _round(self.lat),
            "lon": _round(self.lon),
            "adm1": self.adm[0],
            "adm2": self.adm[1],
            "adm3": self.adm[2],
            "parent": self.parent,
            "names": names,
            "weight": round(self.weight, 3),
            "precise": self.precise,
            "source": self.source,
        }


# --------------------------------------------------------------------------- admin


class AdminLocator:
    """Point-in-polygon against the full-precision ADM3 layer (build time only)."""

    def __init__(self, features: list[dict[str, Any]]) -> None:
        from shapely.geometry import shape
        from shapely.strtree import STRtree

        self.pcodes = [f["properties"]["ADM3_PCODE"] for f in features]
        self.parents = {
            f["properties"]["ADM3_PCODE"]: (
                f["properties"]["ADM1_PCODE"],
                f["properties"]["ADM2_PCODE"],
                f["properties"]["ADM3_PCODE"],
            )
            for f in features
        }
        self.geoms = [shape(f["geometry"]) for f in features]
        self.tree = STRtree(self.geoms)

    def locate(
        self, lat: float, lon: float, prefer: str | None = None
    ) -> tuple[str, str, str] | None:
        """The unit holding the point; on a shared boundary, ``prefer`` wins if it is one."""
        from shapely.geometry import Point

        point = Point(lon, lat)
        hits = [self.pcodes[int(i)] for i in self.tree.query(point, predicate="intersects")]
        if not hits:
            return None
        chosen = prefer if prefer in hits else sorted(hits)[0]
        return self.parents[chosen]

    def nearest(self, lat: float, lon: float, max_km: float) -> tuple[str, str, str] | None:
        from shapely.geometry import Point

        point = Point(lon, lat)
        index = self.tree.nearest(point)
        if index is None:
            return None
        distance_deg = self.geoms[int(index)].distance(point)
        if distance_deg * 111.0 > max_km:
            return None
        return self.parents[self.pcodes[int(index)]]


def build_admin_units(src: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Admin units with aliases and label points; also returns the raw ADM3 features."""
    from shapely.geometry import shape

    ocha = src / "ocha_cod_ab_syr"
    units: dict[str, dict[str, Any]] = {}
    raw_adm3: list[dict[str, Any]] = []
    for level in range(4):
        path = ocha / f"syr_admbnda_adm{level}_uncs_unocha_20201217.geojson"
        for feature in _read_json(path)["features"]:
            props = feature["properties"]
            prefix = f"ADM{level}"
            pcode = props[f"{prefix}_PCODE"]
            geom = shape(feature["geometry"])
            point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
            names = [props.get(f"{prefix}_REF") or ""]
            for alt in ("ALT1EN", "ALT2EN", "ALT1AR", "ALT2AR"):
                names.append(props.get(f"{prefix}{alt}") or "")
            units[pcode] = {
                "pcode": pcode,
                "level": level,
                "name": props[f"{prefix}_EN"],
                "name_ar": props[f"{prefix}_AR"],
                "adm1": props.get("ADM1_PCODE") if level >= 1 else None,
                "adm2": props.get("ADM2_PCODE") if level >= 2 else None,
                "lat": _round(point.y),
                "lon": _round(point.x),
                "clat": _round(geom.centroid.y),
                "clon": _round(geom.centroid.x),
                "radius_km": round(math.sqrt(geom.area) * 111.0 / 2, 2),
                "names": [n for n in names if n],
            }
            if level == 3:
                raw_adm3.append(feature)
    # ITOS label points are the cartographers' choice for ADM3; prefer them.
    labels = ocha / "syr_admbndp_adm3_labelpoints_uncs_unocha_itos_20201217.geojson"
    for feature in _read_json(labels)["features"]:
        props = feature["properties"]
        unit = units.get(props["ADM3_PCODE"])
        if unit is not None:
            unit["lat"] = _round(props["POINT_Y"])
            unit["lon"] = _round(props["POINT_X"])
    aliases = src / "opensyria_geography" / "opensyria_admin_aliases_flat.csv"
    if aliases.exists():
        for row in _read_csv(aliases):
            unit = units.get(row["ocha_pcode"])
            if unit is not None and _useful_alias(row["alias"]):
                unit["names"].append(row["alias"])
    by_level_name: dict[tuple[int, str], str] = {}
    for unit in units.values():
        by_level_name.setdefault((unit["level"], strict_key(unit["name"])), unit["pcode"])
    for alias, level, target in REGION_ALIASES:
        pcode = by_level_name.get((level, strict_key(target)))
        if pcode is None:
            log.warning("region alias %r: no ADM%d unit named %r", alias, level, target)
            continue
        units[pcode].setdefault("regions", []).append(alias)
    for unit in units.values():
        unit["names"] = _dedupe(unit["names"])
    return sorted(units.values(), key=lambda u: u["pcode"]), raw_adm3


def build_admin_polygons(
    raw_adm3: list[dict[str, Any]], keep_exact: Iterable[str] = ()
) -> dict[str, Any]:
    """Simplified ADM3 polygons as GeoJSON geometries keyed by P-code.

    Units in ``keep_exact`` are only rounded, not simplified (used for the few units
    where simplification moved a community across a boundary).
    """
    from shapely.geometry import mapping, shape

    exact = set(keep_exact)
    out: dict[str, Any] = {}
    for feature in raw_adm3:
        pcode = feature["properties"]["ADM3_PCODE"]
        geom = shape(feature["geometry"])
        if pcode not in exact:
            geom = geom.simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
        if not geom.is_valid:
            geom = geom.buffer(0)
        # Exact units keep the source's 1e-6 precision: a community 7e-7 deg from a
        # boundary exists (Shreaan), and 1e-5 rounding would move it.
        out[pcode] = _round_geometry(mapping(geom), 6 if pcode in exact else COORD_DECIMALS)
    return out


def _round_geometry(geo: Any, decimals: int) -> Any:
    if isinstance(geo, dict):
        return {k: _round_geometry(v, decimals) for k, v in geo.items()}
    if isinstance(geo, list | tuple):
        if geo and isinstance(geo[0], float | int):
            return [round(float(c), decimals) for c in geo]
        return [_round_geometry(g, decimals) for g in geo]
    return geo


def check_polygons(polygons: dict[str, Any], communities: list[BuildPlace]) -> set[str]:
    """ADM3 units involved where a community left its own unit after simplification."""
    from shapely.geometry import Point, shape
    from shapely.strtree import STRtree

    pcodes = list(polygons)
    geoms = [shape(polygons[p]) for p in pcodes]
    tree = STRtree(geoms)
    wrong: set[str] = set()
    for place in communities:
        if not place.inside:
            continue
        hits = [pcodes[int(i)] for i in tree.query(Point(place.lon, place.lat), "intersects")]
        if place.adm[2] not in hits:
            wrong.update(h for h in [*hits, place.adm[2]] if h)
            log.info("%s %s moved to %s by simplification", place.id, place.name, hits)
    return wrong


# --------------------------------------------------------------------------- places


def build_communities(src: Path, locator: AdminLocator) -> dict[str, BuildPlace]:
    rows = _read_csv(src / "ocha_cod_ab_syr" / "syr_communities_adm4_ocha_locations.csv")
    places: dict[str, BuildPlace] = {}
    seat_names: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for level in (1, 2, 3):
            seat_names[row[f"admin{level}Pcode"]].add(strict_key(row[f"admin{level}Name_en"]))
    for row in rows:
        lat, lon = float(row["Latitude_y"]), float(row["Longitude_x"])
        located = locator.locate(lat, lon, prefer=row["admin3Pcode"])
        adm = located or (row["admin1Pcode"], row["admin2Pcode"], row["admin3Pcode"])
        name = row["admin4Name_en"].strip()
        # "Al-Fariyah (Tall Al-Ghurab)" brackets another name; "Mseibin(Al-Bab)" its parent.
        admin_keys = {strict_key(row[f"admin{level}Name_en"]) for level in (1, 2, 3)}
        bracketed = [
            g
            for g in re.findall(r"\(([^)]*)\)", name)
            if strict_key(g) and strict_key(g) not in admin_keys
        ]
        # "Madamiyet Elsham" is "Mu'adamiyah of Damascus"; reports drop the "of Sham".
        of_sham = _OF_SHAM_RE.match(name)
        if of_sham:
            bracketed.append(of_sham.group(1))
        names = [
            *bracketed,
            *split_compound_name(name),
            *split_compound_name(row["LocationName_en"]),
            *split_compound_name(row["admin4Name_ar"]),
            *split_compound_name(row["LocationName_ar"].split(" - ")[0]),
        ]
        # A community that shares its name with its sub-district, district or
        # governorate is the seat of that unit, hence usually the one meant.
        key = strict_key(name)
        weight = 0.0
        if key in seat_names[row["admin3Pcode"]]:
            weight += 1.0
        if key in seat_names[row["admin2Pcode"]]:
            weight += 1.5
        if key in seat_names[row["admin1Pcode"]]:
            weight += 2.0
        pcode = row["admin4Pcode"]
        places[pcode] = BuildPlace(
            id=pcode,
            pcode=pcode,
            kind="community",
            name=name,
            name_ar=row["admin4Name_ar"].strip() or None,
            lat=lat,
            lon=lon,
            adm=adm,
            source="ocha_cod",
            names=names,
            weight=weight,
            inside=located is not None,
        )
    return places


def share_seat_aliases(admins: list[dict[str, Any]], communities: dict[str, BuildPlace]) -> int:
    """Give each admin seat town the spellings collected for its unit.

    OpenSyria lists many spellings per district and sub-district ("Tadmur", "Palmyra",
    "Ma'arrat al-Nu'man"); the town the unit is named after is known by the same ones.
    """
    by_key: dict[str, list[BuildPlace]] = defaultdict(list)
    for place in communities.values():
        by_key[strict_key(place.name)].append(place)
    shared = 0
    for unit in admins:
        if unit["level"] == 0:
            continue
        for place in by_key.get(strict_key(unit["name"]), ()):
            if unit["pcode"] in place.adm:
                place.names.extend([unit["name"], unit["name_ar"] or "", *unit["names"]])
                shared += 1
    return shared


def build_neighbourhoods(src: Path, locator: AdminLocator) -> list[BuildPlace]:
    from shapely.geometry import shape

    path = src / "ocha_cod_ab_syr" / "syr_neighbourhoods_unocha_20201217.geojson"
    out = []
    for feature in _read_json(path)["features"]:
        props = feature["properties"]
        point = shape(feature["geometry"]).representative_point()
        adm = locator.locate(point.y, point.x) or (
            props["ADM1_PCODE"],
            props["ADM2_PCODE"],
            props["ADM3_PCODE"],
        )
        names = [
            props.get(k) or ""
            for k in ("NAME_REF", "NAME_ALT1E", "NAME_ALT2E", "NAME_ALT1A", "NAME_ALT2A")
        ]
        # "Kafr Souseh Al Balad" is "the town part of Kafr Souseh"; reports say "Kafr Sousa".
        plain = _AL_BALAD_RE.sub("", props["NAME_EN"]).strip()
        if plain and plain != props["NAME_EN"]:
            names.append(plain)
        out.append(
            BuildPlace(
                id=props["PCODE"],
                pcode=props["PCODE"],
                kind="neighbourhood",
                name=props["NAME_EN"],
                name_ar=props.get("NAME_AR") or None,
                lat=point.y,
                lon=point.x,
                adm=adm,
                parent=props["ADM4_PCODE"],
                source="ocha_cod",
                names=[n for n in names if n],
            )
        )
    return out


def build_camps(
    src: Path,
    communities: dict[str, BuildPlace],
    locator: AdminLocator,
    admin_units: dict[str, dict[str, Any]],
) -> list[BuildPlace]:
    out: list[BuildPlace] = []
    camps_csv = src / "syria_camps" / "camps.csv"
    if camps_csv.exists():
        for number, row in enumerate(_read_csv(camps_csv), start=1):
            hint = CAMP_HOST_HINTS.get(row["camp_name"].strip())
            host = communities.get(row["community_pcode"] or (hint or ""))
            if hint in admin_units and not row["admin3_pcode"]:
                row = {**row, "admin3_pcode": hint}
            names = [row["camp_name"], *(a for a in row["alt_names"].split(";"))]
            names = [_PAREN_RE.sub(" ", n).strip() for n in names]
            if row["camp_name_ar"]:
                names.append(row["camp_name_ar"])
            if row["latitude"] and row["longitude"]:
                lat, lon, precise = float(row["latitude"]), float(row["longitude"]), True
                adm = locator.locate(lat, lon) or (host.adm if host else (None, None, None))
            elif host is not None:
                lat, lon, precise, adm = host.lat, host.lon, False, host.adm
            elif row["admin3_pcode"] in admin_units:
                unit = admin_units[row["admin3_pcode"]]
                lat, lon, precise = unit["lat"], unit["lon"], False
                adm = (
                    unit["adm1"],
                    unit["adm2"] or unit["pcode"],
                    unit["pcode"] if unit["level"] == 3 else None,
                )
            else:
                continue
            out.append(
                BuildPlace(
                    id=f"CAMP{number:04d}",
                    pcode=row["camp_code"] or (host.pcode if host else None),
                    kind="camp",
                    name=row["camp_name"].strip(),
                    name_ar=row["camp_name_ar"] or None,
                    lat=lat,
                    lon=lon,
                    adm=adm,
                    parent=host.id if host else row["admin3_pcode"] or None,
                    source="syria_camps",
                    names=[n for n in names if n.strip()],
                    precise=precise,
                    weight=0.5 if row["site_type"] != "camp" else 0.0,
                )
            )
    sites_csv = (
        src / "cccm_nws_eq2023_sites" / "syr_nws_cccm_eq2023_reception_centres_idp_sites.csv"
    )
    if sites_csv.exists():
        for row in _read_csv(sites_csv):
            if not row["latitude"] or row["coord_qc"] in ("outside_syria_suspect", "missing"):
                continue
            lat, lon = float(row["latitude"]), float(row["longitude"])
            host = communities.get(row["admin4pcode"])
            site_adm = locator.locate(lat, lon) or (
                host.adm if host else locator.nearest(lat, lon, 2.0)
            )
            if site_adm is None:
                continue
            adm = site_adm
            kind = (
                "camp"
                if row["type_of_location"] in ("Planned Camp", "Informal Site", "Reception Center")
                else "landmark"
            )
            out.append(
                BuildPlace(
                    id=row["site_code"],
                    pcode=row["site_code"],
                    kind=kind,
                    name=row["site_name"].strip(),
                    name_ar=row["site_name_ar"] or None,
                    lat=lat,
                    lon=lon,
                    adm=adm,
                    parent=host.id if host else None,
                    source="cccm_nws_eq2023",
                    weight=-0.5,
                )
            )
    return out


class _CommunityGrid:
    """Coarse lat/lon grid over communities for 'what is near this point' at build time."""

    def __init__(self, places: Iterable[BuildPlace], cell: float = 0.05) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list[BuildPlace]] = defaultdict(list)
        for place in places:
            self.cells[self._cell(place.lat, place.lon)].append(place)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat / self.cell), math.floor(lon / self.cell))

    def near(self, lat: float, lon: float, radius_km: float) -> Iterator[tuple[float, BuildPlace]]:
        row, col = self._cell(lat, lon)
        reach = math.ceil(radius_km / (self.cell * 90.0))
        for d_row in range(-reach, reach + 1):
            for d_col in range(-reach, reach + 1):
                for place in self.cells.get((row + d_row, col + d_col), ()):
                    distance = haversine_km(lat, lon, place.lat, place.lon)
                    if distance <= radius_km:
                        yield distance, place


def _name_similarity(a: str, b_names: Iterable[str]) -> float:
    from rapidfuzz import fuzz

    key_a = normalize(a)
    best = 0.0
    for b in b_names:
        key_b = normalize(b)
        if key_a.script != key_b.script:
            continue
        if key_a.skeleton and key_a.skeleton == key_b.skeleton:
            return 100.0
        best = max(
            best,
            fuzz.token_sort_ratio(key_a.strict, key_b.strict),
            fuzz.ratio(key_a.skeleton, key_b.skeleton),
        )
    return best


def _attach_or_keep(
    grid: _CommunityGrid,
    name: str,
    lat: float,
    lon: float,
) -> BuildPlace | None:
    best: tuple[float, BuildPlace] | None = None
    for distance, place in grid.near(lat, lon, ATTACH_RADIUS_KM):
        similarity = _name_similarity(name, place.names or [place.name])
        if similarity < ATTACH_MIN_SIMILARITY:
            continue
        score = similarity - distance * 5
        if best is None or score > best[0]:
            best = (score, place)
    return best[1] if best else None


_WIKI_SETTLEMENT_TYPES = {"point", "contested_point", "stable_mixed_point"}
_WIKI_SKIP_TYPES = {"inset_minimap", "label_anchor", "border_post_icon"}


def attach_wikipedia(
    src: Path,
    communities: dict[str, BuildPlace],
    locator: AdminLocator,
) -> list[BuildPlace]:
    path = src / "wikipedia_syria_detailed_map" / "places_control_snapshot.csv"
    if not path.exists():
        return []
    rows = _read_csv(path)
    label_count: dict[str, int] = defaultdict(int)
    for row in rows:
        label_count[strict_key(row["label"] or row["link"])] += 1
    grid = _CommunityGrid(communities.values())
    own: list[BuildPlace] = []
    for row in rows:
        if row["marker_type"] in _WIKI_SKIP_TYPES:
            continue
        label = (row["label"] or row["link"].split("#")[0]).strip()
        if not label or not row["lat"] or not row["lon"]:
            continue
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            continue
        size = _to_float(row["size"])
        settlement = row["marker_type"] in _WIKI_SETTLEMENT_TYPES
        target = _attach_or_keep(grid, label, lat, lon) if settlement else None
        if target is not None:
            target.names.extend(split_compound_name(label))
            target.names.extend(g.strip() for g in _PAREN_RE.findall(label) if g.strip())
            # Marker size is the map editors' sense of importance (3-5 hamlet, 8+ town).
            target.weight = max(target.weight, min(size, 14.0) / 6.0 - 0.5)
            continue
        if label_count[strict_key(label)] > 2 and not settlement:
            continue  # generic labels such as "Military checkpoint" name nothing
        adm = locator.locate(lat, lon) or locator.nearest(lat, lon, 1.0)
        if adm is None:
            continue  # outside Syria (the map also shows Lebanon, Iraq, Turkey)
        # Map labels carry alternates as "X (Y)" and "X/Y".
        alternates = [
            *_PAREN_RE.findall(label),
            _PAREN_RE.sub(" ", label).strip(),
            *label.split("/"),
        ]
        own.append(
            BuildPlace(
                id=f"W{int(row['source_order']):05d}",
                pcode=None,
                kind="community" if settlement else "landmark",
                name=label,
                name_ar=None,
                lat=lat,
                lon=lon,
                adm=adm,
                source="wikipedia_detailed_map",
                names=[a.strip() for a in alternates if a.strip() and a.strip() != label],
                weight=min(size, 14.0) / 6.0 - 1.5,
            )
        )
    return own


def _to_float(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return 4.0


def attach_geonames(
    src: Path,
    communities: dict[str, BuildPlace],
    locator: AdminLocator,
) -> list[BuildPlace]:
    path = src / "geonames_sy" / "geonames_cities500_SY.csv"
    if not path.exists():
        return []
    grid = _CommunityGrid(communities.values())
    own: list[BuildPlace] = []
    for row in _read_csv(path):
        lat, lon = float(row["latitude"]), float(row["longitude"])
        names = [row["name"], *row["alternatenames"].split("|")]
        names = [n for n in names if _useful_alias(n)]
        population = _to_float(row["population"]) if row["population"] else 0.0
        weight = max(0.0, math.log10(population + 1) - 2.5) if population else 0.0
        best: tuple[float, BuildPlace] | None = None
        for distance, place in grid.near(lat, lon, ATTACH_RADIUS_KM + 1.5):
            similarity = max(_name_similarity(n, place.names) for n in names[:6] or [row["name"]])
            if similarity < ATTACH_MIN_SIMILARITY:
                continue
            score = similarity - distance * 5
            if best is None or score > best[0]:
                best = (score, place)
        if best is not None:
            best[1].names.extend(names)
            best[1].weight = max(best[1].weight, weight)
            continue
        adm = locator.locate(lat, lon)
        if adm is None:
            continue
        own.append(
            BuildPlace(
                id=f"G{row['geonameid']}",
                pcode=None,
                kind="community",
                name=row["name"],
                name_ar=next((n for n in names if is_arabic(n)), None),
                lat=lat,
                lon=lon,
                adm=adm,
                source="geonames",
                names=names,
                weight=weight - 0.5,
            )
        )
    return own


# --------------------------------------------------------------------------- driver


def _write_gz_json(path: Path, payload: Any) -> int:
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    # mtime=0 keeps rebuilds byte-identical, so git only sees real data changes.
    with (
        path.open("wb") as fh,
        gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, compresslevel=9) as gz,
    ):
        gz.write(raw)
    return path.stat().st_size


def build(
    src: Path,
    out: Path = DATA_DIR,
    *,
    include_wikipedia: bool = True,
    include_geonames: bool = True,
) -> dict[str, Any]:
    """Build all data files from the source folder; returns a small report.

    Leaving out the Wikipedia map or GeoNames gives an OCHA-only gazetteer, which the
    benchmark uses to test itself on the map's spellings as an unseen convention.
    """
    src = Path(src)
    out.mkdir(parents=True, exist_ok=True)
    admins, raw_adm3 = build_admin_units(src)
    admin_by_pcode = {u["pcode"]: u for u in admins}
    locator = AdminLocator(raw_adm3)
    communities = build_communities(src, locator)
    share_seat_aliases(admins, communities)
    neighbourhoods = build_neighbourhoods(src, locator)
    camps = build_camps(src, communities, locator, admin_by_pcode)
    wiki_own = attach_wikipedia(src, communities, locator) if include_wikipedia else []
    geonames_own = attach_geonames(src, communities, locator) if include_geonames else []
    polygons = build_admin_polygons(raw_adm3)
    involved = check_polygons(polygons, list(communities.values()))
    if involved:
        polygons = build_admin_polygons(raw_adm3, keep_exact=involved)
    moved = len(check_polygons(polygons, list(communities.values())))

    places = [*communities.values(), *neighbourhoods, *camps, *wiki_own, *geonames_own]
    sizes = {
        "admin.json.gz": _write_gz_json(out / "admin.json.gz", {"units": admins}),
        "adm3.json.gz": _write_gz_json(out / "adm3.json.gz", {"polygons": polygons}),
        "places.json.gz": _write_gz_json(
            out / "places.json.gz", {"places": [p.to_json() for p in places]}
        ),
    }
    return {
        "admin_units": len(admins),
        "communities": len(communities),
        "neighbourhoods": len(neighbourhoods),
        "camps_and_sites": len(camps),
        "wikipedia_own_places": len(wiki_own),
        "geonames_own_places": len(geonames_own),
        "communities_moved_by_simplification": moved,
        "bytes": sizes,
    }

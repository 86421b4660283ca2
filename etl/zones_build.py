"""Build the bundled control-zone files in ``db/data/zones/`` from ``../shared/data``.

``athar zones build --from ../shared/data`` writes two gzip GeoJSON files, each a snapshot
series with attribution in its ``metadata``:

``wikipedia_detailed_map_2017_07.geojson.gz``
    Wikipedia "Syrian Civil War detailed map" module, town-level control about July 2017
    (CC BY-SA 3.0, Wikipedia contributors). Every control marker with a known controller
    (settlements, and also bases, hills, airports, industry, oil/gas sites and dams, which
    carry control in the big cities the module draws only as inset images) is turned into a
    Voronoi cell, clipped to Syria (the union of the OCHA sub-districts) and dissolved by
    controlling combination; a settlement wins over a facility at the same coordinate.
    Contested and stable-mixed markers become joint zones of both parties (``status`` says
    which). Decoration markers (border-post overlays, inset minimaps) are ignored. Known
    limit: places the module draws only inside an inset (e.g. the besieged Eastern Ghouta
    towns around Damascus) take the control of their nearest marker. Opposition markers
    (which include the Euphrates Shield factions in this snapshot) and the five Turkish base
    markers map to ``armed_opposition_sna``.
    Valid from 2017-07-01 (the estimated snapshot month; ``observed_on`` the same) until the
    day before the next bundled snapshot starts (2022-11-30).

``hno2023_adm3_control.geojson.gz``
    OCHA HNO 2023 "Inter-sector dataset": share of each sub-district's population by area
    of control, reference period late 2022 (taken as 2022-12-01; the file is dated
    2023-03-15). Mapping: GoS -> ``syrian_regime``; NES -> ``sdf``; Tall Refaat enclave ->
    ``sdf``; RAATA (Ras al-Ain–Tell Abiad, Turkish-backed "Peace Spring") ->
    ``armed_opposition_sna``; NWS -> ``hts`` where the row's NW population is mostly
    "Idleb NSAG" (``perc_pop_Idleb_NSAG`` >= 0.5) and ``armed_opposition_sna`` where it is
    mostly Northern Aleppo / Afrin / Euphrates Shield; rows with no split go by governorate
    (Aleppo -> SNA, Idleb, Hama and Lattakia -> HTS). Sub-districts with identical
    (party, share) combinations are dissolved into one zone, so pure-control areas become
    a few large zones and mixed sub-districts keep their exact shares. Two sub-districts
    with no figures in the source get no zone. Open-ended (valid_to null).

Geometry is simplified (about 300 m) and rounded to 1e-4 degree (about 10 m); the files are
derived data and keep their sources' licences.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, MultiPolygon, Point, mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from db.parties import load_party_taxonomy
from etl.zones import polygonal_parts
from gazetteer.data import Gazetteer

HNO_FILE = "ocha_hno2023_syr/syr_hno2023_adm3_areas_of_control_population_shares.csv"
WIKIPEDIA_FILE = "wikipedia_syria_detailed_map/places_control_snapshot.csv"

HNO_VALID_FROM = dt.date(2022, 12, 1)
WIKIPEDIA_VALID_FROM = dt.date(2017, 7, 1)
SIMPLIFY_DEGREES = 0.003
PRECISION_DEGREES = 1e-4

WIKIPEDIA_CONTROL = {
    "syrian_regime": "syrian_regime",
    "sdf": "sdf",
    "armed_opposition": "armed_opposition_sna",
    "isis": "isis",
    "hts": "hts",
    "turkish_forces_or_sna": "armed_opposition_sna",
}
SETTLEMENT_MARKERS = {"point", "contested_point", "stable_mixed_point"}
# Decoration, not control: border-post overlays, inset minimaps and their label anchor.
SKIPPED_MARKERS = {"border_post_icon", "inset_minimap", "label_anchor"}
_DETAIL_PARTIES = re.compile(r"([a-z_]+)\s*(?:\+|vs)\s*([a-z_]+)")

# NW areas by governorate when the HNO row has no Idleb/Northern Aleppo population split.
NWS_BY_GOVERNORATE = {"SY02": "armed_opposition_sna"}
NWS_DEFAULT = "hts"


def _tidy(geometry: BaseGeometry) -> MultiPolygon:
    simplified = geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    rounded = shapely.set_precision(simplified, PRECISION_DEGREES)
    return polygonal_parts(shapely.make_valid(rounded))


def _write(path: Path, metadata: dict[str, Any], features: list[dict[str, Any]]) -> int:
    document = {"type": "FeatureCollection", "metadata": metadata, "features": features}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the bytes (and so the checksum `athar zones load` compares) reproducible.
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
        fh.write(payload.encode("utf-8"))
    return path.stat().st_size


def _label(parties: Iterable[tuple[str, float | None]]) -> str:
    taxonomy = load_party_taxonomy()
    parts = []
    for code, share in parties:
        name = taxonomy.parties[code].name_en
        parts.append(f"{name} ({share:.0%})" if share is not None and share < 1 else name)
    return " / ".join(parts)


def _subdistricts(gazetteer: Gazetteer) -> dict[str, BaseGeometry]:
    _, pcodes, geoms = gazetteer._load_polygons()
    return {pcode: shapely.make_valid(geom) for pcode, geom in zip(pcodes, geoms, strict=True)}


def hno_party_shares(row: dict[str, str]) -> dict[str, float]:
    """The taxonomy shares of one HNO row (see the module docstring for the mapping)."""

    def number(name: str) -> float:
        value = row.get(name) or ""
        return float(value) if value.strip() else 0.0

    shares: dict[str, float] = defaultdict(float)
    shares["syrian_regime"] += number("share_GoS")
    shares["sdf"] += number("share_NES") + number("share_TallRefaat")
    shares["armed_opposition_sna"] += number("share_RAATA")
    nws = number("share_NWS")
    if nws > 0:
        idleb = number("perc_pop_Idleb_NSAG")
        north_aleppo = max(
            number("perc_pop_Northern_Aleppo"),
            number("perc_pop_Afrin_District"),
            number("perc_pop_Euphrates_Shield"),
        )
        if idleb >= 0.5:
            holder = "hts"
        elif north_aleppo >= 0.5:
            holder = "armed_opposition_sna"
        else:
            holder = NWS_BY_GOVERNORATE.get(row.get("admin1Pcode", ""), NWS_DEFAULT)
        shares[holder] += nws
    return {code: round(share, 4) for code, share in shares.items() if share > 0}


def build_hno(shared: Path, out_dir: Path, gazetteer: Gazetteer) -> tuple[Path, int, int]:
    polygons = _subdistricts(gazetteer)
    groups: dict[tuple[tuple[str, float], ...], list[str]] = defaultdict(list)
    with (shared / HNO_FILE).open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            pcode = row["admin3Pcode"]
            shares = hno_party_shares(row)
            if not shares or pcode not in polygons:
                continue
            key = tuple(sorted(shares.items(), key=lambda item: (-item[1], item[0])))
            groups[key].append(pcode)
    features = []
    for key, pcodes in sorted(groups.items(), key=lambda item: item[1][0]):
        geometry = _tidy(unary_union([polygons[p] for p in pcodes]))
        majority = key[0][0]
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geometry),
                "properties": {
                    "parties": [code for code, _ in key],
                    "shares": [share for _, share in key],
                    "valid_from": HNO_VALID_FROM.isoformat(),
                    "valid_to": None,
                    "observed_on": HNO_VALID_FROM.isoformat(),
                    "source": "OCHA HNO 2023 areas of control (population shares, late 2022)",
                    "label": _label(key),
                    "majority": majority,
                    "mixed": len(key) > 1,
                    "admin3_pcode": pcodes[0] if len(pcodes) == 1 else None,
                    "admin3_pcodes": sorted(pcodes),
                },
            }
        )
    metadata = {
        "title": "Areas of control by sub-district, HNO 2023 (reference late 2022)",
        "source": "OCHA HNO 2023 areas of control (population shares, late 2022)",
        "publisher": "UN OCHA Syria, Humanitarian Needs Overview 2023",
        "url": "https://github.com/northwest-syria-cash-working-group/nws_syria_cash_reporting",
        "licence": "not stated by the carrying repository; see the HDX dataset page",
        "attribution": (
            "UN OCHA Syria, HNO 2023 Inter-sector dataset (file dated 2023-03-15); "
            "boundaries OCHA COD-AB (CC BY 3.0 IGO). Derived by athar."
        ),
        "observed_on": HNO_VALID_FROM.isoformat(),
        "observed_on_note": "reference period late 2022 (approximate)",
        "shares": "share of the sub-district population in each area of control",
    }
    path = out_dir / "hno2023_adm3_control.geojson.gz"
    size = _write(path, metadata, features)
    return path, len(features), size


def _wikipedia_parties(row: dict[str, str]) -> tuple[tuple[str, ...], str] | None:
    control = row["control"]
    if control in WIKIPEDIA_CONTROL:
        return (WIKIPEDIA_CONTROL[control],), "held"
    if control == "contested":
        match = _DETAIL_PARTIES.search(row.get("control_detail") or "")
        if match is None:
            return None
        codes = tuple(sorted({WIKIPEDIA_CONTROL.get(c, c) for c in match.groups()}))
        status = "mixed" if row["marker_type"] == "stable_mixed_point" else "contested"
        return codes, status
    return None


def build_wikipedia(
    shared: Path, out_dir: Path, gazetteer: Gazetteer, valid_to: dt.date
) -> tuple[Path, int, int]:
    syria = unary_union(list(_subdistricts(gazetteer).values())).buffer(0)
    points: list[Point] = []
    keys: list[tuple[tuple[str, ...], str]] = []
    seen: set[tuple[float, float]] = set()
    with (shared / WIKIPEDIA_FILE).open(encoding="utf-8-sig", newline="") as fh:
        rows = [row for row in csv.DictReader(fh) if row["marker_type"] not in SKIPPED_MARKERS]
    # Settlements first so that they win when a facility marker shares their coordinate.
    rows.sort(key=lambda row: row["marker_type"] not in SETTLEMENT_MARKERS)
    for row in rows:
        holders = _wikipedia_parties(row)
        try:
            lon, lat = float(row["lon"]), float(row["lat"])
        except ValueError:
            continue
        # The first marker at a coordinate wins; later duplicates are the same place.
        if holders is None or (lon, lat) in seen:
            continue
        seen.add((lon, lat))
        points.append(Point(lon, lat))
        keys.append(holders)
    cells = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=syria.envelope.buffer(1.0), ordered=True
    )
    groups: dict[tuple[tuple[str, ...], str], list[BaseGeometry]] = defaultdict(list)
    for key, cell in zip(keys, cells.geoms, strict=True):
        groups[key].append(cell)
    features = []
    for (parties, status), parts in sorted(groups.items()):
        geometry = _tidy(unary_union(parts).intersection(syria))
        if geometry.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": mapping(geometry),
                "properties": {
                    "parties": list(parties),
                    "shares": None,
                    "valid_from": WIKIPEDIA_VALID_FROM.isoformat(),
                    "valid_to": valid_to.isoformat(),
                    "observed_on": WIKIPEDIA_VALID_FROM.isoformat(),
                    "source": "Wikipedia Syrian Civil War detailed map (about July 2017)",
                    "label": _label((p, None) for p in parties)
                    + ("" if status == "held" else f" ({status})"),
                    "status": status,
                    "markers": len(parts),
                },
            }
        )
    metadata = {
        "title": "Town-level control, Wikipedia detailed map (about July 2017), Voronoi zones",
        "source": "Wikipedia Syrian Civil War detailed map (about July 2017)",
        "publisher": "Wikipedia contributors (Module:Syrian Civil War detailed map)",
        "url": "https://en.wikipedia.org/wiki/Module:Syrian_Civil_War_detailed_map",
        "licence": "CC BY-SA 3.0 (share-alike applies to this derived file)",
        "attribution": (
            "Wikipedia contributors, 'Module:Syrian Civil War detailed map' (snapshot about "
            "July 2017, date inferred), CC BY-SA; boundaries OCHA COD-AB (CC BY 3.0 IGO). "
            "Voronoi zones derived by athar."
        ),
        "observed_on": WIKIPEDIA_VALID_FROM.isoformat(),
        "observed_on_note": "estimated (early July to mid-August 2017); the module is undated",
    }
    path = out_dir / "wikipedia_detailed_map_2017_07.geojson.gz"
    size = _write(path, metadata, features)
    return path, len(features), size


def build_zone_files(shared: Path, out_dir: Path) -> list[tuple[Path, int, int]]:
    """Write both files; returns (path, features, bytes) for each."""
    gazetteer = Gazetteer.load()
    wikipedia_until = HNO_VALID_FROM - dt.timedelta(days=1)
    return [
        build_wikipedia(shared, out_dir, gazetteer, wikipedia_until),
        build_hno(shared, out_dir, gazetteer),
    ]

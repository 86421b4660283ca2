"""Checks that need ../shared: the data build and accuracy on the gold place mentions."""

from __future__ import annotations

import csv
import glob
import json
from pathlib import Path

import pytest

from gazetteer import Gazetteer, Resolver, resolve
from gazetteer.build import build
from gazetteer.geo import haversine_km

pytestmark = pytest.mark.shared


def test_build_keeps_every_community_in_its_own_subdistrict(
    shared_dir: Path, tmp_path: Path
) -> None:
    report = build(shared_dir / "data", tmp_path)
    assert report["communities"] == 7693
    assert report["neighbourhoods"] == 414
    assert report["admin_units"] == 349
    assert report["communities_moved_by_simplification"] == 0
    assert sum(report["bytes"].values()) < 15 * 1024 * 1024
    gazetteer = Gazetteer.load(tmp_path)
    communities = shared_dir / "data/ocha_cod_ab_syr/syr_communities_adm4_ocha_locations.csv"
    with communities.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    inside = sum(
        1
        for row in rows
        if gazetteer.locate_admin(float(row["Latitude_y"]), float(row["Longitude_x"]))
        == (row["admin1Pcode"], row["admin2Pcode"], row["admin3Pcode"])
    )
    assert inside >= 7652
    assert Resolver(gazetteer).resolve("Saraqeb").pcode == "C3916"


def test_gold_place_mentions(shared_dir: Path) -> None:
    total = within = wrong_admin1 = 0
    for path in sorted(glob.glob(str(shared_dir / "gold" / "*.gold.json"))):
        for incident in json.loads(Path(path).read_text(encoding="utf-8")):
            if incident.get("lat") is None:
                continue
            context = ", ".join(
                x for x in (incident.get("place_context"), incident.get("governorate")) if x
            )
            result = resolve(incident["place_text"], context or None)
            total += 1
            if result.resolved and result.lat is not None and result.lon is not None:
                within += (
                    haversine_km(result.lat, result.lon, incident["lat"], incident["lon"]) <= 5
                )
                wrong_admin1 += result.admin1_pcode != incident["admin1_pcode"]
    assert total > 50
    assert within / total >= 0.95
    assert wrong_admin1 == 0


def test_scorer_contract(shared_dir: Path, tmp_path: Path) -> None:
    """The official scorer accepts our --jsonl output and finds every answer."""
    import subprocess
    import sys

    athar = Path(sys.executable).parent / "athar"
    if not athar.exists():
        pytest.skip("athar console script not installed")
    queries = tmp_path / "queries.csv"
    with queries.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "context", "lat", "lon", "pcode", "admin1_pcode"])
        writer.writerow(
            [
                "1",
                "Saraqeb city",
                "eastern suburbs of Idlib governorate",
                "35.861105",
                "36.80611",
                "C3916",
                "SY07",
            ]
        )
        writer.writerow(
            [
                "2",
                "al Hawl Camp",
                "eastern suburbs of Hasaka",
                "36.39048",
                "41.150571",
                "C4519",
                "SY08",
            ]
        )
        writer.writerow(["3", "Xyzzyqwv", "", "35.0", "36.0", "", ""])
    completed = subprocess.run(
        [
            sys.executable,
            str(shared_dir / "tools" / "score_gazetteer.py"),
            str(queries),
            "--cmd",
            f"{athar} gazetteer resolve --jsonl",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["queries"] == 3
    assert summary["coverage"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["within_5km"] == pytest.approx(2 / 3, abs=1e-3)
    assert summary["admin1_pcode_accuracy"] == 1.0

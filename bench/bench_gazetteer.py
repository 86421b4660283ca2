"""Gazetteer benchmark and self-checks (a script, not a test).

Default: throughput of ``athar gazetteer resolve --jsonl`` after start-up.  It builds a
stream of distinct queries from the bundled data — community names respelt the way other
transliteration conventions would (articles, doubled letters, e/i, ou/u, -eh/-a), with a
report-style or an admin-list context, plus some names that must stay unresolved — and
feeds it through the same JSON-lines code path as the CLI, timing everything after the
data is loaded and indexed.  Every query is distinct, so the resolver's cache cannot help.

Two more modes need ``../shared`` (nothing from it is written into the repository):

``--gold-queries PATH``
    write the queries CSV for ``shared/tools/score_gazetteer.py`` from the gold files
    (name = place_text, context = place_context + governorate).
``--wiki-check``
    build an OCHA-only gazetteer in a temporary folder and resolve the Wikipedia
    detailed-map labels against it, as an unseen spelling convention, with the
    governorate (or governorate, district, sub-district) as context.

    .venv/bin/python bench/bench_gazetteer.py [--n 20000] [--seed 1]
    .venv/bin/python bench/bench_gazetteer.py --gold-queries /tmp/gold_queries.csv
    .venv/bin/python bench/bench_gazetteer.py --wiki-check
"""

from __future__ import annotations

import argparse
import csv
import glob
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from athar.cli_gazetteer import run_jsonl
from gazetteer import Gazetteer, Resolver, default_resolver
from gazetteer.geo import haversine_km

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

_RESPELL = (
    ("ou", "u"),
    ("u", "ou"),
    ("ee", "i"),
    ("i", "ee"),
    ("eh", "a"),
    ("a", "ah"),
    ("e", "i"),
    ("q", "k"),
    ("kh", "h"),
    ("ss", "s"),
    ("tt", "t"),
)


def respell(name: str, rng: random.Random) -> str:
    for old, new in rng.sample(_RESPELL, 3):
        if old in name:
            name = name.replace(old, new, 1)
    if rng.random() < 0.4:
        name = rng.choice(("al-", "Al ", "el-", "ad-")) + name
    return name


def make_queries(n: int, seed: int) -> list[dict[str, object]]:
    resolver = default_resolver()
    gazetteer = resolver.gazetteer
    rng = random.Random(seed)
    communities = [p for p in gazetteer.places.values() if p.kind == "community" and p.pcode]
    queries: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    while len(queries) < n:
        place = rng.choice(communities)
        unit = gazetteer.admins.get(place.adm1 or "")
        if rng.random() < 0.05:
            name = "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(rng.randint(5, 9)))
        else:
            name = respell(place.name, rng)
        kind = rng.choice(("", " village", " town", ""))
        if rng.random() < 0.5:
            # Report style: a direction and the governorate.
            context = (
                f"{rng.choice(('eastern', 'western', 'northern', 'southern'))} rural "
                f"{unit.name if unit else ''} governorate"
            )
        else:
            # Event-dataset style: governorate, district, sub-district names.
            codes = (place.adm1, place.adm2, place.adm3)
            context = ", ".join(gazetteer.admins[c].name for c in codes if c in gazetteer.admins)
        key = (name + kind, context)
        if key in seen:
            continue
        seen.add(key)
        queries.append({"id": len(queries), "name": name + kind, "context": context})
    return queries


def throughput(n: int, seed: int) -> None:
    started = time.perf_counter()
    resolver = default_resolver()
    _ = resolver.index
    startup = time.perf_counter() - started
    queries = make_queries(n, seed)
    payload = "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in queries)

    out, err = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    cpu_started = time.process_time()
    bad = run_jsonl(io.StringIO(payload), out, err)
    elapsed = time.perf_counter() - started
    # CPU time is the fair "one core" figure on a shared machine; wall time is shown too.
    cpu = time.process_time() - cpu_started
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    resolved = sum(1 for a in answers if a["lat"] is not None)
    print(f"start-up (load + index): {startup:.2f} s")
    print(f"queries: {len(queries)}  resolved: {resolved}  bad lines: {bad}")
    print(
        f"throughput: {len(queries) / cpu:,.0f} names per CPU-second "
        f"({cpu / len(queries) * 1e3:.3f} ms per name, one core); "
        f"wall clock {len(queries) / elapsed:,.0f} names/s"
    )


def write_gold_queries(path: Path) -> None:
    rows = []
    for gold in sorted(glob.glob(str(SHARED / "gold" / "*.gold.json"))):
        tag = Path(gold).name.split("_")[0]
        for number, incident in enumerate(json.loads(Path(gold).read_text(encoding="utf-8"))):
            if incident.get("lat") is None:
                continue  # nothing to score against
            context = ", ".join(
                x for x in (incident.get("place_context"), incident.get("governorate")) if x
            )
            rows.append(
                {
                    "id": f"{tag}-{number}",
                    "name": incident["place_text"],
                    "context": context,
                    "lat": incident["lat"],
                    "lon": incident["lon"],
                    "pcode": incident.get("place_pcode") or "",
                    "admin1_pcode": incident.get("admin1_pcode") or "",
                    "admin3_pcode": "",
                }
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} queries written to {path}")


def wiki_check() -> None:
    from gazetteer.build import build

    with tempfile.TemporaryDirectory() as folder:
        build(SHARED / "data", Path(folder), include_wikipedia=False, include_geonames=False)
        gazetteer = Gazetteer.load(folder)
        resolver = Resolver(gazetteer)
        path = SHARED / "data" / "wikipedia_syria_detailed_map" / "places_control_snapshot.csv"
        with path.open(encoding="utf-8") as fh:
            rows = [
                r
                for r in csv.DictReader(fh)
                if r["label"]
                and r["marker_type"] in ("point", "contested_point", "stable_mixed_point")
            ]
        for mode in ("governorate", "governorate, district, sub-district"):
            counts = {"within 5 km": 0, "farther": 0, "unresolved": 0, "wrong ADM1": 0}
            total = 0
            for row in rows:
                lat, lon = float(row["lat"]), float(row["lon"])
                located = gazetteer.locate_admin(lat, lon)
                if located is None:
                    continue  # outside Syria
                total += 1
                codes = located[:1] if mode == "governorate" else located
                context = ", ".join(gazetteer.admins[c].name for c in codes)
                result = resolver.resolve(row["label"], context)
                if not result.resolved or result.lat is None or result.lon is None:
                    counts["unresolved"] += 1
                    continue
                near = haversine_km(lat, lon, result.lat, result.lon) <= 5
                counts["within 5 km" if near else "farther"] += 1
                counts["wrong ADM1"] += result.admin1_pcode != located[0]
            shares = ", ".join(f"{k} {v / total:.1%}" for k, v in counts.items())
            print(f"context = {mode}: {total} map labels; {shares}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gold-queries", type=Path, default=None)
    parser.add_argument("--wiki-check", action="store_true")
    args = parser.parse_args()
    if args.gold_queries is not None:
        write_gold_queries(args.gold_queries)
    elif args.wiki_check:
        wiki_check()
    else:
        throughput(args.n, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark ``GET /control`` and ``GET /landmines/hotspots`` on a large synthetic dataset.

A script, not a test. It creates a throwaway database on the project's PostGIS (the
embedded cluster, or the server of ``DATABASE_URL``; the user needs CREATEDB), migrates it,
loads the gazetteer admin units, the bundled zones and severity, generates the synthetic
dataset (``athar dev synth``), then times requests through the real app (in-process ASGI
client, so JSON encoding and validation are included; no network). The database is dropped
at the end unless ``--keep``.

    .venv/bin/python bench/bench_control.py --incidents 200000 --hazards 5000 --requests 300

Target: p95 under 100 ms for ``/control`` and for bounded hotspot queries (a ~50 km box or
one sub-district). Whole-country hotspot queries are reported separately: they cluster every
landmine incident in Syria; a random ``as_of`` makes each one miss the answer cache, and a
last row repeats one question to show the cached path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from api.app import create_app
from db.cluster import EmbeddedCluster, create_database, drop_database
from db.engine import make_engine, make_session_factory, normalise_url, transaction
from db.migrate import upgrade
from db.parties import load_party_taxonomy
from db.reference import sync_parties
from db.settings import Settings
from etl.hazards import load_severity
from etl.synth import generate_synthetic
from etl.zones import load_bundled_zones
from gazetteer.data import Gazetteer


def _server(settings: Settings) -> tuple[str, Callable[[str], str]]:
    """(admin libpq DSN, database name -> SQLAlchemy URL) for the server in use."""
    if settings.database_url:
        base = make_url(normalise_url(settings.database_url))
        dsn = (
            f"host={base.host or 'localhost'} port={base.port or 5432} dbname=postgres "
            f"user={base.username} password={base.password or ''}"
        )
        return dsn, lambda name: base.set(database=name).render_as_string(hide_password=False)
    cluster = EmbeddedCluster(settings)
    cluster.start()
    return cluster.libpq_dsn("postgres"), cluster.url


def _timed(label: str, step: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = step()
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)
    return result


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered), p95, ordered[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--hazards", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the benchmark database.")
    args = parser.parse_args()

    settings = Settings()
    admin_dsn, url_of = _server(settings)
    name = f"athar_bench_{uuid.uuid4().hex[:10]}"
    create_database(admin_dsn, name)
    print(f"benchmark database {name}", flush=True)
    engine = make_engine(url_of(name), application_name="athar-bench", pool_size=2)
    try:
        sessions = make_session_factory(engine)
        print("setup:")
        _timed("migrate", lambda: upgrade(engine))
        with transaction(sessions) as session:
            sync_parties(session, load_party_taxonomy())
        gazetteer = Gazetteer.load()
        from gazetteer.dbload import load_gazetteer

        with transaction(sessions) as session:
            _timed("gazetteer (admin units, places)", lambda: load_gazetteer(session))
        with transaction(sessions) as session:
            _timed("bundled zones", lambda: load_bundled_zones(session))
            _timed("mine-action severity", lambda: load_severity(session))
        with transaction(sessions) as session:
            report = _timed(
                f"synth {args.incidents} incidents + {args.hazards} hazards (incl. refresh)",
                lambda: generate_synthetic(
                    session,
                    incidents=args.incidents,
                    hazards=args.hazards,
                    seed=args.seed,
                    gazetteer=gazetteer,
                ),
            )
        print(f"  {report}")
        from db.control import refresh_incident_control

        with transaction(sessions) as session:
            _timed(
                "refresh_incident_control (all incidents)",
                lambda: refresh_incident_control(session),
            )
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")

        rng = random.Random(args.seed)
        communities = [p for p in gazetteer.places.values() if p.kind == "community"]
        subdistricts = [u.pcode for u in gazetteer.admins.values() if u.level == 3]
        first = dt.date(2014, 1, 1)

        def random_day() -> str:
            return (first + dt.timedelta(days=rng.randrange(0, 4018))).isoformat()

        def random_box(half: float = 0.25) -> str:
            place = rng.choice(communities)
            return f"{place.lon - half},{place.lat - half},{place.lon + half},{place.lat + half}"

        def control_params() -> dict[str, object]:
            place = rng.choice(communities)
            return {
                "lon": round(place.lon + rng.uniform(-0.02, 0.02), 5),
                "lat": round(place.lat + rng.uniform(-0.02, 0.02), 5),
                "date": random_day(),
            }

        scenarios: list[tuple[str, str, Callable[[], dict[str, object]], int]] = [
            ("/control (random community, random day)", "/control", control_params, 1),
            (
                "/landmines/hotspots dbscan, 50 km box",
                "/landmines/hotspots",
                lambda: {"method": "dbscan", "bbox": random_box()},
                1,
            ),
            (
                "/landmines/hotspots hex 5 km, 50 km box",
                "/landmines/hotspots",
                lambda: {"method": "hex", "bbox": random_box()},
                1,
            ),
            (
                "/landmines/hotspots admin, one sub-district",
                "/landmines/hotspots",
                lambda: {"method": "admin", "admin": rng.choice(subdistricts)},
                1,
            ),
            (
                "/landmines/hotspots dbscan, 50 km box, 3-year window, CSV",
                "/landmines/hotspots",
                lambda: {
                    "method": "dbscan",
                    "bbox": random_box(),
                    "from": "2019-01-01",
                    "to": "2021-12-31",
                    "format": "csv",
                },
                1,
            ),
            (
                "/landmines/hotspots dbscan, whole country",
                "/landmines/hotspots",
                lambda: {"method": "dbscan", "as_of": random_day()},
                10,
            ),
            (
                "/landmines/hotspots hex, whole country",
                "/landmines/hotspots",
                lambda: {"method": "hex", "as_of": random_day()},
                10,
            ),
            (
                "/landmines/hotspots admin, whole country",
                "/landmines/hotspots",
                lambda: {"method": "admin", "as_of": random_day()},
                10,
            ),
            (
                "/landmines/hotspots dbscan, whole country, repeated (cache hit)",
                "/landmines/hotspots",
                lambda: {"method": "dbscan", "as_of": "2024-12-31"},
                1,
            ),
        ]
        # The benchmark is one caller hammering the API: per-address rate limits would
        # measure 429s, not queries.
        app = create_app(
            settings.model_copy(update={"rate_limit_anonymous_per_minute": 0}), engine=engine
        )
        print(
            f"\n{args.requests} requests per bounded scenario "
            f"({args.incidents} incidents, {args.hazards} hazard areas)\n"
        )
        print("| scenario | n | p50 ms | p95 ms | max ms | status |")
        print("|---|---|---|---|---|---|")
        with TestClient(app) as client:
            for label, path, make_params, divisor in scenarios:
                count = max(5, args.requests // (divisor * 10) if divisor > 1 else args.requests)
                for _ in range(5):  # warm the pool, caches and plans
                    client.get(path, params=make_params())
                samples: list[float] = []
                statuses: dict[int, int] = {}
                for _ in range(count):
                    params = make_params()
                    started = time.perf_counter()
                    response = client.get(path, params=params)
                    samples.append((time.perf_counter() - started) * 1000)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                p50, p95, worst = _percentiles(samples)
                codes = ", ".join(f"{k}x{v}" for k, v in sorted(statuses.items()))
                print(f"| {label} | {count} | {p50:.1f} | {p95:.1f} | {worst:.1f} | {codes} |")
    finally:
        engine.dispose()
        if args.keep:
            print(f"kept database {name}")
        else:
            drop_database(admin_dsn, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

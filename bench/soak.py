"""Soak: 16 concurrent clients on tiles and queries for a minute; zero errors is the bar.

A script, not a test. Without ``--url`` it makes a throwaway database on the embedded cluster
(never the main one), loads the gazetteer, fills it with ``athar dev synth``, and serves the
app with uvicorn on a free 127.0.0.1 port (rate limits off: 16 clients share one address).
With ``--url`` it drives a running ``athar serve`` instead, reading tile coordinates and ids
from the API itself.

Each client holds one keep-alive connection and cycles through a shuffled mix of vector
tiles (zooms 6-12, tiles that hold data), incident lists with filters, single incidents,
statistics, OGC items, landmine severity, gazetteer look-ups and control queries, until the
time is up or it has sent ``--max-requests``. An error is a 5xx, a dropped connection or a
timeout; 4xx would be a bug in this script's URLs and is counted apart.

    .venv/bin/python bench/soak.py --clients 16 --seconds 60 --incidents 20000

Prints a Markdown summary and writes ``bench/out/soak.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchlib import HOST, free_port, percentile, served

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ZOOMS = (6, 8, 10, 12)


def app() -> Any:
    """The uvicorn factory (``--app-dir bench``): the API with rate limits off."""
    from api.app import create_app
    from db.settings import Settings

    return create_app(Settings(rate_limit_anonymous_per_minute=0, rate_limit_key_per_minute=0))


def get_json(base: str, path: str) -> Any:
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return json.loads(body)
    finally:
        connection.close()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def request_mix(base: str, seed: int) -> list[str]:
    """URLs worth hitting, built from what the API itself returns (so they hold data)."""
    rng = random.Random(seed)
    features = get_json(base, "/incidents?limit=1000")["features"]
    if not features:
        raise RuntimeError("the API has no published incidents to soak on")
    sample = rng.sample(features, min(200, len(features)))
    tiles: set[str] = set()
    for feature in sample:
        lon, lat = feature["geometry"]["coordinates"][:2]
        for z in ZOOMS:
            x, y = tile_of(lon, lat, z)
            tiles.add(f"/tiles/incidents/{z}/{x}/{y}.mvt")
    tile_paths = sorted(tiles)
    queries = [f"/incidents/{feature['id']}" for feature in sample[:60]]
    queries += [
        "/incidents?limit=100",
        "/incidents?limit=500&weapon=airstrike",
        "/incidents?limit=200&date_from=2015-01-01&date_to=2018-12-31",
        "/incidents?limit=200&bbox=36,35,38,37",
        "/stats",
        "/stats?group_by=governorate",
        "/ogc/collections/incidents/items?limit=100",
        "/ogc/collections/incidents/items?limit=100&bbox=36,35,38,37",
        "/landmines/severity",
        "/gazetteer/search?q=Aleppo",
        "/gazetteer/search?q=%D8%AD%D9%85%D8%B5",
        "/gazetteer/reverse?lat=36.2&lon=37.15",
        "/control?lat=36.2&lon=37.15&date=2020-06-01",
        "/tiles/incidents.json",
        "/health",
    ]
    # Tiles are the map's load: weight them as heavily as all the queries together.
    mix = tile_paths + queries * max(1, len(tile_paths) // len(queries))
    rng.shuffle(mix)
    return mix


def soak(base: str, paths: list[str], clients: int, seconds: float, max_requests: int) -> dict:
    parts = urlsplit(base)
    host, port = parts.hostname or HOST, parts.port or 80
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    failed_requests = 0
    deadline = time.monotonic() + seconds

    def client(worker: int) -> None:
        nonlocal failed_requests
        rng = random.Random(worker)
        order = paths[:]
        rng.shuffle(order)
        own: list[float] = []
        own_status: Counter[int] = Counter()
        own_errors: list[str] = []
        connection = http.client.HTTPConnection(host, port, timeout=30)
        sent = 0
        while time.monotonic() < deadline and sent < max_requests:
            path = order[sent % len(order)]
            sent += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                own_errors.append(f"{path}: {type(exc).__name__}: {exc}")
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=30)
                continue
            own.append((time.perf_counter() - started) * 1000)
            own_status[response.status] += 1
            if response.status >= 500:
                own_errors.append(f"{path}: HTTP {response.status} 5xx")
        connection.close()
        with lock:
            failed_requests += len(own_errors) - sum(1 for e in own_errors if e.endswith("xx"))
            latencies.extend(own)
            statuses.update(own_status)
            errors.extend(own_errors)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    # Requests that got no answer (dropped, timed out) count too.
    requests = sum(statuses.values()) + failed_requests
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "distinct_urls": len(set(paths)),
        "requests": requests,
        "requests_per_second": round(requests / elapsed, 1),
        "errors": len(errors),
        "error_samples": errors[:10],
        "client_errors_4xx": sum(n for s, n in statuses.items() if 400 <= s < 500),
        "statuses": {str(s): n for s, n in sorted(statuses.items())},
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p90": round(percentile(latencies, 0.90), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(max(latencies), 1),
        },
    }


def serve_throwaway(args: argparse.Namespace, run: Any) -> dict:
    """Make a database, fill it, serve it on a free port, soak it, drop it."""
    from db.cluster import EmbeddedCluster, create_database, drop_database
    from db.engine import make_engine, make_session_factory, transaction
    from db.migrate import upgrade
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties
    from db.settings import Settings
    from gazetteer.dbload import load_gazetteer

    cluster = EmbeddedCluster(Settings())
    cluster.start()
    admin_dsn = cluster.libpq_dsn("postgres")
    name = f"athar_soak_{uuid.uuid4().hex[:8]}"
    create_database(admin_dsn, name)
    url = cluster.url(name)
    try:
        engine = make_engine(url, application_name="athar-soak")
        upgrade(engine)
        with transaction(make_session_factory(engine)) as session:
            sync_parties(session, load_party_taxonomy())
            load_gazetteer(session)
        engine.dispose()
        print(f"synthesising {args.incidents} incidents ...", file=sys.stderr, flush=True)
        env = {**os.environ, "DATABASE_URL": url}
        synth = [str(VENV_BIN / "athar"), "dev", "synth", "--incidents", str(args.incidents)]
        subprocess.run([*synth, "--seed", "1"], env=env, check=True, cwd=ROOT)
        port = free_port()
        command = [
            str(VENV_BIN / "uvicorn"),
            "--app-dir",
            str(ROOT / "bench"),
            "--factory",
            "soak:app",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        log_path = ROOT / "bench" / "out" / "soak-server.log"
        with served(command, env, port, "/health", log_path, ROOT):
            results: dict = run(f"http://{HOST}:{port}")
            results["incidents"] = args.incidents
            return results
    finally:
        drop_database(admin_dsn, name)


def markdown(results: dict) -> str:
    latency = results["latency_ms"]
    return "\n".join(
        [
            f"Soak: {results['clients']} clients, {results['seconds']} s, "
            f"{results['distinct_urls']} distinct URLs (tiles z{ZOOMS[0]}-{ZOOMS[-1]} and queries)",
            "",
            "| requests | req/s | errors | 4xx | p50 ms | p90 ms | p99 ms | max ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {results['requests']} | {results['requests_per_second']} | {results['errors']} "
            f"| {results['client_errors_4xx']} | {latency['p50']} | {latency['p90']} "
            f"| {latency['p99']} | {latency['max']} |",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running API (default: serve a throwaway database)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=100_000, help="per client")
    parser.add_argument("--incidents", type=int, default=20_000, help="synthetic, throwaway")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    def run(base: str) -> dict:
        paths = request_mix(base, args.seed)
        return soak(base, paths, args.clients, args.seconds, args.max_requests)

    results = run(args.url.rstrip("/")) if args.url else serve_throwaway(args, run)
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    (ROOT / "bench" / "out" / "soak.json").write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    if results["errors"]:
        print("errors:", *results["error_samples"], sep="\n  ", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

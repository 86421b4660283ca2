"""Vector tiles: athar (with and without its caches) beside tipg, with PostGIS as the floor.

A script, not a test. It makes a throwaway database on the embedded cluster (never the main
one), loads the gazetteer, fills it with ``athar dev synth --incidents N``, then, on the same
sample of tiles that hold data (per zoom):

* **floor**: the tile SQL alone (:func:`api.tiles.render_tile` on one connection);
* **athar, no cache**: ``uvicorn api.app:create_app`` with the LRU disabled;
* **athar, cache**: the same app with its LRU, measured after one warming pass;
* **tipg**: ``tipg.main:app`` from a separate venv on the same ``incidents`` table
  (``WebMercatorQuad``, a few public properties; it sends single points at every zoom);

latency p50/p95 per zoom for one client, then throughput with 16 concurrent keep-alive
clients over the whole sample (loopback only), and the time of ``athar export pmtiles``.

    .venv/bin/python bench/bench_tiles.py --incidents 100000 [--tipg-venv /tmp/tipg-venv]

Results are printed as Markdown and written to ``bench/out/tiles.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchlib import HOST, free_port, percentile, served
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.pmtiles_archive import export_pmtiles
from api.tiles import Tile, render_tile, tiles_with_data
from db.cluster import EmbeddedCluster, create_database, drop_database
from db.engine import make_engine, make_session_factory, transaction
from db.migrate import upgrade
from db.parties import load_party_taxonomy
from db.reference import sync_parties
from db.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
TIPG_PROPERTIES = "id,date_start,weapon,killed_total,killed_children,killed_women"


# --- app factories for uvicorn (--app-dir bench) ------------------------------------------


def app_with_cache() -> Any:
    # 16 clients on one address would hit the anonymous rate limit: measure tiles, not that.
    return create_app(Settings(rate_limit_anonymous_per_minute=0))


def app_without_cache() -> Any:
    app = create_app(Settings(rate_limit_anonymous_per_minute=0))
    app.state.tile_cache_max_bytes = 0
    return app


# --- helpers ------------------------------------------------------------------------------


@contextmanager
def server(command: list[str], env: dict[str, str], port: int, probe: str) -> Iterator[None]:
    """Run a uvicorn server until ``probe`` answers; its log is bench/out/server-PORT.log."""
    with served(command, env, port, probe, ROOT / "bench" / "out" / f"server-{port}.log", ROOT):
        yield


class Client:
    """One keep-alive HTTP/1.1 connection; returns (status, body bytes)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def get(self, path: str) -> tuple[int, int]:
        try:
            self.connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
            self.connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
            response = self.connection.getresponse()
        body = response.read()
        if response.status >= 400:
            raise RuntimeError(f"GET {path}: {response.status} {body[:200]!r}")
        return response.status, len(body)


def latency(client: Client, paths: list[str]) -> tuple[list[float], int]:
    timings, size = [], 0
    for path in paths:
        started = time.perf_counter()
        _, length = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        size += length
    return timings, size


def throughput(port: int, paths: list[str], clients: int, seconds: float) -> dict[str, float]:
    """Requests per second with ``clients`` threads cycling through ``paths`` for ``seconds``."""
    stop = time.monotonic() + seconds
    counts = [0] * clients
    timings: list[list[float]] = [[] for _ in range(clients)]
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        client = Client(port)
        order = paths[:]
        random.Random(worker).shuffle(order)
        i = 0
        try:
            while time.monotonic() < stop:
                started = time.perf_counter()
                client.get(order[i % len(order)])
                timings[worker].append((time.perf_counter() - started) * 1000)
                counts[worker] += 1
                i += 1
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} client errors, first: {errors[0]!r}")
    every = [t for worker in timings for t in worker]
    return {
        "requests": sum(counts),
        "rps": sum(counts) / elapsed,
        "p50_ms": percentile(every, 0.5),
        "p95_ms": percentile(every, 0.95),
    }


def summary(timings: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(timings, 0.5), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
    }


# --- the run -------------------------------------------------------------------------------


def prepare(url: str, incidents: int, log: Callable[[str], None]) -> Engine:
    engine = make_engine(url, application_name="athar-bench", pool_size=4)
    upgrade(engine)
    from gazetteer.dbload import load_gazetteer

    with transaction(make_session_factory(engine)) as session:
        sync_parties(session, load_party_taxonomy())
        load_gazetteer(session)
    log(f"synthesising {incidents} incidents with `athar dev synth` ...")
    started = time.perf_counter()
    subprocess.run(
        [
            str(VENV_BIN / "athar"),
            "dev",
            "synth",
            "--incidents",
            str(incidents),
            "--hazards",
            str(max(incidents // 200, 10)),
            "--seed",
            "1",
        ],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        cwd=ROOT,
    )
    log(f"  done in {time.perf_counter() - started:.0f} s")
    # VACUUM as well: index-only scans of the tile grid index need the visibility map that
    # autovacuum would set some time after a bulk load.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))
    return engine


def sample_tiles(
    engine: Engine, zooms: list[int], per_zoom: int, seed: int
) -> dict[int, list[Tile]]:
    rng = random.Random(seed)
    chosen: dict[int, list[Tile]] = {}
    with engine.connect() as connection:
        for z in zooms:
            tiles = tiles_with_data(connection, "incidents", z)
            chosen[z] = sorted(rng.sample(tiles, min(per_zoom, len(tiles))))
    return chosen


def run(args: argparse.Namespace) -> dict[str, Any]:
    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    settings = Settings()
    cluster = EmbeddedCluster(settings)
    cluster.start()
    admin_dsn = cluster.libpq_dsn("postgres")
    reuse = args.database is not None
    name = args.database or f"athar_bench_{uuid.uuid4().hex[:8]}"
    if not reuse:
        create_database(admin_dsn, name)
    url = cluster.url(name)
    results: dict[str, Any] = {
        "incidents": args.incidents,
        "database": name,
        "server_workers": args.workers,
    }
    try:
        if reuse:
            # A database kept by an earlier run (--keep): migrate it, reuse its incidents.
            engine = make_engine(url, application_name="athar-bench", pool_size=4)
            upgrade(engine)
            with engine.connect() as connection:
                results["incidents"] = connection.execute(
                    text("SELECT count(*) FROM incidents")
                ).scalar()
        else:
            engine = prepare(url, args.incidents, log)
        with engine.connect() as connection:
            results["incidents_published"] = connection.execute(
                text("SELECT count(*) FROM incidents WHERE status = 'published'")
            ).scalar()
        zooms = [int(z) for z in args.zooms.split(",")]
        tiles = sample_tiles(engine, zooms, args.samples, args.seed)
        results["tiles_per_zoom"] = {z: len(t) for z, t in tiles.items()}
        results["timed_rounds"] = args.rounds
        log(f"sampled tiles per zoom: {results['tiles_per_zoom']}")

        # Floor: the tile SQL alone, on one warm connection: each tile once untimed, then
        # --rounds timed passes over the sample, as the servers are measured below.
        floor: dict[int, dict[str, float]] = {}
        with engine.connect() as connection:
            for z, sample in tiles.items():
                timings = []
                for tile in sample:
                    render_tile(connection, "incidents", tile)
                for _ in range(args.rounds):
                    for tile in sample:
                        started = time.perf_counter()
                        render_tile(connection, "incidents", tile)
                        timings.append((time.perf_counter() - started) * 1000)
                floor[z] = summary(timings)
        results["floor_postgis"] = floor

        env = {**os.environ, "DATABASE_URL": url}
        uvicorn = [
            str(VENV_BIN / "uvicorn"),
            "--app-dir",
            str(ROOT / "bench"),
            "--factory",
            "--host",
            HOST,
            "--log-level",
            "warning",
            "--no-access-log",
            "--workers",
            str(args.workers),
        ]
        athar_paths = {
            z: [f"/tiles/incidents/{t.z}/{t.x}/{t.y}.mvt" for t in s] for z, s in tiles.items()
        }
        variants: list[tuple[str, list[str], dict[str, str], dict[int, list[str]], str]] = []
        port = free_port()
        variants.append(
            (
                "athar_no_cache",
                [*uvicorn, "--port", str(port), "bench_tiles:app_without_cache"],
                env,
                athar_paths,
                str(port),
            )
        )
        port = free_port()
        variants.append(
            (
                "athar_cache",
                [*uvicorn, "--port", str(port), "bench_tiles:app_with_cache"],
                env,
                athar_paths,
                str(port),
            )
        )
        tipg_python = Path(args.tipg_venv) / "bin" / "uvicorn"
        if tipg_python.exists() and not args.skip_tipg:
            port = free_port()
            tipg_url = (
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            )
            tipg_env = {
                "PATH": os.environ.get("PATH", ""),
                "DATABASE_URL": tipg_url,
                "TIPG_DB_SCHEMAS": '["public"]',
                "TIPG_DB_TABLES": '["public.incidents"]',
                "TIPG_DB_MAX_CONN_SIZE": "16",
                "TIPG_DB_SPATIAL_EXTENT": "false",
                "TIPG_DB_DATETIME_EXTENT": "false",
            }
            tipg_paths = {
                z: [
                    f"/collections/public.incidents/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"
                    f"?properties={TIPG_PROPERTIES}"
                    for t in s
                ]
                for z, s in tiles.items()
            }
            variants.append(
                (
                    "tipg",
                    [
                        str(tipg_python),
                        "tipg.main:app",
                        "--host",
                        HOST,
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                        "--workers",
                        str(args.workers),
                    ],
                    tipg_env,
                    tipg_paths,
                    str(port),
                )
            )
        else:
            log(f"tipg not found at {tipg_python} (or --skip-tipg): skipped")

        for label, command, server_env, paths, port_text in variants:
            port = int(port_text)
            probe = paths[zooms[0]][0]
            log(f"{label}: latency and throughput ...")
            with server(command, server_env, port, probe):
                client = Client(port)
                per_zoom: dict[int, dict[str, float]] = {}
                first: dict[int, dict[str, float]] = {}
                for z in zooms:
                    # First pass: cold server connections (and cache misses for athar_cache);
                    # then --rounds measured passes, as the floor.
                    timings, _ = latency(client, paths[z])
                    first[z] = summary(timings)
                    timings, size = [], 0
                    for _ in range(args.rounds):
                        more, more_size = latency(client, paths[z])
                        timings += more
                        size += more_size
                    per_zoom[z] = {**summary(timings), "bytes_mean": size // max(len(timings), 1)}
                results[label] = {"latency": per_zoom, "latency_first_pass": first}
                all_paths = [p for z in zooms for p in paths[z]]
                high_paths = [p for z in zooms if z >= 10 for p in paths[z]]
                results[label]["throughput"] = throughput(
                    port, all_paths, args.concurrency, args.seconds
                )
                results[label]["throughput_z10_up"] = throughput(
                    port, high_paths, args.concurrency, args.seconds
                )
                log(f"  {results[label]['throughput']['rps']:.0f} req/s")

        if args.export_maxzoom >= 0:
            log("exporting PMTiles ...")
            out = ROOT / "bench" / "out" / "bench-incidents.pmtiles"
            report = export_pmtiles(
                engine, out, "incidents", maxzoom=args.export_maxzoom, workers=args.export_workers
            )
            results["pmtiles_export"] = {
                "maxzoom": args.export_maxzoom,
                "workers": args.export_workers,
                "tiles": report.tiles,
                "tiles_tried": report.tiles_tried,
                "megabytes": round(report.bytes / 1e6, 2),
                "seconds": round(report.seconds, 1),
            }
        engine.dispose()
    finally:
        if not args.keep and not reuse:
            drop_database(admin_dsn, name)
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"Incidents: {results['incidents']} synthetic ({results.get('incidents_published')} "
        "published); tiles sampled per zoom: "
        + ", ".join(f"z{z}: {n}" for z, n in results["tiles_per_zoom"].items())
        + f"; uvicorn workers per server: {results.get('server_workers', 1)}",
        "",
        f"Latency, one client, ms (p50 / p95 over {results.get('timed_rounds', 1)} timed passes):",
        "",
    ]
    columns = [
        c for c in ("floor_postgis", "athar_no_cache", "athar_cache", "tipg") if c in results
    ]
    lines.append("| zoom | " + " | ".join(columns) + " |")
    lines.append("|---|" + "---|" * len(columns))
    for z in results["tiles_per_zoom"]:
        cells = []
        for column in columns:
            data = results[column] if column == "floor_postgis" else results[column]["latency"]
            entry = data.get(z) or data.get(str(z))
            cells.append(f"{entry['p50_ms']:.1f} / {entry['p95_ms']:.1f}")
        lines.append(f"| {z} | " + " | ".join(cells) + " |")
    lines += ["", "First request of each tile (cold connections; cache misses), p50 / p95 ms:", ""]
    lines.append("| zoom | " + " | ".join(columns[1:]) + " |")
    lines.append("|---|" + "---|" * len(columns[1:]))
    for z in results["tiles_per_zoom"]:
        cells = []
        for column in columns[1:]:
            entry = results[column]["latency_first_pass"].get(z) or results[column][
                "latency_first_pass"
            ].get(str(z))
            cells.append(f"{entry['p50_ms']:.1f} / {entry['p95_ms']:.1f}")
        lines.append(f"| {z} | " + " | ".join(cells) + " |")
    lines += ["", "Throughput, 16 concurrent keep-alive clients (req/s, p50 / p95 ms):", ""]
    lines.append("| server | all sampled tiles | z10-14 tiles only |")
    lines.append("|---|---|---|")
    for column in columns[1:]:
        both = [results[column]["throughput"], results[column]["throughput_z10_up"]]
        cells = [f"{t['rps']:.0f} req/s ({t['p50_ms']:.1f} / {t['p95_ms']:.1f})" for t in both]
        lines.append(f"| {column} | " + " | ".join(cells) + " |")
    export = results.get("pmtiles_export")
    if export:
        lines += [
            "",
            f"PMTiles export z0-{export['maxzoom']} ({export['workers']} workers): "
            f"{export['tiles']} tiles ({export['tiles_tried']} tried), "
            f"{export['megabytes']} MB in {export['seconds']} s",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--zooms", default="4,6,8,10,12,14")
    parser.add_argument("--samples", type=int, default=40, help="tiles per zoom")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="timed passes over each zoom's tiles (p95 over samples x rounds)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tipg-venv", default="/tmp/tipg-venv")
    parser.add_argument("--skip-tipg", action="store_true")
    parser.add_argument(
        "--export-maxzoom", type=int, default=14, help="-1 skips the PMTiles export"
    )
    parser.add_argument("--export-workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument(
        "--database", help="reuse a database of the embedded cluster kept with --keep"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="uvicorn worker processes, athar and tipg alike"
    )
    args = parser.parse_args()
    results = run(args)
    (ROOT / "bench" / "out" / "tiles.json").write_text(json.dumps(results, indent=2))
    print(markdown(results))


if __name__ == "__main__":
    main()

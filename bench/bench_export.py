"""Peak memory of a 1,000,000-incident GeoJSON export (a script, not a test).

Creates a throwaway database on the embedded cluster (or on the server of DATABASE_URL),
migrates it, fills it with synthetic incidents by ``INSERT ... SELECT generate_series`` (one
synthetic source document and span, 1% of incidents sensitive), then measures:

* in-process: ``api.exports.geojson_chunks`` written to a file, in a fresh child process,
  reporting its peak RSS (``ru_maxrss``) and, with ``--tracemalloc``, Python's own peak;
* over HTTP (``--http``): ``uvicorn`` serving the app, the export downloaded with a streaming
  client, the server's peak RSS read from ``/proc/<pid>/status`` (VmHWM).

The database is dropped at the end (``--keep`` keeps it and prints its URL; ``--url`` reuses
one). Never point it at the main database: it only ever writes into a database it made.

    .venv/bin/python bench/bench_export.py [--rows 1000000] [--http] [--tracemalloc]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

TARGET_MB = 300

FILL = """
INSERT INTO incidents (
    fingerprint, date_start, date_precision, place_text, governorate,
    admin1_pcode, admin2_pcode, admin3_pcode, geom, location_precision,
    perpetrator_category, weapon, killed_total, killed_children, killed_women, injured,
    massacre, victim_categories, facility, evidence, sensitive,
    source_document_id, provenance_span_id
)
SELECT
    'bench-' || g,
    DATE '2012-01-01' + (g % 4000),
    'day',
    'Synthetic village ' || (g % 5000),
    'Synthetic governorate',
    'SY90', 'SY9001', 'SY900101',
    ST_SetSRID(ST_MakePoint(36 + (g % 6000) / 1000.0, 32.5 + (g % 4500) / 1000.0), 4326),
    'community',
    (ARRAY['syrian_regime', 'russian_forces', 'isis', 'sdf', 'hts'])[1 + g % 5],
    (ARRAY['airstrike', 'artillery', 'landmine', 'gunfire', 'erw'])[1 + g % 5],
    10, 3, 2, g % 7,
    true,
    CASE WHEN g % 10 = 0 THEN ARRAY['medical'] ELSE '{}'::text[] END,
    CASE WHEN g % 20 = 0 THEN 'hospital' END,
    'Synthetic evidence sentence naming nobody, number ' || g,
    g % 100 = 0,
    :document_id, :span_id
FROM generate_series(1, :rows) AS g
"""


def _server_urls(database: str) -> tuple[str, str]:
    """(admin libpq DSN, SQLAlchemy URL of ``database``) on the server in use."""
    from sqlalchemy.engine import make_url

    from db.cluster import EmbeddedCluster
    from db.engine import normalise_url
    from db.settings import Settings

    settings = Settings()
    if settings.database_url:
        base = make_url(normalise_url(settings.database_url))
        admin = (
            f"host={base.host or 'localhost'} port={base.port or 5432} dbname=postgres "
            f"user={base.username} password={base.password or ''}"
        )
        return admin, base.set(database=database).render_as_string(hide_password=False)
    cluster = EmbeddedCluster(settings)
    cluster.start()
    return cluster.libpq_dsn("postgres"), cluster.url(database)


def build_database(rows: int) -> tuple[str, str, str]:
    """Create, migrate and fill a throwaway database; (name, url, admin dsn)."""
    from geoalchemy2.shape import from_shape
    from shapely.geometry import MultiPolygon, box
    from sqlalchemy import text

    from db.cluster import create_database
    from db.engine import make_engine, make_session_factory, transaction
    from db.migrate import upgrade
    from db.models import AdminUnit, ProvenanceSpan, SourceDocument
    from db.parties import load_party_taxonomy
    from db.reference import sync_parties

    name = f"athar_bench_{uuid.uuid4().hex[:10]}"
    admin, url = _server_urls(name)
    create_database(admin, name)
    engine = make_engine(url, application_name="athar-bench")
    try:
        upgrade(engine)
        started = time.perf_counter()
        with transaction(make_session_factory(engine)) as session:
            sync_parties(session, load_party_taxonomy())
            shape = from_shape(MultiPolygon([box(36.0, 32.5, 42.0, 37.0)]), srid=4326)
            for level, pcode in ((1, "SY90"), (2, "SY9001"), (3, "SY900101")):
                session.add(
                    AdminUnit(pcode=pcode, level=level, name_en=pcode, geom=shape, source="bench")
                )
            document = SourceDocument(
                source_key="bench-synthetic",
                kind="synthetic",
                title="Synthetic benchmark data",
                checksum="0" * 64,
            )
            session.add(document)
            session.flush()
            span = ProvenanceSpan(document_id=document.id, start_offset=0, end_offset=0)
            session.add(span)
            session.flush()
            session.execute(
                text(FILL), {"document_id": document.id, "span_id": span.id, "rows": rows}
            )
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE incidents")
            )
        print(f"filled {rows} incidents in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    finally:
        engine.dispose()
    return name, url, admin


def measure_in_process(
    url: str, out: Path, format_name: str, use_tracemalloc: bool
) -> dict[str, float]:
    """Run in a fresh child: the export to ``out``; peak RSS and (optionally) Python's peak."""
    import tracemalloc

    from api.exports import geojson_chunks, write_export
    from db.engine import make_engine, make_session_factory
    from db.queries import IncidentFilter

    engine = make_engine(url, application_name="athar-bench")
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if use_tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    written = 0
    with make_session_factory(engine)() as session:
        if format_name == "geojson":
            with out.open("wb") as sink:
                for chunk in geojson_chunks(session, IncidentFilter()):
                    sink.write(chunk)
                    written += len(chunk)
        else:
            # GeoPackage / FlatGeobuf: batches appended to the file with pyogrio.
            write_export(session, IncidentFilter(), out, format_name)
            written = out.stat().st_size
    elapsed = time.perf_counter() - started
    result = {
        "seconds": round(elapsed, 1),
        "bytes": written,
        "baseline_rss_mb": round(baseline_kb / 1024, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if use_tracemalloc:
        result["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
    engine.dispose()
    return result


class FeatureCounter:
    """Counts features in a GeoJSON byte stream without holding it."""

    MARKER = b'"type":"Feature"'

    def __init__(self) -> None:
        self.features = 0
        self.bytes = 0
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        # A marker may straddle two chunks; the kept tail is shorter than the marker, so no
        # marker is counted twice.
        window = self._tail + chunk
        self.features += window.count(self.MARKER)
        self._tail = window[-(len(self.MARKER) - 1) :]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc status")


def measure_http(url: str) -> dict[str, float]:
    """Serve the app with uvicorn, download the export, report the server's peak RSS."""
    import httpx

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "ATHAR_STATEMENT_TIMEOUT_MS": "15000"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1.0)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        idle_mb = _vm_hwm_mb(server.pid)
        started = time.perf_counter()
        counter = FeatureCounter()
        with httpx.stream("GET", f"{base}/incidents/export.geojson", timeout=None) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                counter.feed(chunk)
        return {
            "seconds": round(time.perf_counter() - started, 1),
            "bytes": counter.bytes,
            "features": counter.features,
            "server_rss_before_mb": idle_mb,
            "server_peak_rss_mb": _vm_hwm_mb(server.pid),
        }
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def run_child(url: str, format_name: str, use_tracemalloc: bool) -> dict[str, float]:
    """Measure one format in a fresh process, so its ru_maxrss is the export's own."""
    with tempfile.TemporaryDirectory(prefix="athar-bench-") as folder:
        out = Path(folder) / f"incidents.{format_name}"
        command = [sys.executable, __file__, "--child", url, "--formats", format_name]
        if use_tracemalloc:
            command.append("--tracemalloc")
        child = subprocess.run(
            [*command, "--out-file", str(out)], check=True, capture_output=True, text=True
        )
        result: dict[str, float] = json.loads(child.stdout)
        if format_name == "geojson":
            counter = FeatureCounter()
            with out.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 24), b""):
                    counter.feed(block)
            result["features"] = counter.features
        else:
            import pyogrio

            result["features"] = pyogrio.read_info(out, force_feature_count=True)["features"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--url", help="reuse this (throwaway) database instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--http", action="store_true", help="also measure through uvicorn")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python's peak")
    parser.add_argument(
        "--formats", default="geojson", help="in-process formats, e.g. geojson,gpkg,fgb"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out-file", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:  # the measuring child: a fresh process, so ru_maxrss is the export's own
        result = measure_in_process(args.child, Path(args.out_file), args.formats, args.tracemalloc)
        print(json.dumps(result))
        return

    name = admin = None
    url = args.url
    if url is None:
        name, url, admin = build_database(args.rows)
    try:
        in_process: dict[str, dict[str, float]] = {}
        for format_name in args.formats.split(","):
            in_process[format_name] = run_child(url, format_name, args.tracemalloc)
            # Progress as it comes: a long run interrupted later still leaves its figures.
            print(json.dumps({format_name: in_process[format_name]}), file=sys.stderr)
        report: dict[str, object] = {"rows": args.rows, "in_process": in_process}
        if args.http:
            report["http"] = measure_http(url)
        peaks = [result["peak_rss_mb"] for result in in_process.values()]
        if args.http:
            peaks.append(report["http"]["server_peak_rss_mb"])  # type: ignore[index]
        report["target_mb"] = TARGET_MB
        report["under_target"] = max(peaks) < TARGET_MB
        print(json.dumps(report, indent=2))
    finally:
        if name is not None and admin is not None:
            if args.keep:
                print(f"kept database: {url}", file=sys.stderr)
            else:
                from db.cluster import drop_database

                drop_database(admin, name)


if __name__ == "__main__":
    main()

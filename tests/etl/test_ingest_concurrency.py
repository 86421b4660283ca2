"""Ingest under pressure: eight processes at once store one copy; a killed ingest leaves nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from db.engine import make_session_factory
from db.models import Incident, SourceDocument

FIXTURE = Path(__file__).parent / "fixtures" / "ingest_sample_report.txt"


def _athar(url: str, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, DATABASE_URL=url)
    return subprocess.Popen(
        [sys.executable, "-m", "athar", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _counts(engine: Engine, key: str) -> tuple[int, int]:
    with make_session_factory(engine)() as session:
        documents = session.scalar(
            select(func.count()).select_from(SourceDocument).where(SourceDocument.source_key == key)
        )
        incidents = session.scalar(
            select(func.count())
            .select_from(Incident)
            .join(SourceDocument)
            .where(SourceDocument.source_key == key)
        )
    return int(documents or 0), int(incidents or 0)


def test_eight_concurrent_ingests_store_one_copy(scratch_engine: Engine, tmp_path: Path) -> None:
    key = f"concurrent-{uuid.uuid4().hex[:8]}"
    report = tmp_path / f"{key}.txt"
    report.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    url = scratch_engine.url.render_as_string(hide_password=False)
    processes = [_athar(url, "etl", "ingest", str(report)) for _ in range(8)]
    outputs = [process.communicate(timeout=300) for process in processes]
    assert [p.returncode for p in processes] == [0] * 8, outputs
    assert _counts(scratch_engine, key) == (1, 2)
    stored = sum(int(out.split(" stored")[0].split()[-1]) for out, _ in outputs)
    assert stored == 2  # exactly one process stored; the others saw it unchanged


def _long_report(days: int) -> str:
    header = "Civilian Death Toll in Syria in June 2022\n\nII. Incidents\n\n"
    body = "".join(
        f"On Friday, June {1 + day % 28}, 2022, Syrian regime forces' artillery fired shells at "
        f"Kafr Nobol town in the southern suburbs of Idlib governorate, killing {1 + day % 4} "
        f"civilians. Shelter number {day} was hit.\n\n"
        for day in range(days)
    )
    return header + body


def test_killed_ingest_leaves_nothing_and_rerun_completes(
    scratch_engine: Engine, tmp_path: Path
) -> None:
    key = f"killed-{uuid.uuid4().hex[:8]}"
    report = tmp_path / f"{key}.txt"
    report.write_text(_long_report(600), encoding="utf-8")
    url = scratch_engine.url.render_as_string(hide_password=False)
    process = _athar(url, "etl", "ingest", str(report))
    # The advisory lock is held exactly while the ingest transaction is open.
    deadline = time.monotonic() + 120
    in_transaction = False
    with scratch_engine.connect() as conn:
        while time.monotonic() < deadline and process.poll() is None:
            held = conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                    " AND database = (SELECT oid FROM pg_database"
                    "                 WHERE datname = current_database())"
                )
            ).scalar_one()
            if held:
                in_transaction = True
                break
            time.sleep(0.02)
    if not in_transaction:
        process.kill()
        pytest.fail("the ingest finished or stalled before it could be interrupted")
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # The server notices the dropped connection and rolls the transaction back.
    with scratch_engine.connect() as conn:
        for _ in range(200):
            if not conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND database = (SELECT oid FROM pg_database"
                    "                 WHERE datname = current_database())"
                )
            ).scalar_one():
                break
            time.sleep(0.05)
    assert _counts(scratch_engine, key) == (0, 0)

    rerun = _athar(url, "etl", "ingest", str(report))
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    documents, incidents = _counts(scratch_engine, key)
    assert documents == 1 and incidents > 100

"""``athar backup`` then ``athar restore`` into a fresh database finds every row again."""

from __future__ import annotations

import os
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from athar.cli import main
from db.models import RESTRICTED_SCHEMA


def _row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        counts = {}
        with engine.connect() as conn:
            for schema in ("public", RESTRICTED_SCHEMA):
                for table in inspect(conn).get_table_names(schema=schema):
                    counts[f"{schema}.{table}"] = conn.execute(
                        text(f'SELECT count(*) FROM "{schema}"."{table}"')
                    ).scalar_one()
        return counts
    finally:
        engine.dispose()


def test_backup_and_restore_round_trip(scratch_engine: Engine, tmp_path: Path) -> None:
    with scratch_engine.begin() as conn:
        conn.execute(
            text("INSERT INTO audit_log (actor, action, entity) VALUES ('test', 'backup', 'db');")
        )
    source_url = scratch_engine.url.render_as_string(hide_password=False)
    dump = tmp_path / "athar.dump"
    runner = CliRunner()
    made = runner.invoke(main, ["backup", str(dump)], env={"DATABASE_URL": source_url})
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(os.stat(dump).st_mode) == 0o600

    target = f"athar_test_restore_{uuid.uuid4().hex[:8]}"
    restored = runner.invoke(
        main, ["restore", str(dump), "--database", target], env={"DATABASE_URL": source_url}
    )
    assert restored.exit_code == 0, restored.output
    restored_url = make_url(source_url).set(database=target)
    try:
        before = _row_counts(source_url)
        after = _row_counts(restored_url.render_as_string(hide_password=False))
        assert before == after
        assert before["public.admin_units"] == 349 and before["public.audit_log"] >= 1
    finally:
        from db.cluster import drop_database

        admin = (
            f"host={restored_url.host} port={restored_url.port} dbname=postgres "
            f"user={restored_url.username} password={restored_url.password}"
        )
        drop_database(admin, target)


def test_restore_refuses_to_overwrite_without_force(engine: Engine, tmp_path: Path) -> None:
    dump = tmp_path / "x.dump"
    dump.write_bytes(b"not a dump")
    url = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["restore", str(dump)], env={"DATABASE_URL": url})
    assert result.exit_code == 1 and "--force" in result.output


def test_restore_of_a_corrupt_file_fails_cleanly(
    engine: Engine, make_database: Callable[[], str], tmp_path: Path
) -> None:
    dump = tmp_path / "corrupt.dump"
    dump.write_bytes(b"PGDMP garbage")
    url = make_database()
    result = CliRunner().invoke(main, ["restore", str(dump), "--force"], env={"DATABASE_URL": url})
    assert result.exit_code == 1
    assert "pg_restore failed" in result.output and "Traceback" not in result.output

"""API keys are stored hashed, verify only while live, and the CLI never prints a hash."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from athar.cli import main
from db.keys import create_key, revoke_key, role_at_least, verify_key
from db.models import ApiKey


def test_key_is_stored_hashed_and_verifies(db_session: Session) -> None:
    key = create_key(db_session, name="mine action partner", role="partner")
    stored = db_session.scalar(select(ApiKey).where(ApiKey.key_prefix == key.prefix))
    assert stored is not None and key.plain not in stored.key_hash
    assert verify_key(db_session, key.plain) is not None
    assert verify_key(db_session, key.plain + "x") is None
    assert verify_key(db_session, "not a key") is None
    assert revoke_key(db_session, key.prefix)
    assert verify_key(db_session, key.plain) is None
    assert not revoke_key(db_session, key.prefix)


def test_role_order() -> None:
    assert role_at_least("admin", "editor") and role_at_least("editor", "partner")
    assert not role_at_least("partner", "editor") and not role_at_least("anonymous", "partner")


def test_cli_creates_lists_and_revokes(engine: Engine) -> None:
    env = {"DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    created = runner.invoke(
        main, ["keys", "create", "--name", "cli test", "--role", "editor"], env=env
    )
    assert created.exit_code == 0, created.output
    plain = created.output.splitlines()[0]
    prefix = plain.split("_")[1]
    listed = runner.invoke(main, ["keys", "list"], env=env)
    assert prefix in listed.output and plain not in listed.output
    assert runner.invoke(main, ["keys", "revoke", prefix], env=env).exit_code == 0
    again = runner.invoke(main, ["keys", "revoke", prefix], env=env)
    assert again.exit_code == 1 and "no live key" in again.output


def test_a_keyed_request_stamps_last_used_at_at_most_once_a_minute(
    app_client: TestClient, db_session: Session
) -> None:
    created = create_key(db_session, name="stamp test", role="partner")
    db_session.flush()
    headers = {"X-API-Key": created.plain}

    def stamp() -> dt.datetime | None:
        return db_session.execute(
            select(ApiKey.last_used_at).where(ApiKey.key_prefix == created.prefix)
        ).scalar_one()

    assert stamp() is None
    assert app_client.get("/incidents?limit=1", headers=headers).status_code == 200
    first = stamp()
    assert first is not None
    assert app_client.get("/incidents?limit=1", headers=headers).status_code == 200
    assert stamp() == first  # within the minute: no second write
    db_session.execute(
        update(ApiKey)
        .where(ApiKey.key_prefix == created.prefix)
        .values(last_used_at=first - dt.timedelta(minutes=5))
    )
    assert app_client.get("/incidents?limit=1", headers=headers).status_code == 200
    later = stamp()
    assert later is not None and later > first

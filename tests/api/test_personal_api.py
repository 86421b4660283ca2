"""Personal data over HTTP: victims and witnesses for editors and admins, every read audited.

Also the admin's view of the audit log (``GET /audit``) and ``athar audit list``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from athar.cli import main
from db.audit import record
from db.engine import make_session_factory, transaction
from db.keys import create_key
from db.models import AuditEntry, Victim, Witness

_spec = importlib.util.spec_from_file_location(
    "athar_test_incident_fixtures_personal", Path(__file__).with_name("test_incidents_api.py")
)
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
dataset = fixtures.dataset

ROLES = ("anonymous", "partner", "editor", "admin")


@pytest.fixture
def client(connection: Connection) -> Any:
    yield from fixtures.make_client(connection)


@pytest.fixture
def keys(db_session: Session) -> dict[str, Any]:
    """Headers and audit actor per role."""
    found: dict[str, Any] = {"anonymous": ({}, "anonymous")}
    for role in ROLES[1:]:
        key = create_key(db_session, name=f"personal {role}", role=role)
        found[role] = ({"X-API-Key": key.plain}, f"key:{key.prefix}")
    db_session.flush()
    return found


@pytest.fixture
def witnesses(db_session: Session, dataset: dict[str, Any]) -> dict[str, int]:
    incident_id = dataset["ids"]["massacre"]
    people = {
        # Asked for an alias, gave a phone number, did not consent to share it.
        "protected": Witness(
            incident_id=incident_id,
            name="Hala Realname",
            alias="Umm Khaled",
            contact="+963-555-0101",
            notes="lives near the market",
            consent_to_share=False,
        ),
        # No alias, and consented to be contacted.
        "open": Witness(
            incident_id=incident_id,
            name="Samir Openname",
            contact="samir@example.org",
            consent_to_share=True,
        ),
    }
    db_session.add_all(people.values())
    db_session.flush()
    return {key: witness.id for key, witness in people.items()}


def audit_rows(db_session: Session, **where: Any) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    for column, value in where.items():
        statement = statement.where(getattr(AuditEntry, column) == value)
    return list(db_session.scalars(statement))


@pytest.mark.parametrize("role", ["editor", "admin"])
def test_victims_are_read_with_names_and_each_read_is_audited_once(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, Any],
    role: str,
) -> None:
    headers, actor = keys[role]
    incident_id = dataset["ids"]["massacre"]
    for attempt in (1, 2):
        response = client.get(f"/incidents/{incident_id}/victims", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["incident_id"] == incident_id
        [victim] = body["victims"]
        assert victim["name"] == fixtures.VICTIM_NAME and victim["alias"] == "Abu Hidden"
        assert victim["age"] == 30
        # The evidence sentence and the provenance quote are not personal records to serve.
        assert "Secretname" not in response.text
        entries = audit_rows(db_session, action="read_personal")
        assert len(entries) == attempt
        entry = entries[-1]
        assert entry.actor == actor
        assert (entry.entity, entry.entity_id) == ("victims", str(incident_id))
        assert entry.details["rows"] == 1
        assert entry.details["fields"] == ["age", "alias", "name"]
        assert entry.details["role"] == role
        assert entry.at is not None
        # The log says what was read, never the values.
        assert fixtures.VICTIM_NAME not in json.dumps(entry.details)


def test_a_read_that_finds_nobody_is_audited(
    client: TestClient, db_session: Session, dataset: dict[str, Any], keys: dict[str, Any]
) -> None:
    headers, actor = keys["editor"]
    incident_id = dataset["ids"]["aleppo_air"]
    for entity in ("victims", "witnesses"):
        response = client.get(f"/incidents/{incident_id}/{entity}", headers=headers)
        assert response.status_code == 200
        assert response.json()[entity] == []
    entries = audit_rows(db_session, action="read_personal")
    assert [(e.entity, e.entity_id, e.actor) for e in entries] == [
        ("victims", str(incident_id), actor),
        ("witnesses", str(incident_id), actor),
    ]
    assert all(e.details["rows"] == 0 and e.details["fields"] == [] for e in entries)
    # No such incident: a 404, and still a read on the record.
    missing = client.get("/incidents/987654321/victims", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    [entry] = audit_rows(db_session, action="read_personal", entity_id="987654321")
    assert entry.details == {"rows": 0, "fields": [], "role": "editor", "incident_found": False}


@pytest.mark.parametrize("entity", ["victims", "witnesses"])
def test_anonymous_and_partners_are_refused_and_read_nothing(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, Any],
    witnesses: dict[str, int],
    entity: str,
) -> None:
    incident_id = dataset["ids"]["massacre"]
    url = f"/incidents/{incident_id}/{entity}"
    anonymous = client.get(url)
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert "WWW-Authenticate" in anonymous.headers
    forged = client.get(url, headers={"X-API-Key": "athar_0123456789_forged"})
    assert forged.status_code == 401
    headers, actor = keys["partner"]
    partner = client.get(url, headers=headers)
    assert partner.status_code == 403
    assert partner.headers["content-type"] == "application/problem+json"
    for response in (anonymous, forged, partner):
        for secret in (fixtures.VICTIM_NAME, "Hala Realname", "Umm Khaled", "Samir Openname"):
            assert secret not in response.text
    assert audit_rows(db_session, action="read_personal") == []
    # The partner's attempt is on the record as a refusal; the anonymous ones are not.
    [denied] = audit_rows(db_session, action="denied")
    assert (denied.actor, denied.entity, denied.entity_id) == (actor, entity, str(incident_id))
    assert denied.details == {"role": "partner", "needed": "editor"}


def test_witnesses_follow_the_alias_and_consent_rule(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, Any],
    witnesses: dict[str, int],
) -> None:
    incident_id = dataset["ids"]["massacre"]

    def read(role: str) -> dict[int, dict[str, Any]]:
        response = client.get(f"/incidents/{incident_id}/witnesses", headers=keys[role][0])
        assert response.status_code == 200, response.text
        return {w["id"]: w for w in response.json()["witnesses"]}

    editor = read("editor")
    protected, open_ = editor[witnesses["protected"]], editor[witnesses["open"]]
    assert protected["shown_as"] == "Umm Khaled"
    assert protected["name"] is None and protected["contact"] is None
    assert protected["notes"] is None
    assert sorted(protected["withheld"]) == ["contact", "name", "notes"]
    assert open_["shown_as"] == open_["name"] == "Samir Openname"
    assert open_["contact"] == "samir@example.org" and open_["withheld"] == []

    admin = read("admin")
    protected = admin[witnesses["protected"]]
    assert protected["shown_as"] == "Umm Khaled"
    assert protected["name"] == "Hala Realname"
    assert protected["contact"] == "+963-555-0101"
    assert protected["notes"] == "lives near the market" and protected["withheld"] == []

    by_role = {e.details["role"]: e.details for e in audit_rows(db_session, entity="witnesses")}
    assert by_role["editor"]["rows"] == 2
    assert by_role["editor"]["fields"] == ["alias", "contact", "name"]
    assert by_role["editor"]["withheld"] == ["contact", "name", "notes"]
    assert by_role["admin"]["fields"] == ["alias", "contact", "name", "notes"]
    assert "withheld" not in by_role["admin"]


def test_audit_log_is_for_admins_filtered_and_paged(
    client: TestClient,
    db_session: Session,
    dataset: dict[str, Any],
    keys: dict[str, Any],
) -> None:
    incident_id = dataset["ids"]["massacre"]
    editor_headers, editor_actor = keys["editor"]
    for _ in range(3):
        client.get(f"/incidents/{incident_id}/victims", headers=editor_headers)
    record(db_session, actor="cli", action="create", entity="api_key", entity_id="abc")
    db_session.flush()

    assert client.get("/audit").status_code == 401
    for role in ("partner", "editor"):
        refused = client.get("/audit", headers=keys[role][0])
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    admin_headers, admin_actor = keys["admin"]
    response = client.get(
        "/audit", params={"actor": editor_actor, "action": "read_personal"}, headers=admin_headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert [e["entity_id"] for e in body["entries"]] == [str(incident_id)] * 3
    ids = [e["id"] for e in body["entries"]]
    assert ids == sorted(ids, reverse=True)
    assert "next" not in body

    # Pages of two, newest first, following the next link.
    seen: list[int] = []
    url: str | None = "/audit?action=read_personal&limit=2"
    while url:
        page = client.get(url, headers=admin_headers).json()
        seen += [e["id"] for e in page["entries"]]
        url = page.get("next")
    assert seen == ids

    created = client.get("/audit", params={"entity": "api_key"}, headers=admin_headers).json()
    assert [e["actor"] for e in created["entries"]] == ["cli"]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    later = client.get("/audit", params={"since": tomorrow}, headers=admin_headers).json()
    assert later["entries"] == []
    today = client.get(
        "/audit",
        params={"since": dt.datetime.now(dt.UTC).date().isoformat()},
        headers=admin_headers,
    )
    assert today.status_code == 200 and today.json()["entries"]
    assert client.get("/audit", params={"limit": 0}, headers=admin_headers).status_code == 422

    # Reading the log is on the record too; refusals of weaker keys as well.
    reads = audit_rows(db_session, action="read_audit")
    assert {e.actor for e in reads} == {admin_actor}
    assert reads[0].details["filters"] == {"actor": editor_actor, "action": "read_personal"}
    denied = audit_rows(db_session, action="denied", entity="audit_log")
    assert {e.actor for e in denied} == {keys["partner"][1], editor_actor}


def test_openapi_documents_the_guarded_reads(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/incidents/{incident_id}/victims", "/incidents/{incident_id}/witnesses"):
        responses = paths[path]["get"]["responses"]
        assert {"401", "403", "404"} <= set(responses)
    assert {"401", "403"} <= set(paths["/audit"]["get"]["responses"])


def test_cli_lists_the_audit_log(scratch_engine: Engine) -> None:
    with transaction(make_session_factory(scratch_engine)) as session:
        record(
            session,
            actor="key:cli0000001",
            action="read_personal",
            entity="victims",
            entity_id=42,
            details={"rows": 2, "fields": ["name"]},
        )
        record(session, actor="cli", action="create", entity="api_key", entity_id="p1")
        newest = session.scalar(select(func.max(AuditEntry.id)))
    env = {"DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    listed = runner.invoke(main, ["audit", "list", "--action", "read_personal"], env=env)
    assert listed.exit_code == 0, listed.output
    line = listed.output.splitlines()[0].split("\t")
    assert line[2:6] == ["key:cli0000001", "read_personal", "victims", "42"]
    assert json.loads(line[6]) == {"fields": ["name"], "rows": 2}
    as_json = runner.invoke(main, ["audit", "list", "--limit", "1", "--json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    [entry] = [json.loads(text) for text in as_json.output.splitlines()]
    assert entry["id"] == newest and entry["action"] == "create"
    by_actor = runner.invoke(main, ["audit", "list", "--actor", "nobody-at-all"], env=env)
    assert by_actor.exit_code == 0 and by_actor.output == ""
    future = runner.invoke(main, ["audit", "list", "--since", "2999-01-01"], env=env)
    assert future.exit_code == 0 and future.output == ""
    bad = runner.invoke(main, ["audit", "list", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2 and "--since" in bad.output


def test_victims_model_is_still_restricted(db_session: Session) -> None:
    # The routes above are the only readers; the tables stay in the restricted schema.
    assert Victim.__table__.schema == Witness.__table__.schema == "restricted"

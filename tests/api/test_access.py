"""The access matrix: every route, every role; writes are guarded and no reply leaks people.

Every operation of the OpenAPI schema is called, anonymously and with a partner, an editor and
an admin key. Write operations and the guarded reads (personal data, the audit log) must
refuse a missing key (401) and a too-weak key (403) as problem+json. Every answer, whoever
calls, is searched byte for byte (gzip bodies unpacked) for the names and contacts of a victim
and a witness and for names in evidence text. The only exceptions are listed in
``PERSONAL_READS``: the victims and witnesses routes, for editors and admins, and exactly the
fields the witness rule gives each of them. Anonymous answers are also searched for the true
point and place P-code of a sensitive incident, which partner, editor and admin keys must find
at its true point. An operation added later without a call here fails
``test_every_operation_is_exercised``.
"""

from __future__ import annotations

import gzip
import importlib.util
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from api.app import create_app
from api.exports import EXPORT_FORMATS
from api.routers.ogc import LAYERS as OGC_LAYERS
from api.routers.webmap import OWN_FILES
from api.tiles import LAYERS as TILE_LAYERS
from db.engine import make_engine
from db.keys import create_key
from db.migrate import upgrade
from db.models import Incident, Victim, Witness
from db.parties import load_party_taxonomy
from db.reference import sync_parties
from db.settings import Settings
from db.vocab import API_ROLES

ROLES = ("anonymous", *API_ROLES)
EVIDENCE_NAME = "Nadia Evidencename-Qx"
VICTIM = ("Zuhair Testname-Qx", "Abu Zuhair-Qx", "Qx-residence Jisr")
WITNESS_NAME = "Rima Witnessname-Qx"
WITNESS_CONTACT = "+963-555-0199-Qx"
SECRETS = (
    *VICTIM,
    WITNESS_NAME,
    WITNESS_CONTACT,
    EVIDENCE_NAME,
    # The quote of every fixture incident's provenance span (see test_incidents_api.py).
    "Secretname",
)
VICTIMS = ("get", "/incidents/{incident_id}/victims")
WITNESSES = ("get", "/incidents/{incident_id}/witnesses")
AUDIT = ("get", "/audit")
# The only answers that may carry personal data, the roles that may see it and which of it.
# The witness has no alias and did not consent to share their contact: editors get the name,
# only admins the contact. Evidence text and provenance quotes are served to no one.
PERSONAL_READS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    VICTIMS: {"editor": VICTIM, "admin": VICTIM},
    WITNESSES: {"editor": (WITNESS_NAME,), "admin": (WITNESS_NAME, WITNESS_CONTACT)},
}
# Reads guarded by a role, and the weakest role each admits.
GUARDED_READS = {VICTIMS: "editor", WITNESSES: "editor", AUDIT: "admin"}
# The sensitive fixture incident (test_incidents_api.py) happened here, in place C9999: what
# partners may see and the public may not (GeoJSON, and CSV's six fixed decimals).
SENSITIVE_POINT = (36.95, 36.05)
NEAR_SENSITIVE_POINT = "36.94,36.04,36.96,36.06"
PRECISE_ONLY = ("36.95,36.05", "36.950000,36.050000", "C9999")
# Write operations and the weakest role each admits; a POST that only reads is listed apart.
WRITES = {("post", "/gazetteer/aliases"): "editor", ("post", "/gazetteer/places"): "editor"}
READ_POSTS = {("post", "/incidents/search")}
SETTINGS = Settings(rate_limit_anonymous_per_minute=0, rate_limit_key_per_minute=0)


def _incident_fixtures() -> Any:
    # Tests are not a package: load the incident tests' dataset builder by path.
    path = Path(__file__).with_name("test_incidents_api.py")
    spec = importlib.util.spec_from_file_location("_athar_access_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def world_engine(make_database: Callable[[], str]) -> Iterator[Engine]:
    # Committed, in a database of its own: tiles are read through the engine, not a session,
    # so fixture rows in a rolled-back transaction would be invisible to them.
    engine = make_engine(make_database(), application_name="athar-access-tests")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def world(world_engine: Engine) -> dict[str, Any]:
    """The incident dataset plus a victim, a witness, evidence naming someone, and keys."""
    with Session(world_engine) as db_session:
        sync_parties(db_session, load_party_taxonomy())
        dataset: dict[str, Any] = _incident_fixtures().build_dataset(db_session)
        incident_id = dataset["ids"]["aleppo_air"]
        db_session.add(
            Victim(
                incident_id=incident_id,
                name="Zuhair Testname-Qx",
                alias="Abu Zuhair-Qx",
                age=41,
                residence="Qx-residence Jisr",
            )
        )
        db_session.add(
            Witness(
                incident_id=incident_id,
                name="Rima Witnessname-Qx",
                contact="+963-555-0199-Qx",
                consent_to_share=False,
            )
        )
        db_session.execute(
            update(Incident)
            .where(Incident.id.in_(list(dataset["ids"].values())))
            .values(evidence=f"{EVIDENCE_NAME} was injured when the shell hit.")
        )
        keys = {
            role: create_key(db_session, name=f"access {role}", role=role).plain
            for role in API_ROLES
        }
        db_session.commit()
    return {"ids": dataset["ids"], "keys": keys}


@pytest.fixture(scope="module")
def client(world_engine: Engine, world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(create_app(SETTINGS, engine=world_engine)) as test_client:
        yield test_client


def schema_operations(client: TestClient) -> set[tuple[str, str]]:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    return {(method, path) for path, methods in paths.items() for method in methods}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def read_calls(client: TestClient, world: dict[str, Any]) -> list[tuple[str, str, str, dict]]:
    """(method, schema path, url, request kwargs) for every read, with ids that hold data."""
    ids = sorted(world["ids"].values())
    polygon = {
        "type": "Polygon",
        "coordinates": [[[30, 30], [45, 30], [45, 40], [30, 40], [30, 30]]],
    }
    calls: list[tuple[str, str, str, dict]] = [
        ("get", "/health", "/health", {}),
        (
            "get",
            "/control",
            "/control",
            {"params": {"lat": 35.5, "lon": 38.5, "date": "2021-03-01"}},
        ),
        ("get", "/control/zones", "/control/zones", {"params": {"date": "2021-03-01"}}),
        ("get", "/control/disagreements", "/control/disagreements", {}),
        ("get", "/landmines/hotspots", "/landmines/hotspots", {}),
        ("get", "/landmines/severity", "/landmines/severity", {}),
        ("get", "/incidents", "/incidents", {"params": {"limit": 1000}}),
        ("post", "/incidents/search", "/incidents/search", {"json": {"geometry": polygon}}),
        ("get", "/stats", "/stats", {}),
        ("get", "/stats", "/stats", {"params": {"format": "csv"}}),
        ("get", "/tiles", "/tiles", {}),
        ("get", "/ogc", "/ogc", {}),
        ("get", "/ogc/conformance", "/ogc/conformance", {}),
        ("get", "/ogc/collections", "/ogc/collections", {}),
        ("get", "/gazetteer/search", "/gazetteer/search", {"params": {"q": "Test village"}}),
        ("get", "/gazetteer/reverse", "/gazetteer/reverse", {"params": {"lat": 36.5, "lon": 36.5}}),
        # The web map is outside the schema but public too.
        ("get", "/map/config.json", "/map/config.json", {}),
        ("get", "/map/labels.json", "/map/labels.json", {"params": {"zoom": 6}}),
    ]
    for fmt in EXPORT_FORMATS:
        calls.append(("get", "/incidents/export.{format_name}", f"/incidents/export.{fmt}", {}))
    # Retracted and unpublished ids too: their 404 must not leak either.
    for incident_id in ids:
        calls.append(("get", "/incidents/{incident_id}", f"/incidents/{incident_id}", {}))
    points = client.get("/incidents", params={"limit": 1000}).json()["features"]
    tiles = {(0, 0, 0)}
    for feature in points:
        lon, lat = feature["geometry"]["coordinates"][:2]
        for z in (6, 10, 14):
            tiles.add((z, *tile_of(lon, lat, z)))
    for layer in TILE_LAYERS:
        calls.append(("get", "/tiles/{layer}.json", f"/tiles/{layer}.json", {}))
        for z, x, y in sorted(tiles):
            url = f"/tiles/{layer}/{z}/{x}/{y}.mvt"
            params = {"date": "2021-03-01"}
            calls.append(("get", "/tiles/{layer}/{z}/{x}/{y}.mvt", url, {"params": params}))
    for name in (*TILE_LAYERS, "incidents"):
        for method in ("get", "head"):
            calls.append((method, "/pmtiles/{name}.pmtiles", f"/pmtiles/{name}.pmtiles", {}))
    for collection in OGC_LAYERS:
        base = f"/ogc/collections/{collection}"
        calls.append(("get", "/ogc/collections/{collection_id}", base, {}))
        calls.append(
            (
                "get",
                "/ogc/collections/{collection_id}/items",
                f"{base}/items",
                {"params": {"limit": 1000}},
            )
        )
        items = client.get(f"{base}/items", params={"limit": 1000}).json().get("features", [])
        for feature in [*items[:20], {"id": ids[-1]}]:
            url = f"{base}/items/{feature['id']}"
            calls.append(("get", "/ogc/collections/{collection_id}/items/{feature_id}", url, {}))
    for name in OWN_FILES:
        calls.append(("get", "/map/static/{name}", f"/map/static/{name}", {}))
    for incident_id in ids:
        for method, path in (VICTIMS, WITNESSES):
            url = path.replace("{incident_id}", str(incident_id))
            calls.append((method, path, url, {}))
    # Last: by now the log holds this role's reads of personal data, which must name no one.
    calls.append(("get", "/audit", "/audit", {"params": {"limit": 1000}}))
    return calls


def body_bytes(content: bytes) -> bytes:
    # Tiles and exports may be gzip-compressed; search what a client would unpack as well.
    if content[:2] == b"\x1f\x8b":
        return content + gzip.decompress(content)
    return content


def test_every_operation_is_exercised(client: TestClient, world: dict[str, Any]) -> None:
    exercised = {(method, path) for method, path, _, _ in read_calls(client, world)}
    exercised |= set(WRITES)
    missing = schema_operations(client) - exercised
    assert set(PERSONAL_READS) <= set(GUARDED_READS) <= exercised
    assert not missing, f"operations without an access-matrix call: {sorted(missing)}"
    unclassified = {
        op
        for op in schema_operations(client)
        if op[0] in {"post", "put", "patch", "delete"} and op not in WRITES and op not in READ_POSTS
    }
    assert not unclassified, f"writes without a required role here: {sorted(unclassified)}"


@pytest.mark.parametrize("role", ROLES)
def test_no_response_carries_personal_data(
    client: TestClient, world: dict[str, Any], role: str
) -> None:
    headers = {} if role == "anonymous" else {"X-API-Key": world["keys"][role]}
    calls = read_calls(client, world)
    assert len(calls) > 50
    statuses: dict[int, int] = {}
    tiles_with_data = 0
    precise_seen = 0
    personal_seen: dict[tuple[str, str], set[str]] = {op: set() for op in PERSONAL_READS}
    for method, path, url, kwargs in calls:
        response = client.request(method.upper(), url, headers=headers, **kwargs)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if url.endswith(".mvt") and response.status_code == 200:
            tiles_with_data += 1
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
        content = body_bytes(response.content)
        allowed = PERSONAL_READS.get((method, path), {}).get(role, ())
        withheld = SECRETS + (PRECISE_ONLY if role == "anonymous" else ())
        for secret in withheld:
            assert secret.encode() not in str(response.headers).encode()
            if secret in allowed:
                if secret.encode() in content:
                    personal_seen[(method, path)].add(secret)
                continue
            assert secret.encode() not in content, f"{method} {url} leaks {secret!r}"
        precise_seen += any(secret.encode() in content for secret in PRECISE_ONLY)
    # Most calls must have found data, or the search above proves little.
    assert statuses.get(200, 0) + statuses.get(204, 0) > len(calls) * 3 // 4, statuses
    assert tiles_with_data >= 10
    # Keys see the sensitive incident where it happened (pages, exports, OGC, one incident).
    assert (precise_seen > 0) is (role != "anonymous"), precise_seen
    # What the list allows, the routes do serve: the exceptions are exercised, not dormant.
    for operation, by_role in PERSONAL_READS.items():
        assert personal_seen[operation] == set(by_role.get(role, ())), operation


@pytest.mark.parametrize(("method", "path"), sorted(WRITES))
def test_writes_refuse_missing_and_weak_keys(
    client: TestClient, world: dict[str, Any], method: str, path: str
) -> None:
    needed = WRITES[(method, path)]
    response = client.request(method.upper(), path, json={})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "WWW-Authenticate" in response.headers
    response = client.request(method.upper(), path, json={}, headers={"X-API-Key": "athar_bogus"})
    assert response.status_code == 401
    for role in API_ROLES:
        response = client.request(
            method.upper(), path, json={}, headers={"X-API-Key": world["keys"][role]}
        )
        if ROLES.index(role) < ROLES.index(needed):
            assert response.status_code == 403, role
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            # Admitted: the empty body is then refused for what it is.
            assert response.status_code == 422, (role, response.text)


@pytest.mark.parametrize("role", ROLES)
def test_sensitive_incident_is_found_at_its_true_point_only_with_a_key(
    client: TestClient, world: dict[str, Any], role: str
) -> None:
    headers = {} if role == "anonymous" else {"X-API-Key": world["keys"][role]}
    incident_id = world["ids"]["sensitive"]
    precise = role != "anonymous"
    lon, lat = SENSITIVE_POINT
    searches = [
        client.get("/incidents", params={"bbox": NEAR_SENSITIVE_POINT}, headers=headers),
        client.get("/incidents", params={"lat": lat, "lon": lon, "radius_km": 1}, headers=headers),
        client.get(
            "/ogc/collections/incidents/items",
            params={"bbox": NEAR_SENSITIVE_POINT},
            headers=headers,
        ),
        client.get(
            "/incidents/export.geojson", params={"bbox": NEAR_SENSITIVE_POINT}, headers=headers
        ),
    ]
    for response in searches:
        assert response.status_code == 200, response.text
        features = response.json()["features"]
        assert [f["id"] for f in features] == ([incident_id] if precise else []), response.url
        for feature in features:
            assert tuple(feature["geometry"]["coordinates"]) == SENSITIVE_POINT
            assert feature["properties"]["place_pcode"] == "C9999"
    shown = client.get(f"/incidents/{incident_id}", headers=headers).json()
    assert (tuple(shown["geometry"]["coordinates"]) == SENSITIVE_POINT) is precise
    expected = "community" if precise else "subdistrict"
    assert shown["properties"]["location_precision"] == expected


@pytest.mark.parametrize(("method", "path"), sorted(GUARDED_READS))
def test_guarded_reads_refuse_missing_and_weak_keys(
    client: TestClient, world: dict[str, Any], method: str, path: str
) -> None:
    needed = GUARDED_READS[(method, path)]
    url = path.replace("{incident_id}", str(world["ids"]["aleppo_air"]))
    response = client.request(method.upper(), url)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "WWW-Authenticate" in response.headers
    response = client.request(method.upper(), url, headers={"X-API-Key": "athar_bogus"})
    assert response.status_code == 401
    for role in API_ROLES:
        response = client.request(method.upper(), url, headers={"X-API-Key": world["keys"][role]})
        if ROLES.index(role) < ROLES.index(needed):
            assert response.status_code == 403, role
            assert response.headers["content-type"].startswith("application/problem+json")
        else:
            assert response.status_code == 200, (role, response.text)
            assert response.headers["cache-control"] == "no-store"

"""``/gazetteer``: search and reverse for anyone; additions need an editor key."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.keys import create_key
from db.models import AuditEntry, Place


@pytest.fixture
def client(gazetteer_loaded: Engine, app_client: TestClient) -> TestClient:
    return app_client


@pytest.fixture
def editor_key(db_session: Session) -> str:
    return create_key(db_session, name="test editor", role="editor").plain


def test_search_resolves_transliterations_and_arabic(client: TestClient) -> None:
    for query in ("Maarat an-Numan", "Ma'arrat al-Nu'man", "معرة النعمان"):
        body = client.get("/gazetteer/search", params={"q": query}).json()
        assert body["resolved"], query
        assert body["results"][0]["admin1_pcode"] == "SY07", query


def test_search_unknown_name_is_not_resolved(client: TestClient) -> None:
    body = client.get("/gazetteer/search", params={"q": "Qqqxzv Nowhereville"}).json()
    assert body["resolved"] is False and body["results"] == []


def test_search_validates_input(client: TestClient) -> None:
    response = client.get("/gazetteer/search", params={"q": "", "limit": 500})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_reverse_gives_admin_units(client: TestClient) -> None:
    body = client.get("/gazetteer/reverse", params={"lat": 36.2, "lon": 37.15}).json()
    assert body["admin1_pcode"] == "SY02"
    assert body["admin3_pcode"].startswith("SY02")


def test_additions_need_an_editor_key(client: TestClient, db_session: Session) -> None:
    payload = {"target": "C1007", "alias": "Halab al-Shahba", "source": "test"}
    assert client.post("/gazetteer/aliases", json=payload).status_code == 401
    partner = create_key(db_session, name="partner", role="partner").plain
    response = client.post("/gazetteer/aliases", json=payload, headers={"X-API-Key": partner})
    assert response.status_code == 403
    bogus = {"X-API-Key": "athar_0123456789_not-a-real-key"}
    assert client.post("/gazetteer/aliases", json=payload, headers=bogus).status_code == 401


def test_editor_adds_a_camp_that_then_resolves(
    client: TestClient, editor_key: str, db_session: Session
) -> None:
    name = "Zaytouna Testing Camp"
    assert client.get("/gazetteer/search", params={"q": name}).json()["resolved"] is False
    response = client.post(
        "/gazetteer/places",
        json={"name": name, "kind": "camp", "lat": 36.01, "lon": 36.66, "source": "field team"},
        headers={"X-API-Key": editor_key},
    )
    assert response.status_code == 201, response.text
    assert response.json()["admin3_pcode"].startswith("SY07")
    body = client.get("/gazetteer/search", params={"q": name}).json()
    assert body["resolved"] and body["results"][0]["admin1_pcode"] == "SY07"
    place = db_session.scalar(select(Place).where(Place.name_en == name))
    assert place is not None and place.added_by and place.source == "editor:field team"
    audit = db_session.scalars(select(AuditEntry.entity).where(AuditEntry.action == "create"))
    assert "place" in set(audit)


def test_editor_alias_is_used_by_the_resolver(client: TestClient, editor_key: str) -> None:
    alias = "Qalaat Testabad"
    assert client.get("/gazetteer/search", params={"q": alias}).json()["resolved"] is False
    response = client.post(
        "/gazetteer/aliases",
        json={"target": "C1007", "alias": alias, "source": "local usage"},
        headers={"X-API-Key": editor_key},
    )
    assert response.status_code == 201, response.text
    body = client.get("/gazetteer/search", params={"q": alias}).json()
    assert body["resolved"] and body["results"][0]["pcode"] == "C1007"


def test_bad_addition_is_a_clear_422(client: TestClient, editor_key: str) -> None:
    response = client.post(
        "/gazetteer/places",
        json={"name": "Somewhere", "kind": "camp", "lat": 48.8, "lon": 2.3, "source": "x"},
        headers={"X-API-Key": editor_key},
    )
    assert response.status_code == 422
    assert "not in or near Syria" in response.json()["detail"]

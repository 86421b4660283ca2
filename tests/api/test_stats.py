"""``/stats``: grouped totals equal the sum of the incidents, report tolls side by side, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from db.models import ReportToll, SourceDocument

# tests/ is not a package and tests/api/conftest.py is shared with other work, so the
# incident fixtures are loaded from their module by path rather than copied here.
_spec = importlib.util.spec_from_file_location(
    "athar_test_incident_fixtures", Path(__file__).with_name("test_incidents_api.py")
)
assert _spec is not None and _spec.loader is not None
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
dataset = fixtures.dataset


@pytest.fixture
def client(connection: Connection) -> Any:
    yield from fixtures.make_client(connection)


def add_toll(session: Session, document: SourceDocument, **values: Any) -> None:
    session.add(ReportToll(document_id=document.id, scope="civilians", **values))
    session.flush()


@pytest.fixture
def tolls(db_session: Session, dataset: dict[str, Any]) -> None:
    march = dataset["document"]
    march.published_on = dt.date(2021, 4, 1)
    revised = fixtures.add_document(db_session, "test-report-2021-03-revised")
    revised.published_on = dt.date(2021, 4, 20)
    july = fixtures.add_document(db_session, "test-report-2021-07")
    add_toll(db_session, march, period="2021-03", killed=15, children=4, women=2)
    # The later report of the same month wins; the two are not added up.
    add_toll(db_session, revised, period="2021-03", killed=14, children=5, women=2)
    add_toll(db_session, march, period="2021-03", party_code="landmine_unknown", killed=5)
    add_toll(db_session, march, period="2021-03", governorate_pcode="SY90", killed=12)
    add_toll(db_session, march, period="2021", killed=400)  # a year total is not a month's
    db_session.add(ReportToll(document_id=march.id, period="2021-03", scope="media", killed=1))
    add_toll(db_session, july, period="2021-07", killed=9, children=1, women=0)
    db_session.flush()


EXPECTED_TOTALS = {
    "incidents": 11,
    "killed_total": 20,
    "killed_children": 5,
    "killed_women": 2,
    "injured": 0,
}


@pytest.mark.parametrize("group_by", ["month", "perpetrator", "governorate", "weapon"])
def test_group_totals_equal_the_sum_of_incidents(
    client: TestClient, dataset: dict[str, Any], group_by: str
) -> None:
    response = client.get("/stats", params={"group_by": group_by})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["group_by"] == group_by
    assert body["totals"] == EXPECTED_TOTALS
    for measure, total in EXPECTED_TOTALS.items():
        assert sum(group[measure] for group in body["groups"]) == total
    # The same figures as counting the /incidents features one by one.
    features = client.get("/incidents", params={"limit": 1000}).json()["features"]
    assert len(features) == body["totals"]["incidents"]
    assert sum(f["properties"]["killed_total"] or 0 for f in features) == 20


def test_month_groups_and_filters(client: TestClient, dataset: dict[str, Any]) -> None:
    body = client.get("/stats").json()
    by_month = {group["key"]: group for group in body["groups"]}
    assert list(by_month) == ["2021-03", "2021-04", "2021-05", "2021-06"]
    assert by_month["2021-03"]["incidents"] == 3
    assert by_month["2021-03"]["killed_total"] == 12
    assert by_month["2021-03"]["killed_children"] == 5
    weapons = client.get("/stats", params={"group_by": "weapon", "weapon": "landmine,erw"}).json()
    assert {g["key"]: g["incidents"] for g in weapons["groups"]} == {"erw": 1, "landmine": 1}
    governorates = client.get("/stats", params={"group_by": "governorate"}).json()
    labels = {g["key"]: (g["label"], g["incidents"]) for g in governorates["groups"]}
    assert labels == {"SY90": ("Test SY90", 9), "SY91": ("Test SY91", 2)}


def test_report_tolls_side_by_side(
    client: TestClient, dataset: dict[str, Any], tolls: None
) -> None:
    body = client.get("/stats", params={"group_by": "month"}).json()
    assert body["reported_compared"] is True
    by_month = {group["key"]: group for group in body["groups"]}
    march = by_month["2021-03"]
    assert march["reported"]["killed_total"] == 14
    assert march["reported"]["killed_children"] == 5
    assert march["difference"] == {"killed_total": -2, "killed_children": 0, "killed_women": 0}
    assert by_month["2021-04"]["reported"] is None
    # A month a report counted with no incident recorded still appears, with the gap.
    assert by_month["2021-07"]["incidents"] == 0
    assert by_month["2021-07"]["difference"]["killed_total"] == -9
    assert body["totals"]["killed_total"] == 20

    parties = client.get("/stats", params={"group_by": "perpetrator"}).json()
    other = next(g for g in parties["groups"] if g["key"] == "other_parties")
    assert other["killed_total"] == 3 and other["reported"]["killed_total"] == 5
    assert other["label"] == "Other parties" or other["label"]

    governorates = client.get("/stats", params={"group_by": "governorate"}).json()
    sy90 = next(g for g in governorates["groups"] if g["key"] == "SY90")
    assert sy90["reported"]["killed_total"] == 12


def test_tolls_only_for_whole_months_and_comparable_filters(
    client: TestClient, dataset: dict[str, Any], tolls: None
) -> None:
    half = client.get("/stats", params={"date_from": "2021-03-02"}).json()
    assert all(g["key"] != "2021-03" or g["reported"] is None for g in half["groups"])
    april = client.get("/stats", params={"date_from": "2021-03-01", "date_to": "2021-03-31"}).json()
    assert [g["key"] for g in april["groups"]] == ["2021-03"]
    assert april["groups"][0]["reported"]["killed_total"] == 14
    weapon = client.get("/stats", params={"weapon": "airstrike"}).json()
    assert weapon["reported_compared"] is False
    assert all(group["reported"] is None for group in weapon["groups"])


def test_stats_csv(client: TestClient, dataset: dict[str, Any], tolls: None) -> None:
    response = client.get("/stats", params={"group_by": "month", "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["key"] == "2021-03"
    assert rows[0]["killed_total"] == "12" and rows[0]["reported_killed_total"] == "14"
    assert rows[0]["difference_killed_total"] == "-2"
    assert rows[-1]["key"] == "total" and rows[-1]["killed_total"] == "20"


def test_bad_stats_parameters_are_problems(client: TestClient) -> None:
    for params in ({"group_by": "colour"}, {"format": "xml"}, {"bbox": "a,b,c,d"}):
        response = client.get("/stats", params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

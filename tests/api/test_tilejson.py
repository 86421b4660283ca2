"""TileJSON 3.0.0 of every tile layer: absolute tile URL keeping the filters, Syria bounds,
zoom range, vector_layers with field descriptions; errors as problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.app import create_app
from api.tiles import LAYERS, SYRIA_BOUNDS
from db.queries import PERSONAL_FIELDS
from db.settings import Settings


# A map asks for hundreds of tiles, and so do these tests: no rate limit here.
@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(
        create_app(Settings(rate_limit_anonymous_per_minute=0), engine=engine),
        base_url="http://maps.example",
    ) as c:
        yield c


@pytest.mark.parametrize("layer", list(LAYERS))
def test_tilejson_describes_the_layer(client: TestClient, layer: str) -> None:
    response = client.get(f"/tiles/{layer}.json")
    assert response.status_code == 200
    body = response.json()
    assert body["tilejson"] == "3.0.0"
    assert body["tiles"] == [f"http://maps.example/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"]
    assert body["bounds"] == list(SYRIA_BOUNDS)
    west, south, east, north = body["bounds"]
    assert west < body["center"][0] < east and south < body["center"][1] < north
    assert 0 <= body["minzoom"] < body["maxzoom"] <= 22
    assert body["scheme"] == "xyz"
    assert body["attribution"]
    (vector_layer,) = body["vector_layers"]
    assert vector_layer["id"] == layer
    assert vector_layer["description"]
    assert vector_layer["fields"]
    assert all(isinstance(text, str) and text for text in vector_layer["fields"].values())
    assert not set(vector_layer["fields"]) & PERSONAL_FIELDS


def test_incident_fields_cover_both_zoom_ranges(client: TestClient) -> None:
    fields = client.get("/tiles/incidents.json").json()["vector_layers"][0]["fields"]
    assert {"count", "killed_total", "killed_children", "killed_women"} <= set(fields)
    assert {"id", "date", "weapon", "perpetrator_category", "place"} <= set(fields)
    assert "evidence" not in fields


def test_tile_url_keeps_the_filters(client: TestClient) -> None:
    response = client.get("/tiles/incidents.json?weapon=landmine,erw&date_from=2020-01-01")
    (template,) = response.json()["tiles"]
    parts = urlsplit(template)
    assert parts.scheme == "http" and parts.netloc == "maps.example"
    assert parts.path == "/tiles/incidents/{z}/{x}/{y}.mvt"
    assert parse_qs(parts.query) == {"weapon": ["landmine,erw"], "date_from": ["2020-01-01"]}
    # The template, filled in, is a tile the API answers.
    tile = client.get(template.replace("{z}", "6").replace("{x}", "38").replace("{y}", "25"))
    assert tile.status_code in (200, 204)


def test_control_zone_date_stays_in_the_url(client: TestClient) -> None:
    (template,) = client.get("/tiles/control_zones.json?date=2019-06-01").json()["tiles"]
    assert template.endswith(".mvt?date=2019-06-01")


def test_layer_list_links_tilejson(client: TestClient) -> None:
    body = client.get("/tiles").json()
    assert [layer["id"] for layer in body["layers"]] == list(LAYERS)
    assert body["layers"][0]["tilejson"] == "http://maps.example/tiles/incidents.json"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/roads.json", 404),
        ("/tiles/incidents.json?weapon=spoon", 422),
        ("/tiles/control_zones.json?date=yesterday", 422),
    ],
)
def test_tilejson_errors_are_problems(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"

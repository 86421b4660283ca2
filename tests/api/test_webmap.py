"""``/map`` without a browser: the page, its assets and content types, and no foreign host.

The map must work offline, so the HTML (and the project's own JS and CSS) may name no host
but the page's own origin; MapLibre and pmtiles are served from the npm packages installed
by ``make setup``. Also the two JSON helpers the page reads: ``/map/config.json`` and
``/map/labels.json``.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy.orm import Session

from api.routers.webmap import NODE_MODULES, WEB_DIR
from db.models import AdminUnit, ControlZone, ControlZoneParty, Place

# An absolute URL, or a scheme-relative one opening a string or url(...).
URL = re.compile(r"""https?://[^\s"'<>)`]+|(?<=["'(`])//[^\s"'<>)`]+""", re.IGNORECASE)


class References(HTMLParser):
    """Every src/href of the page, and inline script/style text."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append((tag, value))
        self._in_code = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self._in_code = False

    def handle_data(self, data: str) -> None:
        if self._in_code and data.strip():
            self.inline.append(data)


def page_references(client: TestClient) -> References:
    response = client.get("/map")
    assert response.status_code == 200
    parser = References()
    parser.feed(response.text)
    return parser


def test_map_page_is_html(app_client: TestClient) -> None:
    response = app_client.get("/map")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>athar" in response.text
    assert app_client.get("/map/", follow_redirects=False).status_code == 308


def test_html_names_no_external_host(app_client: TestClient) -> None:
    html = app_client.get("/map").text
    foreign = [match for match in URL.findall(html) if not match.startswith("//127.0.0.1")]
    assert foreign == [], f"/map names other hosts: {foreign}"
    refs = page_references(app_client)
    for tag, url in refs.urls:
        # Same-origin paths, or data: URLs (the empty favicon); nothing scheme- or host-relative.
        assert (url.startswith("/") and not url.startswith("//")) or url.startswith("data:"), (
            tag,
            url,
        )
    assert refs.inline == [], "inline code makes a strict Content-Security-Policy harder"


def test_own_scripts_and_styles_name_no_external_host(app_client: TestClient) -> None:
    for name in ("map.js", "map.css"):
        body = app_client.get(f"/map/static/{name}").text
        assert URL.findall(body) == [], f"{name} names another host"


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/map/static/map.js", "text/javascript; charset=utf-8"),
        ("/map/static/map.css", "text/css; charset=utf-8"),
        ("/map/vendor/maplibre-gl/maplibre-gl.js", "text/javascript; charset=utf-8"),
        ("/map/vendor/maplibre-gl/maplibre-gl.css", "text/css; charset=utf-8"),
        ("/map/vendor/pmtiles/pmtiles.js", "text/javascript; charset=utf-8"),
    ],
)
def test_assets_and_content_types(app_client: TestClient, path: str, media_type: str) -> None:
    response = app_client.get(path)
    assert response.status_code == 200, (
        f"{path}: {response.status_code}; run `make setup` (npm ci --prefix api/web)"
    )
    assert response.headers["content-type"] == media_type
    assert len(response.content) > 100


def test_every_asset_the_page_names_is_served(app_client: TestClient) -> None:
    for _tag, url in page_references(app_client).urls:
        if url.startswith("data:"):
            continue
        response = app_client.get(url)
        assert response.status_code == 200, url
        expected = "text/css" if url.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(expected), url


def test_vendor_files_come_from_the_npm_packages(app_client: TestClient) -> None:
    served = app_client.get("/map/vendor/maplibre-gl/maplibre-gl.js").content
    assert served == (NODE_MODULES / "maplibre-gl" / "dist" / "maplibre-gl.js").read_bytes()
    # Nothing of MapLibre is copied into the repository.
    assert not any(path.name.startswith("maplibre") for path in WEB_DIR.glob("*.js"))


@pytest.mark.parametrize(
    "path",
    [
        "/map/static/index.html",
        "/map/static/../app.py",
        "/map/vendor/maplibre-gl/..%2F..%2Fpackage.json",
        "/map/vendor/maplibre-gl/LICENSE.txt",
        "/map/vendor/leaflet/leaflet.js",
        "/map/vendor/pmtiles/..",
    ],
)
def test_no_file_outside_the_map_assets(app_client: TestClient, path: str) -> None:
    assert app_client.get(path).status_code == 404


def test_config_vocabularies_and_dates(app_client: TestClient) -> None:
    response = app_client.get("/map/config.json")
    assert response.status_code == 200
    body = response.json()
    today = dt.date.today()
    assert dt.date.fromisoformat(body["date_min"]) <= dt.date.fromisoformat(body["date_max"])
    assert dt.date.fromisoformat(body["date_max"]) <= today
    codes = {party["code"] for party in body["parties"]}
    assert {"syrian_regime", "hts", "sdf"} <= codes
    assert all(re.fullmatch(r"#[0-9a-f]{6}", party["colour"]) for party in body["parties"])
    assert {weapon["code"] for weapon in body["weapons"]} >= {"airstrike", "landmine", "erw"}
    assert "medical" in body["victim_categories"]


def test_config_follows_the_data(app_client: TestClient, db_session: Session) -> None:
    db_session.add(
        AdminUnit(
            pcode="SY90",
            level=1,
            name_en="Test governorate",
            name_ar="محافظة اختبار",
            geom=from_shape(MultiPolygon([box(36.0, 35.0, 37.0, 36.0)]), srid=4326),
            source="test",
        )
    )
    zone = ControlZone(
        geom=from_shape(MultiPolygon([box(36.0, 35.0, 36.5, 35.5)]), srid=4326),
        valid_from=dt.date(2019, 3, 1),
        valid_to=None,
        observed_on=dt.date(2019, 3, 1),
        label="z",
        derivation="test",
        source="test",
    )
    zone.parties = [ControlZoneParty(party_code="sdf", share=1.0)]
    db_session.add(zone)
    db_session.flush()
    body = app_client.get("/map/config.json").json()
    assert "2019-03-01" in body["control_snapshots"]
    assert body["date_min"] <= "2019-03-01"
    assert body["admin_units"]["SY90"] == {
        "level": 1,
        "name_en": "Test governorate",
        "name_ar": "محافظة اختبار",
    }


def test_labels_in_english_and_arabic(app_client: TestClient, db_session: Session) -> None:
    # Far from Syria: the session database may hold the real gazetteer (another test loads it).
    db_session.add(
        AdminUnit(
            pcode="SY90",
            level=1,
            name_en="Test governorate",
            name_ar="محافظة اختبار",
            geom=from_shape(MultiPolygon([box(10.0, 10.0, 11.0, 11.0)]), srid=4326),
            source="test",
        )
    )
    for number, (lon, lat) in enumerate(((10.5, 10.5), (10.5001, 10.5001), (10.8, 10.8))):
        db_session.add(
            Place(
                kind="community",
                name_en=f"Village {number}",
                name_ar=f"قرية {number}",
                geom=from_shape(Point(lon, lat), srid=4326),
                source="test",
            )
        )
    db_session.flush()
    low = app_client.get("/map/labels.json", params={"bbox": "9,9,12,12", "zoom": 6})
    assert low.status_code == 200
    labels = low.json()["labels"]
    assert {"Test governorate"} == {label["name_en"] for label in labels}
    assert labels[0]["name_ar"] == "محافظة اختبار"
    high = app_client.get("/map/labels.json", params={"bbox": "10.4,10.4,10.9,10.9", "zoom": 11})
    places = [label for label in high.json()["labels"] if label["kind"] == "community"]
    # Two villages ten metres apart share a label cell at z11: one label, not two on top.
    assert len(places) == 2
    assert {label["name_ar"] for label in places} <= {"قرية 0", "قرية 1", "قرية 2"}
    bad = app_client.get("/map/labels.json", params={"bbox": "1,2,3", "zoom": 6})
    assert bad.status_code == 422

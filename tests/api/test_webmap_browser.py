"""The web map in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

A throwaway database gets the bundled gazetteer (admin units and places for the base layer
and labels), a handful of incidents, a hazard area and two control-zone snapshots whose
parties differ. The API runs in a uvicorn subprocess on a free 127.0.0.1 port with
``DATABASE_URL`` pointing at that database, so the page talks to a real server exactly as
in the field. The tests read what MapLibre rendered (``queryRenderedFeatures``), move the
slider, click an incident, search a place and fail on any console error. Screenshots go to
``.athar/screenshots/`` (not committed).

Skipped, with the reason, only when Chromium is not installed (``make test`` installs it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import text

from db.control import refresh_incident_control
from db.engine import make_engine, make_session_factory, transaction
from db.migrate import upgrade
from db.models import (
    ControlZone,
    ControlZoneParty,
    HazardArea,
    Incident,
    IncidentReportedControl,
    ProvenanceSpan,
    SourceDocument,
)
from db.parties import load_party_taxonomy
from db.reference import sync_parties

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("ATHAR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("ATHAR_SCREENSHOTS", REPO_ROOT / ".athar" / "screenshots"))
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # WebGL without a GPU: recent Chromium only falls back to SwiftShader when told to.
    "--enable-unsafe-swiftshader",
    "--use-angle=swiftshader",
]

pytestmark = pytest.mark.skipif(
    not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)),
    reason=f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium "
    "(or apt-get install chromium; ATHAR_CHROMIUM overrides the path)",
)

# Two snapshots over the same two boxes: in 2020 the west box is the regime's and the east
# box the SDF's; from 2021 the west box is held jointly by HTS and the SNA, the east box by
# the regime. The slider must show the change.
WEST = box(36.3, 35.6, 37.2, 36.3)
EAST = box(37.2, 35.6, 38.1, 36.3)
SNAPSHOTS = (
    (
        dt.date(2020, 1, 1),
        dt.date(2020, 12, 31),
        ((WEST, {"syrian_regime": 1.0}), (EAST, {"sdf": 1.0})),
    ),
    (
        dt.date(2021, 1, 1),
        None,
        (
            (WEST, {"hts": 0.6, "armed_opposition_sna": 0.4}),
            (EAST, {"syrian_regime": 1.0}),
        ),
    ),
)
# The slider ends on the last incident (2021-06-10).
BEFORE, AFTER = "2020-06-15", "2021-06-10"
# Landmine incidents a few hundred metres apart form a DBSCAN hotspot (eps 1 km, 3 points).
INCIDENTS: tuple[dict[str, Any], ...] = (
    {"day": dt.date(2020, 6, 2), "lon": 36.63, "lat": 35.93, "place_text": "Saraqib",
     "perpetrator_category": "russian_forces", "weapon": "airstrike", "killed_total": 3,
     "killed_children": 1, "killed_women": 1, "injured": 4},
    {"day": dt.date(2020, 6, 9), "lon": 36.70, "lat": 35.97, "place_text": "Afes",
     "perpetrator_category": "syrian_regime", "weapon": "artillery", "killed_total": 6,
     "killed_children": 2, "killed_women": 1, "massacre": True, "facility": "school",
     "controlling_force_text": "Hay'at Tahrir al Sham", "reported": ("hts",)},
    {"day": dt.date(2020, 6, 12), "lon": 37.45, "lat": 35.95, "place_text": "East village",
     "perpetrator_category": "isis", "weapon": "gunfire", "killed_total": 1},
    {"day": dt.date(2021, 6, 3), "lon": 36.750, "lat": 35.900, "place_text": "Field A",
     "perpetrator_category": "other_parties", "perpetrator_subcategory": "landmine_unknown",
     "weapon": "landmine", "killed_total": 2, "killed_children": 2},
    {"day": dt.date(2021, 6, 5), "lon": 36.753, "lat": 35.902, "place_text": "Field B",
     "perpetrator_category": "other_parties", "perpetrator_subcategory": "landmine_unknown",
     "weapon": "landmine", "killed_total": 1},
    {"day": dt.date(2021, 6, 8), "lon": 36.748, "lat": 35.904, "place_text": "Field C",
     "perpetrator_category": "other_parties", "perpetrator_subcategory": "landmine_unknown",
     "weapon": "erw", "killed_total": 1, "killed_women": 1},
    {"day": dt.date(2021, 6, 10), "lon": 36.66, "lat": 35.95, "place_text": "Saraqib east",
     "perpetrator_category": "syrian_regime", "weapon": "rocket", "killed_total": 2,
     "victim_categories": ["medical"]},
)  # fmt: skip


def build_map_database(url: str) -> None:
    """Migrate ``url`` and commit the gazetteer, zones, a hazard area and the incidents."""
    from gazetteer.dbload import load_gazetteer

    engine = make_engine(url, application_name="athar-webmap-tests")
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            sync_parties(session, load_party_taxonomy())
            load_gazetteer(session)
        with transaction(factory) as session:
            for valid_from, valid_to, zones in SNAPSHOTS:
                for shape, shares in zones:
                    zone = ControlZone(
                        geom=from_shape(MultiPolygon([shape]), srid=4326),
                        valid_from=valid_from,
                        valid_to=valid_to,
                        observed_on=valid_from,
                        label=f"test snapshot {valid_from.year}",
                        derivation="test",
                        source="webmap test",
                    )
                    zone.parties = [
                        ControlZoneParty(party_code=code, share=share)
                        for code, share in shares.items()
                    ]
                    session.add(zone)
            document = SourceDocument(
                source_key="webmap-test-report",
                kind="report",
                title="Monthly report (web map test)",
                publisher="Test Network for Human Rights",
                period="2020-06",
                url="https://example.org/webmap-test-report.pdf",
                checksum=hashlib.sha256(b"webmap-test-report").hexdigest(),
                content="x" * 400,
            )
            session.add(document)
            session.flush()
            for number, spec in enumerate(INCIDENTS):
                fields = dict(spec)
                day, lon, lat = fields.pop("day"), fields.pop("lon"), fields.pop("lat")
                reported = fields.pop("reported", ())
                span = ProvenanceSpan(
                    document_id=document.id,
                    start_offset=10 * number,
                    end_offset=10 * number + 9,
                    quote="[name redacted] was killed.",
                    locator=f"p. {number + 1}",
                )
                session.add(span)
                session.flush()
                incident = Incident(
                    fingerprint=f"webmap-{number}",
                    date_start=day,
                    date_precision="day",
                    geom=from_shape(Point(lon, lat), srid=4326),
                    location_precision="community",
                    evidence="[name redacted] was killed.",
                    source_document_id=document.id,
                    provenance_span_id=span.id,
                    **fields,
                )
                incident.reported_control = [
                    IncidentReportedControl(party_code=code) for code in reported
                ]
                session.add(incident)
            session.add(
                HazardArea(
                    hazard_code="SHA-TEST-1",
                    name="Olive grove minefield",
                    hazard_type="confirmed",
                    contamination=["mine"],
                    geom=from_shape(box(36.744, 35.896, 36.758, 35.908), srid=4326),
                    area_m2=1.6e6,
                    source="webmap test",
                )
            )
            session.flush()
            # The admin units of each point come from the gazetteer's boundaries.
            for level in (1, 2, 3):
                session.execute(
                    text(
                        f"UPDATE incidents i SET admin{level}_pcode = a.pcode FROM admin_units a"
                        f" WHERE a.level = {level} AND ST_Contains(a.geom, i.geom)"
                    )
                )
            refresh_incident_control(session)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(url: str, home: Path | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn serving the app on a free port with DATABASE_URL=url; waits for /health.

    ``home`` becomes ATHAR_HOME (where PMTiles archives are served from).
    """
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    if home is not None:
        env["ATHAR_HOME"] = str(home)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=REPO_ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("uvicorn did not answer /health within 60 s")


@pytest.fixture(scope="module")
def map_server(
    make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    url = make_database()
    build_map_database(url)
    # An admin-units archive written by the project's own exporter, for the pmtiles protocol.
    home = tmp_path_factory.mktemp("athar-home")
    (home / "pmtiles").mkdir()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "athar"),
            "export",
            "pmtiles",
            "--layer",
            "admin_units",
            "--maxzoom",
            "8",
            "--quiet",
            str(home / "pmtiles" / "admin.pmtiles"),
        ],
        env={**os.environ, "DATABASE_URL": url, "ATHAR_HOME": str(home)},
        check=True,
    )
    process, base = start_server(url, home)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser_context() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="athar-chromium-") as profile, sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 800},
        )
        try:
            yield context
        finally:
            context.close()


class ConsoleWatch:
    """Console errors, page errors and failed requests of one page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.errors.append(f"console: {message.text}") if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        # Cancelled on purpose: MapLibre drops tiles that left the view, the page aborts a
        # labels or hotspots request that a newer view replaced.
        if "ERR_ABORTED" not in str(request.failure):
            self.errors.append(f"request failed: {request.url} {request.failure}")


@pytest.fixture
def page(browser_context: Any) -> Iterator[tuple[Any, ConsoleWatch]]:
    page = browser_context.new_page()
    watch = ConsoleWatch(page)
    try:
        yield page, watch
    finally:
        page.close()


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def open_map(page: Any, base: str, view: str) -> None:
    page.goto(f"{base}/map#{view}")
    page.wait_for_function("() => window.athar && window.athar.loaded", timeout=30_000)


def settle(page: Any) -> None:
    """Wait until MapLibre has no tile in flight and the view is still."""
    page.wait_for_function(
        "() => { const m = window.athar.map;"
        " return m.loaded() && m.areTilesLoaded() && !m.isMoving(); }",
        timeout=30_000,
    )


RENDERED = """
(layer) => window.athar.map.queryRenderedFeatures({layers: [layer]})
    .map((f) => ({...f.properties, _coords: f.geometry.type === 'Point'
        ? f.geometry.coordinates : null}))
"""


def rendered(page: Any, layer: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(RENDERED, layer)
    return result


def move_slider(page: Any, iso: str) -> None:
    """Move the range input as a user would: set its value and fire ``input``."""
    page.evaluate(
        "(iso) => { const s = document.getElementById('slider');"
        " const [y, m, d] = iso.split('-').map(Number);"
        " s.value = String(Math.round(Date.UTC(y, m - 1, d) / 86400000));"
        " s.dispatchEvent(new Event('input', {bubbles: true})); }",
        iso,
    )


def zone_parties(page: Any) -> set[str]:
    return {str(feature.get("parties")) for feature in rendered(page, "zones-fill")}


def cell_total(page: Any) -> int:
    total: int = page.evaluate(
        "() => window.athar.map.queryRenderedFeatures({layers: ['incident-cells']})"
        ".reduce((n, f) => n + f.properties.count, 0)"
    )
    return total


def test_map_renders_incidents_zones_follow_the_slider_and_popup_reads(
    map_server: str, page: tuple[Any, ConsoleWatch]
) -> None:
    tab, watch = page
    # Both boxes in view, below z10: incidents arrive as aggregated grid cells.
    open_map(tab, map_server, "8.2/35.95/37.2")
    move_slider(tab, BEFORE)
    tab.wait_for_function(f"() => document.getElementById('date-label').textContent === '{BEFORE}'")
    tab.wait_for_function(
        "() => { const p = window.athar.map.queryRenderedFeatures({layers: ['zones-fill']})"
        ".map((f) => f.properties.parties);"
        " return p.includes('syrian_regime') && p.includes('sdf'); }",
        timeout=30_000,
    )
    settle(tab)
    assert zone_parties(tab) == {"syrian_regime", "sdf"}
    # 30 days up to 2020-06-15: the three incidents of early June 2020.
    assert cell_total(tab) == 3
    assert tab.locator(".place-label").count() > 0, "no place label drawn"
    legend = tab.locator("#legend").inner_text()
    assert "Syrian regime forces" in legend and "Syrian Democratic Forces" in legend
    shot(tab, "01-overview-2020-06-15")

    move_slider(tab, AFTER)
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['zones-fill']})"
        ".some((f) => f.properties.parties === 'hts,armed_opposition_sna')",
        timeout=30_000,
    )
    settle(tab)
    assert zone_parties(tab) == {"hts,armed_opposition_sna", "syrian_regime"}
    joint = tab.evaluate(
        "() => window.athar.map.queryRenderedFeatures({layers: ['zones-joint']}).length"
    )
    assert joint > 0, "joint control is not hatched"
    tab.wait_for_function(
        "() => document.getElementById('legend').innerText.includes('Joint control')"
    )
    assert cell_total(tab) == 4
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['hotspots-fill',"
        " 'hotspots-line', 'hotspots-point']}).length > 0",
        timeout=30_000,
    )
    shot(tab, "02-overview-2021-06-10")

    # Single incidents from z10; click the rocket strike and read its popup.
    tab.evaluate("() => window.athar.map.jumpTo({center: [36.70, 35.93], zoom: 11})")
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['incident-points']})"
        ".some((f) => f.properties.place === 'Saraqib east')",
        timeout=30_000,
    )
    settle(tab)
    points = rendered(tab, "incident-points")
    assert {p["place"] for p in points} >= {"Field A", "Field B", "Field C", "Saraqib east"}
    assert all(p["date"].startswith("2021-0") for p in points)
    target = next(p for p in points if p["place"] == "Saraqib east")
    x, y = tab.evaluate(
        "(c) => { const p = window.athar.map.project(c); return [p.x, p.y]; }",
        target["_coords"],
    )
    frame = tab.locator("#map").bounding_box()
    tab.mouse.click(frame["x"] + x, frame["y"] + y)
    popup = tab.locator(".maplibregl-popup-content")
    popup.wait_for(timeout=10_000)
    tab.wait_for_function(
        "() => document.querySelector('.maplibregl-popup-content .source a') !== null",
        timeout=10_000,
    )
    settle(tab)
    text_ = popup.inner_text()
    for expected in (
        "Saraqib east",
        "2021-06-10",
        "Syrian regime forces",
        "rocket",
        "Killed",
        "as reported: not stated",
        "as mapped: Armed Opposition / Syrian National Army + Hay'at Tahrir al Sham",
        "Idleb",
        "Monthly report (web map test)",
    ):
        assert expected in text_, (expected, text_)
    link = tab.get_attribute(".maplibregl-popup-content .source a", "href")
    assert link == "https://example.org/webmap-test-report.pdf"
    shot(tab, "03-incident-popup")
    assert watch.errors == []


def test_low_zoom_cells_filters_and_downloads(
    map_server: str, page: tuple[Any, ConsoleWatch]
) -> None:
    tab, watch = page
    open_map(tab, map_server, "6.5/35.0/38.5")
    tab.evaluate("() => window.athar.setDay('2021-06-10')")
    tab.select_option("#window", "all")
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['incident-cells']})"
        ".reduce((n, f) => n + f.properties.count, 0) === 7",
        timeout=30_000,
    )
    # A weapon filter reaches the tile URLs: only the three landmine/ERW incidents remain.
    tab.locator("summary", has_text="Weapon").click()
    tab.check("#f-weapon input[value=landmine]")
    tab.check("#f-weapon input[value=erw]")
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['incident-cells']})"
        ".reduce((n, f) => n + f.properties.count, 0) === 3",
        timeout=30_000,
    )
    href = tab.get_attribute("#dl-csv", "href")
    assert href is not None
    assert href.startswith("/incidents/export.csv?")
    assert "weapon=erw%2Clandmine" in href and "bbox=" in href and "date_to=2021-06-10" in href
    settle(tab)
    shot(tab, "04-low-zoom-cells-landmine-filter")
    body = tab.evaluate("(u) => fetch(u).then((r) => r.text())", href)
    assert body.count("\n") >= 4, body  # header and three incidents

    # Play from the end starts again at the first day and steps a week at a time.
    tab.click("#play")
    tab.wait_for_function(
        "() => document.getElementById('date-label').textContent === '2020-01-08'",
        timeout=10_000,
    )
    tab.click("#play")
    assert tab.get_attribute("#play", "aria-pressed") == "false"
    settle(tab)
    assert watch.errors == []


def test_search_flies_to_a_place(map_server: str, page: tuple[Any, ConsoleWatch]) -> None:
    tab, watch = page
    open_map(tab, map_server, "6.5/35.0/38.5")
    tab.fill("#search-input", "Saraqib")
    first = tab.locator("#search-results li").first
    first.wait_for(timeout=30_000)
    assert "Saraqib" in first.inner_text() or "سراقب" in first.inner_text()
    first.click()
    tab.wait_for_function(
        "() => { const c = window.athar.map.getCenter();"
        " return Math.abs(c.lng - 36.8) < 0.2 && Math.abs(c.lat - 35.86) < 0.2"
        " && window.athar.map.getZoom() > 10; }",
        timeout=30_000,
    )
    assert watch.errors == []


def test_phone_sized_screen(map_server: str, browser_context: Any) -> None:
    tab = browser_context.new_page()
    watch = ConsoleWatch(tab)
    try:
        tab.set_viewport_size({"width": 390, "height": 844})
        open_map(tab, map_server, "7/35.6/37.0")
        assert not tab.locator("#panel").is_visible(), "the panel should start closed on a phone"
        map_box = tab.locator("#map").bounding_box()
        assert map_box["width"] >= 380 and map_box["height"] > 600
        settle(tab)
        shot(tab, "05-phone-map")
        tab.click("#panel-toggle")
        assert tab.locator("#panel").is_visible()
        panel_box = tab.locator("#panel").bounding_box()
        assert panel_box["width"] <= 390 and panel_box["height"] <= 0.6 * 844
        shot(tab, "06-phone-panel")
        assert watch.errors == []
    finally:
        tab.close()


def test_hotspot_popup_and_colour_switch(map_server: str, page: tuple[Any, ConsoleWatch]) -> None:
    tab, watch = page
    open_map(tab, map_server, "14/35.902/36.751")
    tab.wait_for_function(
        "() => window.athar.map.queryRenderedFeatures({layers: ['hotspots-fill',"
        " 'hotspots-line', 'hotspots-point']}).length > 0",
        timeout=30_000,
    )
    settle(tab)
    # The middle of the hull: the three landmine incidents' centroid.
    x, y = tab.evaluate(
        "() => { const p = window.athar.map.project([36.7503, 35.902]); return [p.x, p.y]; }"
    )
    frame = tab.locator("#map").bounding_box()
    # Points sit on top of the hull; click beside them, still inside the hazard area and hull.
    tab.evaluate(
        "() => window.athar.map.setLayoutProperty('incident-points', 'visibility', 'none')"
    )
    tab.mouse.click(frame["x"] + x, frame["y"] + y)
    popup = tab.locator(".maplibregl-popup-content")
    popup.wait_for(timeout=10_000)
    text_ = popup.inner_text()
    assert "Landmine hotspot #1" in text_, text_
    assert "Incidents" in text_ and "3" in text_
    assert "2021-06-03 – 2021-06-08" in text_
    shot(tab, "07-hotspot-popup")
    tab.evaluate(
        "() => window.athar.map.setLayoutProperty('incident-points', 'visibility', 'visible')"
    )

    # The colour switch repaints single incidents by weapon.
    tab.check("input[name=colour-by][value=weapon]")
    colour = tab.evaluate(
        "() => JSON.stringify(window.athar.map.getPaintProperty('incident-points', 'circle-color'))"
    )
    assert '"weapon"' in colour and "landmine" in colour
    assert "Incidents by weapon" in tab.locator("#legend").inner_text()
    assert watch.errors == []


def test_admin_layer_from_a_pmtiles_archive(
    map_server: str, page: tuple[Any, ConsoleWatch]
) -> None:
    tab, watch = page
    requested: list[str] = []
    tab.on("request", lambda request: requested.append(request.url))
    open_map(tab, map_server, "7/35.5/37.5")
    settle(tab)
    live_requests = sum("/tiles/admin_units/" in url for url in requested)
    assert live_requests > 0
    requested.clear()
    tab.goto(f"{map_server}/map?pmtiles=admin_units:admin#7/35.5/37.5")
    tab.wait_for_function("() => window.athar && window.athar.loaded", timeout=30_000)
    settle(tab)
    assert any("/pmtiles/admin.pmtiles" in url for url in requested)
    assert not any("/tiles/admin_units/" in url for url in requested)
    lines = tab.evaluate(
        "() => window.athar.map.queryRenderedFeatures({layers: ['admin-line']}).length"
    )
    assert lines > 0
    assert watch.errors == []

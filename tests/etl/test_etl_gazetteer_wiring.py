"""How the parser uses the gazetteer, with a stand-in resolver (no gazetteer data needed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from etl.report import parse_report, places

REPORT = (
    "Killings in Syria in June 2019\n\n"
    "On Monday, June 3, 2019, warplanes we believe were Russian fired missiles at Zeitoun IDP "
    "camp near Kafr Rumman village in the northern suburbs of Idlib governorate, killing two "
    "civilians.\n"
)


@dataclass(frozen=True)
class FakeResolution:
    resolved: bool
    pcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1_pcode: str | None = None
    admin1_name: str | None = None
    location_precision: str | None = None
    score: float = 1.0


@pytest.fixture
def fake_gazetteer(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str | None]]]:
    calls: list[tuple[str, str | None]] = []

    def resolve(name: str, context: str | None = None) -> FakeResolution:
        calls.append((name, context))
        if name == "Zeitoun IDP camp":
            return FakeResolution(True, "C9001", 35.9, 36.6, "SY07", "Idleb", "camp")
        return FakeResolution(False)

    places.resolve_place.cache_clear()
    monkeypatch.setattr(places, "_gazetteer_resolve", lambda: resolve)
    yield calls
    places.resolve_place.cache_clear()


def test_resolution_fills_codes_and_maps_camp_precision(fake_gazetteer) -> None:  # type: ignore[no-untyped-def]
    [incident] = parse_report(REPORT).incidents
    assert (incident.place_pcode, incident.lat, incident.lon) == ("C9001", 35.9, 36.6)
    assert incident.location_precision == "community"  # the interchange has no "camp"
    assert (incident.governorate, incident.admin1_pcode) == ("Idleb", "SY07")
    name, context = fake_gazetteer[0]
    assert name == "Zeitoun IDP camp"
    assert context is not None and "Idleb" in context


def test_namesake_in_another_governorate_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(name: str, context: str | None = None) -> FakeResolution:
        return FakeResolution(True, "C1111", 32.7, 36.1, "SY12", "Dar'a", "community")

    places.resolve_place.cache_clear()
    monkeypatch.setattr(places, "_gazetteer_resolve", lambda: resolve)
    try:
        [incident] = parse_report(REPORT).incidents
    finally:
        places.resolve_place.cache_clear()
    assert incident.governorate == "Idleb"  # the text's governorate wins
    assert incident.place_pcode is None and incident.location_precision == "governorate"


def test_broken_gazetteer_degrades_to_null_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(name: str, context: str | None = None) -> FakeResolution:
        raise RuntimeError("index missing")

    places.resolve_place.cache_clear()
    monkeypatch.setattr(places, "_gazetteer_resolve", lambda: resolve)
    try:
        [incident] = parse_report(REPORT).incidents
    finally:
        places.resolve_place.cache_clear()
    assert incident.place_pcode is None
    assert incident.governorate == "Idleb"


@dataclass(frozen=True)
class FakeCandidate:
    name: str
    pcode: str
    admin1_pcode: str
    score: float
    kind: str


@dataclass(frozen=True)
class FakeLandmarkResolution(FakeResolution):
    candidates: tuple[FakeCandidate, ...] = ()


def test_landmark_codes_give_way_to_ocha_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(name: str, context: str | None = None) -> FakeResolution:
        return FakeLandmarkResolution(
            True,
            "W00042",
            35.9,
            36.6,
            "SY07",
            "Idleb",
            "community",
            candidates=(
                FakeCandidate("Zeitoun Camp", "W00043", "SY07", 1.0, "landmark"),
                FakeCandidate("Zaytun", "C9002", "SY07", 0.97, "community"),
            ),
        )

    places.resolve_place.cache_clear()
    monkeypatch.setattr(places, "_gazetteer_resolve", lambda: resolve)
    try:
        [incident] = parse_report(REPORT).incidents
    finally:
        places.resolve_place.cache_clear()
    assert incident.place_pcode == "C9002"
    assert (incident.lat, incident.lon) == (35.9, 36.6)

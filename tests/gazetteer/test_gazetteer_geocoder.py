"""The geopy adapter: Location objects, fallback and cache hooks."""

from __future__ import annotations

from typing import Any

from geopy.geocoders.base import Geocoder
from geopy.location import Location

from gazetteer.geocoder import AtharGeocoder


class _FakeFallback(Geocoder):
    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def geocode(self, query: str, exactly_one: bool = True, **_: Any) -> Location:
        self.asked.append(query)
        return Location("fallback", (1.0, 2.0), {"from": "fallback"})


class _DictCache:
    def __init__(self) -> None:
        self.store: dict[Any, Any] = {}

    def get(self, key: Any) -> Any:
        return self.store.get(key)

    def put(self, key: Any, value: Any) -> None:
        self.store[key] = value


def test_geocode_returns_location_with_resolution_raw() -> None:
    location = AtharGeocoder().geocode("Ma'arrat al-Nu'man")
    assert isinstance(location, Location)
    assert location.raw["pcode"] == "C3985"
    assert abs(location.latitude - 35.6476) < 0.01
    assert "Idleb" in location.address


def test_geocode_with_context_and_list_shape() -> None:
    found = AtharGeocoder().geocode("Mansura", exactly_one=False, context="Ar-Raqqa")
    assert isinstance(found, list) and found[0].raw["pcode"] == "C5942"


def test_unknown_uses_fallback_only_when_needed() -> None:
    fallback = _FakeFallback()
    geocoder = AtharGeocoder(fallback=fallback)
    found = geocoder.geocode("Saraqeb")
    assert isinstance(found, Location) and found.raw["pcode"] == "C3916"
    assert fallback.asked == []
    other = geocoder.geocode("Xyzzyqwv")
    assert isinstance(other, Location) and other.raw == {"from": "fallback"}
    assert fallback.asked == ["Xyzzyqwv"]
    assert AtharGeocoder().geocode("Xyzzyqwv") is None


def test_cache_hook_is_used() -> None:
    cache = _DictCache()
    geocoder = AtharGeocoder(cache=cache)
    first = geocoder.geocode("Saraqeb")
    assert ("geocode", "Saraqeb", None) in cache.store
    cache.store[("geocode", "Saraqeb", None)] = Location("cached", (0.0, 0.0), {})
    again = geocoder.geocode("Saraqeb")
    assert isinstance(again, Location) and again.address == "cached"
    assert first is not None


def test_reverse_returns_nearest_community() -> None:
    location = AtharGeocoder().reverse("35.8611, 36.8061")
    assert isinstance(location, Location)
    assert location.raw["pcode"] == "C3916"

"""geopy adapter: :class:`AtharGeocoder` answers from the athar gazetteer, offline.

It behaves like any ``geopy`` geocoder (``geocode``/``reverse`` return
:class:`geopy.location.Location` objects whose ``raw`` is the
:meth:`Resolution.to_dict` of the answer), so code written against geopy can use it.
Two hooks:

* ``fallback`` — another geopy geocoder asked only when athar cannot resolve a name;
* ``cache`` — any object with ``get(key)`` / ``put(key, value)``; the database layer can
  pass one that stores answers in PostGIS.  Keys are ``("geocode", query, context)`` or
  ``("reverse", lat, lon)``; values are ``Location`` objects or ``None``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Protocol

from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from gazetteer.resolver import Resolution, Resolver


class GeocodeCache(Protocol):
    """What ``AtharGeocoder`` needs from a cache."""

    def get(self, key: Hashable) -> Any: ...

    def put(self, key: Hashable, value: Any) -> None: ...


_MISSING = object()


class AtharGeocoder(Geocoder):
    """A geopy geocoder backed by the athar gazetteer (no network)."""

    def __init__(
        self,
        resolver: Resolver | None = None,
        fallback: Geocoder | None = None,
        cache: GeocodeCache | None = None,
    ) -> None:
        super().__init__()
        self._resolver = resolver
        self.fallback = fallback
        self.cache = cache

    @property
    def resolver(self) -> Resolver:
        if self._resolver is None:
            from gazetteer import default_resolver

            self._resolver = default_resolver()
        return self._resolver

    def geocode(
        self,
        query: str,
        exactly_one: bool = True,
        context: str | None = None,
        **kwargs: Any,
    ) -> Location | list[Location] | None:
        """Resolve a place name; ``context`` is free text used to pick between namesakes."""
        key = ("geocode", query, context)
        cached = self._cache_get(key)
        if cached is not _MISSING:
            return _shape(cached, exactly_one)
        result = self.resolver.resolve(query, context)
        location: Location | None
        if result.resolved:
            location = _to_location(result)
        elif self.fallback is not None:
            location = self.fallback.geocode(query, exactly_one=True, **kwargs)
        else:
            location = None
        self._cache_put(key, location)
        return _shape(location, exactly_one)

    def reverse(
        self, query: Any, exactly_one: bool = True, **kwargs: Any
    ) -> Location | list[Location] | None:
        """Nearest community to a point (``"lat, lon"``, a tuple or a geopy ``Point``)."""
        point = Point(query)
        key = ("reverse", round(point.latitude, 6), round(point.longitude, 6))
        cached = self._cache_get(key)
        if cached is not _MISSING:
            return _shape(cached, exactly_one)
        result = self.resolver.reverse(point.latitude, point.longitude)
        location: Location | None
        if result.resolved:
            location = _to_location(result)
        elif self.fallback is not None:
            location = self.fallback.reverse(query, exactly_one=True, **kwargs)
        else:
            location = None
        self._cache_put(key, location)
        return _shape(location, exactly_one)

    def _cache_get(self, key: Hashable) -> Any:
        if self.cache is None:
            return _MISSING
        value = self.cache.get(key)
        return _MISSING if value is None else value

    def _cache_put(self, key: Hashable, value: Any) -> None:
        if self.cache is not None and value is not None:
            self.cache.put(key, value)


def _to_location(result: Resolution) -> Location:
    assert result.lat is not None and result.lon is not None
    parts = [result.name, result.admin3_name, result.admin2_name, result.admin1_name, "Syria"]
    address = ", ".join(dict.fromkeys(p for p in parts if p))
    return Location(address, (result.lat, result.lon), result.to_dict())


def _shape(location: Location | None, exactly_one: bool) -> Location | list[Location] | None:
    if location is None:
        return None
    return location if exactly_one else [location]

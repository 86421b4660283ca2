"""A PostGIS-backed cache for :class:`~gazetteer.geocoder.AtharGeocoder`'s online fallback.

An online geocoder is slow, rate-limited and may be unreachable in the field; every answer
it gives is kept in ``geocode_cache`` (with its point) so each query is asked once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Hashable
from typing import Any

from geopy.location import Location
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker

from db.models import GeocodeCache


def _key_text(key: Hashable) -> str:
    return json.dumps(key, default=str, ensure_ascii=False)


class PostgisGeocodeCache:
    """``get``/``put`` over the geocode_cache table; each call is its own short transaction."""

    def __init__(self, sessions: sessionmaker[Session], provider: str) -> None:
        self.sessions = sessions
        self.provider = provider

    def get(self, key: Hashable) -> Location | None:
        text_key = _key_text(key)
        digest = hashlib.sha256(text_key.encode()).hexdigest()
        with self.sessions() as session:
            result = session.scalar(
                select(GeocodeCache.result).where(
                    GeocodeCache.provider == self.provider, GeocodeCache.query_key == digest
                )
            )
        if not result:
            return None
        return Location(result["address"], (result["lat"], result["lon"]), result.get("raw", {}))

    def put(self, key: Hashable, value: Any) -> None:
        if not isinstance(value, Location):
            return
        text_key = _key_text(key)
        digest = hashlib.sha256(text_key.encode()).hexdigest()
        payload = {
            "address": value.address,
            "lat": value.latitude,
            "lon": value.longitude,
            "raw": json.loads(json.dumps(value.raw, default=str)),
        }
        statement = insert(GeocodeCache).values(
            provider=self.provider,
            query_key=digest,
            query=text_key[:2000],
            result=payload,
            # x = lon, y = lat
            geom=f"SRID=4326;POINT({value.longitude} {value.latitude})",
        )
        with self.sessions() as session, session.begin():
            session.execute(
                statement.on_conflict_do_update(
                    index_elements=[GeocodeCache.provider, GeocodeCache.query_key],
                    set_={"result": statement.excluded.result, "geom": statement.excluded.geom},
                )
            )

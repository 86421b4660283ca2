"""Tile caching that stays correct with filters: data-version ETags and an in-process LRU.

Rules (user-facing; the README repeats them):

* **ETag** of a tile = hash of the layer, z/x/y, the normalised filter the layer applies
  (:meth:`db.queries.IncidentFilter.cache_key`; ``?date=`` for control zones) and the data
  versions (:mod:`db.versions`) of every table the layer reads. A write anywhere the tile
  depends on changes it; a filter that means the same thing (other order, repeated values)
  does not. The gzip representation has its own ETag (suffix ``-gzip``).
* **Versions** are read from the database at most once per
  :data:`VERSION_CHECK_SECONDS` per process, so a write shows up within about a second.
* **LRU**: the process keeps the most recently used tiles (raw and gzip bytes), keyed by
  layer, tile, normalised filter and versions, bounded by :data:`CACHE_MAX_BYTES`; it is
  emptied when a version changes.
* ``If-None-Match`` with the current ETag answers 304 without touching the tile query;
  ``Cache-Control: public, max-age=60`` lets browsers and proxies keep tiles a minute and
  revalidate cheaply after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.tiles import (
    LAYERS,
    MAX_TILE_POINTS,
    Tile,
    compress_tile,
    layer_cache_key,
    tile_query,
)
from db.queries import IncidentFilter
from db.versions import current as current_versions

VERSION_CHECK_SECONDS = 1.0
CACHE_MAX_BYTES = 64 * 1024 * 1024
CACHE_MAX_ENTRIES = 20_000
TILE_CACHE_CONTROL = "public, max-age=60"
# Bumped when the tile SQL changes, so clients drop tiles made by an older server.
TILE_FORMAT = "athar-mvt-2"
GZIP_ETAG_SUFFIX = "-gzip"
# Raw tiles above this size are compressed in a worker thread (64 KB: about 0.1 ms).
INLINE_GZIP_BYTES = 64 * 1024


class VersionWatch:
    """The data versions of every layer, re-read at most once per ``interval`` seconds."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        interval: float = VERSION_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._versions: dict[str, int] | None = None
        self._read_at = 0.0
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def current(self) -> dict[str, int]:
        with self._lock:
            now = self._clock()
            if self._versions is not None and now - self._read_at < self.interval:
                return self._versions
            with self._sessions() as session:
                fresh = current_versions(session)
            changed = self._versions is not None and fresh != self._versions
            self._versions, self._read_at = fresh, now
        if changed:
            for listener in self._listeners:
                listener()
        return fresh

    def fresh(self) -> dict[str, int] | None:
        """The last reading while it is fresh, else None; never touches the database."""
        versions = self._versions
        if versions is not None and self._clock() - self._read_at < self.interval:
            return versions
        return None

    def expire(self) -> None:
        """Forget the last reading: the next call reads the database."""
        with self._lock:
            self._read_at = float("-inf")


def versions_of(versions: Mapping[str, int], layers: tuple[str, ...]) -> tuple[int, ...]:
    """The versions of ``layers`` in order (0 for a layer never written)."""
    return tuple(int(versions.get(layer, 0)) for layer in layers)


def tile_etag(layer: str, tile_path: str, filter_key: str, versions: tuple[int, ...]) -> str:
    """The opaque tag (without quotes) of a tile's identity representation."""
    blob = "|".join((TILE_FORMAT, layer, tile_path, filter_key, *map(str, versions)))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def etag_matches(if_none_match: str | None, tags: tuple[str, ...]) -> bool:
    """True when an ``If-None-Match`` header names one of ``tags`` (weak or strong) or ``*``."""
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*":
            return True
        candidate = candidate.removeprefix("W/").strip('"')
        if candidate in tags:
            return True
    return False


@dataclass(frozen=True)
class CachedTile:
    raw: bytes
    gzipped: bytes

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.gzipped)


CacheKey = tuple[str, str, str, tuple[int, ...]]


class TileCache:
    """A thread-safe LRU of tiles bounded by total bytes and entry count."""

    def __init__(
        self, max_bytes: int = CACHE_MAX_BYTES, max_entries: int = CACHE_MAX_ENTRIES
    ) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: OrderedDict[CacheKey, CachedTile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.enabled = max_bytes > 0 and max_entries > 0

    def get(self, key: CacheKey) -> CachedTile | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: CacheKey, value: CachedTile) -> None:
        if not self.enabled or value.size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= previous.size
            self._entries[key] = value
            self._bytes += value.size
            while self._entries and (
                self._bytes > self.max_bytes or len(self._entries) > self.max_entries
            ):
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes(self) -> int:
        return self._bytes


@dataclass(frozen=True)
class TileAnswer:
    """A tile ready to send: its bytes (raw and gzip, empty if no feature) and ETag."""

    etag: str
    tile: CachedTile | None  # None when only the ETag was needed (304)
    cache_hit: bool


class TileService:
    """Renders tiles through the LRU, keyed so a filter or a data write never mixes tiles.

    :meth:`answer` runs on the event loop: the tile SQL goes through an asyncio psycopg pool
    (:func:`db.engine.make_tile_pool`), and only the rare blocking steps (the data-version
    read once a second, gzip of a large tile) are handed to a worker thread.
    """

    def __init__(
        self,
        pool: AsyncConnectionPool,
        sessions: sessionmaker[Session],
        *,
        cache: TileCache | None = None,
        watch: VersionWatch | None = None,
        max_points: int = MAX_TILE_POINTS,
    ) -> None:
        self.pool = pool
        self.max_points = max_points
        self.cache = cache if cache is not None else TileCache()
        self.watch = watch if watch is not None else VersionWatch(sessions)
        self.watch.on_change(self.cache.clear)

    async def answer(
        self,
        layer: str,
        tile: Tile,
        incident_filter: IncidentFilter,
        day: dt.date | None,
        if_none_match: str | None = None,
    ) -> TileAnswer:
        spec = LAYERS[layer]
        filter_key = layer_cache_key(spec, incident_filter, day)
        if spec.incident_layer:
            # The point limit decides which tiles are grids: another limit, other tiles.
            filter_key = f"{filter_key}:p{self.max_points}"
        known = self.watch.fresh()
        if known is None:
            known = await run_in_threadpool(self.watch.current)
        versions = versions_of(known, spec.reads)
        etag = tile_etag(layer, tile.path, filter_key, versions)
        if etag_matches(if_none_match, (etag, f"{etag}{GZIP_ETAG_SUFFIX}")):
            return TileAnswer(etag, None, cache_hit=True)
        key: CacheKey = (layer, tile.path, filter_key, versions)
        cached = self.cache.get(key)
        if cached is not None:
            return TileAnswer(etag, cached, cache_hit=True)
        raw = await self._render(layer, tile, incident_filter, day)
        if len(raw) > INLINE_GZIP_BYTES:
            # igzip lets go of the GIL: a big tile compresses beside the loop, not on it.
            gzipped = await run_in_threadpool(compress_tile, raw)
        else:
            gzipped = compress_tile(raw) if raw else b""
        rendered = CachedTile(raw, gzipped)
        self.cache.put(key, rendered)
        return TileAnswer(etag, rendered, cache_hit=False)

    async def _render(
        self, layer: str, tile: Tile, incident_filter: IncidentFilter, day: dt.date | None
    ) -> bytes:
        sql, params = tile_query(layer, tile, incident_filter, day, self.max_points)
        # Connections are not checked before use (make_tile_pool). When one turns out broken
        # (the server restarted or dropped it), its idle siblings likely are too: the pool
        # checks them all and replaces the dead, and the tile, a pure read, is asked again.
        # A statement timeout leaves the connection whole and is raised.
        for attempt in (1, 2):
            async with self.pool.connection() as connection:
                try:
                    cursor = await connection.execute(sql, params)
                    row = await cursor.fetchone()
                except psycopg.OperationalError:
                    if attempt == 2 or not connection.broken:
                        raise
                    broken = True
                else:
                    broken = False
            if not broken:
                return bytes(row[0]) if row and row[0] else b""
            await self.pool.check()
        raise AssertionError("unreachable")

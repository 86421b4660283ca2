"""Syria's extent with a margin: the lon/lat box of "in or near Syria".

It lives in the lowest layer that needs it (imports go db <- gazetteer <- etl; api -> db), so
the gazetteer's editor and the zone importer (which check input against it), the landmine
search, the tiles and the OGC collections (which are bounded by it) use the same numbers. The
incident-row and hazard importers keep their own, slightly wider limits
(``etl/importers/record.py``, ``etl/hazards.py``).
"""

from __future__ import annotations

#: Syria with a little room for border areas: (min lon, min lat, max lon, max lat), WGS84.
SYRIA_BOUNDS: tuple[float, float, float, float] = (35.5, 32.2, 42.5, 37.5)


def meets_syria(bounds: tuple[float, float, float, float]) -> bool:
    """Whether a (min x, min y, max x, max y) extent shares any point with :data:`SYRIA_BOUNDS`."""
    xmin, ymin, xmax, ymax = bounds
    west, south, east, north = SYRIA_BOUNDS
    return xmin <= east and west <= xmax and ymin <= north and south <= ymax

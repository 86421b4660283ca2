"""Small spherical-geometry helpers (distance, bearing) used by the resolver."""

from __future__ import annotations

import math

EARTH_RADIUS_KM = 6371.0

# Compass words to bearings in degrees.
DIRECTION_BEARINGS: dict[str, float] = {
    "north": 0.0,
    "northern": 0.0,
    "northeast": 45.0,
    "northeastern": 45.0,
    "east": 90.0,
    "eastern": 90.0,
    "southeast": 135.0,
    "southeastern": 135.0,
    "south": 180.0,
    "southern": 180.0,
    "southwest": 225.0,
    "southwestern": 225.0,
    "west": 270.0,
    "western": 270.0,
    "northwest": 315.0,
    "northwestern": 315.0,
    # Arabic, folded (taa marbuta as haa): north/south/east/west and their adjectives.
    "شمال": 0.0,
    "الشمالي": 0.0,
    "الشماليه": 0.0,
    "شمالي": 0.0,
    "شرق": 90.0,
    "الشرقي": 90.0,
    "الشرقيه": 90.0,
    "شرقي": 90.0,
    "جنوب": 180.0,
    "الجنوبي": 180.0,
    "الجنوبيه": 180.0,
    "جنوبي": 180.0,
    "غرب": 270.0,
    "الغربي": 270.0,
    "الغربيه": 270.0,
    "غربي": 270.0,
}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, h))))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    d_lon = math.radians(lon2 - lon1)
    x = math.sin(d_lon) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(d_lon)
    return (math.degrees(math.atan2(x, y)) + 360.0) % 360.0


def angle_between(a: float, b: float) -> float:
    """Smallest absolute difference between two bearings, 0-180."""
    diff = abs(a - b) % 360.0
    return 360.0 - diff if diff > 180.0 else diff

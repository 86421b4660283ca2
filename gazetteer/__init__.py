"""athar gazetteer: resolve Syrian place names (any spelling, Latin or Arabic) to places.

Public API::

    from gazetteer import resolve, reverse, Resolver, Resolution, Candidate, Gazetteer

    resolve("Maarat an-Numan")                       # community C3985, Idleb
    resolve("al Emayya village", "eastern suburbs of Hama governorate")
    reverse(35.93, 36.63)                            # nearest community + admin units

The default resolver is built lazily, once per process, over the bundled data in
``gazetteer/data/``; importing this package does no work.
"""

from __future__ import annotations

import threading

from gazetteer.data import Addition, AdminUnit, Gazetteer, Place
from gazetteer.resolver import Candidate, Resolution, Resolver

__all__ = [
    "Addition",
    "AdminUnit",
    "Candidate",
    "Gazetteer",
    "Place",
    "Resolution",
    "Resolver",
    "default_resolver",
    "resolve",
    "reverse",
]

_default: Resolver | None = None
_lock = threading.Lock()


def default_resolver() -> Resolver:
    """The process-wide resolver over the bundled data (built on first use)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Resolver(Gazetteer.load())
    return _default


def resolve(name: str, context: str | None = None) -> Resolution:
    """Resolve a place name, using free-text context to choose between namesakes."""
    return default_resolver().resolve(name, context)


def reverse(lat: float, lon: float) -> Resolution:
    """Nearest community to a point, with the admin units that hold the point."""
    return default_resolver().reverse(lat, lon)

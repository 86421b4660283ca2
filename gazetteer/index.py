"""Name index over a :class:`~gazetteer.data.Gazetteer`: exact keys first, fuzzy second.

Every name of every place and admin unit is normalised once into a strict key and a
skeleton key (:mod:`gazetteer.normalize`).  A lookup tries, in order:

1. the strict key (exact after normalisation) — score 1.0;
2. the skeleton key (same consonants) — scored by how close the strict keys are;
3. rapidfuzz over the block of names whose skeleton starts with the same letter
   (a few thousand strings at most), so no lookup scans the whole gazetteer.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from gazetteer.data import AdminUnit, Gazetteer, Place
from gazetteer.geo import haversine_km
from gazetteer.normalize import NormalizedName, normalize

# Below this a fuzzy hit is not even a candidate; the resolver applies its own,
# stricter acceptance threshold after context scoring.
FUZZY_CUTOFF = 78.0


@dataclass(frozen=True)
class Entry:
    """One indexed name of one target (place id or admin P-code)."""

    strict: str
    skeleton: str
    target: str
    is_admin: bool
    script: str


@dataclass(frozen=True)
class Hit:
    """A target found for a query name, with a 0-1 name-match score."""

    target: str
    is_admin: bool
    score: float
    matched: str
    how: str


class NameIndex:
    """Exact and fuzzy lookup of places and admin units by name."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self.version = gazetteer.version
        self.entries: list[Entry] = []
        self.by_strict: dict[str, list[int]] = defaultdict(list)
        self.by_skeleton: dict[str, list[int]] = defaultdict(list)
        self.by_unqualified: dict[str, list[int]] = defaultdict(list)
        self._blocks: dict[str, tuple[list[str], list[int]]] = {}
        for place in gazetteer.places.values():
            self._add_names(place.id, False, place.all_names())
        for unit in gazetteer.admins.values():
            self._add_names(
                unit.pcode, True, (unit.name, unit.name_ar or "", *unit.names, *unit.regions)
            )
        blocks: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        seen: set[tuple[str, str]] = set()
        for number, entry in enumerate(self.entries):
            if not entry.skeleton or (entry.strict, entry.target) in seen:
                continue
            seen.add((entry.strict, entry.target))
            keys, ids = blocks[entry.skeleton[0]]
            keys.append(entry.strict)
            ids.append(number)
        self._blocks = dict(blocks)
        self.grid = _PlaceGrid(gazetteer.places.values())
        self._by_unit: dict[str, list[Entry]] | None = None
        self._by_token: dict[str, set[int]] | None = None

    def containing_tokens(self, query: NormalizedName) -> list[Entry]:
        """Community/neighbourhood names that contain every distinctive word of the query.

        "Mesamir" is inside "Mesamir Arab", "Mahruqah" inside "Zor Al-Mahrouqa".  Words
        are compared by skeleton; short and generic words (Tal, Ain, qualifiers) are not
        distinctive enough to count.
        """
        if self._by_token is None:
            by_token: dict[str, set[int]] = defaultdict(set)
            for number, entry in enumerate(self.entries):
                if entry.is_admin or entry.script != "latin":
                    continue
                if self.gazetteer.places[entry.target].kind not in ("community", "neighbourhood"):
                    continue
                for word in entry.strict.split():
                    key = _distinctive(word)
                    if key:
                        by_token[key].add(number)
            self._by_token = dict(by_token)
        keys = [_distinctive(w) for w in query.strict.split()]
        if not keys or not all(keys):
            return []
        found: set[int] | None = None
        for key in keys:
            ids = self._by_token.get(key or "", set())
            found = ids if found is None else found & ids
            if not found:
                return []
        return [self.entries[i] for i in sorted(found or ())]

    def entries_in_unit(self, pcode: str) -> list[Entry]:
        """Place-name entries inside one district or sub-district (built on first use)."""
        if self._by_unit is None:
            by_unit: dict[str, list[Entry]] = defaultdict(list)
            for entry in self.entries:
                if entry.is_admin:
                    continue
                place = self.gazetteer.places[entry.target]
                if place.kind not in ("community", "neighbourhood"):
                    continue
                for code in (place.adm2, place.adm3):
                    if code:
                        by_unit[code].append(entry)
            self._by_unit = dict(by_unit)
        return self._by_unit.get(pcode, [])

    def loose_in_unit(self, query: NormalizedName, pcode: str) -> list[tuple[Entry, float]]:
        """Lenient similarity of a name to every place name inside one admin unit.

        Safe only because the unit is small: within one sub-district a partial or
        token-subset match ("Mreijeb" / "Mreijeb Elmashad") is usually the place meant.
        """
        out: list[tuple[Entry, float]] = []
        for entry in self.entries_in_unit(pcode):
            if entry.script != query.script:
                continue
            token_score = fuzz.token_set_ratio(query.strict, entry.strict)
            skeleton_score = fuzz.ratio(query.skeleton, entry.skeleton)
            if min(len(query.skeleton), len(entry.skeleton)) >= 3:
                partial = fuzz.partial_ratio(query.skeleton, entry.skeleton)
                skeleton_score = (skeleton_score + partial) / 2
            out.append((entry, max(token_score, skeleton_score) / 100.0))
        return out

    def _add_names(self, target: str, is_admin: bool, names: tuple[str, ...]) -> None:
        seen: set[str] = set()
        for name in names:
            if not name:
                continue
            key = normalize(name)
            if not key.strict or key.strict in seen:
                continue
            seen.add(key.strict)
            number = len(self.entries)
            self.entries.append(Entry(key.strict, key.skeleton, target, is_admin, key.script))
            self.by_strict[key.strict].append(number)
            if key.skeleton:
                self.by_skeleton[key.skeleton].append(number)
            words = key.strict.split()
            plain = [w for w in words if w not in _QUALIFIER_WORDS]
            if plain and len(plain) < len(words) and len("".join(plain)) >= 4:
                # "Joubar Sharqi" is also found as plain "Jobar", a little less surely.
                self.by_unqualified[" ".join(plain)].append(number)

    # ------------------------------------------------------------------ lookups

    def exact(self, key: str) -> list[Entry]:
        """Entries whose strict key equals ``key``."""
        return [self.entries[i] for i in self.by_strict.get(key, ())]

    def same_skeleton(self, skeleton: str) -> list[Entry]:
        """Entries whose skeleton key equals ``skeleton``."""
        return [self.entries[i] for i in self.by_skeleton.get(skeleton, ())]

    def exact_or_skeleton(self, key: str, skeleton: str, min_skeleton: int = 4) -> list[Entry]:
        """Entries for a context phrase: strict key, else a close same-skeleton spelling."""
        found = self.exact(key)
        if found or len(skeleton) < min_skeleton:
            return found
        return [
            self.entries[i]
            for i in self.by_skeleton.get(skeleton, ())
            if fuzz.ratio(key, self.entries[i].strict) >= 75
        ]

    def lookup(self, query: NormalizedName, fuzzy: bool = True, limit: int = 40) -> list[Hit]:
        """Targets for a normalised query name, best score per target."""
        best: dict[tuple[str, bool], Hit] = {}

        def offer(entry: Entry, score: float, how: str) -> None:
            slot = (entry.target, entry.is_admin)
            current = best.get(slot)
            if current is None or score > current.score:
                best[slot] = Hit(entry.target, entry.is_admin, score, entry.strict, how)

        if not query.strict:
            return []
        for number in self.by_strict.get(query.strict, ()):
            offer(self.entries[number], 1.0, "exact")
        if query.skeleton:
            for number in self.by_skeleton.get(query.skeleton, ()):
                entry = self.entries[number]
                if entry.strict == query.strict:
                    continue
                closeness = fuzz.ratio(query.strict, entry.strict) / 100.0
                # Same consonants: very likely a spelling variant, but short skeletons
                # collide, so the vowels still count for a third.
                offer(entry, 0.72 + 0.24 * closeness, "skeleton")
        for number in self.by_unqualified.get(query.strict, ()):
            offer(self.entries[number], 0.86, "unqualified")
        # A same-skeleton spelling that also shares most vowels (score 0.9+) is as good as
        # fuzzy matching gets; skipping rapidfuzz then halves the cost of a lookup.
        if fuzzy and (not best or max(h.score for h in best.values()) < 0.9):
            for entry, score in self._fuzzy(query, limit):
                offer(entry, score, "fuzzy")
        hits = sorted(best.values(), key=lambda h: -h.score)
        return hits[:limit]

    def _fuzzy(self, query: NormalizedName, limit: int) -> Iterator[tuple[Entry, float]]:
        block = self._blocks.get(query.skeleton[:1]) if query.skeleton else None
        if block is None:
            return
        keys, ids = block
        matches = process.extract(
            query.strict, keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=limit
        )
        for _key, strict_score, position in matches:
            entry = self.entries[ids[position]]
            if entry.script != query.script:
                continue
            skeleton_score = fuzz.ratio(query.skeleton, entry.skeleton)
            # Fuzzy hits are capped below skeleton-identical ones.
            score = 0.9 * (0.6 * strict_score + 0.4 * skeleton_score) / 100.0
            yield entry, score

    # ------------------------------------------------------------------ accessors

    def place(self, target: str) -> Place:
        return self.gazetteer.places[target]

    def admin(self, target: str) -> AdminUnit:
        return self.gazetteer.admins[target]


_QUALIFIER_WORDS = frozenset(
    {"east", "west", "north", "south", "upper", "lower", "middle", "big", "little", "new", "old"}
)
_GENERIC_WORDS = frozenset(
    {
        "tal",
        "ain",
        "kafr",
        "deir",
        "abu",
        "um",
        "beit",
        "khirbet",
        "sheikh",
        "jabal",
        "wadi",
        "ras",
        "bir",
        "rasm",
        "qasr",
        "hay",
        "maarat",
        "mazrat",
        "jisr",
        "little",
        "big",
        "east",
        "west",
        "north",
        "south",
        "upper",
        "lower",
        "middle",
        "new",
        "old",
        "ibn",
        "bani",
        "bin",
        "mazra",
        "arab",
        "hosh",
        "tall",
        "qaryat",
        "madinat",
        "zor",
    }
)


def _distinctive(word: str) -> str | None:
    """The skeleton of a word that can identify a place, or None for generic words."""
    if word in _GENERIC_WORDS or len(word) < 4:
        return None
    key = normalize(word).skeleton
    return key if len(key) >= 3 else None


class _PlaceGrid:
    """Lat/lon buckets of communities for nearest-place queries (reverse geocoding)."""

    def __init__(self, places: Iterable[Place], cell: float = 0.1) -> None:
        self.cell = cell
        self.cells: dict[tuple[int, int], list[Place]] = defaultdict(list)
        for place in places:
            if place.kind == "community" and place.pcode:
                self.cells[self._key(place.lat, place.lon)].append(place)

    def _key(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat / self.cell), math.floor(lon / self.cell)

    def nearest(self, lat: float, lon: float, max_rings: int = 6) -> tuple[Place, float] | None:
        row, col = self._key(lat, lon)
        best: tuple[Place, float] | None = None
        for ring in range(max_rings + 1):
            for d_row in range(-ring, ring + 1):
                for d_col in range(-ring, ring + 1):
                    if max(abs(d_row), abs(d_col)) != ring:
                        continue
                    for place in self.cells.get((row + d_row, col + d_col), ()):
                        distance = haversine_km(lat, lon, place.lat, place.lon)
                        if best is None or distance < best[1]:
                            best = (place, distance)
            # Once something is found, one more ring guarantees it is the nearest.
            if best is not None and best[1] < ring * self.cell * 90:
                break
        return best

"""Resolve a place name plus free context text to one place, with the reasons.

:class:`Resolver` combines three kinds of evidence:

* how well the name matches (exact key, same skeleton, or fuzzy — see :mod:`gazetteer.index`);
* prominence of the place (admin seat, marker size on the Wikipedia map, population);
* the context: governorate/district words in any spelling, anchors ("near X", "between
  X and Y", "X city"), compass words ("eastern suburbs of Hama governorate") compared
  against the candidate's bearing from the reference unit or anchor.

When no candidate is good enough, a few fallbacks are tried, each named in ``reason``:
other forms of the name ("City - Quarter", "X (Y)", "X/Y", "also known as" names, the
name without "farms of" or without a qualifier); a looser match among the places of a
sub-district the context names; a longer name containing the query's words when it is the
only one in the named governorate.  Camps, neighbourhoods and facilities that are not in
the gazetteer resolve to the host town or city the context gives, with a
``location_precision`` that says so.  Anything else is returned unresolved, with no point.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz

from gazetteer.data import AdminUnit, Gazetteer, Place
from gazetteer.geo import DIRECTION_BEARINGS, angle_between, bearing_deg, haversine_km
from gazetteer.index import Hit, NameIndex
from gazetteer.normalize import (
    KIND_WORDS,
    NormalizedName,
    normalize,
    skeleton_key,
    strict_key,
    tokens_for_context,
)

# A candidate must reach this combined score to be accepted.
ACCEPT_SCORE = 0.78
# ... and its name alone must match at least this well.
MIN_NAME_SCORE = 0.8
# Looser matching inside a sub-district / district that the context names.
LOOSE_CUTOFF_ADM3 = 0.75
LOOSE_CUTOFF_ADM2 = 0.86

ADMIN_PRECISION = {0: "country", 1: "governorate", 2: "district", 3: "subdistrict"}
ADMIN_HINT_LEVEL = {"governorate": 1, "district": 2, "subdistrict": 3}

# Words that cannot begin or end a place mention in context text.
_STOPWORD_TEXT = """
    a an the of in on at to from by for with and or near nearby between around along also
    as its their his her this that these those which who where when while after before
    during into onto over under via off up down about across toward towards is was were
    are be been being has had have it they he she we you one two three four five six seven
    eight nine ten several many some all both each other another first second third last
    next same known called named part parts administratively administrative center centre
    middle heart side sides edge entrance road roads highway street streets house houses
    home building buildings residential agricultural land lands area areas region regions
    zone zones site sites place places vicinity outskirts outskirt suburbs suburb
    countryside rural rif reef environs surroundings close kilometers kilometres km meters
    metres miles mile syria syrian northwest northeast southwest southeast north south
    east west northern southern eastern western central upper lower city town village
    villages towns cities governorate province district subdistrict county camp camps
    neighbourhood neighborhood neighborhoods neighbourhoods market mosque school hospital
    prison farm farms front behind inside outside within beyond opposite across border
    borders crossing desert badiya plain mountain mountains valley river lake dam bridge
    al el regime forces attack attacks strike strikes killed died victim victims bus car
    there here then than not no only just very more most less least new old big small
    great little via per left right
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_ARTICLE_TOKENS = frozenset(
    {"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ez", "es", "et", "ed", "en", "er"}
)
_ANCHOR_TYPE_WORDS = frozenset(
    {
        "city",
        "town",
        "village",
        "villages",
        "towns",
        "cities",
        "camp",
        "neighborhood",
        "neighbourhood",
        "area",
        "farm",
        "farms",
        "hamlet",
    }
)
_ADMIN_TYPE_WORDS = frozenset(
    {
        "governorate",
        "province",
        "suburbs",
        "countryside",
        "district",
        "subdistrict",
        "county",
        "region",
        "rural",
        "rif",
        "nahiya",
        "mantiqa",
    }
)
_CITY_PART_RE = re.compile(r"\s+[-–—]\s+")
_PAREN_RE = re.compile(r"\(([^()]*)\)")
_KNOWN_AS_RE = re.compile(
    r"(?:known|referred to|called)\s+as\s+(?:the\s+)?([^,;:()]+?)"
    r"(?=\s+(?:in|on|at|near|of)\s|[,;:()]|$)",
    re.IGNORECASE,
)
# Leading words that make "farms of X" or "the X quarter" out of a place name X.
_GENERIC_LEADS = frozenset(
    {
        "mazrat",
        "mazra",
        "mazare",
        "haret",
        "hara",
        "ard",
        "aradi",
        "souq",
        "suq",
        "dawar",
        "duwar",
        "hay",
        "harat",
    }
)
_GENERIC_FACILITY_WORDS = frozenset(
    {
        "academy",
        "college",
        "university",
        "stadium",
        "barracks",
        "factory",
        "hospital",
        "prison",
        "school",
        "airport",
        "base",
        "military",
        "central",
        "national",
        "general",
        "police",
        "security",
        "branch",
        "intelligence",
        "headquarters",
        "court",
        "station",
        "garage",
        "bakery",
        "mosque",
        "church",
        "market",
    }
)
_DROPPABLE_QUALIFIERS = frozenset(
    {
        "east",
        "west",
        "north",
        "south",
        "upper",
        "lower",
        "middle",
        "big",
        "little",
        "new",
        "old",
        "balad",
    }
)
# Arabic context words, in folded form (see normalize.fold_arabic).
_ARABIC_ANCHOR_LEADS = frozenset(
    {"مدينه", "بلده", "قريه", "مخيم", "حي", "قرب", "بالقرب", "مزرعه", "بلدات", "قري"}
)
_ARABIC_ADMIN_LEADS = frozenset({"محافظه", "ريف", "منطقه", "ناحيه", "بريف", "محافظات"})
_ARABIC_CONTEXT_WORDS = (
    _ARABIC_ANCHOR_LEADS
    | _ARABIC_ADMIN_LEADS
    | frozenset(
        {
            "في",
            "من",
            "الى",
            "الي",
            "على",
            "علي",
            "بين",
            "و",
            "عن",
            "شمال",
            "جنوب",
            "شرق",
            "غرب",
            "الشمالي",
            "الجنوبي",
            "الشرقي",
            "الغربي",
            "الشماليه",
            "الجنوبيه",
            "الشرقيه",
            "الغربيه",
            "شمالي",
            "جنوبي",
            "شرقي",
            "غربي",
            "مدينه",
            "الواقعه",
            "التابعه",
            "حيث",
        }
    )
)
_ADMIN_LEAD_WORDS = frozenset({"rural", "rif", "reef", "countryside", "suburbs", "province"})


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Candidate:
    """A runner-up place for a query."""

    name: str
    pcode: str | None
    admin1_pcode: str | None
    score: float
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in _CANDIDATE_FIELDS}


@dataclass(frozen=True)
class Resolution:
    """The answer for one name: a place (or admin unit) with its admin units, or nothing."""

    resolved: bool
    query: str
    name: str | None = None
    name_ar: str | None = None
    pcode: str | None = None
    kind: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1_pcode: str | None = None
    admin1_name: str | None = None
    admin2_pcode: str | None = None
    admin2_name: str | None = None
    admin3_pcode: str | None = None
    admin3_name: str | None = None
    location_precision: str | None = None
    score: float = 0.0
    candidates: tuple[Candidate, ...] = ()
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        # Hand-rolled: dataclasses.asdict deep-copies and was a third of --jsonl time.
        out = {f: getattr(self, f) for f in _RESOLUTION_FIELDS}
        out["candidates"] = [c.to_dict() for c in self.candidates]
        return out


_CANDIDATE_FIELDS = tuple(f.name for f in fields(Candidate))
_RESOLUTION_FIELDS = tuple(f.name for f in fields(Resolution))


# --------------------------------------------------------------------------- context


@dataclass
class _Mention:
    start: int
    end: int
    key: str
    places: list[Place]
    admins: list[AdminUnit]
    role: str  # "admin", "anchor" or "both"


@dataclass
class _Reference:
    lat: float
    lon: float
    label: str
    radius_km: float
    key: str


@dataclass
class _Context:
    adm1: set[str] = field(default_factory=set)
    adm1_soft: set[str] = field(default_factory=set)
    adm_soft: set[str] = field(default_factory=set)
    # Districts / sub-districts named as such ("Ariha district") or in a bare list of
    # admin names ("Idleb, Ariha, Ehsem"): places outside them are almost never meant.
    adm2_strict: set[str] = field(default_factory=set)
    adm3_strict: set[str] = field(default_factory=set)
    anchors: list[Place] = field(default_factory=list)
    anchor_keys: list[str] = field(default_factory=list)
    city: Place | None = None
    admin_mentions: list[AdminUnit] = field(default_factory=list)
    directions: list[tuple[float, _Reference]] = field(default_factory=list)
    city_explicit: bool = False
    alt_names: list[str] = field(default_factory=list)


@dataclass
class _Scored:
    score: float
    name_score: float
    place: Place | None
    admin: AdminUnit | None
    notes: list[str]

    @property
    def adm1(self) -> str | None:
        if self.place is not None:
            return self.place.adm1
        if self.admin is not None:
            return self.admin.pcode if self.admin.level == 1 else self.admin.adm1
        return None


# --------------------------------------------------------------------------- resolver


class Resolver:
    """Resolves names against one :class:`Gazetteer` (rebuilds its index after additions)."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer
        self._index: NameIndex | None = None
        self._resolve_cached = lru_cache(maxsize=50_000)(self._resolve)
        self._context_cached = lru_cache(maxsize=20_000)(self._parse_context_uncached)

    @property
    def index(self) -> NameIndex:
        if self._index is None or self._index.version != self.gazetteer.version:
            self._index = NameIndex(self.gazetteer)
            # Both caches hold answers computed from the old index.
            self._resolve_cached.cache_clear()
            self._context_cached.cache_clear()
        return self._index

    # ------------------------------------------------------------------ public

    def resolve(self, name: str, context: str | None = None) -> Resolution:
        """Resolve ``name`` (as written) using ``context`` (free text) to choose."""
        name = "" if name is None else str(name)
        context = None if context is None else str(context)
        _ = self.index  # refresh before consulting the cache
        return self._resolve_cached(name, context)

    def reverse(self, lat: float, lon: float) -> Resolution:
        """Nearest community to a point, with the admin units holding the point."""
        query = f"{lat},{lon}"
        try:
            lat, lon = float(lat), float(lon)
        except (TypeError, ValueError):
            lat = lon = math.nan
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return Resolution(resolved=False, query=query, reason="not a coordinate")
        nearest = self.index.grid.nearest(lat, lon)
        located = self.gazetteer.locate_admin(lat, lon)
        if nearest is None:
            return Resolution(resolved=False, query=query, reason="no community nearby")
        place, distance = nearest
        if located is None and distance > 10:
            return Resolution(resolved=False, query=query, reason="point is outside Syria")
        adm = located or (place.adm1, place.adm2, place.adm3)
        score = max(0.0, 1.0 - distance / 20.0)
        return self._place_resolution(
            query,
            place,
            score,
            (),
            f"nearest community, {distance:.1f} km away",
            precision="community",
            adm=adm,
        )

    # ------------------------------------------------------------------ internals

    def _resolve(self, name: str, context: str | None, depth: int = 0) -> Resolution:
        index = self.index
        query = normalize(name)
        if not query.strict:
            return Resolution(resolved=False, query=name, reason="empty name")
        if depth == 0 and "(" in name:
            # "Tell Abiad (Tall Abyad)": the part outside the brackets is the name.
            outside = _PAREN_RE.sub(" ", name).strip()
            if outside:
                first = self._resolve(outside, context, depth + 1)
                if first.resolved:
                    return replace(first, query=name)
        ctx = self._parse_context(context or "")
        hint = query.kind_hint
        hits = index.lookup(query)
        scored = [self._score(hit, hint, ctx, query.strict) for hit in hits]
        scored.sort(key=lambda s: -s.score)

        if hint in ADMIN_HINT_LEVEL:
            admin_choice = self._best_admin(scored, ADMIN_HINT_LEVEL[hint])
            if admin_choice is not None:
                return self._admin_resolution(
                    name, admin_choice, self._runners(scored, admin_choice)
                )

        if hint == "surroundings":
            # "rural Idlib" is the governorate, "Ariha countryside" the district: the widest
            # unit spelt exactly so.
            units = [
                s
                for s in scored
                if s.admin is not None
                and s.admin.level >= 1
                and s.name_score >= 0.97
                and s.score >= ACCEPT_SCORE - 0.3
            ]
            plain = " ".join(w for w in query.strict.split() if w not in _DROPPABLE_QUALIFIERS)
            if not units and plain and plain != query.strict:
                # "eastern rural Hama": the compass word describes a part of the unit.
                units = [
                    self._score(Hit(e.target, True, 1.0, e.strict, "exact"), hint, ctx, plain)
                    for e in index.exact(plain)
                    if e.is_admin
                ]
                units = [
                    s
                    for s in units
                    if s.admin is not None and s.admin.level >= 1 and s.score >= ACCEPT_SCORE - 0.3
                ]
            if units:
                widest = min(units, key=lambda s: (s.admin.level if s.admin else 9, -s.score))
                return self._admin_resolution(name, widest, self._runners(scored, widest))

        best = next((s for s in scored if self._acceptable(s, hint)), None)
        runners = self._runners(scored, best)
        if best is not None and best.place is not None:
            place = best.place
            precision = _precision_for(place)
            reason = "; ".join(best.notes)
            if place.kind == "camp" and not place.precise:
                host = self.gazetteer.places.get(place.parent or "")
                unit = self.gazetteer.admins.get(place.parent or "")
                where = (
                    host.name
                    if host
                    else (f"{unit.kind} {unit.name}" if unit else "its admin unit")
                )
                reason += f"; camp has no coordinates, located at {where}"
            return self._place_resolution(name, place, best.score, runners, reason, precision)
        if best is not None and best.admin is not None:
            return self._admin_resolution(name, best, runners)

        alternatives = self._alternatives(name, query.strict, ctx, context) if depth == 0 else []
        for alternative, alt_context in alternatives:
            again = self._resolve(alternative, alt_context, depth + 1)
            if again.resolved:
                note = f"resolved as {alternative!r}"
                return replace(again, query=name, reason=f"{note}; {again.reason}")

        local = self._loose_local_match(name, query, ctx, runners)
        if local is not None:
            return local
        within = self._contained_name_match(name, query, ctx, runners)
        if within is not None:
            return within

        fallback = self._fallback(name, query.strict, hint, ctx, runners)
        if fallback is not None:
            return fallback
        reason = "no place with this name in the gazetteer"
        if scored:
            top = scored[0]
            reason = f"best match {self._label(top)!r} too weak or outside the context"
        return Resolution(
            resolved=False,
            query=name,
            candidates=tuple(self._candidate(s) for s in scored[:5]),
            reason=reason,
        )

    def _loose_local_match(
        self, name: str, query: NormalizedName, ctx: _Context, runners: tuple[Candidate, ...]
    ) -> Resolution | None:
        """Last resort when the context names a sub-district (or district): a looser
        match among the places inside it.  Measured on the Wikipedia-map spellings, a
        loose score of 0.75+ inside the named sub-district is right about two times in three.
        """
        units, cutoff = (
            (ctx.adm3_strict, LOOSE_CUTOFF_ADM3)
            if ctx.adm3_strict
            else (ctx.adm2_strict, LOOSE_CUTOFF_ADM2)
        )
        if not units or len(query.strict) < 3:
            return None
        best: tuple[float, Place] | None = None
        for pcode in units:
            for entry, score in self.index.loose_in_unit(query, pcode):
                if score >= cutoff and (best is None or score > best[0]):
                    best = (score, self.index.place(entry.target))
        if best is None:
            return None
        score, place = best
        unit_names = ", ".join(sorted(self.gazetteer.admins[p].name for p in units))
        reason = f"loose name match ({score:.2f}) within {unit_names} named in the context"
        return self._place_resolution(
            name,
            place,
            0.5 + 0.3 * (score - cutoff) / (1 - cutoff),
            runners,
            reason,
            _precision_for(place),
        )

    def _contained_name_match(
        self, name: str, query: NormalizedName, ctx: _Context, runners: tuple[Candidate, ...]
    ) -> Resolution | None:
        """A longer OCHA name that contains the query's words ("Mesamir" in "Mesamir
        Arab"), accepted only when it is the one such place in the governorate named in the
        context (or several within 3 km of each other).
        """
        if not ctx.adm1:
            return None
        places = {
            self.index.place(e.target).id: self.index.place(e.target)
            for e in self.index.containing_tokens(query)
        }
        inside = [
            p
            for p in places.values()
            if p.adm1 in ctx.adm1
            and (not ctx.adm3_strict or p.adm3 in ctx.adm3_strict)
            and (not ctx.adm2_strict or p.adm2 in ctx.adm2_strict)
        ]
        if not inside:
            return None
        first = inside[0]
        if any(haversine_km(first.lat, first.lon, p.lat, p.lon) > 3 for p in inside[1:]):
            return None
        reason = (
            f"the words of the name occur only in {first.name!r} within the "
            f"governorate named in the context"
        )
        return self._place_resolution(name, first, 0.55, runners, reason, _precision_for(first))

    def _alternatives(
        self, name: str, strict: str, ctx: _Context, context: str | None
    ) -> list[tuple[str, str | None]]:
        """Other (name, context) pairs to try when the name as given is not found.

        "City - Quarter" (how some datasets write neighbourhoods) becomes the quarter in
        that city, then the city; "X (Y)" and "X/Y" become X and Y; "also known as"
        names in the context are tried; "farms of X" becomes X.
        """
        out: list[tuple[str, str | None]] = []
        parts = [p.strip() for p in _CITY_PART_RE.split(name) if p.strip()]
        if len(parts) == 2:
            city, quarter = parts
            out.append((f"{quarter} neighbourhood", f"{city} city, {context or ''}"))
            out.append((city, context))
        for group in _PAREN_RE.findall(name):
            out.append((group, context))
        outside = _PAREN_RE.sub(" ", name).strip()
        if outside and outside != name:
            out.append((outside, context))
        if "/" in name:
            out.extend((p.strip(), context) for p in name.split("/") if p.strip())
        out.extend((n, context) for n in ctx.alt_names if strict_key(n) != strict)
        words = strict.split()
        if len(words) > 1 and words[0] in _GENERIC_LEADS:
            out.append((" ".join(words[1:]), context))
        # "Al Karak Al Sharqi" is OCHA's "Karak"; "Daraa Al Balad" is Daraa's old town.
        plain = [w for w in words if w not in _DROPPABLE_QUALIFIERS]
        if plain and plain != words and len("".join(plain)) >= 4:
            out.append((" ".join(plain), context))
        return out

    def _runners(self, scored: list[_Scored], chosen: _Scored | None) -> tuple[Candidate, ...]:
        return tuple(self._candidate(s) for s in scored if s is not chosen)[:5]

    def _acceptable(self, scored: _Scored, hint: str | None) -> bool:
        if scored.name_score < MIN_NAME_SCORE or scored.score < ACCEPT_SCORE:
            return False
        if scored.place is not None and hint == "neighbourhood":
            return scored.place.kind in ("neighbourhood", "community")
        return True

    def _best_admin(self, scored: list[_Scored], level: int) -> _Scored | None:
        admins = [s for s in scored if s.admin is not None and s.name_score >= MIN_NAME_SCORE]
        at_level = [s for s in admins if s.admin is not None and s.admin.level == level]
        pool = at_level or admins
        return pool[0] if pool and pool[0].score >= ACCEPT_SCORE - 0.1 else None

    # ------------------------------------------------------------------ scoring

    def _score(self, hit: Hit, hint: str | None, ctx: _Context, query_key: str) -> _Scored:
        notes = [f"{hit.how} name match ({hit.score:.2f})"]
        score = hit.score
        place: Place | None = None
        admin: AdminUnit | None = None
        if hit.is_admin:
            admin = self.index.admin(hit.target)
            lat, lon = admin.lat, admin.lon
            adm1 = admin.pcode if admin.level == 1 else admin.adm1
            adm_codes = {admin.pcode, admin.adm2}
            if hint in ADMIN_HINT_LEVEL:
                score += 0.08 if ADMIN_HINT_LEVEL[hint] == admin.level else 0.02
            else:
                # A bare name that is also a town ("Ariha") means the town, and a merely
                # similar spelling of a unit's name is no evidence for the unit.
                if admin.level == 0 and hit.how != "exact":
                    score -= 1.0  # "Syria" has a two-letter skeleton; only exact counts
                elif hit.matched in _region_keys(admin):
                    score += 0.05  # "Eastern Ghouta" names the region, not a village
                else:
                    score -= 0.06 if hit.how == "exact" else 0.2
        else:
            place = self.index.place(hit.target)
            lat, lon = place.lat, place.lon
            adm1 = place.adm1
            adm_codes = {place.adm2, place.adm3}
            score += _kind_adjustment(place, hint)
            score += 0.025 * max(-2.0, min(place.weight, 4.5))
            if hint == "neighbourhood" and ctx.city is not None:
                if place.kind == "neighbourhood" and place.parent == ctx.city.id:
                    score += 0.15
                    notes.append(f"neighbourhood of {ctx.city.name}")
                elif place.id != ctx.city.id:
                    # A neighbourhood of another city is never the one meant.
                    score -= 1.0
            if hint == "camp" and place.kind != "camp" and ctx.anchors:
                near = min(haversine_km(lat, lon, a.lat, a.lon) for a in ctx.anchors)
                if near > 10:
                    score -= 1.0
        if ctx.adm1 and adm1 is not None:
            if adm1 in ctx.adm1:
                score += 0.15
                notes.append(f"in the governorate named in the context ({adm1})")
            else:
                score -= 0.45
                notes.append(f"outside the governorate named in the context ({adm1})")
        elif ctx.adm1_soft and adm1 in ctx.adm1_soft:
            score += 0.06
        if ctx.adm_soft and adm_codes & ctx.adm_soft:
            score += 0.08
            notes.append("in a district/sub-district named in the context")
        if place is not None and (ctx.adm3_strict or ctx.adm2_strict):
            if place.adm3 in ctx.adm3_strict:
                score += 0.1
            elif place.adm2 in ctx.adm2_strict:
                score += 0.05 if not ctx.adm3_strict else -0.3
            else:
                score -= 0.45
                notes.append("outside the district/sub-district named in the context")
        # The name's own mention in the context ("eastern al-Bitar village") is no anchor.
        anchors = [a for a, k in zip(ctx.anchors, ctx.anchor_keys, strict=True) if k != query_key]
        if anchors and place is not None:
            distance, anchor = min(
                ((haversine_km(lat, lon, a.lat, a.lon), a) for a in anchors),
                key=lambda pair: pair[0],
            )
            if anchor.id != place.id:
                if distance < 4:
                    score += 0.18
                elif distance < 12:
                    score += 0.12
                elif distance < 30:
                    score += 0.05
                elif distance > 80:
                    score -= 0.08
                notes.append(f"{distance:.1f} km from {anchor.name}")
            if (
                hint in ("facility", "neighbourhood", "camp")
                and ctx.city is not None
                and ctx.city_explicit
                and haversine_km(lat, lon, ctx.city.lat, ctx.city.lon) > 15
            ):
                score -= 1.0  # a prison "in Hasaka city" is not 70 km away
        if place is not None:
            own_key = strict_key(place.name)
            for direction, ref in ctx.directions:
                if ref.key in (own_key, hit.matched, query_key):
                    continue  # "eastern Tadmur suburbs" says nothing about Tadmur itself
                distance = haversine_km(ref.lat, ref.lon, lat, lon)
                if distance <= max(1.0, ref.radius_km * 0.15):
                    continue
                angle = angle_between(bearing_deg(ref.lat, ref.lon, lat, lon), direction)
                if angle <= 60:
                    score += 0.07
                    notes.append(f"lies in the stated direction of {ref.label}")
                elif angle >= 115:
                    score -= 0.07
        return _Scored(score=score, name_score=hit.score, place=place, admin=admin, notes=notes)

    # ------------------------------------------------------------------ context

    def _parse_context(self, context: str) -> _Context:
        return self._context_cached(context)

    def _parse_context_uncached(self, context: str) -> _Context:
        ctx = _Context()
        if not context.strip():
            return ctx
        index = self.index
        tokens = tokens_for_context(context)
        mentions: list[_Mention] = []
        position = 0
        while position < len(tokens):
            found = None
            # Exact spellings at any width beat same-skeleton ones: "Dar'a, Dar'a" is
            # the governorate twice, not the village whose skeleton is "drdr".
            for loose in (False, True):
                for width in (5, 4, 3, 2, 1):
                    span = tokens[position : position + width]
                    if len(span) < width or not _span_ok(span):
                        continue
                    key = strict_key(" ".join(span))
                    if len(key) < 3:
                        continue
                    role = _role(tokens, position, position + width)
                    if loose:
                        # A type word after the span ("Kelli town") makes even a short
                        # same-skeleton spelling trustworthy.
                        entries = index.exact_or_skeleton(
                            key,
                            skeleton_key(" ".join(span)),
                            min_skeleton=2 if role == "anchor" else 4,
                        )
                    else:
                        entries = index.exact(key)
                        if entries and not any(e.is_admin for e in entries):
                            # "Deir al-Zour" is spelt exactly like the city somewhere, but
                            # is also the governorate in another spelling.
                            entries = entries + [
                                e
                                for e in index.same_skeleton(skeleton_key(" ".join(span)))
                                if e.is_admin and fuzz.ratio(key, e.strict) >= 85
                            ]
                    if not entries:
                        continue
                    places = [index.place(e.target) for e in entries if not e.is_admin]
                    admins = [index.admin(e.target) for e in entries if e.is_admin]
                    found = _Mention(position, position + width, key, places, admins, role)
                    break
                if found is not None:
                    break
            if found is None:
                position += 1
                continue
            mentions.append(found)
            position = found.end

        covered = {i for m in mentions if m.admins for i in range(m.start, m.end)}
        admin_listing = bool(covered) and all(
            i in covered
            or t in _STOPWORDS
            or t in _ARTICLE_TOKENS
            or t in KIND_WORDS
            or t in DIRECTION_BEARINGS
            for i, t in enumerate(tokens)
        )
        for mention in mentions:
            if mention.role in ("admin", "both"):
                strict_units = admin_listing or mention.role == "admin"
                # "Hama" is a governorate, a district and a sub-district; only the
                # widest unit is certain (or the level its type word names).
                wanted = _level_named(tokens, mention.end)
                levels = [u.level for u in mention.admins]
                top_level = wanted if wanted in levels else min(levels, default=1)
                for unit in mention.admins:
                    if unit.level != top_level:
                        continue
                    if unit.level == 1:
                        ctx.adm1.add(unit.pcode)
                    elif unit.level >= 2:
                        ctx.adm_soft.add(unit.pcode)
                        if unit.adm1:
                            ctx.adm1_soft.add(unit.adm1)
                        # Region names (Jabal al-Zawiya...) only approximate a unit.
                        if strict_units and mention.key not in _region_keys(unit):
                            (ctx.adm2_strict if unit.level == 2 else ctx.adm3_strict).add(
                                unit.pcode
                            )
                ctx.admin_mentions.extend(mention.admins)
        if ctx.adm1 and ctx.adm2_strict | ctx.adm3_strict:
            # "Idleb, Ariha" names Ariha district of Idleb, not the Ariha of another
            # governorate that happens to share the name.
            ctx.adm2_strict = {p for p in ctx.adm2_strict if p[:4] in ctx.adm1}
            ctx.adm3_strict = {p for p in ctx.adm3_strict if p[:4] in ctx.adm1}
        # Anchors are chosen once the governorate is known, to pick the right namesake.
        # Places followed by a type word ("Kelli town") come before bare words.
        anchor_for: dict[int, Place] = {}
        explicit: list[tuple[Place, str]] = []
        implicit: list[tuple[Place, str]] = []
        city_fallback: Place | None = None
        for number, mention in enumerate(mentions):
            if mention.role not in ("anchor", "both"):
                continue
            anchor = _pick_anchor(mention.places, ctx)
            if anchor is None:
                continue
            anchor_for[number] = anchor
            if mention.role == "anchor":
                explicit.append((anchor, mention.key))
            elif not mention.admins:
                # A bare word that is also an admin name ("Ar-Raqqa") is admin context;
                # using its town as a proximity anchor would pull everything to the city.
                implicit.append((anchor, mention.key))
            elif city_fallback is None and anchor.kind == "community":
                city_fallback = anchor
            if (
                ctx.city is None
                and anchor.kind == "community"
                and _followed_by(tokens, mention.end, {"city", "town"})
            ):
                ctx.city = anchor
                ctx.city_explicit = True
            if anchor.adm1:
                ctx.adm1_soft.add(anchor.adm1)
        ctx.anchors = [a for a, _ in explicit + implicit]
        ctx.anchor_keys = [k for _, k in explicit + implicit]
        if ctx.city is None:
            ctx.city = next((a for a in ctx.anchors if a.kind == "community"), city_fallback)

        for bearing, at in _directions(tokens):
            for number, mention in enumerate(mentions):
                if mention.start < at:
                    continue
                ref = self._reference(mention, anchor_for.get(number))
                if ref is not None:
                    ctx.directions.append((bearing, ref))
                break
        ctx.alt_names = [m.strip() for m in _KNOWN_AS_RE.findall(context) if m.strip()]
        return ctx

    def _reference(self, mention: _Mention, anchor: Place | None) -> _Reference | None:
        if mention.role in ("admin", "both"):
            units = sorted(mention.admins, key=lambda u: u.level)
            if units:
                unit = units[0]
                return _Reference(
                    unit.centre_lat, unit.centre_lon, unit.name, unit.radius_km, mention.key
                )
        if anchor is not None:
            return _Reference(anchor.lat, anchor.lon, anchor.name, 0.0, mention.key)
        return None

    # ------------------------------------------------------------------ fallbacks

    def _fallback(
        self,
        name: str,
        strict: str,
        hint: str | None,
        ctx: _Context,
        runners: tuple[Candidate, ...],
    ) -> Resolution | None:
        if hint == "area" and ctx.city is not None and ctx.city_explicit:
            hint = "neighbourhood"  # "X area in southern Y city" is a part of Y
        if hint not in ("camp", "neighbourhood", "facility"):
            return None
        host = ctx.city if hint == "neighbourhood" else (ctx.anchors[0] if ctx.anchors else None)
        what = {"camp": "camp", "neighbourhood": "neighbourhood", "facility": "facility"}[hint]
        if host is not None:
            label = "city" if hint == "neighbourhood" else "town"
            reason = f"{what} not in gazetteer; anchored to {label} {host.name}"
            return self._place_resolution(
                name, host, 0.6, runners, reason, precision=_precision_for(host)
            )
        if hint == "facility" and set(strict.split()) <= _GENERIC_FACILITY_WORDS:
            # "the Military Academy in Homs governorate": nothing but the unit names a
            # place, and the unit's seat town is where such facilities are recorded.
            for unit in ctx.admin_mentions:
                seat = self._seat_of(unit)
                if seat is not None:
                    reason = (
                        f"facility not in gazetteer; located at {seat.name}, "
                        f"the seat of {unit.name}"
                    )
                    return self._place_resolution(
                        name, seat, 0.5, runners, reason, precision="community"
                    )
        return None

    def _seat_of(self, unit: AdminUnit) -> Place | None:
        key = strict_key(unit.name)
        for entry in self.index.exact(key):
            if entry.is_admin:
                continue
            place = self.index.place(entry.target)
            if place.kind == "community" and unit.pcode in (place.adm1, place.adm2, place.adm3):
                return place
        return None

    # ------------------------------------------------------------------ output

    def _label(self, scored: _Scored) -> str:
        if scored.place is not None:
            return scored.place.name
        return scored.admin.name if scored.admin is not None else "?"

    def _candidate(self, scored: _Scored) -> Candidate:
        if scored.place is not None:
            return Candidate(
                scored.place.name,
                scored.place.pcode or scored.place.id,
                scored.place.adm1,
                _clamp(scored.score),
                scored.place.kind,
            )
        assert scored.admin is not None
        return Candidate(
            scored.admin.name,
            scored.admin.pcode,
            scored.adm1,
            _clamp(scored.score),
            scored.admin.kind,
        )

    def _admin_names(self, adm: Iterable[str | None]) -> list[tuple[str | None, str | None]]:
        out: list[tuple[str | None, str | None]] = []
        for code in adm:
            unit = self.gazetteer.admins.get(code) if code else None
            out.append((code, unit.name if unit else None))
        return out

    def _place_resolution(
        self,
        query: str,
        place: Place,
        score: float,
        runners: tuple[Candidate, ...],
        reason: str,
        precision: str,
        adm: tuple[str | None, ...] | None = None,
    ) -> Resolution:
        (a1, n1), (a2, n2), (a3, n3) = self._admin_names(
            adm if adm is not None else (place.adm1, place.adm2, place.adm3)
        )
        return Resolution(
            resolved=True,
            query=query,
            name=place.name,
            name_ar=place.name_ar,
            pcode=place.pcode or place.id,
            kind=place.kind,
            lat=place.lat,
            lon=place.lon,
            admin1_pcode=a1,
            admin1_name=n1,
            admin2_pcode=a2,
            admin2_name=n2,
            admin3_pcode=a3,
            admin3_name=n3,
            location_precision=precision,
            score=_clamp(score),
            candidates=runners,
            reason=reason,
        )

    def _admin_resolution(
        self, query: str, scored: _Scored, runners: tuple[Candidate, ...]
    ) -> Resolution:
        unit = scored.admin
        assert unit is not None
        codes: list[str | None] = [None, None, None]
        if unit.level >= 1:
            codes[0] = unit.pcode if unit.level == 1 else unit.adm1
        if unit.level >= 2:
            codes[1] = unit.pcode if unit.level == 2 else unit.adm2
        if unit.level == 3:
            codes[2] = unit.pcode
        (a1, n1), (a2, n2), (a3, n3) = self._admin_names(codes)
        return Resolution(
            resolved=True,
            query=query,
            name=unit.name,
            name_ar=unit.name_ar,
            pcode=unit.pcode,
            kind=unit.kind,
            lat=unit.lat,
            lon=unit.lon,
            admin1_pcode=a1,
            admin1_name=n1,
            admin2_pcode=a2,
            admin2_name=n2,
            admin3_pcode=a3,
            admin3_name=n3,
            location_precision=ADMIN_PRECISION[unit.level],
            score=_clamp(scored.score),
            candidates=runners,
            reason="; ".join([*scored.notes, "admin unit (label point)"]),
        )


# --------------------------------------------------------------------------- helpers


@lru_cache(maxsize=4096)
def _region_keys(unit: AdminUnit) -> frozenset[str]:
    return frozenset(strict_key(r) for r in unit.regions)


def _clamp(value: float) -> float:
    return round(max(0.0, min(1.0, value)), 4)


def _precision_for(place: Place) -> str:
    if place.kind == "neighbourhood":
        return "neighbourhood"
    if place.kind == "camp":
        if place.precise:
            return "camp"
        # Without its own point a camp sits at its host: a community, or an admin unit.
        parent = place.parent or ""
        return {4: "governorate", 6: "district", 8: "subdistrict"}.get(
            len(parent) if parent.startswith("SY") else 0, "community"
        )
    if place.kind == "landmark":
        return "exact"
    return "community"


def _kind_adjustment(place: Place, hint: str | None) -> float:
    kind = place.kind
    if hint == "camp":
        return {"camp": 0.06, "community": -0.04}.get(kind, -0.1)
    if hint == "neighbourhood":
        return {"neighbourhood": 0.05, "community": -0.05}.get(kind, -0.15)
    if hint == "facility":
        # Reports' facilities are located by their town in the reference data, so the
        # town beats a same-named landmark point a few km off.
        return {"landmark": 0.0, "community": 0.03}.get(kind, -0.05)
    return {"community": 0.02, "neighbourhood": -0.03, "camp": -0.12, "landmark": -0.1}.get(
        kind, 0.0
    )


def _span_ok(span: list[str]) -> bool:
    first, last = span[0], span[-1]
    if first in _ARABIC_CONTEXT_WORDS or last in _ARABIC_CONTEXT_WORDS:
        return False
    for inner in span[1:-1]:
        if (inner in _STOPWORDS or inner in KIND_WORDS) and inner not in _ARTICLE_TOKENS:
            return False
    if last in _STOPWORDS or last in _ARTICLE_TOKENS or last in KIND_WORDS:
        return False
    if first in _STOPWORDS and first not in _ARTICLE_TOKENS:
        return False
    if first in KIND_WORDS:
        return False
    return not (len(span) == 1 and (first.isdigit() or len(first) < 3))


_LEVEL_WORDS = {
    "governorate": 1,
    "province": 1,
    "district": 2,
    "mantiqa": 2,
    "subdistrict": 3,
    "county": 3,
    "nahiya": 3,
}


def _level_named(tokens: list[str], end: int) -> int | None:
    return _LEVEL_WORDS.get(tokens[end]) if end < len(tokens) else None


def _followed_by(tokens: list[str], end: int, words: set[str] | frozenset[str]) -> bool:
    return end < len(tokens) and tokens[end] in words


def _role(tokens: list[str], start: int, end: int) -> str:
    if _followed_by(tokens, end, _ANCHOR_TYPE_WORDS):
        return "anchor"
    if _followed_by(tokens, end, _ADMIN_TYPE_WORDS):
        return "admin"
    before = tokens[start - 1] if start > 0 else ""
    if before in _ADMIN_LEAD_WORDS or (
        before == "of" and start > 1 and tokens[start - 2] in _ADMIN_LEAD_WORDS
    ):
        return "admin"
    # Arabic puts the type word first: "مدينة إدلب" (Idlib city), "ريف إدلب" (rural Idlib).
    if before in _ARABIC_ANCHOR_LEADS:
        return "anchor"
    if before in _ARABIC_ADMIN_LEADS:
        return "admin"
    return "both"


def _directions(tokens: list[str]) -> list[tuple[float, int]]:
    out: list[tuple[float, int]] = []
    position = 0
    while position < len(tokens):
        token = tokens[position]
        if token not in DIRECTION_BEARINGS:
            position += 1
            continue
        bearing = DIRECTION_BEARINGS[token]
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if (
            following in DIRECTION_BEARINGS
            and token.startswith(("north", "south"))
            and following.startswith(("east", "west"))
        ):
            # "north west", "south-eastern": the compound bearing.
            bearing = DIRECTION_BEARINGS[token.replace("ern", "") + following.replace("ern", "")]
            position += 1
        out.append((bearing, position))
        position += 1
    return out


def _pick_anchor(places: list[Place], ctx: _Context) -> Place | None:
    usable = [p for p in places if p.kind in ("community", "camp", "neighbourhood")]
    if not usable:
        usable = places
    if not usable:
        return None

    def rank(place: Place) -> tuple[int, int, float]:
        in_context = int(bool(ctx.adm1) and place.adm1 in ctx.adm1)
        in_soft = int(bool(ctx.adm_soft) and bool({place.adm2, place.adm3} & ctx.adm_soft))
        return in_context, in_soft + (1 if place.kind == "community" else 0), place.weight

    return max(usable, key=rank)

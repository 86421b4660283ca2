"""Places named in report prose, their governorates, and their resolution to P-codes.

A place is written with its type word ("al Emayya village", "al Hawl Camp", "the towns of
Nebbel and al-Zahra") followed by admin or direction words ("in the eastern suburbs of Hama
governorate", "Eastern Ghouta, eastern Damascus suburbs governorate"). Each mention gets a
role from the words before it: a victim's home town ("from X"), an attacker's position
("stationed in X"), a destination ("travelling to X"), an arrest ("arrested ... in X"), or
the place where harm happened, which is the one an incident wants.

Resolution goes through the gazetteer another part of athar builds. It is imported lazily
so the parser still runs, with null place codes, when the gazetteer is absent or broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz, process

from etl.report.dates import MONTH_NAMES, WEEKDAYS

# OCHA COD-AB admin-1 P-codes (syr_admbnda_adm1_uncs_unocha_20201217).
GOVERNORATES: dict[str, str] = {
    "Damascus": "SY01",
    "Aleppo": "SY02",
    "Rural Damascus": "SY03",
    "Homs": "SY04",
    "Hama": "SY05",
    "Lattakia": "SY06",
    "Idleb": "SY07",
    "Al-Hasakeh": "SY08",
    "Deir-ez-Zor": "SY09",
    "Tartous": "SY10",
    "Ar-Raqqa": "SY11",
    "Dar'a": "SY12",
    "As-Sweida": "SY13",
    "Quneitra": "SY14",
}

# Spellings seen in reports -> OCHA English name. Matching folds case and punctuation.
_GOVERNORATE_SPELLINGS: dict[str, str] = {
    "damascus suburbs": "Rural Damascus",
    "rural damascus": "Rural Damascus",
    "rif dimashq": "Rural Damascus",
    "damascus countryside": "Rural Damascus",
    "eastern ghouta": "Rural Damascus",
    "western ghouta": "Rural Damascus",
    "damascus": "Damascus",
    "aleppo": "Aleppo",
    "homs": "Homs",
    "hama": "Hama",
    "lattakia": "Lattakia",
    "latakia": "Lattakia",
    "idlib": "Idleb",
    "idleb": "Idleb",
    "hasaka": "Al-Hasakeh",
    "hasakah": "Al-Hasakeh",
    "al hasakeh": "Al-Hasakeh",
    "al hasaka": "Al-Hasakeh",
    "hasakeh": "Al-Hasakeh",
    "deir ez zour": "Deir-ez-Zor",
    "deir ez zor": "Deir-ez-Zor",
    "deir al zour": "Deir-ez-Zor",
    "deir ezzor": "Deir-ez-Zor",
    "deir el zour": "Deir-ez-Zor",
    "deir al zor": "Deir-ez-Zor",
    "raqqa": "Ar-Raqqa",
    "ar raqqa": "Ar-Raqqa",
    "al raqqa": "Ar-Raqqa",
    "rakka": "Ar-Raqqa",
    "daraa": "Dar'a",
    "dara": "Dar'a",
    "deraa": "Dar'a",
    "suwayda": "As-Sweida",
    "sweida": "As-Sweida",
    "as sweida": "As-Sweida",
    "suwaida": "As-Sweida",
    "al suwayda": "As-Sweida",
    "quneitra": "Quneitra",
    "qunaitra": "Quneitra",
    "tartus": "Tartous",
    "tartous": "Tartous",
}

_GOV_WORD = r"(?:[A-Z][\w'’]*(?:[- ](?:[Ee]z|[Aa]l|[Ee]l|[Aa]r|[Aa]s)?-?[A-Z][\w'’]*)?)"
# "Hama governorate", "the governorate of Hama", "eastern Damascus suburbs governorate",
# "rural Idlib", "eastern suburbs of Hasaka", "Rural Damascus", "Eastern Ghouta".
_GOV_SPELLING = (
    r"(?:Rural\s+Damascus|Damascus|Aleppo|Homs|Hama|Latakia|Lattakia|Idlib|Idleb|Hasakah?"
    r"|Al-Hasakeh|Deir[- ]?(?:ez|al|el)[- ]?Zou?r|Raqqa|Ar-Raqqa|Daraa|Dar'a|Suwayda|Sweida"
    r"|As-Sweida|Quneitra|Tartus|Tartous)"
)
_DIRECTION = r"(?:(?:north|south|east|west|central)(?:ern|-?east(?:ern)?|-?west(?:ern)?)?\s+)"
GOVERNORATE_EXPR = re.compile(
    r"(?P<suburbs>\b(?:Rural\s+Damascus|Damascus\s+[Ss]uburbs|Eastern\s+Ghouta|Western\s+Ghouta"
    r"|Rif\s+Dimashq)\b)"
    rf"|\b(?P<before>{_GOV_WORD})\s+[Gg]overnorate\b"
    rf"|\b[Gg]overnorates?\s+of\s+(?P<after>{_GOV_WORD})"
    rf"|\b(?:rural|suburbs\s+of|countryside\s+of|outskirts\s+of)\s+(?:the\s+)?(?P<rural>{_GOV_WORD})"
    r"(?!\s+(?:city|town|village))"
    rf"|\b(?P<city>{_GOV_WORD})\s+city\b"
    rf"|\b(?P<countryside>{_GOV_SPELLING})\s+(?:countryside|suburbs|region)\b"
    rf"|\b{_DIRECTION}(?P<direction>{_GOV_SPELLING})\b(?!\s+(?:city|town|village))"
    rf"|\((?P<parenthesised>{_GOV_SPELLING})\)"
    rf"|\b(?P<possessive>{_GOV_SPELLING})['’]s\s+(?:\w+\s+)?(?:countryside|suburbs|rural|outskirts)"
    rf"|,\s+(?P<comma>{_GOV_SPELLING})(?=\s*[,.;)]|$)"
)


def governorate_name(text: str | None) -> str | None:
    """The OCHA governorate a spelling means ("Idlib" -> "Idleb", "Damsacus" -> "Damascus")."""
    if not text:
        return None
    key = re.sub(r"[^a-z]+", " ", text.lower().replace("governorate", "")).strip()
    key = re.sub(r"^(?:the|al|el)\s+", "", key) if key not in _GOVERNORATE_SPELLINGS else key
    if key in _GOVERNORATE_SPELLINGS:
        return _GOVERNORATE_SPELLINGS[key]
    if len(key) < 4:
        return None
    best = process.extractOne(key, list(_GOVERNORATE_SPELLINGS), scorer=fuzz.ratio)
    if best and best[1] >= 80:
        return _GOVERNORATE_SPELLINGS[best[0]]
    return None


@dataclass(frozen=True)
class GovernorateMention:
    name: str
    start: int
    end: int


def find_governorates(text: str) -> list[GovernorateMention]:
    found: list[GovernorateMention] = []
    for match in GOVERNORATE_EXPR.finditer(text):
        raw = next(g for g in match.groups() if g)
        if match.group("suburbs"):
            name: str | None = "Rural Damascus"
        elif match.group("city"):
            key = re.sub(r"[^a-z]+", " ", raw.lower()).strip()
            name = _GOVERNORATE_SPELLINGS.get(key)
        else:
            name = governorate_name(raw)
        if name:
            found.append(GovernorateMention(name, match.start(), match.end()))
    return found


# ---------------------------------------------------------------------------------------------
# Place mentions

_TYPE_WORDS = (
    r"(?:village|town|city|IDPs?\s+[Cc]amp|[Cc]amp|neighbou?rhood|area|district|sub-?district"
    r"|county|region|[Pp]rison|[Bb]order\s+[Cc]rossing|[Cc]rossing|[Aa]irbase|[Aa]irport"
    r"|[Ss]quare|valley|plain|farms?|Academy|suburbs(?!\s+governorate))"
)
_PLURAL_TYPES = r"(?:villages|towns|cities|camps|neighbou?rhoods|areas)"
_ARTICLE = (
    r"(?:[Aa]l|[Ee]l|[Aa]s|[Aa]sh|[Aa]d|[Aa]n|[Aa]r|[Aa]z|[Ee]z|[Aa]t|[Uu]m|[Uu]mm|[Bb]in|[Bb]ani"
    r"|[Aa]bu|[Dd]eir|[Tt]al|[Kk]afr|[Ss]heikh|[Jj]abal|[Bb]ab|[Ww]adi|[Ii]bn)"
)
_CAP = r"[A-Z][\w'’ʿ`]*(?:-[\w'’ʿ`]+)*"
_NAME = rf"(?<![\w'’-])(?:{_ARTICLE}[- ])?(?:{_CAP})(?:[- ](?:{_ARTICLE}[- ])?(?:{_CAP})){{0,4}}"
# Capitalised words that start sentences or name things other than places.
_NOT_NAMES = (
    {
        "on",
        "the",
        "in",
        "at",
        "a",
        "an",
        "of",
        "this",
        "these",
        "syrian",
        "regime",
        "russian",
        "sdf",
        "hts",
        "snhr",
        "isis",
        "section",
        "idps",
        "idp",
        "central",
        "eastern",
        "western",
        "northern",
        "southern",
        "national",
    }
    | set(MONTH_NAMES)
    | set(WEEKDAYS)
)

PLACE_WITH_TYPE = re.compile(rf"(?P<name>{_NAME})\s+(?P<type>{_TYPE_WORDS})\b")
TYPE_OF_PLACE = re.compile(
    rf"\b(?:the\s+|their\s+|his\s+|her\s+)?(?:home\s+)?(?P<type>(?!suburbs){_TYPE_WORDS}|{_PLURAL_TYPES})"
    rf"\s+of\s+(?P<name>{_NAME})"
)
DESERT = re.compile(
    r"(?:the\s+)?['‘’]?\b(?P<name>[Bb]adiya)\b['’]?(?:\s+or\s+['‘’]?desert['’]?)?"
    rf"(?:\s+(?:area|desert|region))?(?:\s+of\s+{_NAME})?"
)
BARE_PLACE = re.compile(
    rf"\b(?:in|at|near|targeted|targeting|hit|hitting|struck|shelled|bombed|on)\s+"
    rf"(?P<name>{_NAME})"
    r"(?=\s+in\s+(?:the\s+)?(?:Rural\s+Damascus|[a-z]+\s+rural|rural|[A-Z]\w+\s+governorate)"
    r"|,\s+(?:which|in)\b|\s+which\s+is\s+located"
    rf"|,?\s+(?:in\s+)?(?:the\s+)?{_DIRECTION}?(?:rural\s+)?{_GOV_SPELLING}\b"
    rf"|\s+in\s+(?:the\s+)?{_DIRECTION}?(?:countryside|suburbs|outskirts)\b"
    rf"|\s+\({_GOV_SPELLING}\))"
)
# A capitalised name after a locative word, accepted only when the gazetteer knows it.
CANDIDATE_PLACE = re.compile(
    rf"\b(?:in|at|near|targeted|targeting|hit|hitting|struck|shelled|bombed)\s+"
    rf"(?P<name>{_NAME})"
    r"(?=\s*(?:[,.;:()]|$)|\s+(?:in|on|near|at|and|with|killing|injuring|wounding|which|where"
    r"|during|after|before|when|while|city|town|village)\b)"
)
_COUNTRIES = {
    "syria",
    "lebanon",
    "turkey",
    "turkiye",
    "iraq",
    "jordan",
    "israel",
    "russia",
    "iran",
    "europe",
    "libya",
    "italy",
    "greece",
    "germany",
    "egypt",
    "sharia",
}
ABROAD = re.compile(
    r"\b(?:the\s+)?(?P<name>(?:Libyan|Lebanese|Turkish|Greek|Italian|Jordanian"
    r"|Iraqi"
    r"|Cypriot)\s+coasts?|(?:Mediterranean|Aegean)\s+Sea)\b"
)

_ROLE_BEFORE = [
    (
        "origin",
        re.compile(
            r"\b(?:from|originally\s+came\s+from|hails\s+from|native\s+of|IDPs\s+from"
            r"|displaced\s+from|resident\s+of|home\s+town\s+of|hometown\s+of)"
            r"\s+(?:the\s+)?(?:[\w'’-]+\s+){0,2}$",
            re.I,
        ),
    ),
    (
        "base",
        re.compile(
            r"\b(?:stationed|based|positioned|deployed|launched\s+from|fired\s+from"
            r"|originating\s+from)\b[^,;]{0,80}$",
            re.I,
        ),
    ),
    (
        "destination",
        re.compile(
            r"\b(?:travell?ing|heading|way|bound|going|returning|fled|moving)"
            r"\s+(?:back\s+)?(?:to|for|towards)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,2}$",
            re.I,
        ),
    ),
    ("arrest", re.compile(r"\b(?:arrested|detained|abducted|kidnapped|born)\b[^.;]{0,60}$", re.I)),
    ("context", re.compile(r"\badministratively\s+(?:a\s+)?part\s+of\s+$|\bknown\s+as\s+$", re.I)),
    ("route", re.compile(r"\bbetween\s+(?:the\s+)?(?:[\w'’-]+\s+){0,2}$", re.I)),
]
# Words that may sit between a place and the places that locate it ("from X village in the
# rural areas of Y city in rural Z governorate"): a mention reached only through these
# shares the role of the mention before it.
_CHAIN_GAP = re.compile(
    r"^(?:\s|\b(?:in|of|the|near|rural|areas?|suburbs|countryside|eastern|western|northern"
    r"|southern|north|south|east|west|central|also|administratively|part|a|to)\b)*$",
    re.I,
)


@dataclass(frozen=True)
class PlaceMention:
    text: str  # as written, with its type word
    name: str
    type_word: str | None
    role: str  # harm | origin | base | destination | arrest
    start: int
    end: int
    abroad: bool = False


def _valid_name(name: str) -> bool:
    words = re.split(r"[- ]", name)
    meaningful = [w for w in words if w and w.lower() not in _NOT_NAMES]
    if not meaningful:
        return False
    return not (words[0].lower() in _NOT_NAMES and words[0].lower() not in {"al", "el"})


def _trim_name(name: str) -> str:
    # "SDF's Ghwayran", "Hasaka city's": possessive owners are not part of the place name.
    if re.search(r"['’]s\s", name):
        name = re.split(r"['’]s\s", name)[-1]
    words = name.split(" ")
    while words and words[0].lower() in _NOT_NAMES and words[0].lower() not in {"al", "el"}:
        words.pop(0)
    return " ".join(words)


def _role(text: str, start: int) -> str:
    before = text[max(0, start - 120) : start]
    # Only the current clause decides the role: stop at the last verb of harm or comma.
    clause = re.split(
        r"[;]|\b(?:fired|targeted|targeting|struck|hit|killed|killing|exploded"
        r"|detonated|bombed|shelled)\b",
        before,
    )[-1]
    for role, pattern in _ROLE_BEFORE:
        if pattern.search(clause):
            return role
    return "harm"


def find_places(text: str) -> list[PlaceMention]:
    """Place mentions in text order, each with its role."""
    return list(_find_places(text))


@lru_cache(maxsize=8192)
def _find_places(text: str) -> tuple[PlaceMention, ...]:
    # Sentences are searched for places several times (incident, memory, controls).
    found: list[PlaceMention] = []
    taken: list[tuple[int, int]] = []

    def add(
        name: str, type_word: str | None, start: int, end: int, *, abroad: bool = False
    ) -> None:
        if any(s < end and start < e for s, e in taken):
            return
        name = _trim_name(name.strip())
        if not name or (not abroad and not _valid_name(name)):
            return
        if type_word:
            singular = re.sub(r"(?<=[a-z])(?:ies)$", "y", type_word)
            singular = (
                re.sub(r"(?<=[a-z])s$", "", singular)
                if singular.lower() not in {"idps camp", "suburbs"}
                else singular
            )
            written = f"{name} {singular}"
        else:
            written = name
        taken.append((start, end))
        role = "harm" if abroad else _role(text, start)
        if (
            type_word
            and re.fullmatch(_PLURAL_TYPES, type_word)
            and re.search(r"\bbetween\s+(?:the\s+)?$", text[max(0, start - 20) : start])
        ):
            role = "route"
        found.append(PlaceMention(written, name, type_word, role, start, end, abroad))

    for match in ABROAD.finditer(text):
        add(
            re.sub(r"coasts$", "coast", match.group("name")),
            None,
            match.start("name"),
            match.end("name"),
            abroad=True,
        )
    for match in PLACE_WITH_TYPE.finditer(text):
        name = match.group("name")
        offset = match.start("name")
        # The greedy name may have swallowed a sentence-initial capitalised word.
        trimmed = _trim_name(name)
        offset += len(name) - len(trimmed)
        add(trimmed, match.group("type"), offset, match.end())
    for match in TYPE_OF_PLACE.finditer(text):
        add(match.group("name"), match.group("type"), match.start(), match.end())
    for match in DESERT.finditer(text):
        add(match.group(0).strip(" '‘’"), None, match.start(), match.end())
    for match in BARE_PLACE.finditer(text):
        if re.search(
            r"\b(?:Hospital|School|Mosque|Center|Centre|University|Court|Council)$",
            match.group("name"),
        ):
            continue
        add(match.group("name"), None, match.start("name"), match.end("name"))
    ordered = sorted(found, key=lambda m: m.start)
    chained: list[PlaceMention] = []
    for mention in ordered:
        previous = chained[-1] if chained else None
        if (
            previous is not None
            and previous.role == "route"
            and mention.role == "harm"
            and re.fullmatch(r"\s+and\s+", text[previous.end : mention.start])
        ):
            mention = PlaceMention(
                mention.text,
                mention.name,
                mention.type_word,
                "route",
                mention.start,
                mention.end,
                mention.abroad,
            )
        elif (
            previous is not None
            and previous.role in {"origin", "base", "destination", "arrest"}
            and mention.role == "harm"
            and _CHAIN_GAP.match(text[previous.end : mention.start])
        ):
            mention = PlaceMention(
                mention.text,
                mention.name,
                mention.type_word,
                previous.role,
                mention.start,
                mention.end,
                mention.abroad,
            )
        chained.append(mention)
    return tuple(chained)


_GEOGRAPHY = re.compile(
    r"\b(?:suburbs|rural|governorate|near|outskirts|east|west|north|south|eastern|western"
    r"|northern|southern|Ghouta|district|city|town|village|countryside|region|area|camp"
    r"|neighbou?rhood|Syria|border|administratively)\b",
    re.I,
)
_NOT_GEOGRAPHY = re.compile(
    r"\d+-year-old|\b(?:was|were|is|are|who|works?|worked|born|married|despite|caused|causing"
    r"|including|killed|died|father|mother|volunteer|member|from|in\s+(?:19|20)\d\d)\b"
    r"|\s(?:to|for)\s+[\"“]",
    re.I,
)


def context_after(text: str, end: int) -> str | None:
    """Admin or direction words written after a place ("in the eastern suburbs of Hama
    governorate"), up to the end of the clause."""
    tail = text[end : end + 200]
    tail = re.sub(r"^,?\s*which\s+is\s+(?=administratively)", " ", tail)
    stop = re.search(
        r"[;.]|,\s*(?:which|where|resulting|killing|causing|injuring|wounding|with|while|and|as|"
        r"on|after|before|when|in\s+an?\s)\b|\s(?:which|where|when|while|killing|resulting|fired"
        r"|targeted|targeting|exploded|as|bound|on\s+(?:January|February|March|April|May|June|July"
        r"|August|September|October|November|December)|on\s+"
        r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))\b",
        tail,
    )
    clause = tail[: stop.start()] if stop else tail
    if clause.startswith(("'s", "’s")):
        return None
    # Keep comma-separated pieces while they read as geography ("Eastern Ghouta, eastern
    # Damascus suburbs governorate"); a person's description ("35-year-old, works at ...")
    # ends the context.
    kept: list[str] = []
    for piece in re.split(r",\s*", clause):
        if not piece.strip():
            continue
        if kept and (_NOT_GEOGRAPHY.search(piece) or not _GEOGRAPHY.search(piece)):
            break
        if not kept and _NOT_GEOGRAPHY.search(piece):
            piece = _NOT_GEOGRAPHY.split(piece, maxsplit=1)[0]
        if not kept and not _GEOGRAPHY.search(piece) and not re.match(r"\s*[A-Z]", piece):
            return None
        kept.append(piece.strip())
    clause = ", ".join(p for p in kept if p).strip(" ,")
    clause = re.sub(r"^(?:in|at|of)\s+(?:the\s+)?", "", clause)
    if not clause or not re.search(
        r"\b(?:suburbs|rural|governorate|near|outskirts|east|west|north|south|Ghouta|district"
        r"|city|town|village|countryside|region|area|[A-Z]\w+)\b",
        clause,
    ):
        return None
    return clause[:200]


# ---------------------------------------------------------------------------------------------
# Gazetteer


@dataclass(frozen=True)
class PlaceResolution:
    resolved: bool
    pcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1_pcode: str | None = None
    governorate: str | None = None
    location_precision: str | None = None
    score: float = 0.0


def gazetteer_place_candidates(text: str) -> list[PlaceMention]:
    """Untyped capitalised names after a locative word that the gazetteer resolves well."""
    found = []
    for match in CANDIDATE_PLACE.finditer(text):
        name = _trim_name(match.group("name"))
        if not name or not _valid_name(name) or name.lower() in _COUNTRIES:
            continue
        resolution = resolve_place(name, None)
        if (
            resolution.resolved
            and resolution.score >= 0.9
            and resolution.location_precision in {"community", "neighbourhood", "camp"}
        ):
            start = match.start("name") + len(match.group("name")) - len(name)
            found.append(
                PlaceMention(name, name, None, _role(text, start), start, match.end("name"))
            )
    return found


@cache
def _gazetteer_resolve() -> Any:
    try:
        from gazetteer import resolve  # type: ignore[attr-defined,unused-ignore]
    except Exception:  # the gazetteer is optional: an absent or broken one means no codes
        return None
    return resolve


_OCHA_PCODE = re.compile(r"^(?:[CN]\d{4}|SY\d{2,8})$")


def _ocha_pcode(result: Any) -> str | None:
    """The interchange wants OCHA P-codes. When the gazetteer answers with one of its own
    points (a map landmark), an OCHA community of the same name in the same governorate
    among its candidates names the place in OCHA terms; the coordinates stay the point's."""
    pcode = getattr(result, "pcode", None)
    if pcode is None or _OCHA_PCODE.match(str(pcode)):
        return pcode
    for candidate in getattr(result, "candidates", ()) or ():
        code = str(getattr(candidate, "pcode", "") or "")
        if (
            _OCHA_PCODE.match(code)
            and getattr(candidate, "admin1_pcode", None) == getattr(result, "admin1_pcode", None)
            and float(getattr(candidate, "score", 0.0) or 0.0) >= 0.95
            and getattr(candidate, "kind", "community") in {"community", "neighbourhood"}
        ):
            return code
    return pcode


def gazetteer_available() -> bool:
    return _gazetteer_resolve() is not None


@cache
def resolve_place(name: str, context: str | None) -> PlaceResolution:
    """Resolve through the gazetteer; unresolved (never an exception) when it cannot."""
    resolve = _gazetteer_resolve()
    if resolve is None or not name:
        return PlaceResolution(False)
    try:
        result = resolve(name, context=context)
    except Exception:
        return PlaceResolution(False)
    if not getattr(result, "resolved", False):
        return PlaceResolution(False)
    lat = getattr(result, "lat", None)
    lon = getattr(result, "lon", None)
    return PlaceResolution(
        resolved=True,
        pcode=_ocha_pcode(result),
        lat=float(lat) if lat is not None else None,
        lon=float(lon) if lon is not None else None,
        admin1_pcode=getattr(result, "admin1_pcode", None),
        governorate=getattr(result, "admin1_name", None),
        location_precision=getattr(result, "location_precision", None),
        score=float(getattr(result, "score", 0.0) or 0.0),
    )

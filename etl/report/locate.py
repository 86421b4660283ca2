"""Where an incident happened: choosing the place among those a passage names, its
governorate, and its codes and coordinates from the gazetteer.

The place is the first one in the harm's own words (not a victim's home town, an attacker's
position or a destination); the governorate is the one the text states next to it, then one
stated elsewhere in the report for the same place, and only then the gazetteer's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from etl.report.model import Incident
from etl.report.parties import ControlStatement
from etl.report.places import (
    GOVERNORATES,
    PlaceMention,
    context_after,
    find_governorates,
    find_places,
    gazetteer_place_candidates,
    governorate_name,
    resolve_place,
)

# The gazetteer's precisions that the interchange format names differently: a camp or a
# landmark is located at community level.
INTERCHANGE_PRECISION = {
    "exact": "exact",
    "community": "community",
    "neighbourhood": "neighbourhood",
    "neighborhood": "neighbourhood",
    "subdistrict": "subdistrict",
    "district": "district",
    "governorate": "governorate",
    "country": "country",
    "camp": "community",
    "landmark": "community",
}


_BROAD_TYPES = frozenset({"region", "regions"})


@dataclass
class PlaceMemory:
    """What the report said about a place anywhere: its context, governorate and controller."""

    context: dict[str, str] = field(default_factory=dict)
    governorate: dict[str, str] = field(default_factory=dict)
    control: dict[str, tuple[int, ControlStatement]] = field(default_factory=dict)


def place_key(text: str) -> str:
    """A spelling-tolerant key for a place name: no type words, articles or punctuation."""
    words = re.sub(r"[^a-z ]+", " ", text.lower().replace("’", "").replace("'", "")).split()
    drop = {
        "village",
        "town",
        "city",
        "camp",
        "idp",
        "idps",
        "neighborhood",
        "neighbourhood",
        "area",
        "district",
        "the",
        "al",
        "el",
        "of",
        "subdistrict",
        "county",
        "region",
    }
    return "".join(w for w in words if w not in drop)


def pick_place(
    anchor_text: str, following: str, intro: str, weapon: str | None
) -> tuple[PlaceMention | None, str]:
    """The place where harm happened, and the text it was found in."""
    ordered = [anchor_text, following, intro]
    if weapon == "torture":
        # Deaths in detention happen where the prisoner was held, not where the family heard.
        for text in ordered:
            for mention in find_places(text):
                if mention.type_word and mention.type_word.lower() == "prison":
                    return mention, text
                before = text[max(0, mention.start - 60) : mention.start]
                if re.search(
                    r"\b(?:detention\s+(?:center|centre)|branch|prison)\s+in\s+$", before, re.I
                ):
                    return mention, text
    for text in ordered:
        harm = [m for m in find_places(text) if m.role == "harm"]
        # "the Idlib region" names an area; a village or crossing in the same text is the place.
        specific = [m for m in harm if (m.type_word or "").lower() not in _BROAD_TYPES]
        if specific or harm:
            return (specific or harm)[0], text
    for text in ordered[:2]:
        for mention in gazetteer_place_candidates(text):
            if mention.role == "harm":
                return mention, text
    for role in ("arrest", "origin", "destination"):
        for text in ordered:
            for mention in find_places(text):
                if mention.role == role and not mention.abroad:
                    return mention, text
    return None, ""


def _stated_governorate(
    mention: PlaceMention, text: str, context: str | None, paragraph_text: str
) -> str | None:
    if context:
        stated = find_governorates(context)
        if stated:
            return stated[0].name
        if re.search(r"\bof\s+the\s+governorate\b|\bthe\s+governorate\b", context):
            earlier = find_governorates(paragraph_text[: paragraph_text.find(mention.text)])
            if earlier:
                return earlier[-1].name
    if mention.type_word is None or mention.type_word.lower() == "city":
        own = governorate_name(mention.name) if mention.name.split()[-1][:1].isupper() else None
        if own and re.sub(r"\W", "", mention.name.lower()) in re.sub(
            r"\W", "", own.lower().replace("idleb", "idlib")
        ):
            return own
    # The rest of the sentence: "..., also known as X, in western rural Idlib".
    after = find_governorates(text[mention.end :])
    if after:
        return after[0].name
    return None


def fill_place(
    incident: Incident, mention: PlaceMention, text: str, paragraph_text: str, memory: PlaceMemory
) -> None:
    key = place_key(mention.name)
    incident.place_text = mention.text
    own_context = context_after(text, mention.end)
    stated = _stated_governorate(mention, text, own_context, paragraph_text)
    context = own_context
    if stated is None:
        # What the report said about this place elsewhere ("Al Hawl Camp, in the eastern
        # suburbs of Hasaka"), when this sentence does not locate it itself.
        context = own_context or memory.context.get(key)
        stated = memory.governorate.get(key)
    incident.place_context = context
    if mention.abroad:
        incident.location_precision = "country"
        return
    if stated is None:
        # One governorate named anywhere in the sentence ("attacks in the Idlib region ...
        # near Bab al Hawa border crossing") locates a place the sentence leaves bare.
        named = {g.name for g in find_governorates(text)}
        if len(named) == 1:
            stated = named.pop()
    if stated is None and context:
        # "Mazra'at al Fa'loul, to the east of Jarjanaz town": the town's governorate.
        for inner in find_places(context):
            stated = memory.governorate.get(place_key(inner.name))
            if stated:
                break
    # "the eastern Tadmur suburbs" are located by the town itself, not by its district.
    query = mention.name if (mention.type_word or "").lower() == "suburbs" else mention.text
    resolution = resolve_place(query, " ".join(x for x in (context, stated) if x) or None)
    if not resolution.resolved and context:
        # "Ghwayran Prison in Hasaka city": when the place itself is unknown, the town it is
        # in still locates the incident.
        containing = [m for m in find_places(context) if m.role == "harm"]
        if containing:
            resolution = resolve_place(containing[0].text, stated)
    if not resolution.resolved and (mention.type_word or "").lower().endswith("camp"):
        # A camp the gazetteer does not list is located by the village the text places it
        # at ("... on the outskirts of al-Hamama village").
        for later in find_places(text[mention.end : mention.end + 300]):
            if later.role == "harm" and later.type_word:
                resolution = resolve_place(later.text, stated)
                if resolution.resolved:
                    break
    if (
        resolution.resolved
        and stated
        and resolution.governorate
        and governorate_name(resolution.governorate) not in (None, stated)
    ):
        # The gazetteer picked a namesake in another governorate than the text states.
        resolution = resolve_place(mention.text, stated)
        if resolution.resolved and governorate_name(resolution.governorate) not in (None, stated):
            resolution = replace(resolution, resolved=False)
    governorate = stated or (
        governorate_name(resolution.governorate) if resolution.resolved else None
    )
    if governorate is None:
        anywhere = find_governorates(paragraph_text)
        governorate = anywhere[0].name if anywhere else None
    incident.governorate = governorate
    incident.admin1_pcode = GOVERNORATES.get(governorate) if governorate else None
    if resolution.resolved:
        incident.place_pcode = resolution.pcode
        incident.lat, incident.lon = resolution.lat, resolution.lon
        incident.location_precision = INTERCHANGE_PRECISION.get(
            resolution.location_precision or "", "community"
        )
        if resolution.admin1_pcode and not incident.admin1_pcode:
            incident.admin1_pcode = resolution.admin1_pcode
    else:
        incident.location_precision = "governorate" if governorate else "country"

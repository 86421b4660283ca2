"""Per-source phrase lookups for parties, in the style of zavod lookups.

The party taxonomy (``db/data/parties.json``) holds each party's names and aliases. Report
prose adds phrasing that is not a name: "warplanes we believe were Russian", "gunmen we have
not yet been able to identify", and joint labels that deliberately leave responsibility open
("the Syrian-Russian alliance"), which map to no category at all. Each option lists the
phrases (regular expressions, matched case-insensitively on word boundaries) and the party
code they mean; ``value: None`` records an ambiguous attribution.
"""

from __future__ import annotations

from typing import TypedDict


class LookupOption(TypedDict):
    match: list[str]
    value: str | None


# Options are tried longest-match-first at each position, so a phrase here beats a shorter
# taxonomy alias that starts at the same place ("Syrian-Russian alliance" over "Syrian").
SNHR_PARTY_LOOKUPS: list[LookupOption] = [
    {
        "match": [
            r"Syrian[-/ ]Russian(?:[-/ ]Iranian)?(?:\s+regime)?(?:\s+alliance)?(?:\s+forces)?",
            r"Syrian\s+(?:regime\s+)?(?:and|or|/)\s+Russian\s+(?:forces|warplanes?)",
            r"Syrian\s+or\s+Russian",
        ],
        "value": None,
    },
    {
        "match": [
            r"(?:fixed-wing\s+)?(?:Russian\s+)?warplanes?(?:\s*\([^)]{1,20}\))?\s+(?:we\s+believe\s+"
            r"(?:were|was)|believed\s+to\s+(?:be|have\s+been))\s+Russian",
            r"Russian\s+(?:forces|warplanes?|jets?|air\s+force|aircraft|helicopters?|drones?|troops"
            r"|Hmeimim)",
            r"the\s+Russian\s+Hmeimim\s+military\s+airbase",
        ],
        "value": "russian_forces",
    },
    {
        "match": [
            r"pro-(?:Syrian\s+)?regime\s+Iranian(?:-backed)?\s+militias?",
            r"Iranian(?:-backed)?\s+militias?",
            r"Lebanese\s+Hezbollah(?:\s+militias?)?",
        ],
        "value": "iranian_militias",
    },
    {
        "match": [
            r"(?:fixed-wing\s+)?Syrian\s+regime(?:\s+forces)?(?:\s+artillery(?:\s+forces)?)?"
            r"(?:\s+warplanes?)?",
            r"(?:the\s+)?Syrian\s+regime['’]s\s+[\w\s-]{0,40}?(?:agency|Directorate|forces"
            r"|systems|branch|Branch)",
            r"(?:the\s+)?regime['’]?s?\s+(?:forces|artillery|warplanes?|drones?|detention\s+center|soldiers"
            r"|helicopters?|aircraft|troops|army|militias|tanks?|snipers?|checkpoint)",
            r"pro-(?:Syrian\s+)?(?:regime|government)\s+militias?",
            r"affiliated\s+with\s+the\s+Syrian\s+regime",
        ],
        "value": "syrian_regime",
    },
    {
        "match": [
            r"(?:Kurdish(?:-led)?\s+)?Self[- ]Management\s+forces",
            r"Kurdish-led\s+Syrian\s+Democratic\s+Forces",
            r"SDF\s+(?:personnel|detachment|fighters?|forces)",
            r"the\s+SDF['’]s",
        ],
        "value": "sdf",
    },
    {
        "match": [
            r"(?:the\s+)?(?:US-led\s+|international\s+|anti-ISIS\s+)?[Cc]oalition\s+(?:forces|warplanes?"
            r"|aircraft|airstrikes?|drones?|helicopters?)",
        ],
        "value": "international_coalition",
    },
    {
        "match": [r"Hay['’]?at\s+Tahrir\s+al[- ]Sham"],
        "value": "hts",
    },
    {
        "match": [
            r"(?:all\s+)?armed\s+opposition\s+factions(?:\s*/\s*SNA)?",
            r"(?:the\s+)?Armed\s+Opposition\s*/\s*(?:the\s+)?Syrian\s+National\s+Army",
        ],
        "value": "armed_opposition_sna",
    },
    {
        "match": [r"Turkish\s+(?:army|forces|artillery|warplanes?|drones?|military)"],
        "value": "turkish_forces",
    },
    {
        "match": [
            r"Israeli\s+(?:warplanes?|forces|army|airstrikes?|attacks?|drones?)",
            r"(?:fixed-wing\s+)?Israeli(?:\s+(?:warplanes?|forces|army|airstrikes?|attacks?|drones?))?",
        ],
        "value": "israeli_forces",
    },
    {
        "match": [r"Jordanian\s+(?:air\s+force|army|forces|warplanes?)"],
        "value": "jordanian_forces",
    },
    {
        # Unknown perpetrators; the report's own heading or the weapon refines the kind.
        "match": [
            r"(?:an?\s+)?(?:unknown|unidentified)\s+(?:party|parties|gunmen|persons?|source"
            r"|assailants|attackers|origin)",
            r"(?:gunmen|party|parties|persons)\s+we\s+have\s+(?:not\s+(?:yet\s+)?|so\s+far\s+)?"
            r"been\s+(?:un)?able\s+to\s+identify",
            r"whose\s+(?:source|perpetrators?)\s+we\s+have\s+(?:not\s+(?:yet\s+)?|so\s+far\s+)?"
            r"been\s+(?:un)?able\s+to\s+identify",
            r"(?:of|from)\s+(?:an?\s+)?(?:unknown|unidentified)\s+(?:source|origin|party)",
            r"(?:a\s+)?group\s+of\s+gunmen",
            r"gunmen",
        ],
        "value": "unknown",
    },
]

# Taxonomy aliases too short or too common to scan free prose for; they still resolve
# when a whole force name ("under the control of X") is looked up.
UNSCANNABLE_ALIASES = frozenset(
    {"is", "fire", "regime", "russia", "russian", "drowning", "drowned", "gos", "saa", "the regime"}
)

"""Take people's names out of evidence sentences before they are stored for public use.

Documentation reports name the dead ("the death of a 13-year-old child, Rami Khaled al
Hasan, from ..."). athar keeps those names apart (``restricted.victims``) and stores the
sentence with each name replaced by a placeholder, so the sentence can be shown on a map.

The rules look for a run of capitalised name words (with the particles al, bin, Abu, Umm...)
in a position where the reports put a person: after "the body of", "identified as",
"named", an honorific, or "child,"; or before an apposition (", a 25-year-old", ", a
nurse", ", from"). A run followed by a place word (village, city, camp...) or made of
organisation words (forces, hospital, network...) is left alone. Redacting a place by
mistake costs a little context; missing a name would publish it, so the rules lean that way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from etl.report.dates import MONTH_NAMES, WEEKDAYS

PLACEHOLDER = "[name withheld]"

# Standalone particles only: "as", "at", "an" are English words far more often than articles.
_PARTICLES = {"al", "el", "ibn", "bin", "bint", "abu", "abo", "umm", "abdul", "abd", "bani", "beni"}
_HONORIFICS = {"mr", "mrs", "ms", "miss", "dr", "sheikh", "shaikh", "imam", "father"}
_PLACE_WORDS = {
    "village",
    "villages",
    "town",
    "towns",
    "city",
    "cities",
    "camp",
    "camps",
    "neighborhood",
    "neighbourhood",
    "district",
    "governorate",
    "suburbs",
    "suburb",
    "countryside",
    "area",
    "region",
    "street",
    "road",
    "highway",
    "square",
    "market",
    "hospital",
    "center",
    "centre",
    "prison",
    "airbase",
    "airport",
    "base",
    "checkpoint",
    "crossing",
    "mountain",
    "mount",
    "valley",
    "plain",
    "county",
    "quarter",
    "farm",
    "farms",
    "dam",
    "bridge",
    "school",
    "mosque",
    "university",
    "desert",
    "river",
    "lake",
    "island",
    "province",
    "sub-district",
    "subdistrict",
    "rural",
    "outskirts",
    "refinery",
    "factory",
    "station",
}
_NOT_NAMES = (
    {
        "syrian",
        "syria",
        "russian",
        "russia",
        "iranian",
        "iran",
        "turkish",
        "turkey",
        "iraqi",
        "iraq",
        "jordanian",
        "lebanese",
        "israeli",
        "kurdish",
        "american",
        "arab",
        "regime",
        "forces",
        "force",
        "army",
        "network",
        "human",
        "rights",
        "civil",
        "defense",
        "defence",
        "red",
        "crescent",
        "democratic",
        "national",
        "opposition",
        "coalition",
        "tahrir",
        "sham",
        "hay'at",
        "isis",
        "islamic",
        "state",
        "self-management",
        "snhr",
        "white",
        "helmets",
        "hezbollah",
        "militias",
        "party",
        "police",
        "security",
        "military",
        "intelligence",
        "branch",
        "department",
        "ministry",
        "government",
        "council",
        "united",
        "nations",
        "section",
        "eastern",
        "western",
        "northern",
        "southern",
        "northeastern",
        "northwestern",
        "southeastern",
        "southwestern",
        "ghouta",
        "rural",
        "hospital",
        "medical",
        "center",
        "centre",
        "maternity",
        "surgical",
        "charity",
        "court",
        "sharia",
        "martyr",
        "martyrs",
        "brigade",
        "division",
        "front",
        "jabhat",
        "liwa",
        "faylaq",
        "the",
        "we",
        "he",
        "she",
        "they",
        "it",
        "on",
        "in",
        "at",
        "also",
        "this",
        "that",
        "according",
        "local",
        "sources",
        "source",
        "international",
        "un",
        "unicef",
        "who",
        "what",
        "there",
        "here",
        "these",
        "those",
        "hundreds",
        "thousands",
        "dozens",
        "victims",
        "victim",
        "killed",
        "health",
        "media",
        "workers",
        "worker",
        "personnel",
        "convention",
        "report",
        "reports",
        "annex",
        "table",
        "figure",
        "chapter",
        "part",
        "summary",
        "note",
        "children",
        "women",
        "men",
        "civilians",
        "detainees",
        "however",
        "moreover",
        "since",
    }
    | set(MONTH_NAMES)
    | set(WEEKDAYS)
)
_APPOSITION = re.compile(
    r"^,\s*(?:a|an|aged|age|\d|known|who|one|his|her|the|from|son|daughter|wife|husband|"
    r"mother|father|brother|sister|nicknamed|ms\.?|mr\.?|(?:[a-z][a-z'’\-]+\s+){0,2}"
    r"(?:paramedic|nurse|doctor|physician|surgeon|dentist|pharmacist|driver|volunteer|member|"
    r"worker|activist|journalist|photographer|reporter|teacher|student|farmer|engineer|"
    r"lawyer|officer|rescuer|medic|director|technician|employee|laborer|labourer|shepherd|"
    r"merchant|imam|person|refugee|civilian|child|boy|girl|woman|man|resident|detainee)\b)",
    re.IGNORECASE,
)
_TRIGGERS_BEFORE = re.compile(
    r"(?:body of|bodies of|identified as|named|death of|deaths of|killing of|killed|"
    r"child,|children,|boys?,|girls?,|woman,|women,|man,|men,|civilians?,|son,|sons,|daughters?,|"
    r"wife,|husband,|brothers?,|"
    r"sister,|mother,|father,|victim,|paramedic,|nurse,|doctor,|volunteer,|member,|"
    r"infant,|baby,|toddler,|relatives?,)\s*(?:(?:\d+|[a-z]+)-(?:year|month)-old\s+)?$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F'’\-]+\.?")


@dataclass(frozen=True)
class Redaction:
    text: str
    names: tuple[str, ...]


def _is_name_token(token: str) -> bool:
    bare = token.rstrip(".")
    lower = bare.lower()
    if lower in _PARTICLES or _ARTICLE_PREFIXED.match(bare):
        return True
    return bare[:1].isupper() and lower not in _NOT_NAMES and lower not in _PLACE_WORDS


def _runs(text: str) -> list[tuple[int, int]]:
    """Spans of consecutive name-like tokens (separated by single spaces)."""
    runs: list[tuple[int, int]] = []
    start = end = -1
    for match in _TOKEN.finditer(text):
        token = match.group()
        contiguous = end >= 0 and text[end : match.start()] == " "
        if _is_name_token(token) and (contiguous or start < 0):
            if start < 0:
                start = match.start()
            end = match.end() - (1 if token.endswith(".") and len(token) > 2 else 0)
            continue
        if start >= 0:
            runs.append((start, end))
        start = end = -1
        if _is_name_token(token):
            start, end = match.start(), match.end()
    if start >= 0:
        runs.append((start, end))
    return runs


_ARTICLE_PREFIXED = re.compile(r"^(?:al|el|as|ash|ad|ar|at|az|an)[-’'][A-Z]")


# Particles that make a name of the next word ("Abdul Samad", "Umm Ahmad", "Abu Khaled").
_NAME_FORMING = {"abdul", "abd", "abu", "abo", "umm", "bin", "ibn", "bint"}


def _capitalised_words(run: str) -> list[str]:
    return [
        w
        for w in run.split()
        if (w[:1].isupper() and w.lower() not in _PARTICLES)
        or _ARTICLE_PREFIXED.match(w)
        or w.lower() in _NAME_FORMING
    ]


def _previous_word(text: str, start: int) -> str:
    before = text[:start].rstrip()
    match = re.search(r"([A-Za-z]+)\.?$", before)
    return match.group(1).lower() if match else ""


def _looks_like_person(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    words = _capitalised_words(run)
    if not words:
        return False
    after = text[end:]
    next_word = re.match(r"\s+([A-Za-z\-]+)", after)
    if next_word and next_word.group(1).lower() in _PLACE_WORDS:
        return False
    previous = _previous_word(text, start)
    if previous in {"in", "near", "at", "to", "toward", "towards", "into", "of"} and not (
        _TRIGGERS_BEFORE.search(text[:start])
    ):
        # "in Kafr Nobol", "near al Bab": a place, unless a person-trigger precedes.
        return False
    honorific = previous in _HONORIFICS
    triggered = bool(_TRIGGERS_BEFORE.search(text[:start])) or honorific
    apposition = bool(_APPOSITION.match(after))
    sentence_start = not text[:start].strip() or text[:start].rstrip().endswith((".", ";", ":"))
    # "... confirming that Rami had died": a name as the subject of what befell a person.
    subject = (previous == "that" or sentence_start) and bool(
        re.match(r"\s+(?:was|had|has|died|is|who)\b", after)
    )
    if len(words) >= 2:
        return (
            triggered
            or apposition
            or subject
            or (sentence_start and after.lstrip().startswith(","))
        )
    # A single given name ("that Rami had died") only after an explicit trigger.
    return honorific or subject or (triggered and (apposition or after[:1] in {",", " "}))


def redact_names(text: str | None) -> Redaction:
    """``text`` with people's names replaced by a placeholder, and the names removed."""
    if not text:
        return Redaction(text or "", ())
    pieces: list[str] = []
    names: list[str] = []
    cursor = 0
    for start, end in _runs(text):
        if not _looks_like_person(text, start, end):
            continue
        pieces.append(text[cursor:start])
        pieces.append(PLACEHOLDER)
        names.append(text[start:end])
        cursor = end
    pieces.append(text[cursor:])
    return Redaction("".join(pieces), tuple(names))

"""Phrase tables: weapons, attacked facilities, victims' professions.

Each table is an ordered list of (code, pattern); the first code whose pattern occurs wins,
so more specific phrases come first ("missiles loaded with cluster munitions" is a cluster
munition before it is a missile; warplanes firing missiles is an airstrike).
"""

from __future__ import annotations

import re

Table = list[tuple[str, re.Pattern[str]]]


def _table(rows: list[tuple[str, str]]) -> Table:
    return [(code, re.compile(pattern, re.IGNORECASE)) for code, pattern in rows]


WEAPONS: Table = _table(
    [
        (
            "torture",
            r"\btortur(?:e|ed)\b|\bdied\s+(?:in|inside)\s+(?:a\s+|an\s+)?(?:\w+\s+){0,3}"
            r"(?:detention|prison)|\bdetention\s+(?:center|centre|facility)\b|\bPrison\b",
        ),
        ("drowning", r"\bdrown(?:ed|ing)?\b|\bboat\s+capsized\b|\bcapsized\b"),
        ("cluster_munition", r"\bcluster\b|\bsubmunitions?\b"),
        (
            "landmine",
            r"\bland[- ]?mines?\b|\bmine\s+(?:exploded|explosion)"
            r"|\bexplosion\s+of\s+a\s+mine\b",
        ),
        (
            "erw",
            r"\bwar\s+remnants?\b|\bremnants?\s+of\s+war\b|\bunexploded\s+(?:ordnance|munition)"
            r"|\bERW\b",
        ),
        ("car_bomb", r"\bcar\s+bomb\b|\bbooby[- ]trapped\s+(?:car|vehicle)\b|\bVBIED\b"),
        (
            "ied",
            r"\bIEDs?\b|\bimprovised\s+explosive\b|\bexplosive\s+device\b"
            r"|\brigged\b[^.]{0,40}\bexplosives\b|\bbooby[- ]trapped\b",
        ),
        (
            "airstrike",
            r"\bwarplanes?\b|\bair\s?strikes?\b|\baerial\s+(?:bombardment|attack|raid)s?\b"
            r"|\bhelicopters?\b|\bbarrel\s+bombs?\b|\bair\s+raids?\b|\bdrone\s+strikes?\b",
        ),
        ("rocket", r"\brockets?\b|\brocket\s+launchers?\b|\bGrad\b"),
        ("missile", r"\bmissiles?\b"),
        (
            "artillery",
            r"\bartillery\b|\bmortars?\b|\bshell(?:s|ing|ed)?\b|\bKrasnopol\b|\bShilkas?\b"
            r"|\btank\s+fire\b",
        ),
        (
            "airstrike",
            r"\b(?:suicide|kamikaze|armed|combat)\s+drones?\b|\bdrones?\s+(?:strike|attack)",
        ),
        (
            "gunfire",
            r"\bshot\s+dead\b|\bgunshots?\b|\bgunfire\b|\bgunmen\b|\bsnipers?\b|\bshooting\b"
            r"|\bshot\b|\bbullets?\b|\bopened\s+fire\b|\bmachine[- ]guns?\b",
        ),
        ("fire", r"\bfire\s+broke\s+out\b|\bburned\s+to\s+death\b|\bcaught\s+fire\b"),
        (
            "other",
            r"\bexplosives\s+used\b|\bdetonation\s+of\s+explosives\b|\bstabb(?:ed|ing)\b"
            r"|\bbeaten\s+to\s+death\b|\bhand\s+grenades?\b",
        ),
    ]
)

# A facility counts when it is what the attack hit: "fired a shell at the mental hospital",
# "near an ambulance belonging to", "targeted al-Masbah IDPs Camp".
FACILITIES: Table = _table(
    [
        ("red_crescent", r"\bRed\s+Crescent\b"),
        (
            "civil_defense_center",
            r"\bcivil\s+defen[cs]e['’]?s?\s+(?:center|centre)\b"
            r"|\bWhite\s+Helmets['’]?\s+(?:\w+\s+){0,2}(?:center|centre)\b",
        ),
        ("ambulance", r"\bambulances?\b(?!\s+(?:department|driver|service))"),
        (
            "medical_point",
            r"\bmedical\s+(?:center|centre|point|clinic|complex)\b|\bclinic\b"
            r"|\bhealth\s+(?:center|centre)\b|\bMedical\s+and\s+Charity\s+Center\b",
        ),
        ("hospital", r"\bhospital\b"),
        ("school", r"\bschools?\b|\bkindergarten\b|\buniversity\b"),
        ("mosque", r"\bmosques?\b"),
        ("market", r"\bmarkets?\b|\bbazaar\b|\bsouq\b"),
        ("camp", r"\bIDPs?\s+camps?\b|\bcamp\b|\btents?\s+for\s+IDPs\b"),
        (
            "other",
            r"\bburners?\b|\bbakery\b|\bchurch\b|\bwater\s+station\b|\bborder\s+crossing\b"
            r"|\bpower\s+station\b",
        ),
    ]
)

VICTIM_CATEGORIES: Table = _table(
    [
        (
            "medical",
            r"\b(?:doctor|physician|surgeon|nurse|paramedic|pharmacist|dentist|internist"
            r"|cardiologist|midwife|anesthetist|ambulance\s+driver|medic"
            r"|medical\s+(?:worker|personnel|staff\s+member|student|volunteer)"
            r"|student\s+at\s+the\s+Medical\s+Institute|general\s+practitioner)s?\b",
        ),
        (
            "civil_defense",
            r"\bcivil\s+defen[cs]e\s+(?:member|personnel|worker|volunteer)s?\b"
            r"|\brescue\s+workers?\b"
            r"|\bworks\s+at\s+the\s+civil\s+defen[cs]e|\bWhite\s+Helmets\)?\s+volunteer"
            r"|\bCivil\s+Defen[cs]e\s+\(White\s+Helmets\)\s+volunteer",
        ),
        (
            "media",
            r"\b(?:media\s+(?:worker|activist)|journalist|reporter|photographer|correspondent"
            r"|cameraman)s?\b",
        ),
        ("aid_worker", r"\b(?:aid|relief|humanitarian)\s+workers?\b"),
    ]
)


def first_code(table: Table, text: str) -> tuple[str, int] | None:
    """The code of the earliest-placed match in ``text`` (ties go to table order)."""
    best: tuple[int, int, str] | None = None
    for rank, (code, pattern) in enumerate(table):
        match = pattern.search(text)
        if match and (best is None or (match.start(), rank) < (best[0], best[1])):
            best = (match.start(), rank, code)
    return (best[2], best[0]) if best else None


def first_in_order(table: Table, text: str) -> str | None:
    """The first code in table order whose pattern occurs anywhere in ``text``."""
    for code, pattern in table:
        if pattern.search(text):
            return code
    return None


def all_codes(table: Table, text: str) -> list[str]:
    return [code for code, pattern in table if pattern.search(text)]

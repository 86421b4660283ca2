"""Closed vocabularies of the interchange format, shared by schema checks, parsers and the API.

Parties are deliberately not here: they are data (``db/data/parties.json`` and the
``parties`` table) so that a new armed group needs no code change.
"""

from __future__ import annotations

DATE_PRECISIONS = ("day", "month", "year")

LOCATION_PRECISIONS = (
    "exact",
    "community",
    "neighbourhood",
    "camp",
    "subdistrict",
    "district",
    "governorate",
    "country",
)

WEAPONS = (
    "landmine",
    "erw",
    "airstrike",
    "artillery",
    "rocket",
    "missile",
    "cluster_munition",
    "gunfire",
    "ied",
    "car_bomb",
    "torture",
    "drowning",
    "fire",
    "other",
)

FACILITIES = (
    "hospital",
    "medical_point",
    "ambulance",
    "civil_defense_center",
    "red_crescent",
    "school",
    "mosque",
    "market",
    "camp",
    "other",
)

VICTIM_CATEGORIES = ("medical", "civil_defense", "media", "aid_worker")

PLACE_KINDS = ("community", "neighbourhood", "camp", "landmark", "settlement")

NAME_KINDS = ("official", "alternate", "transliteration", "historic", "abbreviation", "editor")

INCIDENT_STATUSES = ("published", "review", "retracted")

CONTROL_METHODS = ("zone", "observation", "as_reported")

HAZARD_TYPES = ("suspected", "confirmed")

HAZARD_STATUSES = ("active", "in_progress", "closed", "cancelled")

CONTAMINATION_TYPES = ("mine", "erw", "ied", "cluster_munition", "uxo", "other")

SOURCE_KINDS = (
    "report",
    "csv",
    "geojson",
    "acled",
    "zones",
    "hazards",
    "manual",
    "sample",
    "synthetic",
)

REVIEW_STATUSES = ("open", "resolved", "dismissed")

API_ROLES = ("partner", "editor", "admin")


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK clause limiting ``column`` to ``values`` (constants only, never user input)."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def sql_array_subset(column: str, values: tuple[str, ...]) -> str:
    """A CHECK clause requiring every element of the text[] ``column`` to be in ``values``."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} <@ ARRAY[{quoted}]::text[]"

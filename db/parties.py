"""The party taxonomy (perpetrators and controlling forces), read from bundled data.

The same file seeds the ``parties`` and ``party_aliases`` tables, so code that has no
database (the report parser, the offline gazetteer) and code that has one agree on codes.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def alias_key(text: str) -> str:
    """Fold an alias for lookup: case, accents, apostrophes and punctuation do not count."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


@dataclass(frozen=True)
class Party:
    code: str
    parent: str | None
    name_en: str
    name_ar: str
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def category(self) -> str:
        """The top-level category: the party itself, or its parent for a subcategory."""
        return self.parent or self.code


@dataclass(frozen=True)
class PartyTaxonomy:
    parties: dict[str, Party]
    by_alias: dict[str, str]

    def lookup(self, text: str) -> Party | None:
        """The party an alias names exactly (after folding), or None."""
        code = self.by_alias.get(alias_key(text))
        return self.parties.get(code) if code else None

    def __contains__(self, code: object) -> bool:
        return code in self.parties


def taxonomy_from_json(document: dict[str, object]) -> PartyTaxonomy:
    parties: dict[str, Party] = {}
    by_alias: dict[str, str] = {}
    raw_parties = document["parties"]
    assert isinstance(raw_parties, list)
    for raw in raw_parties:
        party = Party(
            code=raw["code"],
            parent=raw.get("parent"),
            name_en=raw["name_en"],
            name_ar=raw["name_ar"],
            aliases=tuple(raw.get("aliases", ())),
        )
        parties[party.code] = party
        for alias in (party.code, party.name_en, party.name_ar, *party.aliases):
            # First writer wins so an ambiguous short alias keeps its first, documented owner.
            by_alias.setdefault(alias_key(alias), party.code)
    for party in parties.values():
        if party.parent is not None and party.parent not in parties:
            raise ValueError(f"party {party.code!r} names unknown parent {party.parent!r}")
    return PartyTaxonomy(parties=parties, by_alias=by_alias)


@cache
def load_party_taxonomy() -> PartyTaxonomy:
    """The bundled taxonomy (``db/data/parties.json``), parsed once per process."""
    text = resources.files("db").joinpath("data/parties.json").read_text(encoding="utf-8")
    return taxonomy_from_json(json.loads(text))

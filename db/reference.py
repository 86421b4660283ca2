"""Reference data that every database needs: the party taxonomy (idempotent upserts)."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.models import Party, PartyAlias
from db.parties import PartyTaxonomy, alias_key

TAXONOMY_SOURCE = "athar party taxonomy"


def sync_parties(session: Session, taxonomy: PartyTaxonomy) -> int:
    """Insert or update every party of ``taxonomy`` and its aliases; returns the party count.

    Parties added by editors (not in the bundled file) are left alone; aliases that came from
    the bundled file and are no longer in it are removed.
    """
    # Parents first, so the self-referencing foreign key is satisfied row by row.
    ordered = sorted(taxonomy.parties.values(), key=lambda p: p.parent is not None)
    for party in ordered:
        statement = insert(Party).values(
            code=party.code, parent_code=party.parent, name_en=party.name_en, name_ar=party.name_ar
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[Party.code],
                set_={
                    "parent_code": statement.excluded.parent_code,
                    "name_en": statement.excluded.name_en,
                    "name_ar": statement.excluded.name_ar,
                },
            )
        )
    wanted = {
        (party.code, alias_key(alias)): alias
        for party in taxonomy.parties.values()
        for alias in (party.name_en, party.name_ar, *party.aliases)
        if alias_key(alias)
    }
    existing = {
        (code, key)
        for code, key in session.execute(
            select(PartyAlias.party_code, PartyAlias.key).where(
                PartyAlias.source == TAXONOMY_SOURCE
            )
        )
    }
    for code, key in existing - wanted.keys():
        session.execute(
            delete(PartyAlias).where(PartyAlias.party_code == code, PartyAlias.key == key)
        )
    rows = [
        {"party_code": code, "key": key, "alias": alias, "source": TAXONOMY_SOURCE}
        for (code, key), alias in wanted.items()
    ]
    if rows:
        session.execute(
            insert(PartyAlias)
            .values(rows)
            .on_conflict_do_nothing(index_elements=[PartyAlias.party_code, PartyAlias.key])
        )
    return len(taxonomy.parties)

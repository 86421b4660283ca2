"""Editors' additions live in PostGIS, survive a gazetteer reload and reach the resolver."""

from __future__ import annotations

import pytest
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from db.models import GeocodeCache, Place, PlaceName
from gazetteer import Gazetteer, Resolver
from gazetteer.cache import PostgisGeocodeCache
from gazetteer.dbload import load_gazetteer
from gazetteer.editor import AdditionError, add_alias, add_place, merge_additions
from gazetteer.geocoder import AtharGeocoder


@pytest.fixture
def session(gazetteer_loaded: Engine, db_session: Session) -> Session:
    return db_session


def test_additions_survive_reload_and_resolve(session: Session) -> None:
    camp = add_place(
        session,
        name="Test Olive Grove Camp",
        kind="camp",
        lat=36.2,
        lon=36.7,
        source="field visit",
        added_by="tester",
    )
    add_alias(session, target="C1007", alias="Halab Testiyya", source="usage", added_by="tester")
    add_alias(session, target="SY07", alias="Idlib Testland", source="usage", added_by="tester")
    load_gazetteer(session, force=True)
    assert session.get(Place, camp.id) is not None
    editor_names = session.scalar(
        select(func.count()).select_from(PlaceName).where(PlaceName.name_kind == "editor")
    )
    assert editor_names == 3

    gazetteer = Gazetteer.load()
    assert merge_additions(session, gazetteer) == 3
    resolver = Resolver(gazetteer)
    assert resolver.resolve("Test Olive Grove Camp").admin1_pcode == "SY07"
    assert resolver.resolve("Halab Testiyya").pcode == "C1007"
    assert resolver.resolve("Idlib Testland").admin1_pcode == "SY07"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "X", "kind": "camp", "lat": 36.0, "lon": 36.6, "source": " "}, "source"),
        ({"name": "X", "kind": "palace", "lat": 36.0, "lon": 36.6, "source": "s"}, "kind"),
        ({"name": "X", "kind": "camp", "lat": 36.6, "lon": 12.0, "source": "s"}, "Syria"),
    ],
)
def test_bad_places_are_refused(session: Session, fields: dict[str, object], message: str) -> None:
    with pytest.raises(AdditionError, match=message):
        add_place(session, added_by="tester", **fields)  # type: ignore[arg-type]


def test_alias_for_unknown_target_is_refused(session: Session) -> None:
    with pytest.raises(AdditionError, match="no place"):
        add_alias(session, target="C999999", alias="x y", source="s", added_by="t")


class _OnlineStandIn(Geocoder):
    """An online geocoder's stand-in: answers one query and counts calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def geocode(self, query: str, exactly_one: bool = True, **kwargs: object) -> Location | None:
        self.calls += 1
        return Location("Far Away Farm, Syria", (34.5, 38.5), {"query": query})


def test_fallback_answers_are_cached_in_postgis(session: Session) -> None:
    sessions = sessionmaker(bind=session.connection(), join_transaction_mode="create_savepoint")
    online = _OnlineStandIn()
    cache = PostgisGeocodeCache(sessions, provider="stand-in")
    geocoder = AtharGeocoder(fallback=online, cache=cache)
    first = geocoder.geocode("Zzyzx Unknown Hamlet")
    second = AtharGeocoder(fallback=online, cache=cache).geocode("Zzyzx Unknown Hamlet")
    assert isinstance(first, Location) and isinstance(second, Location)
    assert (second.latitude, second.longitude) == (34.5, 38.5)
    assert online.calls == 1
    stored = session.scalar(select(func.count()).select_from(GeocodeCache))
    assert stored == 1

"""A Resolver over a hand-made Gazetteer, and merging editors' additions into it."""

from __future__ import annotations

import pytest

from gazetteer import Addition, AdminUnit, Gazetteer, Place, Resolver


def _tiny() -> Gazetteer:
    admins = [
        AdminUnit("SY", 0, "Syrian Arab Republic", None, None, None, 35.0, 38.5, 35.0, 38.5, 300.0),
        AdminUnit(
            "SY07", 1, "Idleb", "إدلب", None, None, 35.8, 36.6, 35.8, 36.6, 40.0, names=("Idlib",)
        ),
        AdminUnit("SY05", 1, "Hama", "حماة", None, None, 35.2, 36.9, 35.2, 37.3, 50.0),
        AdminUnit("SY0700", 2, "Idleb", "إدلب", "SY07", None, 35.9, 36.6, 35.9, 36.6, 15.0),
        AdminUnit("SY0500", 2, "Hama", "حماة", "SY05", None, 35.1, 36.7, 35.1, 36.8, 20.0),
        AdminUnit("SY070000", 3, "Idleb", "إدلب", "SY07", "SY0700", 35.9, 36.6, 35.9, 36.6, 8.0),
        AdminUnit("SY050000", 3, "Hama", "حماة", "SY05", "SY0500", 35.1, 36.7, 35.1, 36.7, 8.0),
    ]
    places = [
        Place(
            "C9001",
            "community",
            "Tal Tuqan",
            35.90,
            36.70,
            "SY07",
            "SY0700",
            "SY070000",
            pcode="C9001",
            name_ar="تل طوقان",
        ),
        Place(
            "C9002",
            "community",
            "Tal Tuqan",
            35.20,
            37.40,
            "SY05",
            "SY0500",
            "SY050000",
            pcode="C9002",
        ),
        Place(
            "C9003",
            "community",
            "Kafr Zeita",
            35.37,
            36.60,
            "SY05",
            "SY0500",
            "SY050000",
            pcode="C9003",
        ),
    ]
    return Gazetteer.from_records(admins, places)


def test_fixture_resolver_uses_context() -> None:
    resolver = Resolver(_tiny())
    assert resolver.resolve("Tell Toqan", "Idlib governorate").pcode == "C9001"
    assert resolver.resolve("Tal Tuqan village", "eastern rural Hama").pcode == "C9002"
    assert resolver.resolve("Kafr Zita city").pcode == "C9003"
    assert not resolver.resolve("Saraqeb").resolved


def test_alias_addition_is_picked_up() -> None:
    gazetteer = _tiny()
    resolver = Resolver(gazetteer)
    assert not resolver.resolve("Abu Dhuhur junction").resolved
    gazetteer.add_alias("C9003", "Abu Dhuhur junction", source="editor:test")
    result = resolver.resolve("Abu Dhuhur junction")
    assert result.resolved and result.pcode == "C9003"
    assert gazetteer.additions[-1] == Addition(
        "alias", "C9003", "Abu Dhuhur junction", "editor:test"
    )


def test_place_addition_is_picked_up() -> None:
    gazetteer = _tiny()
    resolver = Resolver(gazetteer)
    new = Place(
        "E0001",
        "landmark",
        "Zawiya Dam",
        35.55,
        36.50,
        "SY07",
        "SY0700",
        "SY070000",
        source="editor:test",
    )
    gazetteer.add_place(new)
    result = resolver.resolve("Zawiya Dam")
    assert result.resolved
    assert result.pcode == "E0001"
    assert result.location_precision == "exact"
    with pytest.raises(ValueError):
        gazetteer.add_place(new)


def test_alias_for_unknown_target_is_an_error() -> None:
    with pytest.raises(KeyError):
        _tiny().add_alias("C0000", "Nowhere")
    with pytest.raises(ValueError):
        _tiny().add_alias("C9001", "   ")


def test_bundled_place_addition_gets_admin_codes_from_polygons() -> None:
    gazetteer = Gazetteer.load()
    placed = gazetteer.add_place(
        Place("E0002", "landmark", "Test Point", 35.9290, 36.6353, None, None, None)
    )
    assert placed.adm1 == "SY07"
    assert placed.adm3 is not None and placed.adm3.startswith("SY07")


def test_contained_name_only_when_unique_in_governorate() -> None:
    gazetteer = _tiny()
    gazetteer.add_place(
        Place(
            "C9004",
            "community",
            "Mesamir Arab",
            35.30,
            37.00,
            "SY05",
            "SY0500",
            "SY050000",
            pcode="C9004",
        )
    )
    resolver = Resolver(gazetteer)
    found = resolver.resolve("Mesamir", "Hama")
    assert found.pcode == "C9004"
    assert "occur only in" in found.reason
    assert not resolver.resolve("Mesamir").resolved  # no governorate, no guess
    gazetteer.add_place(
        Place(
            "C9005",
            "community",
            "Mesamir Kurd",
            35.00,
            37.60,
            "SY05",
            "SY0500",
            "SY050000",
            pcode="C9005",
        )
    )
    assert not resolver.resolve("Mesamir", "Hama").resolved  # two far apart: ambiguous

"""Resolver behaviour on the bundled data: hard spellings, context, camps, admin names."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazetteer import Resolution, Resolver, resolve, reverse
from gazetteer.geo import haversine_km


def _near(result: Resolution, lat: float, lon: float, km: float = 5.0) -> bool:
    assert result.lat is not None and result.lon is not None
    return haversine_km(result.lat, result.lon, lat, lon) <= km


@pytest.mark.parametrize(
    ("name", "pcode", "admin1"),
    [
        ("Ma'aret al Numan", "C3985", "SY07"),
        ("Ma'arrat al-Nu'man", "C3985", "SY07"),
        ("Maarat an-Numan", "C3985", "SY07"),
        ("Maarrat An Numan", "C3985", "SY07"),
        ("Deir Ez-Zour", "C5086", "SY09"),
        ("Dayr az Zawr", "C5086", "SY09"),
        ("Deir-ez-Zor", "C5086", "SY09"),
        ("Izaz", "C1564", "SY02"),
        ("A'zaz", "C1564", "SY02"),
        ("Saraqab", "C3916", "SY07"),
        ("Saraqeb city", "C3916", "SY07"),
        ("Kafr Nobol", "C4068", "SY07"),
        ("Jisr Al Shughur", "C4199", "SY07"),
        ("Tal Rifaat", "C1621", "SY02"),
        ("Ain Issa", "C5905", "SY11"),
        ("Hajin", "C5175", "SY09"),
        ("Al Bab", "C1202", "SY02"),
        ("al-Bab city", "C1202", "SY02"),
        ("Ariha", "C4278", "SY07"),
        ("Douma city", "C2338", "SY03"),
        ("Damascus", "C1001", "SY01"),
        ("Tadmur", "C2889", "SY04"),
    ],
)
def test_hard_spellings(name: str, pcode: str, admin1: str) -> None:
    result = resolve(name)
    assert result.resolved, result.reason
    assert result.pcode == pcode
    assert result.admin1_pcode == admin1
    assert result.location_precision == "community"
    assert 0.0 <= result.score <= 1.0


def test_resolution_fields_and_admin_names() -> None:
    result = resolve("Maarat an-Numan")
    assert result.name == "Ma'arrat An Nu'man"
    assert result.name_ar == "معرة النعمان"
    assert result.kind == "community"
    assert result.admin1_name == "Idleb"
    assert result.admin2_pcode == "SY0702"
    assert result.admin3_pcode is not None and result.admin3_pcode.startswith("SY0702")
    assert _near(result, 35.6476, 36.6766, 0.5)
    as_dict = result.to_dict()
    assert as_dict["pcode"] == "C3985"
    assert isinstance(as_dict["candidates"], list)


def test_ocha_admin_names_in_output() -> None:
    assert resolve("Daraa city").admin1_name == "Dar'a"
    assert resolve("Deir Ez-Zour city").admin1_name == "Deir-ez-Zor"
    assert resolve("Douma").admin1_name == "Rural Damascus"


@pytest.mark.parametrize(
    ("name", "pcode"),
    [
        ("معرة النعمان", "C3985"),
        ("الباب", "C1202"),
        ("إدلب", "C3871"),
        ("سراقب", "C3916"),
        ("مَعَرَّة النُّعْمان", "C3985"),
    ],
)
def test_arabic_script_queries(name: str, pcode: str) -> None:
    result = resolve(name)
    assert result.resolved
    assert result.pcode == pcode


# Real OCHA namesakes: "Mansura" is a community in six governorates, "Jaberiyeh" in three.
@pytest.mark.parametrize(
    ("name", "context", "pcode", "admin1"),
    [
        ("Mansura", "Ar-Raqqa governorate", "C5942", "SY11"),
        ("al Mansoura village", "western rural Hama", "C3160", "SY05"),
        ("Mansura", "Rural Damascus", "C2364", "SY03"),
        ("Mansura", "Tartous", "C5420", "SY10"),
        ("Mansura", "Al-Hasakeh", "C4824", "SY08"),
        ("Jaberiyeh", "Idlib governorate", "C4016", "SY07"),
        ("Jaberiyeh", "eastern rural Aleppo", "C1282", "SY02"),
        ("Sheikh Ali", "Homs governorate", "C2770", "SY04"),
        ("Sheikh Ali", "Aleppo", "C1031", "SY02"),
        ("Kafir", "Jisr al-Shughur, Idlib", "C4205", "SY07"),
        ("Kafir", "Afrin, Aleppo", "C1390", "SY02"),
    ],
)
def test_context_picks_between_namesakes(name: str, context: str, pcode: str, admin1: str) -> None:
    result = resolve(name, context)
    assert result.resolved, result.reason
    assert result.pcode == pcode, result.reason
    assert result.admin1_pcode == admin1


def test_namesake_in_other_governorate_is_not_forced() -> None:
    # No "Tal Ahmar" in Quneitra: better unresolved than a point in the wrong governorate.
    result = resolve("Tal Ahmar", "Quneitra governorate")
    assert not result.resolved or result.admin1_pcode == "SY14"


def test_direction_words_choose_the_eastern_namesake() -> None:
    east = resolve("al Emayya village", "eastern suburbs of Hama governorate")
    assert east.pcode == "C3278"
    assert east.admin1_pcode == "SY05"


def test_anchor_between_two_villages() -> None:
    result = resolve("al Fatira village", "between Kensafra village and al Fatira village")
    assert result.resolved
    kensafra = resolve("Kensafra")
    assert kensafra.pcode == "C4309"
    assert _near(result, kensafra.lat or 0, kensafra.lon or 0, 10)


def test_anchor_near_town() -> None:
    result = resolve("Tarhin village", "near al Bab city, eastern suburbs of Aleppo governorate")
    assert result.pcode == "C1345"


def test_neighbourhood_in_city() -> None:
    result = resolve("al-Mazza neighborhood", "known as Villat Gharbiya, in Damascus")
    assert result.kind == "neighbourhood"
    assert result.pcode == "N0076"
    assert result.location_precision == "neighbourhood"


def test_neighbourhood_missing_falls_back_to_its_city() -> None:
    result = resolve(
        "al Shamali neighborhood", "Ma'aret al Nu'man city, southern suburbs of Idlib governorate"
    )
    assert result.resolved
    assert result.pcode == "C3985"
    assert result.location_precision == "community"
    assert "neighbourhood not in gazetteer" in result.reason


def test_known_camp_with_coordinates() -> None:
    result = resolve("al Hawl Camp", "eastern suburbs of Hasaka")
    assert result.kind == "camp"
    assert result.location_precision == "camp"
    assert result.admin1_pcode == "SY08"
    assert _near(result, 36.3756, 41.1486, 1.0)


def test_camp_not_in_gazetteer_is_anchored_to_town() -> None:
    result = resolve("Sa'ed IDP camp", "near Kelli town in the northern suburbs of Idlib")
    assert result.resolved
    assert result.pcode == "C3949"
    assert result.location_precision == "community"
    assert result.reason.startswith("camp not in gazetteer; anchored to town")


def test_camps_without_own_point_say_where_they_are() -> None:
    roj = resolve("Roj Camp", "Al-Hasakeh")
    assert roj.kind == "camp" and roj.location_precision == "district"
    assert roj.admin2_pcode == "SY0803"
    assert "district Al-Malikeyyeh" in roj.reason
    qah = resolve("Qah Camp")
    assert qah.pcode == "C4131" and qah.location_precision == "community"


def test_facility_resolves_to_its_town() -> None:
    result = resolve("Sednaya Military Prison", "Rural Damascus governorate")
    assert result.pcode == "C2404"
    ghwayran = resolve("Ghwayran Prison", "an SDF prison in Hasaka city")
    assert ghwayran.pcode == "C4360"


@pytest.mark.parametrize(
    ("name", "pcode", "precision"),
    [
        ("Idlib governorate", "SY07", "governorate"),
        ("Daraa governorate", "SY12", "governorate"),
        ("Ariha district", "SY0705", "district"),
        ("Jabal al-Zawiya", "SY070501", "subdistrict"),
        ("Rural Damascus", "SY03", "governorate"),
        ("Rif Dimashq", "SY03", "governorate"),
        ("Jneidres county", "SY020302", "subdistrict"),
        ("Deir Ez-Zour governorate", "SY09", "governorate"),
        ("Raqqa governorate", "SY11", "governorate"),
        ("Eastern Ghouta", "SY0302", "district"),
        ("Sahl al-Ghab", "SY0502", "district"),
    ],
)
def test_admin_only_names(name: str, pcode: str, precision: str) -> None:
    result = resolve(name)
    assert result.resolved
    assert result.pcode == pcode
    assert result.location_precision == precision
    assert result.lat is not None
    assert result.admin1_pcode == pcode[:4]


@pytest.mark.parametrize(
    "name",
    ["Xyzzyqwv", "Libyan coast", "Atlantis village", "", "   ", "🙂🙂", "Springfield"],
)
def test_unknown_names_are_not_resolved(name: str) -> None:
    result = resolve(name)
    assert not result.resolved
    assert result.lat is None and result.lon is None and result.pcode is None


@pytest.mark.parametrize(
    ("name", "pcode"),
    [
        ("rural Idlib", "SY07"),
        ("Hama countryside", "SY05"),
        ("Ariha countryside", "SY0705"),
        ("eastern rural Hama", "SY05"),
        ("northern Aleppo countryside", "SY02"),
        ("Daraa suburbs", "SY12"),
    ],
)
def test_surroundings_resolve_to_the_unit(name: str, pcode: str) -> None:
    result = resolve(name)
    assert result.pcode == pcode
    assert result.location_precision in ("governorate", "district")


def test_country_name() -> None:
    for name in ("Syria", "سوريا"):
        result = resolve(name)
        assert result.pcode == "SY"
        assert result.location_precision == "country"
        assert result.admin1_pcode is None
    # Same consonant skeleton as "Syria", but a village: never the country.
    assert resolve("al-Sayer", "Ar-Raqqa").pcode != "SY"


def test_reverse_lookup() -> None:
    result = reverse(35.8611, 36.8061)
    assert result.resolved
    assert result.pcode == "C3916"
    assert result.admin1_pcode == "SY07"
    assert result.admin3_name is not None
    assert not reverse(48.85, 2.35).resolved  # Paris
    assert not reverse(float("nan"), 36.0).resolved


def test_resolver_is_cached_and_consistent(resolver: Resolver) -> None:
    assert resolver.resolve("Saraqeb") == resolver.resolve("Saraqeb")


_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40) | st.sampled_from(
    [
        "camp",
        "city",
        "Idlib",
        "near",
        "between and",
        "(",
        "a - b",
        "x/y",
        "known as",
        "ريف",
        "مخيم",
        "eastern suburbs of",
        "Damascus suburbs",
        "al al al",
        "🙂",
    ]
)


@settings(max_examples=250, deadline=None)
@given(_TEXT, st.none() | _TEXT)
def test_resolve_never_raises_and_is_consistent(name: str, context: str | None) -> None:
    result = resolve(name, context)
    assert 0.0 <= result.score <= 1.0
    if result.resolved:
        assert result.lat is not None and result.lon is not None
        assert result.location_precision is not None
        assert result.admin1_pcode is None or result.admin1_pcode.startswith("SY")
    else:
        assert result.lat is None and result.pcode is None

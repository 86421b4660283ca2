"""People's names are taken out of evidence sentences; places and parties stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.redact import PLACEHOLDER, redact_names


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        (
            "On Monday, May 2, 2022, a shell killed a 9-year-old child, Karam Wael al Hamdan,"
            " from Ariha city in the southern suburbs of Idlib governorate.",
            ("Karam Wael al Hamdan",),
        ),
        (
            "The body of Hiba Salim Darwish, a 30-year-old woman, was found near Tal Abyad city.",
            ("Hiba Salim Darwish",),
        ),
        (
            "Luay Nabil Qassab, a paramedic from Saqba town, was killed by a drone.",
            ("Luay Nabil Qassab",),
        ),
        (
            "A man, identified as 40-year-old Fares Younes al-Obeid from Jasim city, was shot.",
            ("Fares Younes al-Obeid",),
        ),
        (
            "On Friday, June 3, the group informed the family that Ziad had died in custody.",
            ("Ziad",),
        ),
        # "Jan" is a Kurdish given name as well as a month's abbreviation.
        ("The victim, Jan Hussein, was killed in Amuda on Dec 3.", ("Jan Hussein",)),
    ],
)
def test_names_are_removed(sentence: str, names: tuple[str, ...]) -> None:
    result = redact_names(sentence)
    assert result.names == names
    for name in names:
        assert name not in result.text
    assert PLACEHOLDER in result.text


@pytest.mark.parametrize(
    "sentence",
    [
        "On Tuesday, June 7, 2022, a landmine exploded in Tal Hamis town in the southern suburbs"
        " of al Hasaka governorate, killing two children.",
        "Syrian regime forces fired shells at Kafr Nobol town, under the joint control of the"
        " Armed Opposition factions and Hay'at Tahrir al Sham.",
        "Fixed-wing warplanes we believe were Russian fired missiles at al Salam Hospital in"
        " Ma'aret al Nu'man city.",
    ],
)
def test_places_and_parties_are_kept(sentence: str) -> None:
    result = redact_names(sentence)
    assert result.names == ()
    assert result.text == sentence


@given(st.text())
def test_never_raises_and_only_shrinks_to_placeholders(text: str) -> None:
    result = redact_names(text)
    assert isinstance(result.text, str)
    for name in result.names:
        assert name in text

"""Perpetrators and controlling forces through the taxonomy and the phrase lookups."""

from __future__ import annotations

import pytest

from etl.report.parties import (
    AMBIGUOUS,
    category_of,
    find_control_statements,
    find_parties,
    resolve_force_name,
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("fixed-wing warplanes we believe were Russian fired", "russian_forces"),
        ("the Syrian-Russian alliance forces launched", AMBIGUOUS),
        ("Syrian/Russian regime forces warplanes fired", AMBIGUOUS),
        ("Self-Management forces artillery fired", "sdf"),
        ("a patrol of Qasd opened fire", "sdf"),
        ("Assad regime forces shelled", "syrian_regime"),
        ("pro-Syrian regime Iranian-backed militias killed", "iranian_militias"),
        ("Turkish border guards shot", "turkish_border_guards"),
        ("fixed-wing Israeli warplanes struck", "israeli_forces"),
    ],
)
def test_first_party(text: str, code: str) -> None:
    assert find_parties(text)[0].code == code


def test_ambiguous_has_no_category() -> None:
    assert category_of(AMBIGUOUS) == (None, None)


def test_subcategory_reports_its_parent() -> None:
    assert category_of("landmine_unknown") == ("other_parties", "landmine_unknown")


def test_joint_control_names_both_forces() -> None:
    [statement] = find_control_statements(
        "The area was under the joint control of armed opposition factions and Hay'at Tahrir "
        "al Sham at the time of the incident."
    )
    assert statement.codes == ("armed_opposition_sna", "hts")


def test_controlled_by_clause() -> None:
    [statement] = find_control_statements("in Rabiya town, which is controlled by Qasd, exploded")
    assert statement.codes == ("sdf",)


def test_possessive_control() -> None:
    [statement] = find_control_statements("The area was under the SDF's control at the time.")
    assert statement.codes == ("sdf",)


def test_attacker_position_is_not_area_control() -> None:
    text = "artillery stationed at a site controlled by Hezbollah militias fired shells"
    assert find_control_statements(text) == []


def test_force_name_with_duplicates_collapses() -> None:
    assert resolve_force_name("the Syrian regime and pro-regime militias") == ["syrian_regime"]

"""Counts of killed and injured in words and digits."""

from __future__ import annotations

import pytest

from etl.report.numbers import extract_counts, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("three", 3),
        ("18", 18),
        ("1,635", 1635),
        ("twenty-one", 21),
        ("forty", 40),
        ("an", 1),
        ("dozens", None),
    ],
)
def test_parse_number(text: str, value: int | None) -> None:
    assert parse_number(text) == value


def test_total_with_including_women() -> None:
    counts = extract_counts("resulting in the deaths of at least 18 civilians, including 11 women.")
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (18, None, 11)


def test_children_only_total() -> None:
    counts = extract_counts(
        "exploded, resulting in the deaths of three children, two of whom "
        "were brothers, while their father was injured."
    )
    assert (counts.killed_total, counts.killed_children, counts.injured) == (3, 3, 1)


def test_parenthesised_breakdown() -> None:
    counts = extract_counts(
        "four civilians (two children and a woman) were killed and 9 others injured in the attack"
    )
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (4, 2, 1)
    assert counts.injured == 9


def test_dashed_breakdown_does_not_take_the_injured() -> None:
    counts = extract_counts(
        "seven civilians - three children and two women - were killed, while "
        "six others, including four children, were injured"
    )
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (7, 3, 2)
    assert counts.injured == 6


def test_subgroups_add_up() -> None:
    counts = extract_counts("killing three women and a child, and injuring 14 other civilians")
    assert (counts.killed_total, counts.killed_women, counts.killed_children) == (4, 3, 1)


def test_vague_injured_is_null() -> None:
    counts = extract_counts("killing two civilians and injuring dozens of others")
    assert counts.killed_total == 2
    assert counts.injured is None


def test_single_named_child_victim() -> None:
    counts = extract_counts(
        "a boy, identified as 12-year-old Sami from the village, was killed by "
        "the explosion of a landmine"
    )
    assert (counts.killed_total, counts.killed_children) == (1, 1)


def test_single_woman_victim_with_injured_companion() -> None:
    counts = extract_counts(
        "a woman identified as Huda was shot dead by gunmen, with a man, "
        "identified as Ali, being injured in the same incident."
    )
    assert (counts.killed_total, counts.killed_women, counts.injured) == (1, 1, 1)


def test_only_civilians_are_counted() -> None:
    counts = extract_counts("the bodies of 30 people (11 fighters and 19 civilians) were found")
    assert counts.killed_total == 19


def test_along_with_others() -> None:
    assert extract_counts("he was killed along with three others when").killed_total == 4


def test_named_victim_of_a_massacre_is_not_the_toll() -> None:
    counts = extract_counts("She was killed in a bombing which resulted in a massacre.")
    assert counts.killed_total is None


def test_victim_lists() -> None:
    counts = extract_counts("barrel bombs fell on the town, killing a child and his mother.")
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (2, 1, 1)
    counts = extract_counts("a woman and her three children were killed when a shell fell")
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (4, 3, 1)


def test_massacre_of_n() -> None:
    counts = extract_counts("which resulted in a massacre of 11 civilians, including four children")
    assert (counts.killed_total, counts.killed_children) == (11, 4)


def test_victim_and_relative_were_killed() -> None:
    counts = extract_counts(
        "Salma, a 40-year-old woman from the village, and her six-year-old son, identified as "
        "Karim, were shot dead by gunmen"
    )
    assert (counts.killed_total, counts.killed_children, counts.killed_women) == (2, 1, 1)


def test_leaving_dead() -> None:
    counts = extract_counts("shells hit the market, leaving four civilians dead, including a child")
    assert (counts.killed_total, counts.killed_children) == (4, 1)

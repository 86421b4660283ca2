"""Hypothesis: the parser never raises, whatever it is fed."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl.report import parse_report
from etl.report.model import INTERCHANGE_FIELDS

_REPORT_WORDS = st.sampled_from(
    [
        "On",
        "Friday,",
        "March",
        "12,",
        "2021,",
        "a",
        "landmine",
        "exploded",
        "in",
        "al",
        "Emayya",
        "village",
        "governorate",
        "killing",
        "three",
        "children",
        "and",
        "18",
        "civilians,",
        "including",
        "women",
        "under",
        "the",
        "joint",
        "control",
        "of",
        "SDF",
        "HTS",
        ".",
        "\n\n",
        "(",
        ")",
        "-",
        ":",
        "warplanes",
        "we",
        "believe",
        "were",
        "Russian",
        "at",
        "around",
        "20:00",
        "[link](#)",
        "Self-Management",
        "forces",
        "died",
        "due",
        "to",
        "torture",
        "Hama",
        "city",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=3000))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = parse_report(text)
    assert not [w for w in result.warnings if w.startswith("parser error")]


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2000))
def test_binary_junk_never_raises(data: bytes) -> None:
    result = parse_report(data)
    assert isinstance(result.incidents, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_REPORT_WORDS, max_size=400))
def test_report_like_word_salad_gives_well_formed_records(words: list[str]) -> None:
    result = parse_report(" ".join(words))
    assert not [w for w in result.warnings if w.startswith("parser error")]
    for incident in result.incidents:
        record = incident.to_interchange()
        assert tuple(record) == INTERCHANGE_FIELDS
        assert record["date_precision"] in {"day", "month", "year"}
        assert isinstance(record["victim_categories"], list)
        assert len(record["evidence"]) <= 300
        assert 0 <= incident.span_start <= incident.span_end


def test_huge_input_is_truncated_not_fatal() -> None:
    text = "On Friday, March 12, 2021, a landmine exploded in Kafr Amal village. " * 40_000
    result = parse_report(text)
    assert any("truncated" in w for w in result.warnings)


def test_non_text_input() -> None:
    result = parse_report(12345)  # type: ignore[arg-type]
    assert result.incidents == [] and result.warnings

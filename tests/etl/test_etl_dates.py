"""Dates, years from the report period, two-date torture cases and clock times."""

from __future__ import annotations

from etl.report.dates import (
    Period,
    death_date,
    detect_period,
    find_dates,
    find_time,
    infer_year,
    is_context_date,
)


def test_full_date_with_weekday() -> None:
    [found] = find_dates("On Friday, March 12, 2021, a landmine exploded", None)
    assert (found.value, found.precision, found.has_year) == ("2021-03-12", "day", True)


def test_year_comes_from_the_report_period() -> None:
    [found] = find_dates("On Saturday, June 8, shells hit the town", Period(2019, 6))
    assert found.value == "2019-06-08"


def test_weekday_picks_the_previous_year_across_new_year() -> None:
    # A January 2020 report recalling "Tuesday, December 31" means 2019.
    assert infer_year(12, 31, "Tuesday", Period(2020, 1)) == 2019


def test_weekday_with_part_of_day() -> None:
    [found] = find_dates("Thursday dawn, May 2, 2019, artillery fired", None)
    assert found.value == "2019-05-02"


def test_impossible_dates_are_dropped() -> None:
    assert find_dates("On February 30, 2019, nothing", None) == []


def test_period_from_title_not_from_publication_date() -> None:
    text = "Nine Civilians Killed in Syria in May 2019\n\nMonday 3 June 2019\n\nThe team"
    assert detect_period(text) == Period(2019, 5)


def test_two_dates_death_date_wins() -> None:
    sentence = (
        "On Monday, July 8, 2019, his family learned that he had died in a detention "
        "center on June 30, 2019."
    )
    assert death_date(sentence, None).value == "2019-06-30"  # type: ignore[union-attr]


def test_two_dates_death_year_only() -> None:
    sentence = "On Monday, July 8, 2019, his family learned he had died in prison in 2016."
    found = death_date(sentence, None)
    assert found is not None
    assert (found.value, found.precision) == ("2016", "year")


def test_notification_without_death_date_keeps_none() -> None:
    assert death_date("On May 4, 2019, the family was informed of his death.", None) is None


def test_arrest_dates_are_context() -> None:
    sentence = "He was arrested on Sunday, April 7, 2019, at a checkpoint."
    [found] = find_dates(sentence, None)
    assert is_context_date(sentence, found)


def test_times() -> None:
    assert find_time("at around 20:00 local time") == "20:00"
    assert find_time("at around 12:17 p.m. the strike") == "12:17"
    assert find_time("between 19:45 and 20:00") == "19:45"
    assert find_time("at around 7:05 p.m.") == "19:05"
    assert find_time("no time here, 12 civilians") is None


def test_numeric_dates_are_day_first() -> None:
    [found] = find_dates("the attack on 03/04/2019 killed", None)
    assert found.value == "2019-04-03"
    [iso] = find_dates("recorded 2019-04-03 at noon", None)
    assert iso.value == "2019-04-03"


def test_month_anchor() -> None:
    from etl.report.dates import find_month_anchor

    found = find_month_anchor("In late May 2019, a car bomb exploded in Sabkha town.")
    assert found is not None and (found.value, found.precision) == ("2019-05", "month")
    assert find_month_anchor("We documented in May 2019 the deaths of 40 civilians.") is None


def test_hour_only_times() -> None:
    assert find_time("the shelling began at 5 pm on Friday") == "17:00"
    assert find_time("at around 9 a.m. local time") == "09:00"
    assert find_time("killed 5 people at 3 checkpoints") is None

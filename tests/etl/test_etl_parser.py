"""The whole parser on an invented report written in the style of the monthly reports."""

from __future__ import annotations

import pytest

from etl.report import parse_report
from etl.report.model import INTERCHANGE_FIELDS, TOLL_FIELDS, Incident


@pytest.fixture(scope="module")
def parsed(sample_text: str):  # type: ignore[no-untyped-def]
    return parse_report(sample_text, source_name="sample")


def _by_date(incidents: list[Incident], date: str) -> Incident:
    matches = [i for i in incidents if i.date == date]
    assert len(matches) == 1, [i.date for i in incidents]
    return matches[0]


def test_period(parsed) -> None:  # type: ignore[no-untyped-def]
    assert parsed.period == "2019-02"


def test_landmine_incident(parsed) -> None:  # type: ignore[no-untyped-def]
    incident = _by_date(parsed.incidents, "2019-02-05")  # year from the period
    assert incident.place_text == "Tell Qarmoun village"
    assert incident.place_context == "western suburbs of Hama governorate"
    assert incident.governorate == "Hama" and incident.admin1_pcode == "SY05"
    assert (incident.perpetrator_category, incident.perpetrator_subcategory) == (
        "other_parties",
        "landmine_unknown",
    )
    assert incident.weapon == "landmine"
    assert (incident.killed_total, incident.killed_children, incident.injured) == (3, 3, 1)
    assert incident.controlling_force_categories == ["syrian_regime"]
    assert incident.massacre is False


def test_hospital_massacre_with_time_and_joint_control(parsed) -> None:  # type: ignore[no-untyped-def]
    incident = _by_date(parsed.incidents, "2019-02-08")
    assert incident.time == "21:15"
    assert incident.facility == "hospital"
    assert incident.weapon == "airstrike"
    assert incident.perpetrator_category == "russian_forces"
    assert (incident.killed_total, incident.killed_children, incident.killed_women) == (6, 2, 1)
    assert incident.injured == 11
    assert incident.massacre is True
    assert incident.controlling_force_categories == ["armed_opposition_sna", "hts"]
    assert incident.governorate == "Idleb"


def test_ambiguous_alliance_leaves_category_null(parsed) -> None:  # type: ignore[no-untyped-def]
    incident = _by_date(parsed.incidents, "2019-02-11")
    assert incident.perpetrator == "Syrian-Russian alliance forces"
    assert incident.perpetrator_category is None


def test_victim_category_and_origin_is_not_the_place(parsed) -> None:  # type: ignore[no-untyped-def]
    incident = _by_date(parsed.incidents, "2019-02-13")
    assert incident.place_text == "Kafr Safi town"  # not her home village
    assert incident.victim_categories == ["medical"]
    assert incident.perpetrator_category == "sdf"
    assert incident.weapon == "gunfire"


def test_torture_death_dated_by_the_death(parsed) -> None:  # type: ignore[no-untyped-def]
    incident = _by_date(parsed.incidents, "2019-01-20")
    assert incident.weapon == "torture"
    assert incident.place_text == "Homs city"
    assert incident.perpetrator_category == "syrian_regime"
    assert incident.killed_total == 1


def test_no_personal_names_outside_evidence(parsed) -> None:  # type: ignore[no-untyped-def]
    for incident in parsed.incidents:
        record = incident.to_interchange()
        record.pop("evidence")
        flat = repr(record)
        for name in ("Nadia", "Hamed", "Omar", "Zein"):
            assert name not in flat


def test_review_queue_has_the_placeless_incident(parsed) -> None:  # type: ignore[no-untyped-def]
    reasons = [item for item in parsed.review_items if "February 21" in item.text]
    assert reasons and "no place" in reasons[0].reason


def test_statement_dates_are_not_incidents(parsed) -> None:  # type: ignore[no-untyped-def]
    assert not [i for i in parsed.incidents if i.date == "2019-02-20"]


def test_interchange_has_exactly_the_gold_fields(parsed) -> None:  # type: ignore[no-untyped-def]
    for incident in parsed.incidents:
        assert tuple(incident.to_interchange()) == INTERCHANGE_FIELDS
        assert "provenance" in incident.to_interchange(provenance=True)


def test_provenance_points_at_the_evidence(parsed, sample_text: str) -> None:  # type: ignore[no-untyped-def]
    for incident in parsed.incidents:
        quoted = sample_text[incident.span_start : incident.span_end]
        assert quoted.replace("[", "").replace("](#)", "")[:40] == incident.evidence[:40]
        assert len(incident.evidence) <= 300


def test_control_observations(parsed) -> None:  # type: ignore[no-untyped-def]
    places = {(o.place_text, tuple(o.force_categories)) for o in parsed.control_observations}
    assert ("Tell Qarmoun village", ("syrian_regime",)) in places


def test_tolls(parsed) -> None:  # type: ignore[no-untyped-def]
    tolls = {(t.scope, t.party): t for t in parsed.tolls}
    overall = tolls[("civilians", "all")]
    assert (overall.period, overall.killed, overall.children, overall.women) == (
        "2019-02",
        14,
        6,
        2,
    )
    assert tolls[("civilians", "russian_forces")].killed == 6
    assert tolls[("civilians", "landmine_unknown")].children == 3
    assert tolls[("media", "all")].killed == 0
    assert all(tuple(t.to_interchange()) == TOLL_FIELDS for t in parsed.tolls)


def test_repeated_incident_in_another_section_is_merged() -> None:
    text = (
        "Report on killings in Syria in April 2019\n\n"
        "I. Summary:\n\n"
        "On Monday, April 1, 2019, a landmine exploded in Jisr Amal village in the eastern suburbs "
        "of Hama governorate, resulting in the deaths of two children.\n\n"
        "II. Death toll of medical personnel:\n\n"
        "On Monday, April 1, 2019, a paramedic, identified as Rami, was killed by a landmine "
        "explosion in Jisr Amal village in the eastern suburbs of Hama governorate.\n"
    )
    parsed = parse_report(text)
    assert len(parsed.incidents) == 1
    assert parsed.incidents[0].victim_categories == ["medical"]


def test_two_bodies_in_the_same_section_stay_two_incidents() -> None:
    text = (
        "Killings in Syria in April 2019\n\n"
        "The following are the cases of killing by unknown gunmen, which we documented:\n\n"
        "The body of a man was discovered in Rawda Camp on Monday, April 1, 2019, bearing signs "
        "of gunshot wounds.\n\n"
        "The body of a woman was discovered in Rawda Camp on Monday, April 1, 2019, bearing "
        "signs of gunshot wounds.\n"
    )
    parsed = parse_report(text)
    assert len(parsed.incidents) == 2
    assert {i.perpetrator_subcategory for i in parsed.incidents} == {"killing_unknown"}
    assert {i.killed_women for i in parsed.incidents} == {None, 1}


def test_month_only_incident_but_not_month_totals() -> None:
    text = (
        "Killings in Syria in May 2019\n\n"
        "In May 2019, we documented the deaths of 40 civilians in Hama governorate.\n\n"
        "In mid-May 2019, a car bomb exploded in Sabkha Jadida town in the eastern suburbs of "
        "Aleppo governorate, killing four civilians.\n"
    )
    [incident] = parse_report(text).incidents
    assert (incident.date, incident.date_precision) == ("2019-05", "month")
    assert incident.weapon == "car_bomb"
    assert incident.perpetrator_subcategory == "bombing_unknown"
    assert incident.killed_total == 4


def test_other_organisations_phrasing() -> None:
    text = (
        "Casualty update for June 2019\n\n"
        "On 14 June 2019, a barrel bomb dropped by a regime helicopter hit the village of Tell "
        "Warda in southern Idlib countryside, killing seven civilians, including three children."
        "\n\n"
        "On June 20, 2019, US-led coalition aircraft struck Kharab Nour farm in the eastern "
        "countryside of Deir ez-Zor, killing two shepherds.\n"
    )
    first, second = parse_report(text).incidents
    assert (first.date, first.place_text, first.governorate) == (
        "2019-06-14",
        "Tell Warda village",
        "Idleb",
    )
    assert (first.perpetrator_category, first.weapon, first.killed_children) == (
        "syrian_regime",
        "airstrike",
        3,
    )
    assert first.massacre is True
    assert second.perpetrator_category == "international_coalition"
    assert second.governorate == "Deir-ez-Zor"
    assert second.killed_total == 2


def test_one_attack_on_two_neighbourhoods_is_two_incidents() -> None:
    text = (
        "Killings in Syria in May 2019\n\n"
        "On Friday, May 10, 2019, regime forces fired rockets at Kafr Dalil city in western rural "
        "Aleppo governorate. The rockets hit al-Qibli neighborhood in the city, killing two "
        "civilians, including a child. Regime forces also targeted al-Gharbi neighborhood, killing "
        "three women.\n"
    )
    first, second = parse_report(text).incidents
    assert (first.place_text, first.killed_total, first.killed_children) == (
        "al-Qibli neighborhood",
        2,
        1,
    )
    assert (second.place_text, second.killed_total, second.killed_women) == (
        "al-Gharbi neighborhood",
        3,
        3,
    )
    assert first.weapon == second.weapon == "rocket"
    assert first.governorate == second.governorate == "Aleppo"


def test_annual_report_subsections_set_toll_periods() -> None:
    text = (
        "Civilian Deaths Documented in 2019, and in December 2019\n\n"
        "III. Civilian Death Toll\n\n"
        "A. In 2019\n\n"
        "SNHR documented the killing of 1,204 civilians, including 210 children and 98 women.\n\n"
        "B. In December 2019\n\n"
        "We documented the killing of 85 civilians, including 12 children, by Russian forces.\n"
    )
    tolls = {(t.period, t.party): t for t in parse_report(text).tolls}
    assert tolls[("2019", "all")].killed == 1204
    assert tolls[("2019", "all")].children == 210
    assert tolls[("2019-12", "russian_forces")].killed == 85


def test_field_report_style() -> None:
    text = (
        "Field report: attacks in Idlib, March 2021\n\n"
        "On 3 March 2021, at approximately 10:00 am, a Russian warplane launched an airstrike on "
        "the vicinity of Tell Zaytun village, in Jabal Wastani, southern Idlib. The strike killed "
        "a woman and injured two children.\n"
    )
    [incident] = parse_report(text).incidents
    assert (incident.date, incident.time) == ("2021-03-03", "10:00")
    assert incident.place_text == "Tell Zaytun village"
    assert incident.governorate == "Idleb"
    assert (incident.perpetrator_category, incident.weapon) == ("russian_forces", "airstrike")
    assert (incident.killed_total, incident.killed_women, incident.injured) == (1, 1, 2)


def test_personnel_tolls_divided_by_profession() -> None:
    text = (
        "Medical and Civil Defense Personnel Killed in Syria in June 2019\n\n"
        "- Acts of killing\n\n"
        "We have documented the killing of six medical personnel and civil defense personnel, "
        "as follows:\n\n"
        "- Syrian regime forces: four, divided into:\n\n"
        "- One doctor\n"
        "- Two civil defense personnel\n"
        "- One medical personnel (a woman)\n\n"
        "- Russian forces: two, divided into:\n\n"
        "- Two nurses\n\n"
        "- Attacks on vital facilities\n\n"
        "- Russian forces: 12 attacks, divided into:\n\n"
        "- Eight medical facilities\n"
    )
    tolls = {(t.scope, t.party): t for t in parse_report(text).tolls}
    assert (
        tolls[("medical", "syrian_regime")].killed,
        tolls[("medical", "syrian_regime")].women,
    ) == (
        2,
        1,
    )
    assert tolls[("civil_defense", "syrian_regime")].killed == 2
    assert tolls[("medical", "russian_forces")].killed == 2
    assert tolls[("medical", "all")].killed == 4
    assert tolls[("civil_defense", "all")].killed == 2
    assert tolls[("facility_attacks", "russian_forces")].count == 12


def test_windows_line_endings_give_the_same_incidents(sample_text: str) -> None:
    unix = parse_report(sample_text).incidents
    windows_text = sample_text.replace("\n", "\r\n")
    windows = parse_report(windows_text).incidents
    assert [i.to_interchange() for i in unix] == [i.to_interchange() for i in windows]
    for incident in windows:
        assert windows_text[incident.span_start : incident.span_end].startswith(
            incident.evidence[:10]
        )


def test_publication_dates_are_not_incidents() -> None:
    text = (
        "Killings in Syria in May 2019\n\n"
        "On May 20, 2019, SNHR issued a special report on the killing of nine civilians in Tell "
        "Hadid village in the eastern suburbs of Hama governorate.\n"
    )
    assert parse_report(text).incidents == []


def test_admin1_pcodes_follow_ocha() -> None:
    from etl.report.places import GOVERNORATES

    assert GOVERNORATES["Tartous"] == "SY10"
    assert GOVERNORATES["Ar-Raqqa"] == "SY11"
    assert GOVERNORATES["Dar'a"] == "SY12"
    assert GOVERNORATES["As-Sweida"] == "SY13"
    assert GOVERNORATES["Quneitra"] == "SY14"
    assert len(set(GOVERNORATES.values())) == 14


def test_sums_over_a_span_of_days_are_not_incidents() -> None:
    text = (
        "Killings in Syria in May 2019\n\n"
        "In total, 40 Syrian refugees were killed in shelling of Qasr Nour town in Lebanon "
        "between May 2, 2019 and May 20, 2019.\n"
    )
    assert parse_report(text).incidents == []

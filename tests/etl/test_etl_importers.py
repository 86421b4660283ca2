"""CSV, GeoJSON and ACLED importers: records in the interchange format, bad rows reported."""

# The CSV fixtures are written as the files look, one record per line.
# ruff: noqa: E501

from __future__ import annotations

import json

import pytest

from etl.importers import InputFileError, import_acled, import_csv, import_geojson
from etl.report.model import INTERCHANGE_FIELDS

CSV_TEXT = """date,place_text,governorate,lat,lon,weapon,killed_total,killed_children,victim_categories,perpetrator_category,perpetrator_subcategory,evidence
2019-04-02,Tell Jadid village,Idlib,35.9,36.6,airstrike,6,2,medical;media,russian_forces,,Invented sentence one.
2019-04,Kafr Amal town,Hama,,,landmine,1,,,,landmine_unknown,Invented sentence two.
2019-04-31,Bad Date village,Hama,,,,,,,,,bad date
2019-04-03,Far Away town,Aleppo,48.1,36.2,,,,,,,outside Syria
2019-04-04,Count town,Homs,,,,2,5,,,,more children than dead
2019-04-05,Weapon town,Homs,,,laser,,,,,,unknown weapon
"""


def test_csv_good_rows_become_records() -> None:
    result = import_csv(CSV_TEXT)
    assert len(result.records) == 2
    first, second = result.records
    assert tuple(first) == INTERCHANGE_FIELDS
    assert (first["governorate"], first["admin1_pcode"]) == ("Idleb", "SY07")
    assert first["massacre"] is True and first["victim_categories"] == ["medical", "media"]
    assert first["location_precision"] == "community"
    assert (second["date"], second["date_precision"]) == ("2019-04", "month")
    assert second["perpetrator_category"] == "other_parties"
    assert second["location_precision"] == "governorate"


def test_csv_bad_rows_are_reported_with_line_numbers() -> None:
    problems = {p.line: p.message for p in import_csv(CSV_TEXT).problems}
    assert set(problems) == {4, 5, 6, 7}
    assert "date" in problems[4]
    assert "outside Syria" in problems[5]
    assert "exceeds killed_total" in problems[6]
    assert "weapon" in problems[7]


def test_csv_without_date_column_is_refused() -> None:
    with pytest.raises(InputFileError, match="missing column") as refused:
        import_csv("place_text\nSomewhere\n")
    assert refused.value.where == "line 1"


def test_geojson_points() -> None:
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.7, 35.1]},
                "properties": {
                    "date": "2020-05-06",
                    "place_text": "Tell Nour village",
                    "governorate": "Hama",
                    "killed_total": 3,
                    "weapon": "artillery",
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[36, 35]]},
                "properties": {"date": "2020-05-06"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.7, 35.1]},
                "properties": {"date": "someday", "place_text": "X village"},
            },
        ],
    }
    result = import_geojson(json.dumps(document))
    [record] = result.records
    assert (record["lat"], record["lon"]) == (35.1, 36.7)
    assert [p.where for p in result.problems] == ["feature 1", "feature 2"]


def test_geojson_not_json_is_refused() -> None:
    with pytest.raises(InputFileError, match="not JSON") as refused:
        import_geojson("{not json")
    assert refused.value.where == "line 1, column 2"


ACLED_TEXT = """event_date,event_type,sub_event_type,actor1,admin1,admin2,admin3,location,latitude,longitude,geo_precision,fatalities,notes,source,country
12 March 2021,Explosions/Remote violence,Air/drone strike,Military Forces of Russia (2000-),Idlib,Ariha,Ariha,Tell Kasra,35.8,36.6,1,4,Invented note: warplanes struck a farm.,Invented Source,Syria
2021-03-14,Explosions/Remote violence,Remote explosive/landmine/IED,Unidentified Armed Group (Syria),Deir ez Zor,Al Mayadin,Thiban,Sahl Qasr,35.0,40.5,2,1,Invented note: a landmine exploded under a car.,Invented Source,Syria
2021-03-15,Battles,Armed clash,Military Forces of Iraq,Ninewa,,,Sinjar,36.3,41.8,1,2,not Syria,Source,Iraq
2021-03-16,Violence against civilians,Attack,Unidentified Armed Group (Syria),Daraa,,,Nowhere,,,1,x,bad fatalities,Source,Syria
"""


def test_acled_rows() -> None:
    result = import_acled(ACLED_TEXT)
    first, second = result.records
    assert (first["date"], first["governorate"], first["weapon"]) == (
        "2021-03-12",
        "Idleb",
        "airstrike",
    )
    assert first["perpetrator_category"] == "russian_forces"
    assert first["killed_total"] == 4 and first["location_precision"] == "community"
    assert (second["perpetrator_category"], second["perpetrator_subcategory"]) == (
        "other_parties",
        "landmine_unknown",
    )
    assert second["weapon"] == "landmine" and second["governorate"] == "Deir-ez-Zor"
    assert second["location_precision"] == "district"
    lines = {p.line: p.message for p in result.problems}
    assert "Iraq" in lines[4] and "fatalities" in lines[5]


def test_acled_missing_columns_are_refused() -> None:
    with pytest.raises(InputFileError, match="missing column"):
        import_acled("event_date,notes\n2021-01-01,x\n")

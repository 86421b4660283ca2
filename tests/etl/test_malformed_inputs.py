"""Every command-line input path against a corpus of malformed inputs (issue 8).

The corpus is generated here (invented text only). Each case runs the real command with
click's CliRunner (``catch_exceptions=False``, so an exception fails the test with its
traceback) against the ``scratch_engine`` database, and asserts: the exit status, a message on
stderr naming the file (or parameter) and the location of the problem, no "Traceback", and no
partial write — a fingerprint of every table of the ``public`` and ``restricted`` schemas
(row count plus the row versions' ctid/xmin, so an UPDATE shows as well as an INSERT or a
DELETE) is identical before and after a refused input; for skip-and-report inputs exactly the
good rows are stored.

Input paths and the rule each follows
-------------------------------------

A problem with the *file* — unreadable; not UTF-8 (UTF-16/32 are named and refused; a UTF-8
byte-order mark is fine); binary (NUL or other C0 control bytes); empty; a CSV whose header
lacks a required column, names a column twice, or whose quoting breaks (unclosed quote, a
field over 131,072 characters); not JSON; JSON that is not a FeatureCollection with features —
**refuses the whole file**: exit 1, ``athar: FILE: LOCATION: reason``, nothing written.

==============================================  ==================================================
input path                                      a bad row / feature / value
==============================================  ==================================================
``athar etl parse REPORT``                      no database; file problems refused (exit 1), an
                                                empty file prints ``[]``; lines over 100,000
                                                characters refuse the report
``athar etl ingest REPORT...``                  a report is one document: any file problem
                                                (empty included) refuses it; other reports load
``athar etl convert FILE``                      no database; as ``etl import`` but prints records
``athar etl import --format csv|acled``         row skipped, ``FILE: line N: reason``, good rows
                                                stored, exit 1; ragged rows are bad rows; unknown
                                                columns only warn; no usable row refuses the file
``athar etl import --format geojson``           feature skipped, ``FILE: feature N: reason``
                                                (N from 0 as in ``/features/N``, the message
                                                gives the JSON pointer of the bad member)
``athar zones import FILE``                     any bad feature refuses the whole file (exit 1);
                                                unknown parties are skipped with a warning
                                                (exit 1); self-intersections are repaired with
                                                a warning (exit 0)
``athar zones import --skip-bad FILE``          bad features skipped and reported, exit 1
``athar hazards import --format csv|geojson``   row skipped (``line N`` / ``feature N``), good
                                                rows stored, exit 1; self-intersections
                                                repaired with a warning
``athar hazards load-severity --file F``        reference data: any bad row refuses the file
``athar restore DUMP``                          not a custom-format dump: refused before a
                                                database is created or touched; a dump
                                                pg_restore cannot read leaves no database behind
``athar gazetteer add-alias|add-place``         bad value refused (exit 1) naming the field;
                                                bad number syntax or kind is a usage error (2)
``athar zones at LON LAT DAY``,                 usage error (exit 2) naming the parameter
``zones disagreements``, ``export incidents``,
``keys create --name``
``athar gazetteer resolve --jsonl``             no database; a bad line is skipped with its
                                                number, exit 1
==============================================  ==================================================

Bundled-data builders (``gazetteer build``, ``zones build``, ``etl sample``) read the known
source files of ``../shared`` and are not input paths for users; they are not swept.
"""

from __future__ import annotations

import json
import math
import random
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, inspect, text

from athar.cli import main
from db.models import RESTRICTED_SCHEMA

# --- The corpus --------------------------------------------------------------------------

RANDOM_BYTES = random.Random(8).randbytes(4096) + b"\x00\x00junk"
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
ZIP_HEADER = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"incidents.csv" + bytes(range(200))
FIVE_MB = 5 * 1024 * 1024

REPORT = (
    "Monthly test report on civilian deaths, March 2021\n"
    "\n"
    "On Monday, March 1, 2021, an invented shelling struck Kafr Nabl town in the southern "
    "suburbs of Idlib governorate, killing one civilian. This sentence was written for tests.\n"
    "The report ends here.\n"
)


def utf8(text_value: str) -> bytes:
    return text_value.encode("utf-8")


def decode_location(raw: bytes) -> str:
    """Where the first byte that is not UTF-8 is, as the importers say it."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        return f"line {line}, byte {error.start}"
    raise AssertionError("the bytes decode as UTF-8")


# Bytes that break a file whatever its format, with the location the refusal must name.
def file_level(good: bytes, *, report: bool = False) -> dict[str, tuple[bytes, str]]:
    lines = good.split(b"\n")
    latin1 = b"\n".join([*lines[:2], lines[2] + b" Dar\xe2 caf\xe9", *lines[3:]])
    with_nul = b"\n".join([lines[0], lines[1] + b"\x00", *lines[2:]])
    with_control = b"\n".join([lines[0], lines[1] + b"\x01\x02", *lines[2:]])
    kinds = {
        "random_bytes": (RANDOM_BYTES, decode_location(RANDOM_BYTES)),
        "png_header": (PNG_HEADER, "line 1, byte 0"),
        "zip_header": (ZIP_HEADER, decode_location(ZIP_HEADER)),
        "empty": (b"", "empty"),
        "whitespace_only": (b"\n  \n\t\n", "empty"),
        "utf16_bom": (good.decode("utf-8").encode("utf-16"), "line 1, byte 0"),
        "utf32_bom": (good.decode("utf-8").encode("utf-32"), "line 1, byte 0"),
        "latin1_bytes": (latin1, decode_location(latin1)),
        "nul_byte": (with_nul, "line 2"),
        "control_chars": (with_control, "line 2"),
    }
    if report:
        words = b"shelling village killed child Idlib regime forces on Monday 2021 "
        kinds["one_5mb_line"] = ((words * (FIVE_MB // len(words) + 1))[:FIVE_MB], "line 1")
    return kinds


# Incident files: a good row marks its place_text good-<tag>-<n>, a bad one bad-<tag>-<n>.
INCIDENT_HEADER = "date,place_text,governorate,lat,lon,weapon,killed_total,evidence"


def incident_row(
    tag: str,
    n: int,
    *,
    date: str = "2021-03-01",
    lat: str = "35.93",
    lon: str = "36.63",
    killed: str = "2",
    good: bool = True,
) -> str:
    mark = "good" if good else "bad"
    return f"{date},{mark}-{tag}-{n},Idlib,{lat},{lon},artillery,{killed},Invented test row."


ACLED_HEADER = (
    "event_date,event_type,sub_event_type,actor1,country,admin1,admin2,admin3,location,"
    "latitude,longitude,geo_precision,source,notes,fatalities"
)


def acled_row(
    tag: str,
    n: int,
    *,
    date: str = "2021-03-01",
    lat: str = "35.93",
    lon: str = "36.63",
    killed: str = "2",
    good: bool = True,
) -> str:
    mark = "good" if good else "bad"
    return (
        f"{date},Explosions/Remote violence,Shelling/artillery/missile attack,"
        f"Military Forces of Syria (2000-),Syria,Idlib,Ariha,Ariha,{mark}-{tag}-{n},"
        f"{lat},{lon},1,Test Monitor,Invented note for tests.,{killed}"
    )


HAZARD_HEADER = "hazard_code,hazard_type,status,contamination,area_m2,reported_on,lat,lon,source"


def hazard_row(
    tag: str,
    n: int,
    *,
    date: str = "2021-03-01",
    lat: str = "35.5",
    lon: str = "36.5",
    area: str = "1200",
    good: bool = True,
) -> str:
    mark = "good" if good else "bad"
    return f"{mark}-{tag}-{n},suspected,active,mine,{area},{date},{lat},{lon},test survey"


SEVERITY_HEADER = "admin3_pcode,admin3_name,mine_action_severity,mine_action_pin"
SEVERITY_GOOD = "SY020000,Jebel Saman,4,22796"


def row_level_csv(
    row: Callable[..., str], count_field: str, coordinate_fields: tuple[str, str]
) -> dict[str, list[str]]:
    """Bad rows (lines 3 onwards, after one good row on line 2), by kind."""
    lat, lon = coordinate_fields

    def bad(n: int, **values: str) -> Callable[[str], str]:
        return lambda tag: row(tag, n, good=False, **values)

    kinds: dict[str, list[Callable[[str], str]]] = {
        "impossible_dates": [
            bad(3, date="2021-02-30"),
            bad(4, date="2021-13-01"),
            bad(5, date="0000-00-00"),
        ],
        "coordinates_out_of_range": [bad(3, **{lon: "200"}), bad(4, **{lat: "-95"})],
        "swapped_lat_lon": [bad(3, **{lat: "40.14", lon: "35.33"})],
        "nan_infinite_coordinates": [bad(3, **{lat: "NaN"}), bad(4, **{lon: "Infinity"})],
        "huge_numbers": [bad(3, **{count_field: "1e400"})],
        "negative_counts": [bad(3, **{count_field: "-3"})],
    }
    if count_field != "area":
        kinds["huge_numbers"].append(bad(4, **{count_field: "99999999999999999999"}))
        kinds["impossible_dates"].append(bad(6, date="2099-01-01"))
    return kinds


# GeoJSON: one good feature first, then bad ones (features 1...).
def square(x: float, y: float, size: float = 0.05) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[36.0, 35.0], [36.1, 35.1], [36.1, 35.0], [36.0, 35.1], [36.0, 35.0]]],
}
UNCLOSED = {
    "type": "Polygon",
    "coordinates": [[[36.0, 35.0], [36.1, 35.0], [36.1, 35.1], [36.0, 35.1]]],
}
TOO_FEW = {"type": "Polygon", "coordinates": [[[36.0, 35.0], [36.1, 35.0], [36.0, 35.0]]]}
LINE = {"type": "LineString", "coordinates": [[36.0, 35.0], [36.1, 35.1]]}


def geometry_kinds(point_importer: bool) -> dict[str, tuple[Any, str]]:
    """Bad geometries (for feature 1) and the JSON pointer suffix (or text) stderr must give."""
    number_at = "/geometry/coordinates" if point_importer else "/geometry/coordinates/0/1"

    def with_number(value: float) -> Any:
        if point_importer:
            return {"type": "Point", "coordinates": [value, 35.0]}
        ring = [[36.0, 35.0], [value, 35.0], [36.1, 35.1], [36.0, 35.1], [36.0, 35.0]]
        return {"type": "Polygon", "coordinates": [ring]}

    kinds: dict[str, tuple[Any, str]] = {
        "nan_coordinates": (with_number(math.nan), number_at),
        "infinite_coordinates": (with_number(math.inf), number_at),
        "longitude_200": (with_number(200.0), number_at),
        "latitude_minus_95": (
            {"type": "Point", "coordinates": [36.0, -95.0]}
            if point_importer
            else {
                "type": "Polygon",
                "coordinates": [[[36.0, 35.0], [36.1, -95.0], [36.1, 35.1], [36.0, 35.0]]],
            },
            number_at,
        ),
        "wrong_geometry_type": (LINE, "/geometry/type"),
        "no_geometry": (None, "/geometry"),
        "coordinates_not_a_list": (
            {"type": "Point", "coordinates": 5}
            if point_importer
            else {"type": "Polygon", "coordinates": 5},
            "/geometry/coordinates",
        ),
    }
    if not point_importer:
        kinds["unclosed_ring"] = (UNCLOSED, "/geometry/coordinates/0")
        kinds["too_few_points"] = (TOO_FEW, "/geometry/coordinates/0")
    else:
        kinds["polygon_for_points"] = (square(36.0, 35.0), "/geometry/type")
        kinds["swapped_lat_lon"] = (
            {"type": "Point", "coordinates": [35.33, 40.14]},
            "lat 40.14 is outside Syria",
        )
    return kinds


def collection(*features: Any) -> bytes:
    # Indented, so the file has lines for the file-level kinds to break.
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, indent=1).encode()


def not_geojson() -> dict[str, tuple[bytes, str]]:
    return {
        "not_json": (b'{"type": "FeatureCollection", "features": [\n  {oops}\n]}', "line 2"),
        "json_array": (b"[1, 2, 3]", "/"),
        "json_not_geojson": (b'{"hello": "world"}', "/type"),
        "features_not_a_list": (b'{"type": "FeatureCollection", "features": {}}', "/features"),
        "no_features": (b'{"type": "FeatureCollection", "features": []}', "/features"),
        "deeply_nested": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        "one_5mb_line_array": (b"[" + b"1," * (FIVE_MB // 2) + b"1]", "/"),
    }


# --- Cases -------------------------------------------------------------------------------

REFUSED, USAGE, SKIPPED, STORED, EMPTY_OK = "refused", "usage", "skipped", "stored", "empty ok"


@dataclass(frozen=True)
class Case:
    id: str
    args: Callable[[Path], list[str]]  # the command line, given the written input file
    content: bytes | None = None  # the input file; None when the input is the arguments
    suffix: str = ".csv"
    expect: str = REFUSED
    where: tuple[str, ...] = ()  # what stderr must name besides the file
    table: str | None = None  # for SKIPPED/STORED: where the good rows go
    good: int = 0  # good rows expected there
    stdin: bytes | None = None
    database: bool = True  # False: the command never opens the database
    extra_env: dict[str, str] = field(default_factory=dict)


def _tag(case_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", case_id.lower())


def report_cases() -> Iterator[Case]:
    good = utf8(REPORT)
    for kind, (content, where) in file_level(good, report=True).items():
        parse_expect = EMPTY_OK if kind in ("empty", "whitespace_only") else REFUSED
        yield Case(
            f"etl parse/{kind}",
            lambda p: ["etl", "parse", str(p)],
            content,
            ".txt",
            parse_expect,
            (where,) if parse_expect == REFUSED else (),
            database=False,
        )
        yield Case(
            f"etl ingest/{kind}",
            lambda p: ["etl", "ingest", str(p)],
            content,
            ".txt",
            REFUSED,
            (where,),
        )


def incident_csv_cases(fmt: str) -> Iterator[Case]:
    header, row = (INCIDENT_HEADER, incident_row) if fmt == "csv" else (ACLED_HEADER, acled_row)
    count_field = "killed"
    lat_lon = ("lat", "lon")

    def body(tag: str, *rows: str) -> bytes:
        return utf8("\n".join([header, row(tag, 1), *rows]) + "\n")

    def commands(case_id: str) -> list[tuple[str, Callable[[Path], list[str]], bool]]:
        return [
            (
                f"etl import --format {fmt}/{case_id}",
                lambda p: ["etl", "import", str(p), "--format", fmt],
                True,
            ),
            (
                f"etl convert --format {fmt}/{case_id}",
                lambda p: ["etl", "convert", str(p), "--format", fmt],
                False,
            ),
        ]

    good_template = body("template")
    for kind, (content, where) in file_level(good_template).items():
        for case_id, args, database in commands(kind):
            yield Case(case_id, args, content, ".csv", REFUSED, (where,), database=database)
    required = "date" if fmt == "csv" else "event_date"
    structural = {
        "missing_required_column": (
            utf8(header.replace(required, "day") + "\n" + row("x", 1) + "\n"),
            "line 1",
        ),
        "wrong_columns": (utf8("id,name,value\n1,a,2\n3,b,4\n"), "line 1"),
        "duplicated_column": (
            utf8(header + "," + required + "\n" + row("x", 1) + ",2021-03-01\n"),
            "line 1",
        ),
        "unterminated_quote": (
            utf8(
                header + "\n" + row("x", 1) + '\n2021-03-02,"bad-x-3,Idlib\n' + row("x", 4) + "\n"
            ),
            "line 3",
        ),
        "header_only": (utf8(header + "\n"), "no rows"),
        "one_5mb_line": (utf8(header + "\n" + "x" * FIVE_MB + "\n"), "line 2"),
    }
    for kind, (content, where) in structural.items():
        for case_id, args, database in commands(kind):
            yield Case(case_id, args, content, ".csv", REFUSED, (where,), database=database)
    kinds = row_level_csv(row, count_field, lat_lon)
    kinds["ragged_rows"] = [
        lambda tag: ",".join(row(tag, 3, good=False).split(",")[:3]),
        lambda tag: row(tag, 4, good=False) + ",surplus,values",
    ]
    for kind, bad_rows in kinds.items():
        for case_id, args, database in commands(kind):
            tag = _tag(case_id)
            lines = [make(tag) for make in bad_rows]
            where = tuple(f"line {3 + index}:" for index in range(len(lines)))
            yield Case(
                case_id,
                args,
                body(tag, *lines),
                ".csv",
                SKIPPED,
                where,
                "incidents",
                1,
                database=database,
            )
        # Every row bad: nothing usable, so the file is refused.
        case_id = f"etl import --format {fmt}/{kind} (no good row)"
        tag = _tag(case_id)
        lines = [make(tag) for make in bad_rows]
        yield Case(
            case_id,
            lambda p: ["etl", "import", str(p), "--format", fmt],
            utf8("\n".join([header, *lines]) + "\n"),
            ".csv",
            REFUSED,
            ("line 2:", "no usable row"),
        )


DEFAULT = object()  # "the builder's own good geometry" (None means no geometry)


def incident_feature(tag: str, n: int, geometry: Any = DEFAULT, **props: Any) -> dict[str, Any]:
    properties = {
        "date": "2021-03-01",
        "place_text": f"good-{tag}-{n}",
        "governorate": "Idlib",
        "weapon": "artillery",
        "killed_total": 2,
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": geometry
        if geometry is not DEFAULT
        else {"type": "Point", "coordinates": [36.63, 35.93]},
        "properties": properties,
    }


def hazard_feature(tag: str, n: int, geometry: Any = DEFAULT, **props: Any) -> dict[str, Any]:
    properties = {
        "hazard_code": f"good-{tag}-{n}",
        "hazard_type": "confirmed",
        "contamination": ["mine"],
        "source": "test survey",
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": geometry if geometry is not DEFAULT else square(36.5, 35.5),
        "properties": properties,
    }


def zone_feature(tag: str, n: int, geometry: Any = DEFAULT, **props: Any) -> dict[str, Any]:
    properties = {
        "parties": "SDF",
        "valid_from": "2021-01-01",
        "source": "test map",
        "label": f"good-{tag}-{n}",
    }
    properties.update(props)
    return {
        "type": "Feature",
        "geometry": geometry if geometry is not DEFAULT else square(39.0 + n / 10, 36.0),
        "properties": properties,
    }


def _bad_marks(feature: dict[str, Any], tag: str, key: str) -> dict[str, Any]:
    feature["properties"][key] = f"bad-{tag}-2"
    return feature


GEOJSON_TARGETS = {
    # name: (command, feature builder, mark key, table, point importer)
    "etl import --format geojson": (
        lambda p: ["etl", "import", str(p), "--format", "geojson"],
        incident_feature,
        "place_text",
        "incidents",
        True,
    ),
    "hazards import --format geojson": (
        lambda p: ["hazards", "import", str(p), "--format", "geojson"],
        hazard_feature,
        "hazard_code",
        "hazard_areas",
        False,
    ),
    "zones import": (
        lambda p: ["zones", "import", str(p), "--series", f"sweep-{p.stem}"],
        zone_feature,
        "label",
        "control_zones",
        False,
    ),
    "zones import --skip-bad": (
        lambda p: ["zones", "import", str(p), "--series", f"sweep-{p.stem}", "--skip-bad"],
        zone_feature,
        "label",
        "control_zones",
        False,
    ),
}


def geojson_target_cases(
    target: str,
    args: Callable[[Path], list[str]],
    feature: Callable[..., dict[str, Any]],
    mark: str,
    table: str,
    points: bool,
) -> Iterator[Case]:
    """File-level kinds, then one bad feature beside a good one, for one GeoJSON importer."""
    good = collection(feature("template", 1))
    for kind, (content, where) in {**file_level(good), **not_geojson()}.items():
        yield Case(f"{target}/{kind}", args, content, ".geojson", REFUSED, (where,))
    whole_file = target == "zones import"
    bad_kinds: dict[str, tuple[Callable[[str], Any], str]] = {
        kind: (
            lambda tag, g=geometry: _bad_marks(feature(tag, 2, g), tag, mark),
            "/features/1" + where if where.startswith("/") else where,
        )
        for kind, (geometry, where) in geometry_kinds(points).items()
    }
    bad_kinds["feature_not_an_object"] = (lambda tag: "not a feature", "/features/1")
    bad_kinds["properties_not_an_object"] = (
        lambda tag: {**feature(tag, 2), "properties": [1, 2]},
        "/features/1/properties",
    )
    bad_kinds["nul_in_a_string"] = (
        lambda tag: _bad_marks(feature(tag, 2, source="a\u0000b", evidence="x\u0000"), tag, mark),
        "/features/1/properties/",
    )
    date_key = {
        "incidents": "date",
        "hazard_areas": "reported_on",
        "control_zones": "valid_from",
    }[table]
    for day in ("2021-02-30", "2021-13-01", "0000-00-00"):
        bad_kinds[f"impossible_date_{day}"] = (
            lambda tag, d=day: _bad_marks(feature(tag, 2, **{date_key: d}), tag, mark),
            "feature 1",
        )
    number_key, negative = {
        "incidents": ("killed_total", -3),
        "hazard_areas": ("area_m2", -4),
        "control_zones": ("shares", [-0.5]),
    }[table]
    bad_kinds["negative_number"] = (
        lambda tag: _bad_marks(feature(tag, 2, **{number_key: negative}), tag, mark),
        "feature 1",
    )
    bad_kinds["huge_number"] = (
        lambda tag: _bad_marks(
            feature(
                tag,
                2,
                **{
                    number_key: 1e300
                    if table == "hazard_areas"
                    else ([1e300] if table == "control_zones" else 10**30)
                },
            ),
            tag,
            mark,
        ),
        "feature 1",
    )
    if table == "hazard_areas":
        del bad_kinds["huge_number"]  # a large area is not an error; infinity is below
        bad_kinds["infinite_area"] = (
            lambda tag: _bad_marks(feature(tag, 2, area_m2=math.inf), tag, mark),
            "feature 1",
        )
    if table == "control_zones":
        # Valid lon/lat everywhere, but nowhere near Syria: the zone's own box check.
        bad_kinds["swapped_lat_lon"] = (
            lambda tag: _bad_marks(feature(tag, 2, square(35.05, 40.1)), tag, mark),
            "/features/1/geometry: outside Syria, the coordinates look swapped (lat, lon)",
        )
        bad_kinds["outside_syria"] = (
            lambda tag: _bad_marks(feature(tag, 2, square(13.4, 52.5)), tag, mark),
            "/features/1/geometry: outside Syria: extent x 13.4..13.45",
        )
    for kind, (make, where) in bad_kinds.items():
        case_id = f"{target}/{kind}"
        tag = _tag(case_id)
        content = json.dumps(
            {"type": "FeatureCollection", "features": [feature(tag, 1), make(tag)]}
        ).encode()
        if whole_file:
            yield Case(case_id, args, content, ".geojson", REFUSED, ("feature 1", where))
        else:
            yield Case(case_id, args, content, ".geojson", SKIPPED, ("feature 1", where), table, 1)
    # A self-intersecting polygon is repaired, with a warning giving GEOS's reason.
    if not points:
        case_id = f"{target}/bowtie_polygon"
        tag = _tag(case_id)
        content = collection(feature(tag, 1), feature(tag, 2, BOWTIE))
        yield Case(
            case_id,
            args,
            content,
            ".geojson",
            STORED,
            ("feature 1", "Self-intersection"),
            table,
            2,
        )
    else:
        case_id = f"{target}/bowtie_polygon"
        tag = _tag(case_id)
        content = collection(feature(tag, 1), _bad_marks(feature(tag, 2, BOWTIE), tag, mark))
        yield Case(
            case_id,
            args,
            content,
            ".geojson",
            SKIPPED,
            ("feature 1", "/features/1/geometry/type"),
            table,
            1,
        )


def geojson_cases() -> Iterator[Case]:
    for target, (args, feature, mark, table, points) in GEOJSON_TARGETS.items():
        yield from geojson_target_cases(target, args, feature, mark, table, points)
    # An unknown party skips the zone (a warning); with good ones stored, the exit is 1.
    case_id = "zones import/unknown_party"
    tag = _tag(case_id)
    yield Case(
        case_id,
        GEOJSON_TARGETS["zones import"][0],
        collection(
            zone_feature(tag, 1), zone_feature(tag, 2, parties="Nobody Front", label=f"bad-{tag}-2")
        ),
        ".geojson",
        SKIPPED,
        ("feature 1", "unknown party"),
        "control_zones",
        1,
    )
    # The classic mistake is a whole file written [lat, lon]: even with --skip-bad no
    # feature is usable, so the file is refused and nothing is written.
    for target in ("zones import", "zones import --skip-bad"):
        case_id = f"{target}/swapped_lat_lon (every feature)"
        tag = _tag(case_id)
        yield Case(
            case_id,
            GEOJSON_TARGETS[target][0],
            collection(
                zone_feature(tag, 1, square(36.0, 39.0), label=f"bad-{tag}-1"),
                zone_feature(tag, 2, square(35.0, 40.0), label=f"bad-{tag}-2"),
            ),
            ".geojson",
            REFUSED,
            (
                "feature 0: error: /features/0/geometry: outside Syria, the coordinates look",
                "feature 1: error: /features/1/geometry: outside Syria, the coordinates look",
            ),
        )


def hazard_csv_cases() -> Iterator[Case]:
    def args(p: Path) -> list[str]:
        return ["hazards", "import", str(p), "--format", "csv"]

    def body(tag: str, *rows: str) -> bytes:
        return utf8("\n".join([HAZARD_HEADER, hazard_row(tag, 1), *rows]) + "\n")

    for kind, (content, where) in file_level(body("template")).items():
        yield Case(f"hazards import --format csv/{kind}", args, content, ".csv", REFUSED, (where,))
    structural = {
        "missing_required_column": (utf8("hazard_code,lat\nX,35\n"), "line 1"),
        "duplicated_column": (
            utf8(HAZARD_HEADER + ",lat\n" + hazard_row("x", 1) + ",35\n"),
            "line 1",
        ),
        "unterminated_quote": (utf8(HAZARD_HEADER + '\n"HZ-1,suspected\n'), "line 2"),
        "header_only": (utf8(HAZARD_HEADER + "\n"), "no rows"),
        "one_5mb_line": (utf8(HAZARD_HEADER + "\n" + "x" * FIVE_MB + "\n"), "line 2"),
    }
    for kind, (content, where) in structural.items():
        yield Case(f"hazards import --format csv/{kind}", args, content, ".csv", REFUSED, (where,))
    kinds = row_level_csv(hazard_row, "area", ("lat", "lon"))
    kinds["ragged_rows"] = [
        lambda tag: ",".join(hazard_row(tag, 3, good=False).split(",")[:4]),
        lambda tag: hazard_row(tag, 4, good=False) + ",surplus",
    ]
    for kind, bad_rows in kinds.items():
        case_id = f"hazards import --format csv/{kind}"
        tag = _tag(case_id)
        lines = [make(tag) for make in bad_rows]
        where = tuple(f"line {3 + index}:" for index in range(len(lines)))
        yield Case(case_id, args, body(tag, *lines), ".csv", SKIPPED, where, "hazard_areas", 1)


def severity_cases() -> Iterator[Case]:
    def args(p: Path) -> list[str]:
        return ["hazards", "load-severity", "--file", str(p)]

    good = utf8(f"# comment\n{SEVERITY_HEADER}\n{SEVERITY_GOOD}\n")
    for kind, (content, where) in file_level(good).items():
        yield Case(f"hazards load-severity/{kind}", args, content, ".csv", REFUSED, (where,))
    bad_rows = {
        "missing_required_column": ("admin3_pcode,severity\nSY020000,4\n", "line 1"),
        "not_a_number": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\nSY020001,x,abc,1\n", "line 3"),
        "out_of_scale": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\nSY020001,x,9,1\n", "line 3"),
        "negative_pin": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\nSY020001,x,3,-5\n", "line 3"),
        "nan": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\nSY020001,x,NaN,1\n", "line 3"),
        "listed_twice": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\n{SEVERITY_GOOD}\n", "line 3"),
        "ragged_row": (f"{SEVERITY_HEADER}\n{SEVERITY_GOOD}\nSY020001,x\n", "line 3"),
        "unterminated_quote": (f'{SEVERITY_HEADER}\n"SY020001,x,3,1\n', "line 2"),
        "header_only": (f"{SEVERITY_HEADER}\n", "no rows"),
    }
    for kind, (content_text, where) in bad_rows.items():
        yield Case(
            f"hazards load-severity/{kind}", args, utf8(content_text), ".csv", REFUSED, (where,)
        )


def restore_cases() -> Iterator[Case]:
    dumps = {
        "empty": (b"", "empty"),
        "random_bytes": (RANDOM_BYTES, "byte 0"),
        "png_header": (PNG_HEADER, "byte 0"),
        "zip_header": (ZIP_HEADER, "byte 0"),
        "plain_sql": (b"-- PostgreSQL database dump\nCREATE TABLE x (id int);\n", "byte 0"),
    }
    for kind, (content, where) in dumps.items():
        yield Case(
            f"restore --force/{kind}",
            lambda p: ["restore", str(p), "--force"],
            content,
            ".dump",
            REFUSED,
            (where,),
        )
        yield Case(
            f"restore --database/{kind}",
            lambda p: ["restore", str(p), "--database", f"athar_test_{p.stem[-8:]}"],
            content,
            ".dump",
            REFUSED,
            (where,),
        )
    # Starts like a dump, so pg_restore reads it, fails, and the new database is dropped.
    yield Case(
        "restore --database/truncated_dump",
        lambda p: ["restore", str(p), "--database", f"athar_test_{p.stem[-8:]}"],
        b"PGDMP\x01\x0e\x00\x04\x08\x01",
        ".dump",
        REFUSED,
        ("pg_restore failed",),
    )


def argument_cases() -> Iterator[Case]:
    def alias(target: str, name: str, source: str = "test") -> Callable[[Path], list[str]]:
        return lambda p: ["gazetteer", "add-alias", target, name, "--source", source]

    def place(
        name: str = "Test camp",
        lat: str = "36.2",
        lon: str = "37.1",
        kind: str = "camp",
        source: str = "test",
    ) -> Callable[[Path], list[str]]:
        return lambda p: [
            "gazetteer",
            "add-place",
            name,
            "--kind",
            kind,
            "--lat",
            lat,
            "--lon",
            lon,
            "--source",
            source,
        ]

    refused = {
        "add-alias/nul_in_alias": (alias("SY02", "Ha\x00lab"), "alias"),
        "add-alias/empty_alias": (alias("SY02", "  "), "alias"),
        "add-alias/punctuation_only_alias": (alias("SY02", "'.'"), "alias"),
        "add-alias/very_long_alias": (alias("SY02", "x" * 5000), "alias"),
        "add-alias/unknown_target": (alias("SY9999", "Somewhere"), "SY9999"),
        "add-alias/huge_place_id": (alias("99999999999999999999", "Somewhere"), "99999999"),
        "add-alias/lone_surrogate": (alias("SY02", "Halab\udc80"), "alias"),
        "add-alias/empty_source": (alias("SY02", "Halab", " "), "source"),
        "add-place/latitude_200": (place(lat="200"), "200"),
        "add-place/latitude_minus_95": (place(lat="-95"), "-95"),
        "add-place/longitude_nan": (place(lon="nan"), "nan"),
        "add-place/latitude_infinity": (place(lat="inf"), "inf"),
        "add-place/swapped_lat_lon": (place(lat="40.14", lon="35.33"), "40.14"),
        "add-place/nul_in_name": (place(name="Camp\x00"), "name"),
        "add-place/very_long_name": (place(name="y" * 5000), "name"),
        "add-place/unknown_parent": (lambda p: [*place()(p), "--parent", "C999999"], "C999999"),
    }
    for name, (args, where) in refused.items():
        yield Case(f"gazetteer {name}", args, expect=REFUSED, where=(where,))
    usage = {
        "gazetteer add-place/latitude_not_a_number": (place(lat="abc"), "--lat"),
        "gazetteer add-place/unknown_kind": (place(kind="castle"), "--kind"),
        "zones at/impossible_date": (lambda p: ["zones", "at", "36", "35", "2021-02-30"], "DAY"),
        "zones at/month_13": (lambda p: ["zones", "at", "36", "35", "2021-13-01"], "DAY"),
        "zones at/year_zero": (lambda p: ["zones", "at", "36", "35", "0000-00-00"], "DAY"),
        "zones at/longitude_200": (lambda p: ["zones", "at", "200", "35", "2021-01-01"], "LON"),
        "zones at/latitude_nan": (lambda p: ["zones", "at", "36", "nan", "2021-01-01"], "LAT"),
        "zones disagreements/impossible_date": (
            lambda p: ["zones", "disagreements", "--from", "2021-02-30"],
            "--from",
        ),
        "zones disagreements/negative_limit": (
            lambda p: ["zones", "disagreements", "--limit", "-1"],
            "--limit",
        ),
        "export incidents/impossible_date": (
            lambda p: ["export", "incidents", str(p), "--date-from", "2021-02-30"],
            "--date-from",
        ),
        "export incidents/bbox_out_of_range": (
            lambda p: ["export", "incidents", str(p), "--bbox", "200,-95,300,95"],
            "bbox",
        ),
        "export incidents/bbox_junk": (
            lambda p: ["export", "incidents", str(p), "--bbox", "a,b,c"],
            "bbox",
        ),
        "export incidents/near_out_of_range": (
            lambda p: ["export", "incidents", str(p), "--near", "200,95,5"],
            "--near",
        ),
        "export incidents/near_nan": (
            lambda p: ["export", "incidents", str(p), "--near", "nan,nan,5"],
            "--near",
        ),
        "export incidents/negative_radius": (
            lambda p: ["export", "incidents", str(p), "--near", "36,35,-5"],
            "--near",
        ),
        "keys create/nul_in_name": (
            lambda p: ["keys", "create", "--name", "a\x00b", "--role", "partner"],
            "--name",
        ),
        "keys create/control_chars_in_name": (
            lambda p: ["keys", "create", "--name", "a\x1b[31mb", "--role", "partner"],
            "--name",
        ),
        "keys create/very_long_name": (
            lambda p: ["keys", "create", "--name", "k" * 5000, "--role", "partner"],
            "--name",
        ),
        "keys create/unknown_role": (
            lambda p: ["keys", "create", "--name", "k", "--role", "root"],
            "--role",
        ),
    }
    for name, (args, where) in usage.items():
        yield Case(name, args, expect=USAGE, where=(where,))
    # --jsonl reads stdin: a bad line is skipped with its number, the others answered.
    lines = (
        b'{"id": 1, "name": "Aleppo"}\n'
        + RANDOM_BYTES[:64].replace(b"\n", b" ")
        + b"\n"
        + b'{"id": 3, "name": "Ha\\u0000lab"}\n[1, 2]\n{"id": 5}\n'
    )
    yield Case(
        "gazetteer resolve --jsonl/binary_and_bad_lines",
        lambda p: ["gazetteer", "resolve", "--jsonl"],
        stdin=lines,
        expect=SKIPPED,
        where=("line 2:", "line 4:", "line 5:"),
        database=False,
    )
    # (Line 3's NUL is harmless there: --jsonl only resolves names, it stores nothing.)


def all_cases() -> list[Case]:
    cases = [
        *report_cases(),
        *incident_csv_cases("csv"),
        *incident_csv_cases("acled"),
        *geojson_cases(),
        *hazard_csv_cases(),
        *severity_cases(),
        *restore_cases(),
        *argument_cases(),
    ]
    ids = [case.id for case in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


CASES = all_cases()

# --- Checks ------------------------------------------------------------------------------


class Tables:
    """A fingerprint of every table: row count, and a sum over the row versions' ctid/xmin.

    A new row changes the count, an UPDATE gives the row a new ctid and xmin, a DELETE
    changes the count: any write shows. Read in one statement so it costs one round trip.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.last: dict[str, tuple[int, int]] | None = None
        with engine.connect() as conn:
            names = [
                f'"{schema}"."{table}"'
                for schema in ("public", RESTRICTED_SCHEMA)
                for table in inspect(conn).get_table_names(schema=schema)
            ]
        assert '"public"."incidents"' in names and any(RESTRICTED_SCHEMA in n for n in names)
        # Table names come from the catalogue, not from input: nothing here is user text.
        self.sql = text(
            " UNION ALL ".join(
                f"SELECT '{name}' AS name, count(*) AS n, "
                f"coalesce(sum(hashtext(ctid::text || ':' || xmin::text)::bigint), 0) AS h "
                f"FROM {name}"
                for name in names
            )
        )

    def snapshot(self) -> dict[str, tuple[int, int]]:
        with self.engine.connect() as conn:
            return {name: (int(n), int(h)) for name, n, h in conn.execute(self.sql)}

    def before(self) -> dict[str, tuple[int, int]]:
        """The previous case's "after", when it ran to completion (the cases run in turn)."""
        snapshot, self.last = self.last, None
        return snapshot or self.snapshot()

    def after(self) -> dict[str, tuple[int, int]]:
        self.last = self.snapshot()
        return self.last


@pytest.fixture(scope="module")
def tables(scratch_engine: Engine) -> Tables:
    return Tables(scratch_engine)


def _database_names(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT datname FROM pg_database")).scalars())


def _stored(engine: Engine, table: str, tag: str) -> tuple[int, int]:
    """Rows of ``table`` carrying the case's good and bad marks."""
    column = {"incidents": "place_text", "hazard_areas": "hazard_code", "control_zones": "label"}[
        table
    ]
    with engine.connect() as conn:
        counts = conn.execute(
            text(
                f"SELECT count(*) FILTER (WHERE {column} LIKE :good),"
                f" count(*) FILTER (WHERE {column} LIKE :bad) FROM {table}"
            ),
            {"good": f"good-{tag}-%", "bad": f"bad-{tag}-%"},
        ).one()
    return int(counts[0]), int(counts[1])


def _run(case: Case, path: Path, url: str) -> Result:
    runner = CliRunner()
    return runner.invoke(
        main,
        case.args(path),
        input=case.stdin,
        env={"DATABASE_URL": url, **case.extra_env},
        catch_exceptions=False,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_input(
    case: Case, tables: Tables, scratch_engine: Engine, tmp_path: Path
) -> None:
    tag = _tag(case.id)
    # The file is named after the case so its rows (keyed by file name) are its own.
    path = tmp_path / f"{tag[-40:]}-{uuid.uuid4().hex[:8]}{case.suffix}"
    if case.content is not None:
        path.write_bytes(case.content)
    url = scratch_engine.url.render_as_string(hide_password=False)
    databases = _database_names(scratch_engine)
    before = tables.before()

    result = _run(case, path, url)

    output = result.output
    stderr = result.stderr
    assert "Traceback" not in output, output[-3000:]
    after = tables.after()
    # Whatever the outcome, no database is left behind (restore --database NEW).
    assert _database_names(scratch_engine) == databases
    if case.content is not None and case.expect != EMPTY_OK:
        assert str(path) in stderr, stderr[-2000:]
    for where in case.where:
        assert where in stderr, f"{where!r} not in stderr:\n{stderr[-2000:]}"

    if case.expect in (REFUSED, USAGE, EMPTY_OK):
        expected_code = {REFUSED: 1, USAGE: 2, EMPTY_OK: 0}[case.expect]
        assert result.exit_code == expected_code, output[-2000:]
        changed = sorted(name for name in before if before[name] != after[name])
        assert not changed, f"refused input wrote to {changed}"
        if case.expect == REFUSED and case.content is not None:
            # A refusal ends with "athar: FILE: ..." or click's "Error: FILE: ...".
            assert re.search(rf"(athar|Error): {re.escape(str(path))}", stderr), stderr[-2000:]
        if case.expect == EMPTY_OK:
            assert json.loads(result.stdout) == []
        if not case.database:
            assert result.stdout.strip() in ("", "[]")
        return

    expected_code = 1 if case.expect == SKIPPED else 0
    assert result.exit_code == expected_code, output[-2000:]
    if case.id.startswith("gazetteer resolve"):
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        assert [answer["id"] for answer in answers] == [1, 3]
        assert before == after
        return
    if not case.database:  # etl convert: the good records on stdout, nothing stored
        assert len(json.loads(result.stdout)) == case.good
        assert before == after
        return
    assert case.table is not None
    good, bad = _stored(scratch_engine, case.table, tag)
    assert (good, bad) == (case.good, 0), output[-2000:]
    grown = after[f'"public"."{case.table}"'][0] - before[f'"public"."{case.table}"'][0]
    assert grown == case.good


def test_the_sweep_covers_every_input_path() -> None:
    """The inventory in the docstring is what the sweep runs, path by path."""
    paths = {case.id.split("/")[0] for case in CASES}
    assert paths >= {
        "etl parse",
        "etl ingest",
        "etl import --format csv",
        "etl import --format acled",
        "etl import --format geojson",
        "etl convert --format csv",
        "etl convert --format acled",
        "zones import",
        "zones import --skip-bad",
        "hazards import --format csv",
        "hazards import --format geojson",
        "hazards load-severity",
        "restore --force",
        "restore --database",
        "gazetteer add-alias",
        "gazetteer add-place",
        "zones at",
        "zones disagreements",
        "export incidents",
        "keys create",
        "gazetteer resolve --jsonl",
    }
    assert len(CASES) > 300


def test_a_refused_file_does_not_stop_the_others(scratch_engine: Engine, tmp_path: Path) -> None:
    """One transaction per file: the bad file is refused, the good one beside it is stored."""
    stamp = uuid.uuid4().hex[:8]
    env = {"DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
    good_report = tmp_path / f"good-report-{stamp}.txt"
    good_report.write_bytes(utf8(REPORT))
    bad_report = tmp_path / f"bad-report-{stamp}.txt"
    bad_report.write_bytes(PNG_HEADER)
    result = CliRunner().invoke(
        main,
        ["etl", "ingest", str(bad_report), str(good_report)],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert f"athar: {bad_report}: line 1, byte 0" in result.stderr
    assert "1 report(s)" in result.stdout

    tag = f"two-files-{stamp}"
    good_csv = tmp_path / f"good-{stamp}.csv"
    good_csv.write_bytes(utf8(f"{INCIDENT_HEADER}\n{incident_row(tag, 1)}\n"))
    bad_csv = tmp_path / f"bad-{stamp}.csv"
    bad_csv.write_bytes(b"")
    result = CliRunner().invoke(
        main,
        ["etl", "import", str(bad_csv), str(good_csv), "--format", "csv"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert f"athar: {bad_csv}: the file is empty" in result.stderr
    assert _stored(scratch_engine, "incidents", tag) == (1, 0)
    with scratch_engine.connect() as conn:
        keys = set(
            conn.execute(
                text("SELECT source_key FROM source_documents WHERE source_key LIKE :pattern"),
                {"pattern": f"%{stamp}%"},
            ).scalars()
        )
    assert keys == {good_report.stem, f"csv:{good_csv.name}"}


def test_a_huge_bad_value_is_quoted_clipped(scratch_engine: Engine, tmp_path: Path) -> None:
    """Messages quote the offending value; a 50,000-character one is cut, not printed whole."""
    stamp = uuid.uuid4().hex[:8]
    env = {"DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}
    huge = "x" * 50_000
    csv_file = tmp_path / f"huge-{stamp}.csv"
    csv_file.write_bytes(
        utf8(f"{INCIDENT_HEADER}\n{huge},bad-huge-{stamp},Idlib,35.93,36.63,artillery,2,row\n")
    )
    result = CliRunner().invoke(
        main, ["etl", "import", str(csv_file), "--format", "csv"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 1
    line = next(text_line for text_line in result.stderr.splitlines() if "line 2" in text_line)
    assert len(line) < 1_000
    assert "more characters]" in line

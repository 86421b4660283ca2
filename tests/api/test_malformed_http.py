"""Every HTTP input — request bodies and free-form parameters — against malformed values.

Each case asserts a 4xx (never a 5xx), an ``application/problem+json`` body whose detail (or
its ``errors`` list) names the offending parameter or field, and that nothing was stored: a
fingerprint of every table of the ``public`` and ``restricted`` schemas (row count plus the
row versions' ctid/xmin) is identical before and after, read on the test's own connection so
it sees the app's uncommitted writes too.

==========================================  ===============================================
route                                        inputs swept
==========================================  ===============================================
``POST /incidents/search``                   body (not JSON, binary, empty, not an object,
                                             deeply nested), ``geometry`` (missing, wrong
                                             type, unclosed or short rings, NaN/Infinity/
                                             1e400/out-of-range coordinates, bow-tie, too
                                             many vertices), the shared query filters
``GET /incidents``, ``/incidents/export.*``  ``date_from``/``date_to`` (2021-02-30, 2021-13-01,
``/stats``, ``/tiles/incidents/...``          0000-00-00, reversed), ``bbox``, ``lat``/``lon``/
                                             ``radius_km``, ``limit``, ``cursor``, codes
``GET /incidents/{id}``                      id beyond bigint, not a number
``GET /control``, ``/control/zones``,        ``lat``, ``lon``, ``date``, ``bbox``,
``/control/disagreements``                   ``simplify``, ``from``, ``offset``, ``admin``
``GET /landmines/hotspots|severity``         ``method``, ``bbox``, ``from``, ``eps``, ``limit``
``GET /gazetteer/search|reverse``            ``q``, ``limit``, ``lat``, ``lon``
``POST /gazetteer/aliases``                  body, ``target``, ``alias`` (empty, NUL, lone
                                             surrogate, too long), ``source``
``POST /gazetteer/places``                   body, ``lat``/``lon`` (200, -95, NaN, Infinity,
                                             text, swapped), ``kind``, ``name``, ``parent``
``GET /ogc/collections/{id}/items``          ``bbox``, ``datetime``, ``date``, ``limit``,
                                             ``offset``
==========================================  ===============================================
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.orm import Session

from db.keys import create_key
from db.models import RESTRICTED_SCHEMA

RANDOM_BYTES = random.Random(8).randbytes(2048)
SQUARE = [[36.1, 36.1], [36.3, 36.1], [36.3, 36.3], [36.1, 36.3], [36.1, 36.1]]
BOWTIE = [[36.0, 35.0], [36.1, 35.1], [36.1, 35.0], [36.0, 35.1], [36.0, 35.0]]


@dataclass(frozen=True)
class HttpCase:
    id: str
    method: str
    url: str
    names: tuple[str, ...]  # what the problem's detail or errors must name
    params: dict[str, str] | None = None
    json_body: Any = None
    raw_body: bytes | None = None  # sent as application/json without encoding
    editor: bool = False  # send an editor key (writes need one)
    statuses: tuple[int, ...] = (422,)


def polygon_body(ring: Any) -> dict[str, Any]:
    return {"geometry": {"type": "Polygon", "coordinates": [ring]}}


def search_cases() -> Iterator[HttpCase]:
    url = "/incidents/search"
    raw = {
        "body_not_json": (b'{"geometry": {oops}}', "body"),
        "body_binary": (RANDOM_BYTES, "body"),
        "body_empty": (b"", "body"),
        "body_deeply_nested": (b'{"geometry": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "body"),
        "nan_coordinate": (
            b'{"geometry": {"type": "Polygon", "coordinates": '
            b"[[[NaN, 36.1], [36.3, 36.1], [36.3, 36.3], [NaN, 36.1]]]}}",
            "geometry: Polygon ring 0",
        ),
        "infinity_coordinate": (
            b'{"geometry": {"type": "Polygon", "coordinates": '
            b"[[[Infinity, 36.1], [36.3, 36.1], [36.3, 36.3], [Infinity, 36.1]]]}}",
            "geometry: Polygon ring 0",
        ),
        "huge_number_coordinate": (
            b'{"geometry": {"type": "Polygon", "coordinates": '
            b"[[[1e400, 36.1], [36.3, 36.1], [36.3, 36.3], [1e400, 36.1]]]}}",
            "geometry: Polygon ring 0",
        ),
    }
    for kind, (body, name) in raw.items():
        # A body that cannot be parsed at all is a 400; one that parses but is wrong, a 422.
        yield HttpCase(
            f"POST {url}/{kind}", "POST", url, (name,), raw_body=body, statuses=(400, 422)
        )
    bodies: dict[str, tuple[Any, tuple[str, ...], tuple[int, ...]]] = {
        "body_is_an_array": ([1, 2], ("body",), (422,)),
        "geometry_missing": ({}, ("geometry",), (422,)),
        "geometry_not_an_object": (
            {"geometry": "POLYGON((36 35,37 35,37 36,36 35))"},
            ("geometry",),
            (422,),
        ),
        "point_not_polygon": (
            {"geometry": {"type": "Point", "coordinates": [36, 35]}},
            ("geometry", "Point"),
            (422,),
        ),
        "line_not_polygon": (
            {"geometry": {"type": "LineString", "coordinates": [[36, 35], [37, 36]]}},
            ("geometry", "LineString"),
            (422,),
        ),
        "coordinates_not_a_list": (
            {"geometry": {"type": "Polygon", "coordinates": 5}},
            ("Polygon",),
            (422,),
        ),
        "unclosed_ring": (
            polygon_body(SQUARE[:-1]),
            ("geometry: Polygon ring 0", "not closed"),
            (422,),
        ),
        "too_few_points": (
            polygon_body([SQUARE[0], SQUARE[1], SQUARE[0]]),
            ("geometry: Polygon ring 0", "four positions"),
            (422,),
        ),
        "longitude_200": (
            polygon_body([[200, 36.1], *SQUARE[1:-1], [200, 36.1]]),
            ("geometry: Polygon ring 0", "longitude"),
            (422,),
        ),
        "latitude_minus_95": (
            polygon_body([[36.1, -95], *SQUARE[1:-1], [36.1, -95]]),
            ("geometry: Polygon ring 0", "latitude"),
            (422,),
        ),
        "text_coordinates": (
            polygon_body([["36.1", "36.1"], *SQUARE[1:-1], ["36.1", "36.1"]]),
            ("geometry: Polygon ring 0",),
            (422,),
        ),
        "bowtie": (polygon_body(BOWTIE), ("geometry", "Self-intersection"), (422,)),
        "empty_multipolygon": (
            {"geometry": {"type": "MultiPolygon", "coordinates": []}},
            ("MultiPolygon",),
            (422,),
        ),
        "too_many_vertices": (
            polygon_body(
                [[36 + i * 1e-5, 35 + (i % 2) * 1e-3] for i in range(10_050)] + [[36, 35]]
            ),
            ("vertices",),
            (413,),
        ),
        "nul_in_type": (
            {"geometry": {"type": "Poly\u0000gon", "coordinates": [SQUARE]}},
            ("geometry",),
            (422,),
        ),
    }
    for kind, (body, names, statuses) in bodies.items():
        yield HttpCase(f"POST {url}/{kind}", "POST", url, names, json_body=body, statuses=statuses)
    yield HttpCase(
        f"POST {url}/impossible_date_filter",
        "POST",
        url,
        ("date_from",),
        params={"date_from": "2021-02-30"},
        json_body=polygon_body(SQUARE),
    )
    yield HttpCase(
        f"POST {url}/bbox_filter_out_of_range",
        "POST",
        url,
        ("bbox",),
        params={"bbox": "200,-95,300,95"},
        json_body=polygon_body(SQUARE),
    )


# Query strings shared by every incident route (one validation, many routes).
FILTER_PARAMS: dict[str, tuple[dict[str, str], str]] = {
    "date_2021_02_30": ({"date_from": "2021-02-30"}, "date_from"),
    "date_2021_13_01": ({"date_to": "2021-13-01"}, "date_to"),
    "date_0000_00_00": ({"date_from": "0000-00-00"}, "date_from"),
    "date_not_a_date": ({"date_from": "yesterday"}, "date_from"),
    "dates_reversed": ({"date_from": "2021-03-01", "date_to": "2021-01-01"}, "date_from"),
    "bbox_out_of_range": ({"bbox": "200,-95,300,95"}, "bbox"),
    "bbox_nan": ({"bbox": "nan,nan,nan,nan"}, "bbox"),
    "bbox_infinity": ({"bbox": "-inf,-inf,inf,inf"}, "bbox"),
    "bbox_three_numbers": ({"bbox": "36,35,37"}, "bbox"),
    "bbox_junk": ({"bbox": "\x00\x01"}, "bbox"),
    "bbox_inverted": ({"bbox": "37,36,36,35"}, "bbox"),
    "latitude_95": ({"lat": "95", "lon": "36", "radius_km": "5"}, "lat"),
    "longitude_200": ({"lat": "35", "lon": "200", "radius_km": "5"}, "lon"),
    "latitude_nan": ({"lat": "nan", "lon": "36", "radius_km": "5"}, "lat"),
    "radius_negative": ({"lat": "35", "lon": "36", "radius_km": "-5"}, "radius_km"),
    "radius_huge": ({"lat": "35", "lon": "36", "radius_km": "1e400"}, "radius_km"),
    "near_incomplete": ({"lat": "35"}, "radius_km"),
    "unknown_weapon": ({"weapon": "laser"}, "weapon"),
    "unknown_perpetrator": ({"perpetrator": "nobody"}, "perpetrator"),
    "admin_not_a_pcode": ({"admin": "SY'; DROP TABLE incidents;--"}, "admin"),
    "massacre_not_boolean": ({"massacre": "perhaps"}, "massacre"),
}


def filter_cases() -> Iterator[HttpCase]:
    routes = {
        "GET /incidents": "/incidents",
        "GET /incidents/export.csv": "/incidents/export.csv",
        "GET /stats": "/stats",
        "GET /tiles/incidents": "/tiles/incidents/6/38/25.mvt",
    }
    for route, url in routes.items():
        for kind, (params, name) in FILTER_PARAMS.items():
            yield HttpCase(f"{route}/{kind}", "GET", url, (name,), params=params)
    paging = {
        "limit_zero": ({"limit": "0"}, "limit"),
        "limit_huge": ({"limit": "99999999999999999999"}, "limit"),
        "limit_not_a_number": ({"limit": "ten"}, "limit"),
        "cursor_junk": ({"cursor": "\x00junk"}, "cursor"),
        "cursor_forged_date": ({"cursor": "MjAyMS0wMi0zMHwxfGFiY2RlZmdo"}, "cursor"),
    }
    for kind, (params, name) in paging.items():
        yield HttpCase(f"GET /incidents/{kind}", "GET", "/incidents", (name,), params=params)
    yield HttpCase(
        "GET /incidents/{id}/beyond_bigint",
        "GET",
        "/incidents/99999999999999999999",
        ("99999999999999999999",),
        statuses=(404,),
    )
    yield HttpCase("GET /incidents/{id}/not_a_number", "GET", "/incidents/abc", ("incident_id",))
    yield HttpCase(
        "GET /incidents/export.xyz/unknown_format", "GET", "/incidents/export.xyz", ("format_name",)
    )
    yield HttpCase(
        "GET /stats/unknown_group", "GET", "/stats", ("group_by",), params={"group_by": "colour"}
    )
    tiles = {
        "zoom_99": "/tiles/incidents/99/0/0.mvt",
        "x_beyond_zoom": "/tiles/incidents/2/9/0.mvt",
        "y_huge": "/tiles/incidents/3/0/99999999999999999999.mvt",
        "zoom_negative": "/tiles/incidents/-1/0/0.mvt",
        "x_not_a_number": "/tiles/incidents/3/x/0.mvt",
    }
    for kind, url in tiles.items():
        yield HttpCase(
            f"GET /tiles/incidents/z/x/y/{kind}", "GET", url, (), statuses=(400, 404, 422)
        )
    yield HttpCase(
        "GET /tiles/control_zones/date_2021_02_30",
        "GET",
        "/tiles/control_zones/6/38/25.mvt",
        ("date",),
        params={"date": "2021-02-30"},
    )


def other_query_cases() -> Iterator[HttpCase]:
    cases: dict[str, tuple[str, dict[str, str], str]] = {
        "GET /control/latitude_95": (
            "/control",
            {"lat": "95", "lon": "36", "date": "2021-01-01"},
            "lat",
        ),
        "GET /control/longitude_200": (
            "/control",
            {"lat": "35", "lon": "200", "date": "2021-01-01"},
            "lon",
        ),
        "GET /control/longitude_nan": (
            "/control",
            {"lat": "35", "lon": "nan", "date": "2021-01-01"},
            "lon",
        ),
        "GET /control/date_2021_02_30": (
            "/control",
            {"lat": "35", "lon": "36", "date": "2021-02-30"},
            "date",
        ),
        "GET /control/date_0000_00_00": (
            "/control",
            {"lat": "35", "lon": "36", "date": "0000-00-00"},
            "date",
        ),
        "GET /control/date_missing": ("/control", {"lat": "35", "lon": "36"}, "date"),
        "GET /control/zones/date_2021_13_01": ("/control/zones", {"date": "2021-13-01"}, "date"),
        "GET /control/zones/bbox_nan": (
            "/control/zones",
            {"date": "2021-01-01", "bbox": "nan,1,2,3"},
            "bbox",
        ),
        "GET /control/zones/bbox_out_of_range": (
            "/control/zones",
            {"date": "2021-01-01", "bbox": "-200,-95,200,95"},
            "bbox",
        ),
        "GET /control/zones/simplify_negative": (
            "/control/zones",
            {"date": "2021-01-01", "simplify": "-1"},
            "simplify",
        ),
        "GET /control/zones/simplify_nan": (
            "/control/zones",
            {"date": "2021-01-01", "simplify": "nan"},
            "simplify",
        ),
        "GET /control/disagreements/from_0000": (
            "/control/disagreements",
            {"from": "0000-00-00"},
            "from",
        ),
        "GET /control/disagreements/offset_negative": (
            "/control/disagreements",
            {"offset": "-1"},
            "offset",
        ),
        "GET /control/disagreements/offset_beyond_int": (
            "/control/disagreements",
            {"offset": "99999999999999999999"},
            "offset",
        ),
        "GET /control/disagreements/admin_junk": (
            "/control/disagreements",
            {"admin": "XX99"},
            "admin",
        ),
        "GET /landmines/hotspots/unknown_method": (
            "/landmines/hotspots",
            {"method": "kmeans"},
            "method",
        ),
        "GET /landmines/hotspots/bbox_junk": ("/landmines/hotspots", {"bbox": "a,b,c,d"}, "bbox"),
        "GET /landmines/hotspots/from_2021_02_30": (
            "/landmines/hotspots",
            {"from": "2021-02-30"},
            "from",
        ),
        "GET /landmines/hotspots/from_after_to": (
            "/landmines/hotspots",
            {"from": "2021-03-01", "to": "2021-01-01"},
            "from",
        ),
        "GET /landmines/hotspots/eps_negative": ("/landmines/hotspots", {"eps": "-1"}, "eps"),
        "GET /landmines/hotspots/eps_nan": ("/landmines/hotspots", {"eps": "nan"}, "eps"),
        "GET /landmines/hotspots/limit_huge": (
            "/landmines/hotspots",
            {"limit": "99999999999999999999"},
            "limit",
        ),
        "GET /landmines/hotspots/hex_size_nan": (
            "/landmines/hotspots",
            {"method": "hex", "hex_size": "nan"},
            "hex_size",
        ),
        "GET /landmines/hotspots/as_of_0000": (
            "/landmines/hotspots",
            {"as_of": "0000-00-00"},
            "as_of",
        ),
        "GET /landmines/hotspots/minpoints_huge": (
            "/landmines/hotspots",
            {"minpoints": "1e10"},
            "minpoints",
        ),
        "GET /gazetteer/search/context_too_long": (
            "/gazetteer/search",
            {"q": "Aleppo", "context": "c" * 5000},
            "context",
        ),
        "GET /landmines/severity/bbox_three_numbers": (
            "/landmines/severity",
            {"bbox": "36,35,37"},
            "bbox",
        ),
        "GET /gazetteer/search/empty_q": ("/gazetteer/search", {"q": ""}, "q"),
        "GET /gazetteer/search/q_too_long": ("/gazetteer/search", {"q": "x" * 5000}, "q"),
        "GET /gazetteer/search/limit_zero": (
            "/gazetteer/search",
            {"q": "Aleppo", "limit": "0"},
            "limit",
        ),
        "GET /gazetteer/reverse/latitude_95": (
            "/gazetteer/reverse",
            {"lat": "95", "lon": "36"},
            "lat",
        ),
        "GET /gazetteer/reverse/longitude_nan": (
            "/gazetteer/reverse",
            {"lat": "35", "lon": "nan"},
            "lon",
        ),
        "GET /gazetteer/reverse/latitude_text": (
            "/gazetteer/reverse",
            {"lat": "north", "lon": "36"},
            "lat",
        ),
    }
    for case_id, (url, params, name) in cases.items():
        yield HttpCase(case_id, "GET", url, (name,), params=params)
    ogc = "/ogc/collections/incidents/items"
    ogc_cases = {
        "bbox_out_of_range": ({"bbox": "200,-95,300,95"}, "bbox"),
        "bbox_five_numbers": ({"bbox": "1,2,3,4,5"}, "bbox"),
        "datetime_2021_02_30": ({"datetime": "2021-02-30"}, "datetime"),
        "datetime_reversed": ({"datetime": "2021-03-01/2021-01-01"}, "datetime"),
        "datetime_junk": ({"datetime": "\x00/.."}, "datetime"),
        "limit_zero": ({"limit": "0"}, "limit"),
        "offset_negative": ({"offset": "-1"}, "offset"),
        "offset_beyond_bigint": ({"offset": "99999999999999999999"}, "offset"),
    }
    for kind, (params, name) in ogc_cases.items():
        yield HttpCase(f"GET {ogc}/{kind}", "GET", ogc, (name,), params=params, statuses=(400, 422))
    yield HttpCase(
        "GET /ogc/collections/incidents/items/id/beyond_bigint",
        "GET",
        "/ogc/collections/incidents/items/99999999999999999999",
        ("99999999999999999999",),
        statuses=(404,),
    )
    yield HttpCase(
        "GET /ogc/collections/control_zones/items/date_2021_13_01",
        "GET",
        "/ogc/collections/control_zones/items",
        ("date",),
        params={"date": "2021-13-01"},
        statuses=(400, 422),
    )


def addition_cases() -> Iterator[HttpCase]:
    alias = {"target": "SY02", "alias": "Halab test", "source": "test"}
    place = {"name": "Test camp", "kind": "camp", "lat": 36.2, "lon": 37.1, "source": "test"}
    alias_cases: dict[str, tuple[Any, tuple[str, ...]]] = {
        "missing_fields": ({}, ("target", "alias", "source")),
        "unknown_target": ({**alias, "target": "SY9999"}, ("target",)),
        "empty_alias": ({**alias, "alias": ""}, ("alias",)),
        "punctuation_alias": ({**alias, "alias": "'.'"}, ("alias",)),
        "nul_in_alias": ({**alias, "alias": "Ha\u0000lab"}, ("alias",)),
        "very_long_alias": ({**alias, "alias": "x" * 5000}, ("alias",)),
        "blank_source": ({**alias, "source": "   "}, ("source",)),
        "alias_not_text": ({**alias, "alias": ["Halab"]}, ("alias",)),
        "huge_place_id": ({**alias, "target": "99999999999999999999"}, ("target",)),
    }
    for kind, (body, names) in alias_cases.items():
        yield HttpCase(
            f"POST /gazetteer/aliases/{kind}",
            "POST",
            "/gazetteer/aliases",
            names,
            json_body=body,
            editor=True,
        )
    yield HttpCase(
        "POST /gazetteer/aliases/lone_surrogate",
        "POST",
        "/gazetteer/aliases",
        ("alias",),
        raw_body=b'{"target": "SY02", "alias": "Halab\\udc80", "source": "test"}',
        editor=True,
    )
    yield HttpCase(
        "POST /gazetteer/aliases/body_binary",
        "POST",
        "/gazetteer/aliases",
        ("body",),
        raw_body=RANDOM_BYTES,
        editor=True,
        statuses=(400, 422),
    )
    yield HttpCase(
        "POST /gazetteer/places/body_deeply_nested",
        "POST",
        "/gazetteer/places",
        ("body",),
        raw_body=b"[" * 50_000 + b"]" * 50_000,
        editor=True,
        statuses=(400, 422),
    )
    place_cases: dict[str, tuple[Any, tuple[str, ...]]] = {
        "latitude_200": ({**place, "lat": 200}, ("lat",)),
        "latitude_minus_95": ({**place, "lat": -95}, ("lat",)),
        "latitude_text": ({**place, "lat": "north"}, ("lat",)),
        "swapped_lat_lon": ({**place, "lat": 40.14, "lon": 35.33}, ("lat",)),
        "unknown_kind": ({**place, "kind": "castle"}, ("kind",)),
        "nul_in_name": ({**place, "name": "Camp\u0000"}, ("name",)),
        "very_long_name": ({**place, "name": "y" * 5000}, ("name",)),
        "unknown_parent": ({**place, "parent": "C999999"}, ("parent",)),
        "missing_coordinates": ({"name": "Camp", "kind": "camp", "source": "t"}, ("lat", "lon")),
    }
    for kind, (body, names) in place_cases.items():
        yield HttpCase(
            f"POST /gazetteer/places/{kind}",
            "POST",
            "/gazetteer/places",
            names,
            json_body=body,
            editor=True,
        )
    for kind, number in (
        ("latitude_nan", b"NaN"),
        ("latitude_infinity", b"Infinity"),
        ("latitude_1e400", b"1e400"),
    ):
        yield HttpCase(
            f"POST /gazetteer/places/{kind}",
            "POST",
            "/gazetteer/places",
            ("lat",),
            raw_body=b'{"name": "Camp", "kind": "camp", "lat": '
            + number
            + b', "lon": 37.1, "source": "t"}',
            editor=True,
        )


CASES = [*search_cases(), *filter_cases(), *other_query_cases(), *addition_cases()]


@pytest.fixture
def client(gazetteer_loaded: Engine, app_client: TestClient) -> TestClient:
    return app_client


@pytest.fixture
def editor_key(db_session: Session) -> str:
    return create_key(db_session, name="malformed-http editor", role="editor").plain


@pytest.fixture(scope="module")
def fingerprint_sql(engine: Engine) -> str:
    """Row count and a sum over row versions (ctid, xmin) per table, in one statement.

    api_keys is counted only: an authenticated request stamps its key's last_used_at.
    """
    parts = []
    with engine.connect() as conn:
        for schema in ("public", RESTRICTED_SCHEMA):
            for table in inspect(conn).get_table_names(schema=schema):
                name = f'"{schema}"."{table}"'
                versions = (
                    "0"
                    if table == "api_keys"
                    else "coalesce(sum(hashtext(ctid::text || ':' || xmin::text)::bigint), 0)"
                )
                parts.append(f"SELECT '{name}', count(*), {versions} FROM {name}")
    assert any('"public"."incidents"' in part for part in parts)
    return " UNION ALL ".join(parts)


def _fingerprint(connection: Connection, sql: str) -> dict[str, tuple[int, int]]:
    # Through the test's own connection, so the app's uncommitted writes would show.
    rows = connection.execute(text(sql))
    return {name: (int(count), int(versions)) for name, count, versions in rows}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_malformed_request(
    case: HttpCase,
    client: TestClient,
    editor_key: str,
    connection: Connection,
    fingerprint_sql: str,
) -> None:
    headers = {"X-API-Key": editor_key} if case.editor else {}
    before = _fingerprint(connection, fingerprint_sql)
    if case.raw_body is not None:
        headers["Content-Type"] = "application/json"
        response = client.request(
            case.method, case.url, params=case.params, content=case.raw_body, headers=headers
        )
    elif case.method == "POST":
        response = client.request(
            case.method, case.url, params=case.params, json=case.json_body, headers=headers
        )
    else:
        response = client.request(case.method, case.url, params=case.params, headers=headers)

    assert response.status_code in case.statuses, response.text[:2000]
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    said = problem["detail"] + json.dumps(problem.get("errors", []))
    for name in case.names:
        assert name in said, f"{name!r} not named in {said[:1000]!r}"
    assert _fingerprint(connection, fingerprint_sql) == before


def test_every_write_route_and_query_family_is_swept() -> None:
    routes = {case.id.rsplit("/", 1)[0] for case in CASES}
    assert {"POST /incidents/search", "POST /gazetteer/aliases", "POST /gazetteer/places"} <= {
        f"{case.method} {case.url}" for case in CASES
    }
    assert len(routes) > 20 and len(CASES) > 150

"""``athar gazetteer resolve``: the JSON and JSON-lines contracts."""

from __future__ import annotations

import json

from click.testing import CliRunner

from athar.cli_gazetteer import gazetteer_group

CONTRACT_KEYS = {
    "id",
    "lat",
    "lon",
    "pcode",
    "admin1_pcode",
    "admin2_pcode",
    "admin3_pcode",
    "location_precision",
    "score",
    "name",
}


def test_resolve_single_name_prints_resolution_json() -> None:
    result = CliRunner().invoke(
        gazetteer_group,
        [
            "resolve",
            "Izaz city",
            "--context",
            "northern suburbs of Aleppo governorate",
        ],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["resolved"] is True
    assert answer["pcode"] == "C1564"
    assert answer["admin1_name"] == "Aleppo"


def test_jsonl_contract() -> None:
    lines = [
        {"id": "a", "name": "Saraqeb city", "context": "eastern suburbs of Idlib governorate"},
        {"id": 7, "name": "Xyzzyqwv", "context": None},
        {"id": "c", "name": "Douma city"},
    ]
    stdin = "".join(json.dumps(line) + "\n" for line in lines)
    result = CliRunner().invoke(gazetteer_group, ["resolve", "--jsonl"], input=stdin)
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 3
    for answer in answers:
        assert set(answer) == CONTRACT_KEYS
    by_id = {a["id"]: a for a in answers}
    assert by_id["a"]["pcode"] == "C3916" and by_id["a"]["admin1_pcode"] == "SY07"
    assert isinstance(by_id["a"]["lat"], float)
    assert by_id[7]["lat"] is None and by_id[7]["pcode"] is None
    assert by_id["c"]["admin1_pcode"] == "SY03"


def test_jsonl_bad_lines_are_reported_and_skipped() -> None:
    stdin = (
        "\n".join(
            [
                json.dumps({"id": 1, "name": "Idlib city"}),
                "{not json",
                json.dumps(["a", "list"]),
                json.dumps({"id": 4, "name": 12}),
                json.dumps({"id": 5, "name": "Hama", "context": 3}),
                json.dumps({"id": 6, "name": "Homs"}),
            ]
        )
        + "\n"
    )
    result = CliRunner().invoke(gazetteer_group, ["resolve", "--jsonl"], input=stdin)
    assert result.exit_code == 1
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == [1, 6]
    assert "line 2" in result.stderr and "line 4" in result.stderr
    assert "4 bad input line(s)" in result.stderr


def test_resolve_without_name_is_a_usage_error() -> None:
    result = CliRunner().invoke(gazetteer_group, ["resolve"])
    assert result.exit_code == 2


def test_jsonl_invalid_utf8_line_is_skipped() -> None:
    stdin = (
        json.dumps({"id": 1, "name": "Idlib city"}).encode()
        + b"\n"
        + b'{"id": 2, "name": "\xff\xfe"}\n'
        + json.dumps({"id": 3, "name": "Homs"}).encode()
        + b"\n"
    )
    result = CliRunner().invoke(gazetteer_group, ["resolve", "--jsonl"], input=stdin)
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 3]
    assert "line 2" in result.stderr

"""``athar etl parse`` on files: JSON output, tolls, review, and clean failures."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from athar.cli import main
from etl.report.model import INTERCHANGE_FIELDS, TOLL_FIELDS

SAMPLE = Path(__file__).parent / "fixtures" / "sample_report.txt"


def _run(*args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["etl", "parse", *args])
    return result.exit_code, result.stdout, result.stderr


def test_parse_prints_interchange_records() -> None:
    code, out, _ = _run(str(SAMPLE))
    assert code == 0
    records = json.loads(out)
    assert records and all(tuple(r) == INTERCHANGE_FIELDS for r in records)
    assert all("provenance" not in r for r in records)


def test_provenance_flag() -> None:
    code, out, _ = _run(str(SAMPLE), "--provenance")
    assert code == 0
    assert all("provenance" in r for r in json.loads(out))


def test_tolls_flag() -> None:
    code, out, _ = _run(str(SAMPLE), "--tolls")
    assert code == 0
    tolls = json.loads(out)
    assert tolls and all(tuple(t) == TOLL_FIELDS for t in tolls)


def test_review_flag() -> None:
    code, out, _ = _run(str(SAMPLE), "--review")
    assert code == 0
    assert any("no place" in item["reason"] for item in json.loads(out))


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    code, out, err = _run(str(tmp_path / "absent.txt"))
    assert code != 0
    assert "no such file" in err
    assert "Traceback" not in out + err


def test_undecodable_file_is_a_clean_error(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Dar\xe2 governorate".encode("latin-1") + b"\xff\xfe\xfa")
    code, out, err = _run(str(bad))
    assert code != 0
    assert "UTF-8" in err
    assert "Traceback" not in out + err


def test_binary_file_is_a_clean_error(tmp_path: Path) -> None:
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x00\x01\x02PNG\x00\x00")
    code, _, err = _run(str(binary))
    assert code != 0
    assert "binary" in err


def test_empty_file_gives_empty_array(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    code, out, _ = _run(str(empty))
    assert code == 0
    assert json.loads(out) == []


def test_import_file_reports_bad_rows(tmp_path: Path) -> None:
    data = tmp_path / "incidents.csv"
    data.write_text(
        "date,place_text,governorate,killed_total\n"
        "2019-04-02,Tell Jadid village,Idlib,2\n"
        "not-a-date,Other village,Hama,1\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["etl", "convert", str(data)])
    assert result.exit_code == 1
    assert len(json.loads(result.stdout)) == 1
    assert "incidents.csv: line 3:" in result.stderr

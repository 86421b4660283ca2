"""The parser against the analysts' gold files in ../shared (skipped when absent)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from etl.report import parse_report

pytestmark = pytest.mark.shared


def _scorer(shared_dir: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "score_incidents", shared_dir / "tools" / "score_incidents.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_reports_meet_the_targets(shared_dir: Path) -> None:
    scorer = _scorer(shared_dir)
    runs = []
    for gold_path in sorted((shared_dir / "gold").glob("*.gold.json")):
        stem = gold_path.name[: -len(".gold.json")]
        text = (shared_dir / "reports" / f"{stem}.txt").read_text(encoding="utf-8")
        predicted = [i.to_interchange() for i in parse_report(text, source_name=stem).incidents]
        runs.append((stem, predicted, json.loads(gold_path.read_text(encoding="utf-8"))))
    result = scorer.score(runs, verbose=False)
    assert result["f1"] >= 0.90, result
    assert result["field_mean"] >= 0.90, result
    if any(r["place_pcode"] for _, pred, _ in runs for r in pred):
        # Only meaningful once the gazetteer resolves places.
        assert result["geo_within_5km"] >= 0.90, result


def test_every_sample_report_parses_quickly(shared_dir: Path) -> None:
    import time

    from etl.report.parser import clear_text_caches

    for report in sorted((shared_dir / "reports").glob("*.txt")):
        text = report.read_text(encoding="utf-8")
        parse_report(text)  # load the taxonomy and the gazetteer
        timings = []
        for _ in range(3):  # best of three: a busy machine should not fail the test
            clear_text_caches()  # ... but time each parse as if the report were new
            started = time.perf_counter()
            parse_report(text)
            timings.append(time.perf_counter() - started)
        assert min(timings) < 1.0, (report.name, timings)

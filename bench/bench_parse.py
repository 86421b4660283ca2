"""Time the report parser: ``python bench/bench_parse.py [REPORT.txt ...]``.

Without arguments it times the sample reports in ../shared/reports. Each report is parsed
once to load data (party taxonomy, gazetteer index), then REPEAT times with the per-sentence
caches cleared, so each timed parse costs what a new report costs; the figure reported is the
median wall time per parse. The target is under one second per report.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPEAT = 5
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from etl.report import parse_report  # noqa: E402
from etl.report.parser import clear_text_caches  # noqa: E402


def bench(path: Path) -> tuple[float, int]:
    text = path.read_text(encoding="utf-8")
    parse_report(text, source_name=path.stem)
    timings = []
    incidents = 0
    for _ in range(REPEAT):
        clear_text_caches()  # time a report the parser has not seen, with data loaded
        started = time.perf_counter()
        parsed = parse_report(text, source_name=path.stem)
        timings.append(time.perf_counter() - started)
        incidents = len(parsed.incidents)
    return statistics.median(timings), incidents


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted((ROOT.parent / "shared" / "reports").glob("*.txt"))
    if not paths:
        print("no reports given and ../shared/reports not found", file=sys.stderr)
        return 2
    worst = 0.0
    for path in paths:
        seconds, incidents = bench(path)
        worst = max(worst, seconds)
        size = path.stat().st_size
        print(f"{path.name:45s} {size / 1024:7.1f} KiB {incidents:4d} incidents {seconds:7.3f} s")
    print(f"slowest: {worst:.3f} s per report (target < 1 s)")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``parse_report``: one report's text in, incidents, tolls, control facts and review items out.

The parser never raises on odd input: empty text, binary junk and huge files produce an
empty or partial result with warnings, because one bad report must not stop a batch.
"""

from __future__ import annotations

import logging

from etl.report.dates import detect_period
from etl.report.incidents import build_incidents
from etl.report.model import ParsedReport
from etl.report.segment import segment
from etl.report.tolls import extract_tolls

log = logging.getLogger(__name__)

# Reports are tens of kilobytes; anything far larger is not a report and would only make
# the regular expressions slow.
MAX_REPORT_CHARS = 1_000_000


def clear_text_caches() -> None:
    """Forget per-sentence results (party and place scans, gazetteer answers) so the next
    parse costs what a never-seen report costs; loaded data (taxonomy, gazetteer) stays."""
    from etl.report import parties, places

    parties._find_parties.cache_clear()
    parties._find_control_statements.cache_clear()
    places._find_places.cache_clear()
    places.resolve_place.cache_clear()


def _sanitize(text: str) -> str:
    # Control characters (NUL, form feeds from PDF tools) carry no words; keep offsets by
    # replacing them one-for-one with spaces.
    return "".join(ch if ch in "\n\t\r" or ch >= " " else " " for ch in text)


def parse_report(text: str | bytes, *, source_name: str | None = None) -> ParsedReport:
    """Parse one report into incidents (interchange format plus provenance) and tolls."""
    warnings: list[str] = []
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
        warnings.append("input was bytes; decoded as UTF-8 with replacement characters")
    if not isinstance(text, str):
        return ParsedReport(
            source_name=source_name,
            period=None,
            warnings=[f"unsupported input type {type(text).__name__}"],
        )
    if len(text) > MAX_REPORT_CHARS:
        warnings.append(f"report truncated to its first {MAX_REPORT_CHARS} characters")
        text = text[:MAX_REPORT_CHARS]
    text = _sanitize(text)
    result = ParsedReport(source_name=source_name, period=None, warnings=warnings)
    if not text.strip():
        warnings.append("empty report")
        return result
    try:
        period = detect_period(text)
        if period is None:
            warnings.append("no report period found; dates without a year are skipped")
        result.period = period.label if period else None
        paragraphs = segment(text)
        result.incidents = build_incidents(
            paragraphs,
            period,
            source_name,
            result.review_items,
            result.control_observations,
            warnings,
        )
        result.tolls = extract_tolls(paragraphs, period, warnings)
    except Exception as error:  # a parser bug must degrade to a warning, never abort a batch
        log.exception("report parser failed on %s", source_name)
        warnings.append(f"parser error: {type(error).__name__}: {error}")
    return result

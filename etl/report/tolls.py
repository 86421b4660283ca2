"""Report totals (tolls): placeholder."""

from __future__ import annotations

from etl.report.dates import Period
from etl.report.model import Toll
from etl.report.segment import Paragraph


def extract_tolls(paragraphs: list[Paragraph], period: Period | None, warnings: list[str]) -> list[Toll]:
    return []

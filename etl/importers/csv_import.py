"""CSV incidents. Columns are the interchange field names (see ``etl.report.model``):

``date`` (required: YYYY-MM-DD, YYYY-MM or YYYY), ``date_precision`` (optional, must agree),
``time`` (HH:MM), ``place_text``, ``place_context``, ``governorate`` (any common spelling),
``admin1_pcode``, ``place_pcode``, ``lat``, ``lon``, ``location_precision``, ``perpetrator``,
``perpetrator_category``, ``perpetrator_subcategory``, ``weapon``, ``killed_total``,
``killed_children``, ``killed_women``, ``injured``, ``massacre`` (true/false; derived from
killed_total >= 5 when blank), ``victim_categories`` and ``controlling_force_categories``
(codes separated by ``;``), ``facility``, ``controlling_force``, ``evidence``.

Unknown columns are ignored with one problem noted; a row with a bad value is skipped and
reported with its line number.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from etl.importers.record import ImportProblem, ImportResult, RowError, build_record
from etl.report.model import INTERCHANGE_FIELDS


def import_csv(source: str | Path) -> ImportResult:
    """Records from CSV text or a CSV file path."""
    text = Path(source).read_text(encoding="utf-8-sig") if isinstance(source, Path) else source
    result = ImportResult()
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "date" not in header:
        result.problems.append(ImportProblem(1, "header has no 'date' column"))
        return result
    unknown = [name for name in header if name not in INTERCHANGE_FIELDS]
    if unknown:
        result.problems.append(ImportProblem(1, f"ignored unknown columns: {', '.join(unknown)}"))
    for row in reader:
        line = reader.line_num
        if None in row:
            result.problems.append(ImportProblem(line, "row has more values than the header"))
            continue
        try:
            result.add(build_record(row), line)
        except RowError as error:
            result.problems.append(ImportProblem(line, str(error)))
    return result

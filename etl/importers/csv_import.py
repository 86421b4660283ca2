"""CSV incidents. Columns are the interchange field names (see ``etl.report.model``):

``date`` (required: YYYY-MM-DD, YYYY-MM or YYYY), ``date_precision`` (optional, must agree),
``time`` (HH:MM), ``place_text``, ``place_context``, ``governorate`` (any common spelling),
``admin1_pcode``, ``place_pcode``, ``lat``, ``lon``, ``location_precision``, ``perpetrator``,
``perpetrator_category``, ``perpetrator_subcategory``, ``weapon``, ``killed_total``,
``killed_children``, ``killed_women``, ``injured``, ``massacre`` (true/false; derived from
killed_total >= 5 when blank), ``victim_categories`` and ``controlling_force_categories``
(codes separated by ``;``), ``facility``, ``controlling_force``, ``evidence``.

A file that is not such a table (no ``date`` column, a column named twice, broken quoting,
no rows) raises :class:`~etl.inputs.InputFileError`. Unknown columns are ignored with a
warning; a row with a bad value, or with more or fewer values than the header, is skipped and
reported with its line number.
"""

from __future__ import annotations

from pathlib import Path

from etl.importers.record import ImportProblem, ImportResult, RowError, build_record
from etl.inputs import InputFileError, read_csv, read_text_file
from etl.report.model import INTERCHANGE_FIELDS


def import_csv(source: str | Path) -> ImportResult:
    """Records from CSV text or a CSV file path."""
    text = read_text_file(source) if isinstance(source, Path) else source
    table = read_csv(text, required=("date",))
    if not table.rows:
        raise InputFileError("no rows after the header")
    result = ImportResult()
    unknown = [name for name in table.header if name and name not in INTERCHANGE_FIELDS]
    if unknown:
        result.warnings.append(ImportProblem(1, f"ignored unknown columns: {', '.join(unknown)}"))
    for row in table.rows:
        if row.problem:
            result.problems.append(ImportProblem(row.line, row.problem))
            continue
        try:
            result.add(build_record(row.values), row.line)
        except RowError as error:
            result.problems.append(ImportProblem(row.line, str(error)))
    return result

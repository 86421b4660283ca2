"""Importers for structured incident files: CSV, GeoJSON and ACLED exports.

Each importer turns rows into interchange records (the same shape ``athar etl parse`` prints)
and reports bad rows with their line (or feature) number instead of stopping; a file with
one malformed row still imports the others. A file that is not the format at all raises
:class:`~etl.inputs.InputFileError` with where the problem is.
"""

from etl.importers.acled import import_acled
from etl.importers.csv_import import import_csv
from etl.importers.geojson_import import import_geojson
from etl.importers.record import ImportProblem, ImportResult
from etl.inputs import InputFileError

__all__ = [
    "ImportProblem",
    "ImportResult",
    "InputFileError",
    "import_acled",
    "import_csv",
    "import_geojson",
]

"""Reading what people hand to athar: files as text, CSV tables, JSON and GeoJSON geometry.

Every importer reads its file through here, so a malformed input is refused the same way
everywhere and the message says where the problem is: ``line 3``, ``line 1, byte 0``, or a
JSON pointer such as ``/features/2/geometry/coordinates/0``.

The rule the importers follow (README, "Bad input"): a problem with the *file* — it cannot be
read, is not UTF-8 text (a UTF-8 byte-order mark is allowed), is binary, empty, not a CSV
table with the expected header, not JSON, or not a GeoJSON FeatureCollection —
refuses the whole file and nothing from it is written. What happens to a bad *row* or
*feature* of an otherwise readable file is each importer's own documented rule.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

_UTF8_BOM = b"\xef\xbb\xbf"
# UTF-16 and UTF-32 files announce themselves with these; they are refused by name rather
# than decoded, because junk that starts with FF FE also decodes as "UTF-16" (into CJK).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# C0 controls other than tab, line feed, vertical tab, form feed and carriage return never
# occur in text (pdftotext does emit form feeds between pages, so those stay allowed).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
# The csv module's own limit on one field; a longer one means the file is not a table.
_CSV_FIELD_LIMIT = csv.field_size_limit()
# Reports are prose in paragraphs; a paragraph of a real report is a few thousand characters,
# while a single line of this length is a binary, minified or mangled file.
REPORT_MAX_LINE_CHARS = 100_000


#: Longest problem message printed: messages quote the offending value, which may be huge.
MESSAGE_MAX_CHARS = 400


def clip_message(message: str, limit: int = MESSAGE_MAX_CHARS) -> str:
    """``message`` cut to ``limit`` characters, saying how much was left out."""
    if len(message) <= limit:
        return message
    return f"{message[:limit]}... [{len(message) - limit} more characters]"


class InputFileError(Exception):
    """A file refused as a whole; ``where`` locates the problem when it has a place."""

    def __init__(self, message: str, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def read_bytes(path: Path) -> bytes:
    """The file's bytes; InputFileError with the operating system's reason otherwise."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError("no such file") from None
    except IsADirectoryError:
        raise InputFileError("is a directory, not a file") from None
    except OSError as error:
        raise InputFileError(f"cannot read ({error.strerror or error})") from None


def decode_text(raw: bytes, *, allow_empty: bool = False, max_line_chars: int | None = None) -> str:
    """Text from UTF-8 bytes (a byte-order mark is dropped), refusing anything else.

    ``max_line_chars`` refuses text with a longer line (prose has paragraphs; a single line
    of megabytes is a binary or minified file).
    """
    for bom, label in _WIDE_BOMS:
        if raw.startswith(bom):
            raise InputFileError(
                f"{label} text (byte-order mark {bom.hex(' ').upper()}); save the file as UTF-8",
                where="line 1, byte 0",
            )
    skip = len(_UTF8_BOM) if raw.startswith(_UTF8_BOM) else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skip + error.start
        line = raw.count(b"\n", 0, offset) + 1
        raise InputFileError(
            f"not UTF-8 text (byte 0x{raw[offset]:02X} cannot be decoded); save the file as UTF-8",
            where=f"line {line}, byte {offset}",
        ) from None
    control = _CONTROL.search(text)
    if control is not None:
        where = f"line {_line_of(text, control.start())}"
        if control.group() == "\x00":
            raise InputFileError(
                "NUL byte: a binary file, or UTF-16 text without a byte-order mark", where=where
            )
        raise InputFileError(
            f"control character U+{ord(control.group()):04X}: a binary file, not text",
            where=where,
        )
    if not allow_empty and not text.strip():
        raise InputFileError("the file is empty")
    if max_line_chars is not None:
        start = 0
        number = 1
        while start <= len(text):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            if end - start > max_line_chars:
                raise InputFileError(
                    f"the line has {end - start:,} characters (at most {max_line_chars:,}); "
                    "a binary or minified file, not a text report",
                    where=f"line {number}",
                )
            start = end + 1
            number += 1
    return text


def read_text_file(
    path: Path, *, allow_empty: bool = False, max_line_chars: int | None = None
) -> str:
    """:func:`read_bytes` then :func:`decode_text`."""
    return decode_text(read_bytes(path), allow_empty=allow_empty, max_line_chars=max_line_chars)


# --- CSV --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvRow:
    line: int  # where the row starts (the header is line 1)
    values: dict[str, str]
    problem: str | None = None  # a row that does not fit the header (ragged)


@dataclass(frozen=True)
class CsvTable:
    header: list[str]
    rows: list[CsvRow]


def _csv_error(error: csv.Error) -> str:
    message = str(error)
    if "unexpected end of data" in message:
        return "a quoted value that starts on this line is never closed"
    if "field larger than field limit" in message:
        return f"a value is longer than {_CSV_FIELD_LIMIT:,} characters; this is not a CSV table"
    return f"not valid CSV ({message})"


def _names(header: list[str]) -> str:
    """The header's column names for a message, bounded: a junk header can be megabytes."""
    names = [name if len(name) <= 40 else name[:37] + "..." for name in header if name]
    shown = ", ".join(names[:12]) + (f", and {len(names) - 12} more" if len(names) > 12 else "")
    return shown or "no column names"


def read_csv(text: str, *, required: Iterable[str] = ()) -> CsvTable:
    """A CSV table with a header row; InputFileError for what makes the file unusable.

    Refused as a whole: no header, a required column missing, a column named twice, and
    quoting the csv module cannot follow (an unclosed quote swallows the rest of the file, so
    no row after it can be trusted). Rows with fewer values than the header, or more non-empty
    ones, come back with a ``problem`` for the importer to report.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[CsvRow] = []
    header: list[str] | None = None
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise InputFileError(_csv_error(error), where=f"line {start}") from None
        if not cells:
            continue  # a blank line
        if header is None:
            header = [cell.strip() for cell in cells]
            seen: dict[str, int] = {}
            for column, name in enumerate(header, start=1):
                if name and name in seen:
                    raise InputFileError(
                        f"column {name!r} appears twice (columns {seen[name]} and {column})",
                        where=f"line {start}",
                    )
                seen[name] = column
            missing = [name for name in required if name not in seen]
            if missing:
                raise InputFileError(
                    f"missing column(s) {', '.join(missing)} in the header ({_names(header)})",
                    where=f"line {start}",
                )
            continue
        problem = None
        if len(cells) < len(header) or any(cell.strip() for cell in cells[len(header) :]):
            problem = f"row has {len(cells)} values, the header has {len(header)} columns"
        values = {name: cell for name, cell in zip(header, cells, strict=False) if name}
        rows.append(CsvRow(start, values, problem))
    if header is None:
        raise InputFileError("the file is empty")
    return CsvTable(header, rows)


# --- JSON and GeoJSON ---------------------------------------------------------------------


def parse_json(text: str) -> Any:
    """The JSON document; InputFileError with the line and column of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputFileError(
            f"not JSON ({error.msg})", where=f"line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise InputFileError("not usable JSON (nested too deeply)") from None


def features_of(document: Any) -> list[Any]:
    """The features of a GeoJSON FeatureCollection; InputFileError naming what is wrong."""
    if not isinstance(document, dict):
        raise InputFileError(
            f"not a GeoJSON FeatureCollection (the document is a JSON {_json_kind(document)})",
            where="/",
        )
    if document.get("type") != "FeatureCollection":
        kind = document.get("type")
        raise InputFileError(
            "not a GeoJSON FeatureCollection "
            + (f"(type is {kind!r})" if kind is not None else "(no type member)"),
            where="/type",
        )
    features = document.get("features")
    if not isinstance(features, list):
        raise InputFileError(
            f"features must be a list, not a JSON {_json_kind(features)}", where="/features"
        )
    if not features:
        raise InputFileError("the FeatureCollection has no features", where="/features")
    return features


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def bad_string(value: Any, pointer: str) -> str | None:
    """Where and why a JSON value holds text PostgreSQL cannot store (NUL, lone surrogates)."""
    if isinstance(value, str):
        if "\x00" in value:
            return f"{pointer}: contains a NUL character"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{pointer}: is not valid Unicode (a lone surrogate)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = bad_string(key, pointer) or bad_string(item, f"{pointer}/{_escape(key)}")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_string(item, f"{pointer}/{index}")
            if found:
                return found
    return None


def feature_properties(feature: object, pointer: str) -> dict[str, Any] | str:
    """A GeoJSON feature's properties (``{}`` when null or absent), or why it is refused.

    Refused: anything but a ``Feature`` object, properties that are not an object (``[]``,
    ``""`` and ``0`` included) and text PostgreSQL cannot store.
    """
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return f"{pointer}: not a GeoJSON Feature object"
    properties = feature.get("properties")
    if properties is None:
        return {}
    if not isinstance(properties, dict):
        return f"{pointer}/properties: properties must be a JSON object"
    return bad_string(properties, f"{pointer}/properties") or properties


def _escape(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


class GeometryError(ValueError):
    """A GeoJSON geometry that cannot be used; the message starts with its JSON pointer."""


def _position(value: Any, pointer: str) -> None:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise GeometryError(f"{pointer}: a position is [longitude, latitude]")
    for number in value:
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise GeometryError(f"{pointer}: coordinates must be numbers, not {number!r}")
        if not math.isfinite(number):
            raise GeometryError(f"{pointer}: coordinate {number} is not a finite number")
    lon, lat = value[0], value[1]
    if not -180 <= lon <= 180:
        raise GeometryError(f"{pointer}: longitude {lon} is outside -180..180")
    if not -90 <= lat <= 90:
        raise GeometryError(f"{pointer}: latitude {lat} is outside -90..90")


def _rings(value: Any, pointer: str) -> None:
    if not isinstance(value, list) or not value:
        raise GeometryError(f"{pointer}: a polygon is a non-empty list of linear rings")
    for index, ring in enumerate(value):
        where = f"{pointer}/{index}"
        if not isinstance(ring, list):
            raise GeometryError(f"{where}: a linear ring is a list of positions")
        for number, position in enumerate(ring):
            _position(position, f"{where}/{number}")
        if len(ring) < 4:
            raise GeometryError(
                f"{where}: a linear ring needs at least 4 positions, it has {len(ring)}"
            )
        if ring[0][:2] != ring[-1][:2]:
            raise GeometryError(
                f"{where}: the ring is not closed (first and last positions differ)"
            )


def read_geometry(geometry: Any, pointer: str, allowed: Sequence[str]) -> BaseGeometry:
    """A shapely geometry from GeoJSON, after checking its structure against RFC 7946.

    Raises GeometryError for: no geometry, a type not in ``allowed``, positions that are not
    finite lon/lat numbers in range, rings with fewer than four positions or not closed.
    Topological validity (self-intersection) is left to the caller, which may repair it.
    """
    if geometry is None:
        raise GeometryError(f"{pointer}: no geometry")
    if not isinstance(geometry, dict):
        raise GeometryError(f"{pointer}: a geometry is a JSON object")
    kind = geometry.get("type")
    if kind not in allowed:
        raise GeometryError(
            f"{pointer}/type: geometry is a {kind!r}; {' or '.join(allowed)} needed"
        )
    coordinates = geometry.get("coordinates")
    where = f"{pointer}/coordinates"
    if kind == "Point":
        _position(coordinates, where)
    elif kind == "Polygon":
        _rings(coordinates, where)
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            raise GeometryError(f"{where}: a MultiPolygon is a non-empty list of polygons")
        for index, polygon in enumerate(coordinates):
            _rings(polygon, f"{where}/{index}")
    else:  # pragma: no cover - callers only allow the types above
        raise GeometryError(f"{pointer}/type: {kind!r} is not supported")
    try:
        return shape(geometry)
    except Exception as error:  # shapely raises several types for input it cannot build
        raise GeometryError(f"{pointer}: unreadable geometry ({error})") from None

"""Readers: a catalog file (CSV, XLSX or JSON) as a header and a stream of numbered raw rows.

Rows are numbered as the seller sees them: in a spreadsheet the header is row 1 and the first data row
is row 2 (blank rows are skipped but still counted, as Excel counts them); in JSON the first object is
entry 1. CSV is read as Excel writes it: UTF-8 with or without a byte-order mark, comma or semicolon
separated (Excel in a Vietnamese locale writes semicolons). Rows are streamed, never all held at once,
except for JSON, which has no streaming form in the standard library.
"""

from __future__ import annotations

import csv
import json
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

from core.errors import InputRejected, UsageError

__all__ = ["FORMATS", "RawRow", "Table", "detect_format", "open_table"]

FORMATS = ("csv", "xlsx", "json")


class RawRow(NamedTuple):
    number: int
    values: dict[str, Any]


@dataclass
class Table:
    """A header and its rows; ``label`` is what a row is called in messages ("row" or "entry").

    ``cells`` streams each non-blank row as its number and its cells in header order, as read (a row
    may be shorter or longer than the header); :meth:`rows` and :meth:`picked` read from it, once.
    """

    header: list[str]
    cells: Iterator[tuple[int, Sequence[Any]]]
    label: str = "row"
    header_problems: list[str] = field(default_factory=list)

    def rows(self) -> Iterator[RawRow]:
        """Each row as a dict by column name (``"\\x00extra"`` set when cells run past the header)."""
        width = len(self.header)
        for number, cells in self.cells:
            values: dict[str, Any] = dict(zip(self.header, cells, strict=False))
            if len(cells) > width and not _is_blank(cells[width:]):
                values["\x00extra"] = True
            yield RawRow(number, values)

    def picked(self, names: Sequence[str]) -> Iterator[tuple[int, tuple[Any, ...], bool]]:
        """Each row as (number, the cells of ``names`` in that order, whether cells run past the header).

        A name the header lacks, or a cell a short row lacks, reads as None. Cheaper than :meth:`rows`
        for a caller that knows its columns: no dict per row.
        """
        width = len(self.header)
        positions = [self.header.index(n) if n in self.header else width for n in names]
        pick = itemgetter(*positions) if len(positions) > 1 else lambda row: (row[positions[0]],)
        padded = width in positions
        for number, read in self.cells:
            cells, extra = read, False
            if len(read) != width:
                extra = len(read) > width and not _is_blank(read[width:])
                cells = [*read[:width], *repeat(None, width - len(read))]
            yield number, pick([*cells, None] if padded else cells), extra


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix == "json":
        return "json"
    raise UsageError(
        f"cannot tell the format of {path.name!r} from its extension",
        hint="use a .csv, .xlsx or .json file",
    )


def _clean_header(raw: list[Any]) -> tuple[list[str], list[str]]:
    names = [str(cell).strip().lstrip("\ufeff").strip().lower() if cell is not None else "" for cell in raw]
    while names and not names[-1]:
        names.pop()
    problems: list[str] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append(f"column {position} has no name in the header row")
        elif name in seen:
            problems.append(f"column {name!r} appears twice in the header row")
        seen.add(name)
    return names, problems


def _is_blank(values: Sequence[Any]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _not_utf8(path: Path, row: int) -> InputRejected:
    if _sniff(path) in ("zip", "ole"):
        return InputRejected(
            f"{path.name} is an Excel workbook, not CSV text", hint=f"rename it to {path.stem}.xlsx, or save it as CSV"
        )
    return InputRejected(
        f"{path.name} is not UTF-8 text (near row {row})",
        hint="in Excel use File → Save As → 'CSV UTF-8 (Comma delimited)'",
    )


def _not_csv(path: Path, row: int, exc: csv.Error) -> InputRejected:
    if _sniff(path) != "text":
        return _not_utf8(path, row)
    return InputRejected(
        f"{path.name} cannot be read as CSV near row {row}: {exc}",
        hint="open it in Excel and save it again as 'CSV UTF-8 (Comma delimited)'",
    )


def _sniff(path: Path) -> str:
    """What a file holds, from its first bytes: "zip" (an .xlsx), "ole" (a password-protected workbook
    or an old .xls), "text", "binary" or "empty"."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError:
        return "binary"
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    return "binary" if b"\x00" in head else "text"


@contextmanager
def _read_csv(path: Path) -> Iterator[Table]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            first = handle.readline()
        except UnicodeDecodeError as exc:
            raise _not_utf8(path, 1) from exc
        if not first.strip():
            raise InputRejected(f"{path.name} is empty", hint="the first row must be the header row")
        delimiter = ";" if first.count(";") > first.count(",") else ","
        if first.count("\t") > max(first.count(";"), first.count(",")):
            delimiter = "\t"
        try:
            header, problems = _clean_header(next(csv.reader([first], delimiter=delimiter)))
        except csv.Error as exc:
            raise _not_csv(path, 1, exc) from exc
        reader = csv.reader(handle, delimiter=delimiter)

        def rows() -> Iterator[tuple[int, list[str]]]:
            number = 1
            try:
                for number, cells in enumerate(reader, start=2):
                    # Cheap tests first: a row whose first cell has text is not blank.
                    if any(cells) and (cells[0].strip() or not _is_blank(cells)):
                        yield number, cells
            except UnicodeDecodeError as exc:
                raise _not_utf8(path, number + 1) from exc
            except csv.Error as exc:  # a field past the size limit: not a CSV file as a spreadsheet saves it
                raise _not_csv(path, number + 1, exc) from exc

        yield Table(header, rows(), header_problems=problems)


_JSON_SHAPE = (
    'write [{"seller_code": ..., "product_sku": ...}, ...]: one object per variant, keyed by column name '
    "('chosync catalog template catalog.json' writes an example)"
)


def _read_json(path: Path) -> Table:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputRejected(f"{path.name} is not UTF-8 text", hint="save it again with UTF-8 encoding") from exc
    except json.JSONDecodeError as exc:
        raise InputRejected(
            f"{path.name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            hint=f"correct the file there (a missing comma, quote or bracket); {_JSON_SHAPE}",
        ) from exc
    except RecursionError as exc:
        raise InputRejected(f"{path.name} is nested too deeply to be a catalog", hint=_JSON_SHAPE) from exc
    if not isinstance(data, list):
        raise InputRejected(
            f"{path.name} holds a JSON {type(data).__name__.replace('dict', 'object')}, not an array of objects, "
            "one per variant",
            hint=_JSON_SHAPE,
        )
    if not data:
        raise InputRejected(f"{path.name} has no entries", hint=_JSON_SHAPE)
    header: list[str] = []
    problems: list[str] = []
    for index, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            problems.append(f"entry {index} is not an object")
            continue
        header.extend(k for k in entry if k not in header)

    clean, _ = _clean_header(header)

    def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for index, entry in enumerate(data, start=1):
            if isinstance(entry, dict):
                values = {str(k).strip().lower(): v for k, v in entry.items()}
                yield index, tuple(map(values.get, clean))

    return Table(clean, rows(), label="entry", header_problems=problems)


def _not_xlsx(path: Path, exc: BaseException) -> InputRejected:
    kind = _sniff(path)
    if kind == "ole":
        return InputRejected(
            f"{path.name} is password-protected (or an old .xls workbook): it cannot be read",
            hint="open it in Excel, remove the password (File → Info → Protect Workbook) and save it as .xlsx",
        )
    if kind == "text":
        return InputRejected(f"{path.name} is text, not an .xlsx workbook", hint=f"rename it to {path.stem}.csv")
    if kind == "empty":
        return InputRejected(f"{path.name} is empty (0 bytes)", hint="save the workbook again from Excel")
    return InputRejected(
        f"{path.name} is not a readable .xlsx workbook: it is damaged or incomplete ({exc})",
        hint="open it in Excel and save it again (or export it again), then import the new file",
    )


# What openpyxl and the zip and XML layers below it raise for a file that is not a whole workbook.
_BROKEN_XLSX: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    IndexError,
    TypeError,
    ElementTree.ParseError,
)


@contextmanager
def _read_xlsx(path: Path) -> Iterator[Table]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, *_BROKEN_XLSX) as exc:
        raise _not_xlsx(path, exc) from exc
    try:
        try:
            sheet = workbook.worksheets[0]
            cells = sheet.iter_rows(values_only=True)
            first = next(cells, None)
        except _BROKEN_XLSX as exc:
            raise _not_xlsx(path, exc) from exc
        if first is None or _is_blank(first):
            raise InputRejected(f"{path.name} is empty", hint="the first row must be the header row")
        header, problems = _clean_header(list(first))

        def rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
            number = 1
            try:
                for number, row in enumerate(cells, start=2):
                    if not _is_blank(row):
                        yield number, row
            except _BROKEN_XLSX as exc:  # damage past the first rows shows only as they are read
                raise InputRejected(
                    f"{path.name} is damaged: it could not be read past row {number}",
                    hint="open it in Excel and save it again (or export it again), then import the new file",
                ) from exc

        yield Table(header, rows(), header_problems=problems)
    finally:
        workbook.close()


@contextmanager
def open_table(path: Path) -> Iterator[Table]:
    """Open a catalog file; the rows stream while the block runs."""
    if path.is_dir():
        raise UsageError(
            f"{str(path)!r} is a folder, not a catalog file", hint="name a .csv, .xlsx or .json file in it"
        )
    if not path.is_file():
        raise UsageError(
            f"file {str(path)!r} not found",
            hint=f"check the name and the folder (a relative path starts in {Path.cwd()})",
        )
    kind = detect_format(path)
    if kind == "xlsx":
        with _read_xlsx(path) as table:
            yield table
    elif kind == "json":
        yield _read_json(path)
    else:
        with _read_csv(path) as table:
            yield table

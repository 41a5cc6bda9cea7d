"""One raw spreadsheet row checked and turned into exact product and variant values.

A row either parses completely or yields every problem it has (one per column), so a seller fixes a
file in one pass instead of one error at a time. Checks that need other rows (duplicate SKUs, product
columns that disagree between rows) live in the importer.

A column the file does not have is not parsed at all: its value is :data:`ABSENT` (left alone by the
import), unlike a column present with an empty cell (cleared). With ``replace`` every column counts as
present, so a left-out one clears like an empty cell.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

from core.catalog import values as v
from core.catalog.columns import COLUMN_NAMES, PRODUCT_COLUMNS
from core.catalog.image_sources import ImageSources
from core.catalog.stored import PRODUCT_FIELDS, fingerprint, normalizer
from core.models import ProductStatus

__all__ = ["ABSENT", "ParsedRow", "RowParser", "RowProblem", "parse_row"]


class _Absent(Enum):
    # An enum member, so that it is itself again after the trip between processes (parse_ahead).
    ABSENT = "absent"


ABSENT = _Absent.ABSENT  # the value of a column the file leaves out

_STATUS_WORDS = {s.value: s for s in ProductStatus}
# Distinct texts remembered per column. Catalog columns repeat the same few texts (categories, option
# names, prices, weights, origins, empty cells), so each is parsed once; a column of unique values
# (SKUs, names) just refills its memo, at the cost of one dict insert per cell. Long texts are not
# kept: they rarely repeat and would make the memo's memory depend on the file.
_MEMO_SIZE = 1024
_MEMO_TEXT = 256
_UNSEEN = object()


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A bad cell: where it is and why, in words for the seller."""

    row: int
    column: str
    reason: str


class ParsedRow(NamedTuple):
    """A row's exact values (:data:`ABSENT` for a column the file leaves out). They are shared (a product's
    dict between its rows, a value between the cells that wrote the same text), so they are read, never
    changed. ``product_fingerprint`` stands for the product's values of the columns the file has, as the
    store compares them (:func:`core.catalog.stored.fingerprint`)."""

    number: int
    seller_code: str
    product: dict[str, Any]
    variant: dict[str, Any]
    product_fingerprint: bytes


def _status(value: object) -> ProductStatus:
    text = v.parse_text(value)
    if text is None:
        return ProductStatus.ACTIVE
    status = _STATUS_WORDS.get(text.lower())
    if status is None:
        raise v.CellError(f"{text!r} is not a status: write active or archived")
    return status


def _product_parsers(images: ImageSources) -> dict[str, Callable[[object], Any]]:
    return {
        "product_sku": v.parse_sku,
        "name": partial(v.parse_text, max_length=255, required=True),
        "description": lambda x: v.parse_text(x, max_length=20_000) or "",
        "category": partial(v.parse_text, max_length=255, required=True),
        "brand": partial(v.parse_text, max_length=255),
        "images": partial(v.parse_images, sources=images),
        "ocop_stars": v.parse_ocop_stars,
        "ocop_certificate": partial(v.parse_text, max_length=128),
        "ocop_year": v.parse_year,
        "origin_province": partial(v.parse_text, max_length=128),
        "origin_district": partial(v.parse_text, max_length=128),
        "traceability_code": partial(v.parse_text, max_length=128),
        "traceability_url": v.parse_url,
        "attributes": v.parse_attributes,
        "status": _status,
    }


_VARIANT_PARSER_MAP: dict[str, Callable[[object], Any]] = {
    "variant_sku": v.parse_sku,
    "option1_name": partial(v.parse_text, max_length=64),
    "option1_value": partial(v.parse_text, max_length=128),
    "option2_name": partial(v.parse_text, max_length=64),
    "option2_value": partial(v.parse_text, max_length=128),
    "price_vnd": v.parse_price_vnd,
    "list_price_vnd": partial(v.parse_price_vnd, required=False),
    "barcode": partial(v.parse_text, max_length=64),
    "weight_g": partial(v.parse_count, what="grams", positive=True),
    "length_cm": v.parse_dimension_cm,
    "width_cm": v.parse_dimension_cm,
    "height_cm": v.parse_dimension_cm,
    # Below zero only as an export writes on hand after an oversell, so that the file imports back as it is.
    "stock": lambda x: v.parse_count(x, what="units", signed=True) or 0,
}

# A row's cells come in COLUMN_NAMES order: the seller code, the product's columns, the variant's.
_PRODUCT_CELLS = slice(1, 1 + len(PRODUCT_COLUMNS))
_VARIANT_CELLS = slice(1 + len(PRODUCT_COLUMNS), None)
if ("seller_code", *_product_parsers(ImageSources(None)), *_VARIANT_PARSER_MAP) != COLUMN_NAMES:
    raise ImportError("core.catalog.columns and the row parsers list the columns in different orders")


class _Columns:
    """The parsers of a run of columns, each with a memo of the texts it has parsed (bad texts are not kept)."""

    __slots__ = ("memos", "misses", "names", "parsers")

    def __init__(self, parsers: dict[str, Callable[[object], Any]], absent: Collection[str] = ()) -> None:
        self.names = tuple(parsers)
        self.parsers = tuple(_absent if name in absent else parse for name, parse in parsers.items())
        # A left-out column's cells are all None: its memo answers them without a call.
        self.memos: tuple[dict[Any, Any], ...] = tuple({None: ABSENT} if n in absent else {} for n in parsers)
        self.misses = (_UNSEEN,) * len(parsers)

    def parse(self, number: int, cells: tuple[Any, ...], problems: list[RowProblem]) -> dict[str, Any]:
        # Most cells repeat a text seen before, so the whole run is first looked up in one C-level pass;
        # only the cells it misses are parsed one by one.
        try:
            values = tuple(map(dict.get, self.memos, cells, self.misses))
        except TypeError:  # an unhashable cell (a JSON list or object)
            values = self.misses
        if _UNSEEN in values:
            values = self._parse_misses(number, cells, values, problems)
        return dict(zip(self.names, values, strict=True))

    def _parse_misses(
        self, number: int, cells: tuple[Any, ...], values: tuple[Any, ...], problems: list[RowProblem]
    ) -> tuple[Any, ...]:
        out = list(values)
        for i, value in enumerate(values):
            if value is not _UNSEEN:
                continue
            cell = cells[i]
            try:
                out[i] = parsed = self.parsers[i](cell)
            except v.CellError as exc:
                problems.append(RowProblem(number, self.names[i], str(exc)))
                out[i] = None
                continue
            # Only text is remembered: 1, 1.0 and True are equal keys but not equal cells.
            if type(cell) is str and len(cell) <= _MEMO_TEXT:
                memo = self.memos[i]
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                memo[cell] = parsed
        return tuple(out)


def _absent(_: object) -> _Absent:
    return ABSENT


class RowParser:
    """Parses rows of one file; ``base_dir`` is where relative image paths are looked up.

    Local images may come from under ``base_dir`` and ``image_folders``, web ones from public hosts and
    ``image_hosts`` (:mod:`core.catalog.image_sources`).

    A row comes as its cells in ``COLUMN_NAMES`` order (None for a column the file does not have).
    :meth:`use_header` says which columns the file has; until then every column counts as present.
    """

    def __init__(
        self,
        *,
        base_dir: Path | None,
        default_seller: str | None,
        replace: bool = False,
        image_folders: Sequence[Path] = (),
        image_hosts: Collection[str] = (),
    ) -> None:
        self._images = ImageSources.of(base_dir, folders=image_folders, allowed_hosts=image_hosts)
        self._replace = replace
        self._default_seller = default_seller
        self.use_header(COLUMN_NAMES)

    def use_header(self, header: Collection[str]) -> None:
        """The file's columns: one it leaves out is :data:`ABSENT` (unless ``replace``), never a problem."""
        absent = set() if self._replace else set(COLUMN_NAMES) - set(header)
        self._products = _Columns(_product_parsers(self._images), absent)
        self._variants = _Columns(_VARIANT_PARSER_MAP, absent)
        kept = [(f, c) for f, c in zip(PRODUCT_FIELDS, PRODUCT_COLUMNS, strict=True) if c not in absent]
        columns = [c for _, c in kept]
        self._product_values = itemgetter(*columns) if len(columns) > 1 else (lambda p: tuple(p[c] for c in columns))
        self._product_normal = normalizer([f for f, _ in kept])
        # The rows of a product repeat its columns; parsing them once per product halves the work.
        self._last_product: tuple[tuple[Any, ...], dict[str, Any], bytes] | None = None
        self._last_seller: tuple[object, str | None] | None = None

    def parse_cells(self, number: int, cells: tuple[Any, ...], *, extra: bool = False) -> ParsedRow | list[RowProblem]:
        """``extra``: the row has values to the right of the last named column."""
        problems: list[RowProblem] = []
        if extra:
            problems.append(RowProblem(number, "-", "has values to the right of the last named column"))
        seller = self._seller(number, cells[0], problems)
        product, product_fingerprint = self._product(number, cells[_PRODUCT_CELLS], problems)
        variant = self._variants.parse(number, cells[_VARIANT_CELLS], problems)
        if not problems:
            _check_variant(number, variant, problems)
        if problems:
            return problems
        assert seller is not None
        return ParsedRow(number, seller, product, variant, product_fingerprint)

    def parse(self, number: int, raw: dict[str, Any]) -> ParsedRow | list[RowProblem]:
        """A row given as a dict by column name."""
        return self.parse_cells(number, tuple(map(raw.get, COLUMN_NAMES)), extra=bool(raw.get("\x00extra")))

    def _product(self, number: int, cells: tuple[Any, ...], problems: list[RowProblem]) -> tuple[dict[str, Any], bytes]:
        if self._last_product is not None and self._last_product[0] == cells:
            return self._last_product[1:]
        before = len(problems)
        product = self._products.parse(number, cells, problems)
        if len(problems) != before:
            return product, b""
        # Hashed here, once per product: when a second process parses, this is work it takes off the writer.
        hashed = fingerprint(self._product_normal(self._product_values(product)))
        self._last_product = (cells, product, hashed)
        return product, hashed

    def _seller(self, number: int, value: object, problems: list[RowProblem]) -> str | None:
        if self._last_seller is not None and self._last_seller[0] == value:
            return self._last_seller[1]
        before = len(problems)
        code = self._seller_code(number, value, problems)
        if len(problems) == before:
            self._last_seller = (value, code)
        return code

    def _seller_code(self, number: int, value: object, problems: list[RowProblem]) -> str | None:
        try:
            code = v.parse_text(value, max_length=64)
        except v.CellError as exc:
            problems.append(RowProblem(number, "seller_code", str(exc)))
            return None
        code = None if code is None else code.upper()  # seller codes are stored upper-case: htx-c is HTX-C
        if code is None:
            if self._default_seller is None:
                problems.append(RowProblem(number, "seller_code", "is empty; fill it in or pass --seller CODE"))
            return self._default_seller
        if self._default_seller is not None and code != self._default_seller:
            problems.append(
                RowProblem(number, "seller_code", f"is {code!r} but --seller {self._default_seller!r} was given")
            )
        return code


_OPTION_COLUMNS = (("option1", "option1_name", "option1_value"), ("option2", "option2_name", "option2_value"))


def _check_variant(number: int, variant: dict[str, Any], problems: list[RowProblem]) -> None:
    for option, name_column, value_column in _OPTION_COLUMNS:
        name, value = variant[name_column], variant[value_column]
        if ABSENT in (name, value):
            continue  # a file that leaves option columns out keeps the stored options
        if (name is None) != (value is None):
            missing = value_column if value is None else name_column
            problems.append(RowProblem(number, missing, f"{option} needs both a name and a value"))
    if variant["option2_name"] not in (None, ABSENT) and variant["option1_name"] is None:
        problems.append(RowProblem(number, "option2_name", "option2 is filled in but option1 is empty"))
    list_price, price = variant["list_price_vnd"], variant["price_vnd"]
    if list_price not in (None, ABSENT) and price not in (None, ABSENT) and list_price < price:
        problems.append(RowProblem(number, "list_price_vnd", f"{list_price} is below price_vnd {price}"))


def parse_row(
    number: int, raw: dict[str, Any], *, base_dir: Path | None = None, default_seller: str | None = None
) -> ParsedRow | list[RowProblem]:
    """Parse one row on its own (tests and one-off checks); the importer keeps one RowParser per file."""
    return RowParser(base_dir=base_dir, default_seller=default_seller).parse(number, raw)

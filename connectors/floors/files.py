"""The files an assisted floor exchanges with chosync: the upload sheet out, order and product exports in.

Every layout comes from the channel's toml (:mod:`connectors.floors.config`). Writing: one row per
variant (:class:`UploadLine`), each column filled from the fact its toml entry names. Reading an export
is ALL OR NOTHING (DESIGN rule 2): every row is checked, and one bad row rejects the whole file with
every problem named (row number as the spreadsheet shows it, column header, reason) in
:class:`ExportRejected`; nothing of a rejected file reaches the store. Cells are read as sellers' tools
write them (:mod:`core.catalog.values`: ``175.000 đ`` is 175000 đồng, ``1,5`` is refused, never rounded).
Times in exports are Vietnam time (UTC+7 all year; ASSUMED, the floors publish no format) and become UTC.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, ValidationError, model_serializer

from connectors.floors.config import OrderExport, ProductExport, UploadLayout
from core.catalog.readers import RawRow, open_table
from core.catalog.values import CellError, parse_count, parse_price_vnd, parse_text
from core.errors import InputRejected
from core.ports import ExportedVariant, Order, OrderLine, OrderStatus, UploadLine

__all__ = [
    "VIETNAM",
    "AssistedListing",
    "AssistedVariant",
    "ExportRejected",
    "RowProblem",
    "read_order_export",
    "read_product_export",
    "write_table",
    "write_upload_sheet",
]

VIETNAM = timezone(timedelta(hours=7), "ICT")
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class AssistedVariant(BaseModel):
    model_config = _FROZEN

    sku: str
    options: tuple[tuple[str, str], ...] = ()
    # Set only when the product's variants ship in different packages (the sheet's weight column is per
    # row); left out of the serialized form when unset, so a listing whose variants share one package
    # hashes as it always did and is not sent again for nothing.
    weight_g: int | None = None

    @model_serializer(mode="wrap")
    def _package_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if self.weight_g is None:
            data.pop("weight_g", None)
        return data


class AssistedListing(BaseModel):
    """A listing on an assisted floor as the mapper wants it (prices and stock travel apart)."""

    model_config = _FROZEN

    product_sku: str
    name: str
    description: str
    category: str
    brand: str
    images: tuple[str, ...]
    weight_g: int | None
    origin: str
    ocop_stars: int | None
    ocop_certificate: str
    traceability_code: str
    traceability_url: str
    variants: tuple[AssistedVariant, ...]


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.reason}"


class ExportRejected(InputRejected):
    """A whole export refused: every bad row is named, nothing was applied."""

    def __init__(self, file: str, problems: Sequence[RowProblem]) -> None:
        shown = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{file} rejected ({len(problems)} problems); nothing was applied:\n{shown}",
                         hint="fix the file and drop it in the inbox again")  # fmt: skip
        self.file = file
        self.problems = list(problems)


# --- writing ---------------------------------------------------------------------------------------


def _fact(line: UploadLine, value: str, layout: UploadLayout) -> Any:
    facts: dict[str, Any] = {
        "action": ", ".join(layout.actions.get(part, part) for part in line.action.split("+")),
        "product_sku": line.product_sku, "variant_sku": line.variant_sku, "name": line.name,
        "variant_name": line.name, "price": line.price, "stock": line.stock,
        "main_image": line.image_files[0] if line.image_files else "",
        "other_images": layout.image_separator.join(line.image_files[1:]),
        "images": layout.image_separator.join(line.image_files),
    }  # fmt: skip
    item = line.listing
    if item is not None:
        variant = next((v for v in item.variants if v.sku == line.variant_sku), None)
        options = variant.options if variant else ()
        label = " ".join(option for _, option in options)
        for i, (option_name, option_value) in enumerate(options[:2], start=1):
            facts[f"option{i}_name"], facts[f"option{i}_value"] = option_name, option_value
        weight = variant.weight_g if variant is not None and variant.weight_g is not None else item.weight_g
        facts |= {
            "variant_name": f"{item.name} - {label}" if label else item.name, "description": item.description,
            "category": item.category, "brand": item.brand, "weight_g": weight, "origin": item.origin,
            "ocop_stars": item.ocop_stars, "ocop_certificate": item.ocop_certificate,
            "traceability_code": item.traceability_code, "traceability_url": item.traceability_url,
        }  # fmt: skip
    return facts.get(value)


def write_table(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> None:
    """A CSV (UTF-8 with BOM, for Excel) or XLSX file, by ``path``'s extension; None cells stay empty."""
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(list(headers))
        for row in rows:
            worksheet.append(list(row))
        workbook.save(path)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerows(["" if cell is None else cell for cell in row] for row in rows)


def write_upload_sheet(directory: Path, layout: UploadLayout, lines: Sequence[UploadLine]) -> str:
    """The floor's import sheet in ``directory`` (one row per line); returns its file name."""
    headers = [column.header for column in layout.columns]
    rows = ([_fact(line, column.value, layout) for column in layout.columns] for line in lines)
    write_table(directory / layout.file_name, headers, rows, sheet=layout.sheet)
    return layout.file_name


# --- reading ---------------------------------------------------------------------------------------


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().lower()


def _columns(path: Path, header: list[str], wanted: Mapping[str, str | None]) -> list[RowProblem]:
    present = set(header)
    return [
        RowProblem(1, str(name), "this column is missing from the header row")
        for name in wanted.values()
        if name is not None and _key(name) not in present
    ]


def _cell(row: RawRow, header: str | None) -> Any:
    return None if header is None else row.values.get(_key(header))


def _time(value: Any, formats: Sequence[str]) -> datetime:
    if isinstance(value, datetime):  # an XLSX date cell: local time without a zone
        return (value if value.tzinfo else value.replace(tzinfo=VIETNAM)).astimezone(UTC)
    text = parse_text(value, required=True)
    for fmt in formats:
        try:
            return datetime.strptime(str(text), fmt).replace(tzinfo=VIETNAM).astimezone(UTC)
        except ValueError:
            continue
    example = datetime(2024, 6, 1, 14, 30, tzinfo=VIETNAM).strftime(formats[0])
    raise CellError(f"{text!r} is not a date and time like {example}")


def _optional_time(value: Any, formats: Sequence[str]) -> datetime | None:
    """An empty cell is no time: the file's own time stands for it."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else _time(value, formats)


@dataclass
class _OrderRows:
    status: OrderStatus
    raw_status: str
    created: datetime
    updated: datetime
    lines: list[OrderLine] = field(default_factory=list)
    first_row: int = 0


def read_order_export(path: Path, export: OrderExport, *, snapshot: datetime) -> tuple[Order, ...]:
    """Every order of an export (a row per line), or ExportRejected naming every bad row.

    ``snapshot`` stands for the orders' update time when the export has no such column.
    """
    cols = export.columns
    statuses = {_key(word): status for word, status in export.status_map.items()}
    problems: list[RowProblem] = []
    orders: dict[str, _OrderRows] = {}
    with open_table(path) as table:
        problems.extend(RowProblem(1, "(header)", p) for p in table.header_problems)
        problems.extend(_columns(path, table.header, cols.model_dump()))
        if problems:
            raise ExportRejected(path.name, problems)
        for row in table.rows():
            bad: list[RowProblem] = []

            def check(header: str, parse: Any, row: RawRow = row, bad: list[RowProblem] = bad) -> Any:
                try:
                    return parse(_cell(row, header))
                except CellError as exc:
                    bad.append(RowProblem(row.number, header, str(exc)))
                    return None

            order_id = check(cols.order_id, lambda v: parse_text(v, required=True, max_length=64))
            raw_status = check(cols.status, lambda v: parse_text(v, required=True))
            status = statuses.get(_key(raw_status)) if raw_status else None
            if raw_status and status is None:
                known = ", ".join(export.status_map)
                bad.append(RowProblem(row.number, cols.status, f"{raw_status!r} is not a known status ({known})"))
            created = check(cols.created_at, lambda v: _time(v, export.time_formats))
            updated = (
                check(cols.updated_at, lambda v: _optional_time(v, export.time_formats)) if cols.updated_at else None
            )
            sku = check(cols.sku, lambda v: parse_text(v, required=True, max_length=100))
            quantity = check(cols.quantity, lambda v: parse_count(v, what="units", required=True, positive=True))
            price = check(cols.unit_price, parse_price_vnd)
            line_id = check(cols.line_id, lambda v: parse_text(v, max_length=128)) if cols.line_id else None
            if bad or status is None:
                problems.extend(bad)
                continue
            entry = orders.get(order_id)
            if entry is None:
                entry = orders[order_id] = _OrderRows(status, raw_status, created, updated or snapshot,
                                                      first_row=row.number)  # fmt: skip
            elif entry.status is not status:
                problems.append(RowProblem(row.number, cols.status, f"order {order_id} has status {entry.raw_status!r} "
                                           f"on row {entry.first_row} and {raw_status!r} here"))  # fmt: skip
                continue
            same_sku = sum(1 for line in entry.lines if line.variant_sku == sku)
            entry.lines.append(OrderLine(line_id=line_id or (sku if not same_sku else f"{sku}#{same_sku + 1}"),
                                         variant_sku=sku, item_id=sku, model_id="", quantity=quantity,
                                         unit_price_vnd=price))  # fmt: skip
    if problems:
        raise ExportRejected(path.name, problems)
    try:
        return tuple(
            Order(order_id=order_id, status=o.status, raw_status=o.raw_status, created_at=o.created,
                  updated_at=max(o.updated, o.created), currency="VND", lines=tuple(o.lines),
                  total_vnd=sum(line.unit_price_vnd * line.quantity for line in o.lines))
            for order_id, o in orders.items()
        )  # fmt: skip
    except ValidationError as exc:  # pragma: no cover - every field was checked above
        raise ExportRejected(path.name, [RowProblem(0, "?", str(exc))]) from exc


def read_product_export(path: Path, export: ProductExport) -> dict[str, ExportedVariant]:
    """The floor's product export by variant SKU, or ExportRejected naming every bad row."""
    cols = export.columns
    hidden = {_key(word) for word in export.hidden_statuses}
    problems: list[RowProblem] = []
    found: dict[str, ExportedVariant] = {}
    with open_table(path) as table:
        problems.extend(_columns(path, table.header, cols.model_dump()))
        if problems:
            raise ExportRejected(path.name, problems)
        for row in table.rows():
            try:
                sku = parse_text(_cell(row, cols.sku), required=True)
            except CellError as exc:
                problems.append(RowProblem(row.number, cols.sku, str(exc)))
                continue
            values: dict[str, Any] = {}
            readers: tuple[tuple[str, str, Callable[[Any], int | None]], ...] = (
                ("price", cols.price, lambda v: parse_price_vnd(v, required=False)),
                ("stock", cols.stock, lambda v: parse_count(v, what="units")),
            )
            for what, header, parse in readers:
                try:
                    values[what] = parse(_cell(row, header))
                except CellError as exc:
                    problems.append(RowProblem(row.number, header, str(exc)))
            status = parse_text(_cell(row, cols.status)) if cols.status else None
            name = parse_text(_cell(row, cols.name)) if cols.name else None
            if len(values) == 2:
                found[str(sku)] = ExportedVariant(str(sku), values["price"], values["stock"], name,
                                                  hidden=bool(status) and _key(str(status)) in hidden)  # fmt: skip
    if problems:
        raise ExportRejected(path.name, problems)
    return found

"""Catalog export: the catalog written back in the import format, so a file round-trips unchanged.

CSV is written UTF-8 with a byte-order mark, because that is what Excel needs to show Vietnamese
correctly when a seller double-clicks the file. XLSX keeps numbers as numbers (and barcodes as text,
so leading zeros survive). JSON uses natural types: image lists, attribute objects, numbers.
Files are written to a temporary name and renamed, so a crash never leaves half a catalog behind.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.catalog.columns import COLUMN_NAMES
from core.catalog.queries import iter_products
from core.catalog.readers import detect_format
from core.catalog.records import ProductRecord
from core.db import Store

__all__ = ["export_catalog", "product_rows", "write_rows"]


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def product_rows(product: ProductRecord) -> Iterator[dict[str, Any]]:
    """The rows of one product, one per variant, with natural types (lists, dicts, numbers)."""
    base: dict[str, Any] = {
        "seller_code": product.seller_code,
        "product_sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category": product.category,
        "brand": product.brand,
        "images": list(product.images),
        "ocop_stars": product.ocop_stars,
        "ocop_certificate": product.ocop_certificate,
        "ocop_year": product.ocop_year,
        "origin_province": product.origin_province,
        "origin_district": product.origin_district,
        "traceability_code": product.traceability_code,
        "traceability_url": product.traceability_url,
        "attributes": dict(product.attributes),
        "status": product.status.value,
    }
    for variant in product.variants:
        options: dict[str, Any] = {}
        for i in (1, 2):
            option = variant.options[i - 1] if len(variant.options) >= i else None
            options[f"option{i}_name"] = option.name if option else None
            options[f"option{i}_value"] = option.value if option else None
        yield {
            **base,
            "variant_sku": variant.sku,
            **options,
            "price_vnd": variant.price_vnd,
            "list_price_vnd": variant.list_price_vnd,
            "barcode": variant.barcode,
            "weight_g": variant.weight_g,
            "length_cm": _number(variant.length_cm),
            "width_cm": _number(variant.width_cm),
            "height_cm": _number(variant.height_cm),
            "stock": variant.stock,
        }


def _flat(value: Any) -> Any:
    if isinstance(value, list):
        return "|".join(value)
    if isinstance(value, dict):
        return "|".join(f"{k}: {v}" for k, v in value.items())
    return value


def _write_csv(handle: Any, rows: Iterable[dict[str, Any]]) -> int:
    writer = csv.writer(handle, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    count = 0
    for row in rows:
        writer.writerow(["" if (x := _flat(row[c])) is None else x for c in COLUMN_NAMES])
        count += 1
    return count


def _write_json(handle: Any, rows: Iterable[dict[str, Any]]) -> int:
    handle.write("[")
    count = 0
    for row in rows:
        handle.write(",\n  " if count else "\n  ")
        handle.write(json.dumps(row, ensure_ascii=False))
        count += 1
    handle.write("\n]\n" if count else "]\n")
    return count


def _write_xlsx(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("catalog")
    sheet.append(list(COLUMN_NAMES))
    count = 0
    for row in rows:
        cells: list[Any] = []
        for column in COLUMN_NAMES:
            value = _flat(row[column])
            if column == "barcode" and value is not None:
                cell = WriteOnlyCell(sheet, value=str(value))
                cell.number_format = "@"  # text, so leading zeros survive
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count


def write_rows(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    """Write catalog rows to ``path`` (format from its extension) atomically; returns the row count."""
    kind = detect_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    temp = Path(temp_name)
    try:
        if kind == "xlsx":
            os.close(fd)
            count = _write_xlsx(temp, rows)
        else:
            encoding = "utf-8-sig" if kind == "csv" else "utf-8"
            with open(fd, "w", encoding=encoding, newline="") as handle:
                count = _write_csv(handle, rows) if kind == "csv" else _write_json(handle, rows)
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return count


def export_catalog(store: Store, path: Path, *, seller: str | None = None) -> int:
    """Export every product (active and archived) of one seller or all; returns the rows written."""
    with store.engine.connect() as conn:

        def rows() -> Iterator[dict[str, Any]]:
            for product in iter_products(conn, seller=seller):
                yield from product_rows(product)

        return write_rows(path, rows())

"""Building catalog files for tests: rows as dicts, written as a seller's tools would write them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from core.catalog.columns import COLUMN_NAMES
from core.db import Store
from core.sellers import add_seller

__all__ = ["BASE_ROW", "make_rows", "register", "row", "write_csv", "write_json", "write_xlsx"]

BASE_ROW: dict[str, Any] = {
    "seller_code": "HTX-DANTIEN",
    "product_sku": "GAO-ST25",
    "name": "Gạo ST25 Dân Tiến",
    "description": "Gạo thơm đặc sản Trà Vinh.",
    "category": "Gạo",
    "brand": "Dân Tiến",
    "images": "https://cdn.example/gao-1.jpg|https://cdn.example/gao-2.jpg",
    "weight_g": "5200",
    "length_cm": "30",
    "width_cm": "20",
    "height_cm": "8,5",
    "ocop_stars": "4",
    "ocop_certificate": "OCOP-TV-2023-001",
    "ocop_year": "2023",
    "origin_province": "Trà Vinh",
    "origin_district": "Càng Long",
    "traceability_code": "TV-QR-1",
    "traceability_url": "https://truyxuat.example/tv/1",
    "attributes": "Hạn sử dụng: 12 tháng",
    "status": "",
    "variant_sku": "GAO-ST25-5KG",
    "option1_name": "Khối lượng",
    "option1_value": "5kg",
    "option2_name": "",
    "option2_value": "",
    "price_vnd": "175.000",
    "list_price_vnd": "",
    "barcode": "8930000000011",
    "stock": "40",
}


def row(**overrides: Any) -> dict[str, Any]:
    return {**BASE_ROW, **overrides}


def make_rows(products: int, variants: int = 2, seller: str = "HTX-DANTIEN") -> list[dict[str, Any]]:
    """``products`` products of ``variants`` variants each, all valid and distinct."""
    rows = []
    for p in range(products):
        for k in range(variants):
            rows.append(
                row(
                    seller_code=seller,
                    product_sku=f"P{p:06d}",
                    name=f"Sản phẩm số {p}",
                    variant_sku=f"P{p:06d}-V{k}",
                    option1_value=f"{k + 1}kg",
                    price_vnd=str(10_000 + 1000 * k + p),
                    stock=str((p + k) % 50),
                    barcode="",
                    traceability_code=f"TV-QR-{p}",
                )
            )
    return rows


def write_csv(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    columns: tuple[str, ...] | list[str] = COLUMN_NAMES,
    bom: bool = False,
    delimiter: str = ",",
    newline: str = "\n",
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=newline)
        writer.writerow(columns)
        for r in rows:
            writer.writerow([r.get(c, "") for c in columns])
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for r in rows:
        sheet.append(r)
    workbook.save(path)
    return path


def write_json(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return path


def register(store: Store, *codes: str) -> None:
    for code in codes or ("HTX-DANTIEN",):
        add_seller(store, code, name=f"Seller {code}")

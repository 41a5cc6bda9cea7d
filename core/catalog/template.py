"""The catalog template a seller starts from: the header, two example products, and (XLSX) a guide sheet.

The files shipped in `config/templates/` are written by :func:`write_template`; a test regenerates them
and compares, so the templates can never drift from the columns the importer accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.catalog.columns import COLUMNS
from core.catalog.exporter import write_rows
from core.catalog.readers import detect_format

__all__ = ["EXAMPLE_ROWS", "write_template"]

_RICE: dict[str, Any] = {
    "seller_code": "HTX-DANTIEN",
    "product_sku": "GAO-ST25",
    "name": "Gạo ST25 Dân Tiến",
    "description": "Gạo ST25 trồng theo hướng hữu cơ tại Càng Long, Trà Vinh; hạt dài, cơm dẻo thơm.",
    "category": "Gạo",
    "brand": "Dân Tiến",
    "images": ["https://example.com/anh/gao-st25-1.jpg", "https://example.com/anh/gao-st25-2.jpg"],
    "ocop_stars": 4,
    "ocop_certificate": "OCOP-TV-2023-001",
    "ocop_year": 2023,
    "origin_province": "Trà Vinh",
    "origin_district": "Càng Long",
    "traceability_code": "TV-QR-000001",
    "traceability_url": "https://example.com/truy-xuat/TV-QR-000001",
    "attributes": {"Hạn sử dụng": "12 tháng", "Bảo quản": "Nơi khô ráo, thoáng mát"},
    "status": "active",
    "option2_name": None,
    "option2_value": None,
}
EXAMPLE_ROWS: tuple[dict[str, Any], ...] = (
    {
        **_RICE,
        "variant_sku": "GAO-ST25-5KG",
        "option1_name": "Khối lượng",
        "option1_value": "5kg",
        "price_vnd": 175000,
        "list_price_vnd": 190000,
        "barcode": "8930000000011",
        # Each bag its own package: the 10 kg one must not ship declared as 5 kg.
        "weight_g": 5200,
        "length_cm": 35,
        "width_cm": 22,
        "height_cm": 8.5,
        "stock": 40,
    },
    {
        **_RICE,
        "variant_sku": "GAO-ST25-10KG",
        "option1_name": "Khối lượng",
        "option1_value": "10kg",
        "price_vnd": 340000,
        "list_price_vnd": None,
        "barcode": "8930000000028",
        "weight_g": 10300,
        "length_cm": 45,
        "width_cm": 28,
        "height_cm": 10,
        "stock": 15,
    },
)


# How an import reads the file, below the columns on the guide sheet (Vietnamese first, then English).
IMPORT_RULES: tuple[tuple[str, str], ...] = (
    ("Cột không có trong tệp: giữ nguyên giá trị đã lưu. Cột có trong tệp nhưng ô để trống: xoá giá trị đó.",
     "A column the file leaves out keeps what is stored; a column present with an empty cell clears it."),
    ("Tệp chỉ sửa giá hoặc tồn kho có thể chỉ gồm seller_code, variant_sku và price_vnd (hoặc stock).",
     "A price or stock file may be as small as seller_code, variant_sku and price_vnd (or stock)."),
    ("chosync catalog import --replace: tệp là toàn bộ sự thật cho các sản phẩm trong tệp (cột thiếu cũng bị xoá).",
     "--replace: the file is the whole truth for the products it lists (a left-out column is cleared too)."),
    ("stock là số bạn đếm được: nhập lại cùng số thì không đổi gì (hàng đã bán vẫn được trừ); số khác là lần "
     "kiểm kho mới.",
     "stock is the figure you counted: the same figure again changes nothing (sales since stay counted); "
     "a different one is a new count."),
    ("Khối lượng và kích thước là của từng biến thể (túi 2 kg khác túi 10 kg); ô trống ở các dòng sau lấy giá trị "
     "của dòng đầu tiên của sản phẩm.",
     "Weight and sizes are each variant's own (a 2 kg bag is not a 10 kg one); an empty cell on a product's "
     "later rows takes its first row's value."),
    ("Ảnh: địa chỉ web http(s) công khai, hoặc tệp nằm trong thư mục của tệp danh mục (ví dụ images/gao.jpg) hay "
     "thư mục ảnh trong cài đặt images.folders. Địa chỉ nội bộ (localhost, 127.x, 10.x, 192.168.x, 169.254.x), "
     "file:// và tệp ở nơi khác bị từ chối.",
     "Images: public http(s) web addresses, or files under the catalog file's folder (e.g. images/gao.jpg) or "
     "an image folder of the setting images.folders. Internal addresses (localhost, 127.x, 10.x, 192.168.x, "
     "169.254.x), file:// and files elsewhere are refused."),
)  # fmt: skip


def _guide(path: Path) -> None:
    """Add a second sheet explaining every column and how an import reads them (the importer reads
    only the first sheet)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    guide = workbook.create_sheet("Hướng dẫn (guide)")
    guide.append(["column", "required", "meaning"])
    for column in COLUMNS:
        guide.append([column.name, "yes" if column.required else "", column.doc])
    guide.append([])
    for vietnamese, english in IMPORT_RULES:
        guide.append(["", "", vietnamese])
        guide.append(["", "", english])
    workbook.save(path)


def write_template(path: Path) -> None:
    """Write a template (format from the extension) with the example rows."""
    write_rows(path, EXAMPLE_ROWS)
    if detect_format(path) == "xlsx":
        _guide(path)

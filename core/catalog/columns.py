"""The catalog spreadsheet's columns: the one list that import, export, templates and README share.

One row per variant; the product columns repeat identically on every row of a product. The package
columns (weight and dimensions) are the variant's: a 2 kg and a 10 kg bag of one rice weigh differently;
a cell left empty on a product's later rows takes the value of its first row. Order here is the order of
export and of the templates.

A file may leave columns out: an absent column leaves what is stored alone (a price list needs only
``seller_code``, ``variant_sku`` and ``price_vnd``), a present column with an empty cell clears the value;
``--replace`` makes the file the whole truth for the products it lists (absent columns cleared too).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "COLUMNS",
    "COLUMN_NAMES",
    "PACKAGE_COLUMNS",
    "PRODUCT_COLUMNS",
    "REQUIRED_COLUMNS",
    "VARIANT_COLUMNS",
    "Column",
]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    required: bool
    product_level: bool
    doc: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "seller_code",
        False,
        True,
        "Seller code as registered (`chosync sellers add`); optional with --seller",
    ),
    Column(
        "product_sku",
        True,
        True,
        "Product SKU; rows sharing it form one product. May be left out of a file that only changes existing "
        "variants (e.g. prices or stock by `variant_sku`)",
    ),
    Column("name", True, True, "Product name (Vietnamese, up to 255 characters)"),
    Column("description", False, True, "Product description"),
    Column("category", True, True, "Canonical category (mapped to each marketplace's category)"),
    Column("brand", False, True, "Brand"),
    Column("images", False, True, "Image URLs or local file paths, `|`-separated, first is the cover"),
    Column("ocop_stars", False, True, "OCOP star rating: 3, 4 or 5, or empty"),
    Column("ocop_certificate", False, True, "OCOP certificate number"),
    Column("ocop_year", False, True, "Year the OCOP certificate was issued"),
    Column("origin_province", False, True, "Province of origin"),
    Column("origin_district", False, True, "District of origin"),
    Column("traceability_code", False, True, "Traceability code printed on the QR stamp"),
    Column("traceability_url", False, True, "Traceability URL the QR stamp opens (https://…)"),
    Column("attributes", False, True, "Free attributes `name: value`, `|`-separated"),
    Column("status", False, True, "`active` (default) or `archived` (delisted everywhere)"),
    Column("variant_sku", True, False, "Variant SKU: the sellable unit, unique per seller; always required"),
    Column("option1_name", False, False, "First option name, e.g. Khối lượng"),
    Column("option1_value", False, False, "First option value, e.g. 5kg"),
    Column("option2_name", False, False, "Second option name"),
    Column("option2_value", False, False, "Second option value"),
    Column("price_vnd", True, False, "Price in whole đồng: 125000, 125.000, 125,000, 125.000 đ or 125.000₫"),
    Column("list_price_vnd", False, False, "List price before discount, whole đồng, not below price_vnd"),
    Column("barcode", False, False, "Barcode (EAN/GTIN)"),
    Column(
        "weight_g",
        False,
        False,
        "Package weight in grams (whole number), per variant: bags of 2 kg and 10 kg carry their own. Empty on a "
        "product's later rows: the value of its first row",
    ),
    Column("length_cm", False, False, "Package length in cm (decimals with . or ,), per variant like weight_g"),
    Column("width_cm", False, False, "Package width in cm, per variant"),
    Column("height_cm", False, False, "Package height in cm, per variant"),
    Column(
        "stock",
        False,
        False,
        "Stock on hand as you counted it (whole number, default 0). The same figure as your last count changes "
        "nothing (sales since stay counted); a different one is a new count: on hand becomes it (kept in the "
        "ledger). An export writes today's on hand, below 0 after an oversell",
    ),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
REQUIRED_COLUMNS: frozenset[str] = frozenset(c.name for c in COLUMNS if c.required)
PRODUCT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if c.product_level and c.name != "seller_code")
VARIANT_COLUMNS: tuple[str, ...] = tuple(c.name for c in COLUMNS if not c.product_level)
# A variant's package: a cell left empty on a product's later rows takes its first row's value.
PACKAGE_COLUMNS: tuple[str, ...] = ("weight_g", "length_cm", "width_cm", "height_cm")

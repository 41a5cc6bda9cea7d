"""The catalog as the store holds it, for an import: per-SKU fingerprints, and the bulk writes.

An import compares every row of the file with what the database already holds (:class:`SellerIndex`,
one seller's products and variants as small fingerprints, so memory grows with the SKUs, not with the
rows) and writes only what changed, through four statements compiled once per import (:class:`Writes`).

A variant's stock is not in its fingerprint: a file's stock figure is a count, compared with the last
count the variant remembers (``Existing.counted``), never written over on hand (sales since the count
would be undone); :func:`core.sync.ledger.count_stock` records a different figure as a new count.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, insert, select, update

from core.catalog.bulk import BulkStatement
from core.catalog.columns import PRODUCT_COLUMNS
from core.models import PRODUCT, VARIANT, ProductStatus, VariantStatus

__all__ = [
    "IMAGES", "PRODUCT_FIELDS", "SKU", "STATUS", "VARIANT_FIELDS", "Existing", "SellerIndex", "Writes",
    "fingerprint", "product_values",
]  # fmt: skip

_PRODUCT, _VARIANT = PRODUCT, VARIANT
PRODUCT_FIELDS = tuple(c if c != "product_sku" else "sku" for c in PRODUCT_COLUMNS)
VARIANT_FIELDS = (
    "sku", "position", "option1_name", "option1_value", "option2_name", "option2_value",
    "price_vnd", "list_price_vnd", "barcode", "status",
)  # fmt: skip
# Positions in PRODUCT_FIELDS of the values that need converting between a file and the database.
SKU, IMAGES, ATTRIBUTES, STATUS = (PRODUCT_FIELDS.index(f) for f in ("sku", "images", "attributes", "status"))


def fingerprint(values: tuple[Any, ...]) -> bytes:
    # marshal's format 0 writes every value in full (later formats write back-references to objects
    # seen twice, and so depend on identity), so equal values give equal bytes; several times cheaper
    # than repr. It refuses anything but plain built-in types, so a stray type fails loudly.
    return hashlib.blake2b(marshal.dumps(values, 0), digest_size=16).digest()


def product_values(values: Sequence[Any]) -> tuple[Any, ...]:
    """Product fields (``PRODUCT_FIELDS`` order) in a form that compares equal from a file or the database."""
    out = list(values)
    out[IMAGES] = tuple(out[IMAGES] or ())
    out[ATTRIBUTES] = tuple((out[ATTRIBUTES] or {}).items())
    out[STATUS] = str(out[STATUS])  # a ProductStatus from a file, plain text from the database
    return tuple(out)


@dataclass(slots=True)
class Existing:
    id: int
    fingerprint: bytes
    active: bool
    product_sku: str = ""
    counted: int | None = None  # a variant's last stock count


class SellerIndex:
    """One seller's catalog as it stands in the database, as fingerprints."""

    def __init__(self, conn: Connection, seller_id: int) -> None:
        self.seller_id = seller_id
        self.products: dict[str, Existing] = {}
        self.variants: dict[str, Existing] = {}
        product_cols = [_PRODUCT.c[f] for f in PRODUCT_FIELDS]
        for row in conn.execute(select(_PRODUCT.c.id, *product_cols).where(_PRODUCT.c.seller_id == seller_id)):
            values = product_values(row[1:])
            self.products[values[SKU]] = Existing(row.id, fingerprint(values), values[STATUS] == ProductStatus.ACTIVE)
        variant_cols = [_VARIANT.c[f] for f in VARIANT_FIELDS]
        query = (
            select(_VARIANT.c.id, _VARIANT.c.counted_stock, _PRODUCT.c.sku.label("product_sku"), *variant_cols)
            .join(_PRODUCT, _PRODUCT.c.id == _VARIANT.c.product_id)
            .where(_VARIANT.c.seller_id == seller_id)
        )
        for row in conn.execute(query):
            values = tuple(row[3:])
            self.variants[row.sku] = Existing(
                row.id, fingerprint(values), row.status == VariantStatus.ACTIVE, row.product_sku, row.counted_stock
            )


class Writes:
    """The import's four bulk statements, compiled once per import for the connection's dialect."""

    def __init__(self, conn: Connection, now: datetime) -> None:
        stamps = {"created_at": now, "updated_at": now}
        self.new_products = BulkStatement(conn, insert(_PRODUCT).values(stamps), ("seller_id", *PRODUCT_FIELDS))
        # A new variant's first count is its on hand.
        self.new_variants = BulkStatement(
            conn,
            insert(_VARIANT).values(stamps),
            ("product_id", "seller_id", *VARIANT_FIELDS, "counted_stock", "stock_on_hand"),
        )
        self.changed_products = BulkStatement(
            conn, _update_by_id(_PRODUCT, PRODUCT_FIELDS, now), (*PRODUCT_FIELDS, "_id")
        )
        self.changed_variants = BulkStatement(
            conn, _update_by_id(_VARIANT, VARIANT_FIELDS, now), (*VARIANT_FIELDS, "_id")
        )


def _update_by_id(table: Table, fields: tuple[str, ...], now: datetime) -> Update:
    columns: dict[str, Any] = {f: bindparam(f) for f in fields if f != "sku"}
    columns["updated_at"] = now
    return update(table).where(table.c.id == bindparam("_id")).values(columns)

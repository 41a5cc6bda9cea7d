"""The catalog as the store holds it, for an import: per-SKU fingerprints, and the bulk writes.

An import compares every row of the file with what the database already holds (:class:`SellerIndex`,
one seller's products and variants as small fingerprints, so memory grows with the SKUs, not with the
rows) and writes only what changed, through statements compiled once per import (:class:`Writes`).

Only the columns the file has are compared and written (:class:`Shape`): a column the file leaves out
keeps what is stored, so a price list touches prices alone. A variant's stock is not in its fingerprint: a
file's stock figure is a count, compared with the last count the variant remembers (``Existing.counted``),
never written over on hand (sales since the count would be undone); :func:`core.sync.ledger.count_stock`
records a different figure as a new count.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, Update, bindparam, insert, select, update

from core.catalog.bulk import BulkStatement
from core.catalog.columns import COLUMN_NAMES, PRODUCT_COLUMNS, VARIANT_COLUMNS
from core.models import PRODUCT, VARIANT, ProductStatus, VariantStatus

__all__ = [
    "PRODUCT_DEFAULTS", "PRODUCT_FIELDS", "VARIANT_FIELDS", "Existing", "SellerIndex", "Shape", "Writes",
    "fingerprint", "normalized", "normalizer", "stored_values",
]  # fmt: skip

_PRODUCT, _VARIANT = PRODUCT, VARIANT
# Store field ← file column; the keys are the SKUs, the stock column is a count (not a field compared).
_FIELD_OF = {"product_sku": "sku", "variant_sku": "sku"}
PRODUCT_FIELDS = tuple(_FIELD_OF.get(c, c) for c in PRODUCT_COLUMNS)
VARIANT_FIELDS = ("sku", "position", *(c for c in VARIANT_COLUMNS if c not in ("variant_sku", "stock")), "status")
# What a new product gets for a column its file leaves out.
PRODUCT_DEFAULTS: Mapping[str, Any] = {"description": "", "images": [], "attributes": {}, "status": "active"}
_NORMAL: Mapping[str, Callable[[Any], Any]] = {
    # Compared the same whether they come from a file or from the database.
    "images": lambda value: tuple(value or ()),
    "attributes": lambda value: tuple((value or {}).items()),
    "status": str,  # a ProductStatus from a file, plain text from the database
}


def fingerprint(values: tuple[Any, ...]) -> bytes:
    # marshal's format 0 writes every value in full (later formats write back-references to objects
    # seen twice, and so depend on identity), so equal values give equal bytes; several times cheaper
    # than repr. It refuses anything but plain built-in types, so a stray type fails loudly.
    return hashlib.blake2b(marshal.dumps(values, 0), digest_size=16).digest()


def normalized(fields: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    """``values`` of ``fields`` in the form that compares equal from a file or the database."""
    return normalizer(fields)(values)


def normalizer(fields: Sequence[str]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """:func:`normalized` for ``fields``, worked out once: it runs for every product of an import."""
    steps = [(i, _NORMAL[f]) for i, f in enumerate(fields) if f in _NORMAL]

    def normal(values: Sequence[Any]) -> tuple[Any, ...]:
        out = list(values)
        for i, convert in steps:
            out[i] = convert(out[i])
        return tuple(out)

    return normal


@dataclass(frozen=True)
class Shape:
    """Which store fields an import compares and writes: those of the columns the file has.

    ``replace``: the file is the whole truth for what it lists (every column, even one it leaves out,
    and the variants' order by their rows); otherwise a variant keeps its place and a new one goes last.
    """

    product_fields: tuple[str, ...]
    variant_fields: tuple[str, ...]
    replace: bool = False

    @classmethod
    def of(cls, columns: Collection[str], *, replace: bool) -> Shape:
        given = set(COLUMN_NAMES) if replace else set(columns)
        products = tuple(_FIELD_OF.get(c, c) for c in PRODUCT_COLUMNS if c in given)
        variants = tuple(
            f for f in VARIANT_FIELDS if f in ("sku", "status") or (f == "position" and replace) or f in given
        )
        return cls(products, variants, replace)

    @property
    def product_columns(self) -> tuple[str, ...]:
        return tuple(c for c in PRODUCT_COLUMNS if _FIELD_OF.get(c, c) in self.product_fields)

    @property
    def variant_columns(self) -> tuple[str, ...]:
        """The file's variant columns compared (in ``variant_fields`` order, SKU first, no position/status)."""
        return tuple(c for c in VARIANT_COLUMNS if _FIELD_OF.get(c, c) in self.variant_fields)


@dataclass(slots=True)
class Existing:
    id: int
    fingerprint: bytes
    active: bool
    product_sku: str = ""
    counted: int | None = None  # a variant's last stock count


class SellerIndex:
    """One seller's catalog as it stands in the database, as fingerprints of the shape's fields."""

    def __init__(self, conn: Connection, seller_id: int, shape: Shape) -> None:
        self.seller_id = seller_id
        self.products: dict[str, Existing] = {}
        self.variants: dict[str, Existing] = {}
        self.next_position: dict[str, int] = {}  # product SKU → the place a new variant of it takes
        fields = shape.product_fields
        normal = normalizer(fields)
        columns = [_PRODUCT.c[f] for f in fields]
        query = select(_PRODUCT.c.id, _PRODUCT.c.sku, _PRODUCT.c.status, *columns)
        for row in conn.execute(query.where(_PRODUCT.c.seller_id == seller_id)):
            values = normal(row[3:])
            self.products[row.sku] = Existing(row.id, fingerprint(values), row.status == ProductStatus.ACTIVE)
        variant_columns = [_VARIANT.c[f] for f in shape.variant_fields]
        query = (
            select(_VARIANT.c.id, _VARIANT.c.counted_stock, _VARIANT.c.position, _PRODUCT.c.sku.label("product_sku"),
                   *variant_columns)
            .join(_PRODUCT, _PRODUCT.c.id == _VARIANT.c.product_id)
            .where(_VARIANT.c.seller_id == seller_id)
        )  # fmt: skip
        for row in conn.execute(query):
            values = tuple(row[4:])
            self.variants[values[0]] = Existing(
                row.id, fingerprint(values), values[-1] == VariantStatus.ACTIVE, row.product_sku, row.counted_stock
            )
            self.next_position[row.product_sku] = max(self.next_position.get(row.product_sku, 0), row.position + 1)


class Writes:
    """The import's bulk statements, compiled once per import for the connection's dialect and shape."""

    def __init__(self, conn: Connection, now: datetime, shape: Shape) -> None:
        stamps = {"created_at": now, "updated_at": now}
        self.new_products = BulkStatement(conn, insert(_PRODUCT).values(stamps), ("seller_id", *PRODUCT_FIELDS))
        # A new variant's first count is its on hand.
        self.new_variants = BulkStatement(
            conn,
            insert(_VARIANT).values(stamps),
            ("product_id", "seller_id", *VARIANT_FIELDS, "counted_stock", "stock_on_hand"),
        )
        product_fields = tuple(f for f in shape.product_fields if f != "sku")
        self.changed_products = (
            BulkStatement(conn, _update_by_id(_PRODUCT, product_fields, now), (*product_fields, "_id"))
            if product_fields
            else None
        )
        variant_fields = tuple(f for f in shape.variant_fields if f != "sku")
        self.changed_variants = BulkStatement(
            conn, _update_by_id(_VARIANT, variant_fields, now), (*variant_fields, "_id")
        )


def stored_values(
    conn: Connection, table: Table, fields: Sequence[str], ids: Iterable[int]
) -> dict[int, tuple[Any, ...]]:
    """Id → the normalized values of ``fields`` as stored, for the rows an import is about to change."""
    found: dict[int, tuple[Any, ...]] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        query = select(table.c.id, *(table.c[f] for f in fields)).where(table.c.id.in_(wanted[start : start + 500]))
        found.update((row[0], normalized(fields, row[1:])) for row in conn.execute(query))
    return found


def _update_by_id(table: Table, fields: tuple[str, ...], now: datetime) -> Update:
    columns: dict[str, Any] = {f: bindparam(f) for f in fields}
    columns["updated_at"] = now
    return update(table).where(table.c.id == bindparam("_id")).values(columns)

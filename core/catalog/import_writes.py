"""The writing half of a catalog import: a batch of checked rows to the store, in a few bulk statements.

New products and variants are inserted (a column the file leaves out gets its empty value); changed ones
are updated in the fields of the columns the file has (:class:`~core.catalog.stored.Shape`), after their
stored values are read to count what changes per column and what an empty cell clears; a stock figure
that is not the variant's last count goes to the ledger as a count
(:func:`core.sync.ledger.count_stock`). The products whose values or stock moved are remembered, for
their listings to be planned again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, select

from core.catalog.columns import PRODUCT_COLUMNS
from core.catalog.import_report import ImportReport
from core.catalog.rows import ABSENT, ParsedRow
from core.catalog.stored import (
    PRODUCT_DEFAULTS,
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    SellerIndex,
    Shape,
    Writes,
    fingerprint,
    normalized,
    stored_values,
)
from core.models import PRODUCT, VARIANT
from core.sync.ledger import count_stock

__all__ = ["BatchWriter", "Pending", "ProductSeen", "tuple_getter"]

_PRODUCT, _VARIANT = PRODUCT, VARIANT
_EMPTY = (None, "", (), ())  # a value an empty cell gives (text, images, attributes)


@dataclass(slots=True)
class ProductSeen:
    """What the rest of the file must agree with, for one product."""

    first_row: int
    fingerprint: bytes
    option_names: tuple[Any, Any]
    combos: set[tuple[Any, Any]]
    variants: int
    package: tuple[Any, ...]  # its first row's weight and sizes: a later row's empty cell takes them
    id: int | None = None


# A checked row waiting in the write batch: the row, its product's SKU, what the file and the database
# hold for its product and seller, its variant's values (the shape's variant fields) and its place.
Pending = tuple[ParsedRow, str, ProductSeen, SellerIndex, tuple[Any, ...], int]


class BatchWriter:
    """Writes the batches of one import, inside its transaction."""

    def __init__(
        self, conn: Connection, report: ImportReport, *, shape: Shape, now: datetime, source: str, actor: str
    ) -> None:
        self.conn = conn
        self.report = report
        self.shape = shape
        self.now = now
        self.source, self.actor = source, actor
        self.writes = Writes(conn, now, shape)
        # products whose own or variants' values changed: their listings must be re-planned (a product
        # created by this import has no listing yet, so it needs no new revision)
        self.touched: set[int] = set()
        self.created: set[int] = set()
        # A new variant's every field from (its values, its position, None): where each field sits there.
        given = {f: i for i, f in enumerate(shape.variant_fields)}
        extra = len(shape.variant_fields)
        self.new_variant = tuple_getter([given.get(f, extra + 1) if f != "position" or shape.replace else extra
                                         for f in VARIANT_FIELDS])  # fmt: skip

    def write(self, batch: list[Pending]) -> None:
        self._write_products(batch)
        self._write_variants(batch)

    def _write_products(self, batch: list[Pending]) -> None:
        new: list[tuple[Any, ...]] = []
        changed: dict[int, tuple[str, tuple[Any, ...]]] = {}  # product id → (SKU, the shape's values)
        inserted: dict[int, dict[str, ProductSeen]] = {}  # seller id -> SKU -> the new product
        fields, columns = self.shape.product_fields, self.shape.product_columns
        for row, psku, seen, index, _, _ in batch:
            if seen.first_row != row.number:
                continue
            existing = index.products.get(psku)
            if existing is None:
                new.append((index.seller_id, *_new_product(row.product)))
                inserted.setdefault(index.seller_id, {})[psku] = seen
            elif existing.fingerprint != row.product_fingerprint:
                changed[existing.id] = (psku, tuple(row.product[c] for c in columns))
                seen.id = existing.id
                self.touched.add(existing.id)
            else:
                seen.id = existing.id
                self.report.products_unchanged += 1
        if new:
            floor = self.conn.execute(select(func.max(_PRODUCT.c.id))).scalar() or 0
            self.report.products_created += self.writes.new_products.execute(new)
            for seller_id, products in inserted.items():
                self._find_new_products(seller_id, products, floor)
        if changed and self.writes.changed_products is not None:
            kept = [(i, f) for i, f in enumerate(fields) if f != "sku"]
            self._count_changes(_PRODUCT, [f for _, f in kept], {
                pid: (sku, tuple(values[i] for i, _ in kept)) for pid, (sku, values) in changed.items()
            })  # fmt: skip
            rows = [(*_writable([f for _, f in kept], [values[i] for i, _ in kept]), pid)
                    for pid, (_, values) in changed.items()]  # fmt: skip
            self.report.products_updated += self.writes.changed_products.execute(rows)

    def _find_new_products(self, seller_id: int, products: dict[str, ProductSeen], floor: int) -> None:
        """Ids of the products just inserted (a DBAPI ``executemany`` returns no rows).

        They are the seller's products above ``floor``, the highest id before the insert. Looking them
        up by SKU instead (``sku IN (...)``) went quadratic on PostgreSQL: a table that was empty when
        the import began has no statistics, so every look-up scanned it and compared each row with
        each SKU (73 s for 100k rows, 5 of every 8 s at 30k).
        """
        query = select(_PRODUCT.c.id, _PRODUCT.c.sku).where(_PRODUCT.c.seller_id == seller_id, _PRODUCT.c.id > floor)
        for product_id, sku in self.conn.execute(query):
            seen = products.get(sku)  # another writer's new product of the same seller is not ours
            if seen is not None:
                seen.id = product_id
                self.created.add(product_id)
        lost = [sku for sku, seen in products.items() if seen.id is None]
        if lost:
            raise RuntimeError(f"products just inserted were not found again: {lost[:5]}")

    def _write_variants(self, batch: list[Pending]) -> None:
        new: list[tuple[Any, ...]] = []
        changed: dict[int, tuple[str, tuple[Any, ...]]] = {}  # variant id → (SKU, the shape's values but SKU)
        counts: dict[int, int] = {}  # variant id → a figure that is not its last count
        for row, _, seen, index, values, position in batch:
            figure = row.variant["stock"]
            existing = index.variants.get(values[0])
            if existing is None:
                counted, on_hand = (None, 0) if figure is ABSENT else (figure, figure)
                new.append((seen.id, index.seller_id, *self.new_variant((*values, position, None)), counted, on_hand))
                if seen.id is not None:
                    self.touched.add(seen.id)
                continue
            if figure is not ABSENT and existing.counted != figure:
                counts[existing.id] = figure
            if existing.fingerprint != fingerprint(values):
                changed[existing.id] = (values[0], values[1:])
                if seen.id is not None:
                    self.touched.add(seen.id)
            else:
                self.report.variants_unchanged += 1
        self.report.variants_created += self.writes.new_variants.execute(new)
        if changed:
            fields = self.shape.variant_fields[1:]
            self._count_changes(_VARIANT, fields, changed)
            self.report.variants_updated += self.writes.changed_variants.execute(
                [(*values, vid) for vid, (_, values) in changed.items()]
            )
        if counts:
            moved = count_stock(self.conn, counts, source=self.source, actor=self.actor, now=self.now)
            self.report.stock_counts += len(moved)
            self.report.changes["stock"] += len(moved)
            self.touched.update(c.product_id for c in moved)

    def _count_changes(
        self, table: Table, fields: Sequence[str], changed: dict[int, tuple[str, tuple[Any, ...]]]
    ) -> None:
        """Count, per column, the stored values the file changes, and note what an empty cell clears."""
        before = stored_values(self.conn, table, fields, changed)
        column_of = _COLUMN_OF_PRODUCT if table is _PRODUCT else _COLUMN_OF_VARIANT
        for row_id, (sku, values) in changed.items():
            old = before.get(row_id)
            if old is None:
                continue
            for name, new, was in zip(fields, normalized(fields, values), old, strict=True):
                if new == was or name == "position":
                    continue
                self.report.changes[column_of.get(name, name)] += 1
                if new in _EMPTY and was not in _EMPTY:
                    self.report.cleared.append((sku, column_of.get(name, name)))


_COLUMN_OF_PRODUCT = {"sku": "product_sku"}
_COLUMN_OF_VARIANT = {"sku": "variant_sku"}
_WRITABLE = {"images": list, "attributes": dict, "status": str}  # plain types: sqlite3 binds a str subclass slowly


def tuple_getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """``itemgetter`` that always answers a tuple, however many keys."""
    if len(keys) == 1:
        return lambda values: (values[keys[0]],)
    if not keys:
        return lambda _: ()
    return itemgetter(*keys)


def _writable(fields: Sequence[str], values: Sequence[Any]) -> tuple[Any, ...]:
    pairs = zip(fields, values, strict=True)
    return tuple(_WRITABLE[f](v) if f in _WRITABLE and v is not None else v for f, v in pairs)


_product_cells = itemgetter(*PRODUCT_COLUMNS)
_PRODUCT_CONVERTED = [(PRODUCT_FIELDS.index(f), convert) for f, convert in _WRITABLE.items()]
_PRODUCT_DEFAULTED = [(i, PRODUCT_DEFAULTS.get(f)) for i, f in enumerate(PRODUCT_FIELDS)]


def _new_product(product: dict[str, Any]) -> list[Any]:
    """A new product's values for every field (``PRODUCT_FIELDS``); a column the file leaves out is empty."""
    values = list(_product_cells(product))
    if ABSENT in values:
        for i, default in _PRODUCT_DEFAULTED:
            if values[i] is ABSENT:
                values[i] = default
    for i, convert in _PRODUCT_CONVERTED:
        if values[i] is not None:
            values[i] = convert(values[i])
    return values

"""Catalog import: a whole file applied in one transaction, or nothing at all.

The file is streamed once (a large one is read and parsed by a second process while this one checks
and writes: :mod:`core.catalog.parse_ahead`). Every row is checked; rows are written in batches inside
a single database transaction while no problem has been seen, and the transaction is rolled back if
any row of the file turns out bad (or on ``dry_run``), so a seller never ends up with half a catalog.
Every bad row is reported, not just the first.

Rows are upserted by SKU: a product or variant whose values are unchanged is not written at all, so
re-importing a file changes nothing, and row ids stay stable for the listings that hang off them.
A stock figure is a count the seller gives, not a value to copy over on hand: the same figure as the
variant's last count leaves on hand alone (the sales since stay counted), a different one is a new count,
recorded in the inventory ledger (:func:`core.sync.ledger.count_stock`).
Checks across rows (a variant SKU given twice, product columns that disagree between the rows of one
product, options that do not tell a product's variants apart) use small per-SKU fingerprints, so
memory grows with the number of SKUs, not with the size of the rows.

A column the file leaves out keeps what is stored (:class:`~core.catalog.stored.Shape`); a column present
with an empty cell clears it. So a price list (``seller_code,variant_sku,price_vnd``) changes prices
and nothing else, and rows keyed by variant alone need no product columns; a new product or variant still
needs its required columns, reported by row. ``replace`` makes the file the whole truth for the products
it lists, as every import was before: a left-out column clears too, and the variants take the file's
order. The report counts the changes per column and lists what empty cells clear, for ``--dry-run``.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Table, bindparam, func, select, update

from core.actor import current_user
from core.catalog.columns import COLUMN_NAMES, PACKAGE_COLUMNS, PRODUCT_COLUMNS, REQUIRED_COLUMNS
from core.catalog.parse_ahead import parsed_table
from core.catalog.rows import ABSENT, ParsedRow, RowParser, RowProblem
from core.catalog.stored import (
    PRODUCT_DEFAULTS,
    PRODUCT_FIELDS,
    VARIANT_FIELDS,
    Existing,
    SellerIndex,
    Shape,
    Writes,
    fingerprint,
    normalized,
    stored_values,
)
from core.db import Store
from core.errors import InputRejected, NotFound
from core.models import PRODUCT, SELLER, VARIANT, VariantStatus, utcnow
from core.revisions import touch_products
from core.sync.ledger import count_stock

__all__ = ["ImportRejected", "ImportReport", "import_catalog"]

log = structlog.get_logger(__name__)
_PRODUCT, _VARIANT, _SELLER = PRODUCT, VARIANT, SELLER
_ACTIVE = VariantStatus.ACTIVE.value
_EMPTY = (None, "", (), ())  # a value an empty cell gives (text, images, attributes)


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool = False
    rows: int = 0
    sellers: list[str] = field(default_factory=list)
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    products_archived: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    variants_archived: int = 0
    # Stock figures that differ from the variant's last count and from on hand: on hand set to them.
    stock_counts: int = 0
    # Column → how many stored values of existing products and variants the file changes ("stock":
    # new counts that moved on hand).
    changes: Counter[str] = field(default_factory=Counter)
    # (SKU, column) where a present but empty cell clears a value that was stored.
    cleared: list[tuple[str, str]] = field(default_factory=list)
    replace: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    row_label: str = "row"


class ImportRejected(InputRejected):
    """The file had bad rows; nothing was written. ``report.problems`` lists every one."""

    def __init__(self, report: ImportReport) -> None:
        count = len(report.problems)
        super().__init__(
            f"import rejected: {count} problem{'s' if count != 1 else ''} found; nothing was written",
            hint="fix the rows listed and import the file again",
        )
        self.report = report


@dataclass(slots=True)
class _ProductSeen:
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
_Pending = tuple[ParsedRow, str, _ProductSeen, SellerIndex, tuple[Any, ...], int]


class _Importer:
    def __init__(
        self, conn: Connection, report: ImportReport, *, shape: Shape, batch_size: int, source: str, actor: str
    ) -> None:
        self.conn = conn
        self.report = report
        self.shape = shape
        self.batch_size = batch_size
        self.source, self.actor = source, actor
        self.now = utcnow()
        self.seller_ids: dict[str, int] = {r.code: r.id for r in conn.execute(select(_SELLER.c.id, _SELLER.c.code))}
        self.indexes: dict[str, SellerIndex] = {}
        self.products_seen: dict[tuple[str, str], _ProductSeen] = {}
        self.variants_seen: dict[tuple[str, str], int] = {}
        self.recent: tuple[tuple[str, str], dict[str, Any]] | None = None  # the last product's first row
        self.batch: list[_Pending] = []
        # products whose own or variants' values changed: their listings must be re-planned (a product
        # created by this import has no listing yet, so it needs no new revision)
        self.touched: set[int] = set()
        self.created: set[int] = set()
        self.writes = Writes(conn, self.now, shape)
        self.variant_columns = shape.variant_columns
        self.packages = tuple(i for i, c in enumerate(self.variant_columns) if c in PACKAGE_COLUMNS)
        # Per-row work in C where it can be (one itemgetter call instead of a loop per row): this is the
        # writing process's hot path, and an import of 100k rows must stay above 20,000 rows/s.
        self.cells = _getter(self.variant_columns)
        self.package_cells = _getter([self.variant_columns[i] for i in self.packages])
        # A new variant's every field from (its values, its position, None): where each field sits there.
        given = {f: i for i, f in enumerate(shape.variant_fields)}
        extra = len(shape.variant_fields)
        self.new_variant = _getter([given.get(f, extra + 1) if f != "position" or shape.replace else extra
                                    for f in VARIANT_FIELDS])  # fmt: skip
        self.products_partial = len(shape.product_fields) < len(PRODUCT_FIELDS)

    @property
    def writing(self) -> bool:
        return not self.report.problems

    def problem(self, row: int, column: str, reason: str) -> None:
        self.report.problems.append(RowProblem(row, column, reason))

    def index(self, seller: str) -> SellerIndex:
        if seller not in self.indexes:
            self.indexes[seller] = SellerIndex(self.conn, self.seller_ids[seller], self.shape)
            self.report.sellers.append(seller)
        return self.indexes[seller]

    def accept(self, row: ParsedRow) -> None:
        """Cross-row checks; a row that passes joins the current write batch."""
        if row.seller_code not in self.seller_ids:
            self.problem(
                row.number,
                "seller_code",
                f"seller {row.seller_code!r} is not registered; check the code or add it first with "
                f"'chosync sellers add {row.seller_code} --name ...'",
            )
            return
        index = self.index(row.seller_code)
        product, variant = row.product, row.variant
        vsku = variant["variant_sku"]
        existing = index.variants.get(vsku)
        psku = product["product_sku"]
        if psku is ABSENT:  # a file keyed by variant: each row changes a variant the catalog has
            if existing is None:
                self.problem(row.number, "variant_sku", f"{vsku!r} is not in the catalog; a new variant needs the "
                             "product_sku, name, category and price_vnd columns")  # fmt: skip
                return
            psku = existing.product_sku
        before = len(self.report.problems)
        seen = self._check_product(row, psku, index)
        first_variant_row = self.variants_seen.setdefault((row.seller_code, vsku), row.number)
        if first_variant_row != row.number:
            self.problem(row.number, "variant_sku", f"{vsku!r} is already used on row {first_variant_row}")
        if existing is not None and existing.product_sku != psku:
            self.problem(
                row.number,
                "variant_sku",
                f"{vsku!r} belongs to product {existing.product_sku!r} in the catalog; "
                "a variant cannot move to another product (give it a new SKU)",
            )
        if psku in index.variants and index.variants[psku].product_sku != psku:
            self.problem(row.number, "product_sku", f"{psku!r} is already a variant SKU of another product")
        if existing is None and variant["price_vnd"] is ABSENT:
            self.problem(row.number, "price_vnd", f"{vsku!r} is a new variant: it needs a price, and the file has "
                         "no price_vnd column")  # fmt: skip
        if seen is not None and variant["option1_name"] is not ABSENT:
            self._check_options(row, seen)
        if len(self.report.problems) == before and self.writing:
            assert seen is not None
            self.batch.append((row, psku, seen, index, *self._variant_values(row, psku, seen, index, existing)))
            if len(self.batch) >= self.batch_size:
                self.flush()

    def _variant_values(
        self, row: ParsedRow, psku: str, seen: _ProductSeen, index: SellerIndex, existing: Existing | None
    ) -> tuple[tuple[Any, ...], int]:
        """The variant's values in the shape's field order (SKU, position when replacing, ..., status), and
        its place among the product's variants: the file's order when replacing, else a new one goes last."""
        cells = self.cells(row.variant)
        if None in self.package_cells(row.variant):  # an empty package cell: the product's first row says
            filled = list(cells)
            for i, first in zip(self.packages, seen.package, strict=True):
                if filled[i] is None:
                    filled[i] = first
            cells = tuple(filled)
        if self.shape.replace:
            position = seen.variants - 1
            return (cells[0], position, *cells[1:], _ACTIVE), position
        position = -1  # an existing variant keeps its place
        if existing is None:
            position = index.next_position.get(psku, 0)
            index.next_position[psku] = position + 1
        return (*cells, _ACTIVE), position

    def _check_product(self, row: ParsedRow, psku: str, index: SellerIndex) -> _ProductSeen | None:
        key = (row.seller_code, psku)
        variant = row.variant
        seen = self.products_seen.get(key)
        if seen is None:
            names = (variant["option1_name"], variant["option2_name"])
            seen = _ProductSeen(row.number, row.product_fingerprint, names, set(), 0, self.package_cells(variant))
            self.products_seen[key] = seen
            # A product's rows come together, as a rule: the last product's first row is what a disagreeing
            # row is told about, column by column.
            self.recent = (key, row.product)
            if self.products_partial and psku not in index.products:
                missing = [c for c in ("name", "category") if row.product[c] is ABSENT]
                if missing:
                    self.problem(row.number, missing[0], f"product {psku!r} is new: it needs the name and "
                                 "category columns, which this file leaves out")  # fmt: skip
            return seen
        if seen.fingerprint != row.product_fingerprint:
            self.problem(row.number, "product_sku", self._disagreement(key, row, seen))
            return None
        return seen

    def _disagreement(self, key: tuple[str, str], row: ParsedRow, seen: _ProductSeen) -> str:
        """Which product column differs from the product's first row, and both values, when still known."""
        first = self.recent[1] if self.recent is not None and self.recent[0] == key else None
        advice = ("repeat the product columns identically on every row of a product (only weight_g and the "
                  "sizes may differ between its variants)")  # fmt: skip
        if first is not None:
            fields = self.shape.product_fields
            columns = self.shape.product_columns
            ours = normalized(fields, [row.product[c] for c in columns])
            theirs = normalized(fields, [first[c] for c in columns])
            for column, here, there in zip(columns, ours, theirs, strict=True):
                if here != there:
                    return (f"product {key[1]!r} has {column} {_shown(here)} here but {_shown(there)} on row "
                            f"{seen.first_row}; {advice}")  # fmt: skip
        return f"product {key[1]!r} has different product columns here than on row {seen.first_row}; {advice}"

    def _check_options(self, row: ParsedRow, seen: _ProductSeen) -> None:
        variant = row.variant
        names = (variant["option1_name"], variant["option2_name"])
        combo = (variant["option1_value"], variant["option2_value"])
        seen.variants += 1
        if names != seen.option_names:
            self.problem(
                row.number,
                "option1_name",
                f"options {_names(names)} differ from {_names(seen.option_names)} on row {seen.first_row}; "
                "all variants of a product use the same option names",
            )
        elif seen.variants > 1 and names[0] is None:
            self.problem(
                row.number,
                "option1_value",
                f"product {row.product['product_sku']!r} has several variants; "
                "each needs option values that tell it apart",
            )
        elif combo in seen.combos:
            self.problem(row.number, "option1_value", "another variant of this product has the same options")
        seen.combos.add(combo)

    def flush(self) -> None:
        if not self.writing or not self.batch:
            self.batch.clear()
            return
        batch, self.batch = self.batch, []
        self._write_products(batch)
        self._write_variants(batch)

    def _write_products(self, batch: list[_Pending]) -> None:
        new: list[tuple[Any, ...]] = []
        changed: dict[int, tuple[str, tuple[Any, ...]]] = {}  # product id → (SKU, the shape's values)
        inserted: dict[int, dict[str, _ProductSeen]] = {}  # seller id -> SKU -> the new product
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

    def _find_new_products(self, seller_id: int, products: dict[str, _ProductSeen], floor: int) -> None:
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

    def _write_variants(self, batch: list[_Pending]) -> None:
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

    def run(self, rows: Iterable[ParsedRow | list[RowProblem]], *, archive_missing: bool) -> None:
        """Check every row, writing batches while the file is still clean."""
        report = self.report
        for parsed in rows:
            report.rows += 1
            if isinstance(parsed, list):
                report.problems.extend(parsed)
            else:
                self.accept(parsed)
        if report.rows == 0:
            report.problems.append(RowProblem(1, "-", "the file has a header but no rows"))
        self.flush()
        if archive_missing and self.writing:
            self.archive_missing()
        if self.writing:
            touch_products(self.conn, self.touched - self.created)

    def archive_missing(self) -> None:
        """Archive what the file no longer lists, for the sellers it names."""
        for code, index in self.indexes.items():
            products = [e for sku, e in index.products.items() if e.active and (code, sku) not in self.products_seen]
            variants = [
                (e, self.products_seen[(code, e.product_sku)])
                for sku, e in index.variants.items()
                if e.active and (code, sku) not in self.variants_seen and (code, e.product_sku) in self.products_seen
            ]
            self._set_archived(_PRODUCT, [e.id for e in products])
            self._set_archived(_VARIANT, [e.id for e, _ in variants])
            self.touched.update(e.id for e in products)
            self.touched.update(seen.id for _, seen in variants if seen.id is not None)
            self.report.products_archived += len(products)
            self.report.variants_archived += len(variants)

    def _set_archived(self, table: Table, ids: list[int]) -> None:
        if ids:
            self.conn.execute(
                update(table).where(table.c.id == bindparam("_id")).values(status="archived", updated_at=self.now),
                [{"_id": i} for i in ids],
            )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk load.

    The import allocates millions of short-lived, acyclic objects while the SKU indexes grow; the
    cyclic collector would rescan those indexes over and over (measured: ~1.5x slower). Reference
    counting still frees everything, so pausing it costs no memory.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _names(names: tuple[Any, Any]) -> str:
    shown = [n for n in names if n is not None]
    return " / ".join(repr(n) for n in shown) if shown else "(none)"


_COLUMN_OF_PRODUCT = {"sku": "product_sku"}
_COLUMN_OF_VARIANT = {"sku": "variant_sku"}
_WRITABLE = {"images": list, "attributes": dict, "status": str}  # plain types: sqlite3 binds a str subclass slowly


def _getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
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


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:59]}…"


def _header_problems(header: list[str], *, seller_given: bool, replace: bool, problems: list[str]) -> list[RowProblem]:
    found = [RowProblem(1, "-", p) for p in problems]
    known = set(COLUMN_NAMES)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        found.append(
            RowProblem(1, ", ".join(unknown), "unknown column; the columns are listed in README (Catalog columns)")
        )
    # Replacing, the file is the whole truth: every required column. Otherwise the variant SKU keys each
    # row (new products and variants are checked for their required columns row by row).
    required = set(REQUIRED_COLUMNS) if replace else {"variant_sku"}
    required |= set() if seller_given else {"seller_code"}
    missing = [c for c in COLUMN_NAMES if c in required and c not in header]
    if missing:
        found.append(RowProblem(1, ", ".join(missing), "required column is missing from the header row"))
    product_columns = [c for c in PRODUCT_COLUMNS if c in header and c != "product_sku"]
    if product_columns and "product_sku" not in header:
        reason = "product columns need the product_sku column, to say which product they describe"
        found.append(RowProblem(1, ", ".join(product_columns), reason))
    return found


def import_catalog(
    store: Store,
    path: Path,
    *,
    seller: str | None = None,
    dry_run: bool = False,
    archive_missing: bool = False,
    replace: bool = False,
    batch_size: int = 2000,
    parse_ahead: bool | None = None,
    actor: str | None = None,
) -> ImportReport:
    """Import a catalog file (CSV, XLSX, JSON). Raises :class:`ImportRejected` if any row is bad.

    A column the file leaves out keeps what is stored, unless ``replace`` (the file is the whole truth
    for the products it lists).

    ``parse_ahead``: parse the file in a second process while this one writes (see
    :mod:`core.catalog.parse_ahead`); None decides by the file's size and the machine. ``actor``: who
    gives the file's stock counts (recorded in the ledger; the operating-system user by default).
    """
    report = ImportReport(dry_run=dry_run, replace=replace)
    parser = RowParser(base_dir=path.resolve().parent, default_seller=seller, replace=replace)
    # A reading process is forked before this connection opens; it never touches the database.
    with parsed_table(path, parser, ahead=parse_ahead) as table, store.engine.connect() as conn:
        report.row_label = table.label
        report.problems.extend(
            _header_problems(
                table.header, seller_given=seller is not None, replace=replace, problems=table.header_problems
            )
        )
        if report.problems:
            raise ImportRejected(report)
        transaction = conn.begin()
        known = seller is None or conn.execute(select(_SELLER.c.id).where(_SELLER.c.code == seller)).first()
        if not known:
            transaction.rollback()
            raise NotFound(
                f"seller {seller!r} is not registered",
                hint=f"add it with 'chosync sellers add {seller} --name ...'",
            )
        try:
            with _collector_paused():
                shape = Shape.of(table.header, replace=replace)
                importer = _Importer(conn, report, shape=shape, batch_size=batch_size,
                                     source=f"catalog import {path.name}", actor=actor or current_user())  # fmt: skip
                importer.run(table.rows, archive_missing=archive_missing)
        except BaseException:
            transaction.rollback()
            raise
        if report.problems or dry_run:
            transaction.rollback()
        else:
            transaction.commit()
    log.info(
        "catalog.import",
        file=path.name,
        rows=report.rows,
        problems=len(report.problems),
        dry_run=dry_run,
        products_created=report.products_created,
        products_updated=report.products_updated,
        variants_created=report.variants_created,
        variants_updated=report.variants_updated,
        stock_counts=report.stock_counts,
    )
    if report.problems:
        raise ImportRejected(report)
    return report

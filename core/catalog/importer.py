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
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Table, bindparam, select, update

from core.actor import current_user
from core.catalog.columns import PACKAGE_COLUMNS
from core.catalog.import_report import ImportRejected, ImportReport, header_problems
from core.catalog.import_writes import BatchWriter, Pending, ProductSeen, tuple_getter
from core.catalog.parse_ahead import parsed_table
from core.catalog.rows import ABSENT, ParsedRow, RowParser, RowProblem
from core.catalog.stored import PRODUCT_FIELDS, Existing, SellerIndex, Shape, normalized
from core.db import Store
from core.errors import NotFound
from core.models import PRODUCT, SELLER, VARIANT, VariantStatus, utcnow
from core.revisions import touch_products

__all__ = ["ImportRejected", "ImportReport", "import_catalog"]

log = structlog.get_logger(__name__)
_PRODUCT, _VARIANT, _SELLER = PRODUCT, VARIANT, SELLER
_ACTIVE = VariantStatus.ACTIVE.value


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
        self.products_seen: dict[tuple[str, str], ProductSeen] = {}
        self.variants_seen: dict[tuple[str, str], int] = {}
        self.recent: tuple[tuple[str, str], dict[str, Any]] | None = None  # the last product's first row
        self.batch: list[Pending] = []
        self.writer = BatchWriter(conn, report, shape=shape, now=self.now, source=source, actor=actor)
        self.variant_columns = shape.variant_columns
        self.packages = tuple(i for i, c in enumerate(self.variant_columns) if c in PACKAGE_COLUMNS)
        # Per-row work in C where it can be (one itemgetter call instead of a loop per row): this is the
        # writing process's hot path, and an import of 100k rows must stay above 20,000 rows/s.
        self.cells = tuple_getter(self.variant_columns)
        self.package_cells = tuple_getter([self.variant_columns[i] for i in self.packages])
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
        self, row: ParsedRow, psku: str, seen: ProductSeen, index: SellerIndex, existing: Existing | None
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

    def _check_product(self, row: ParsedRow, psku: str, index: SellerIndex) -> ProductSeen | None:
        key = (row.seller_code, psku)
        variant = row.variant
        seen = self.products_seen.get(key)
        if seen is None:
            names = (variant["option1_name"], variant["option2_name"])
            seen = ProductSeen(row.number, row.product_fingerprint, names, set(), 0, self.package_cells(variant))
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

    def _disagreement(self, key: tuple[str, str], row: ParsedRow, seen: ProductSeen) -> str:
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

    def _check_options(self, row: ParsedRow, seen: ProductSeen) -> None:
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
        self.writer.write(batch)

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
            touch_products(self.conn, self.writer.touched - self.writer.created)

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
            self.writer.touched.update(e.id for e in products)
            self.writer.touched.update(seen.id for _, seen in variants if seen.id is not None)
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
    image_folders: Sequence[Path] = (),
    image_hosts: Collection[str] = (),
) -> ImportReport:
    """Import a catalog file (CSV, XLSX, JSON). Raises :class:`ImportRejected` if any row is bad.

    A column the file leaves out keeps what is stored, unless ``replace`` (the file is the whole truth
    for the products it lists).

    ``parse_ahead``: parse the file in a second process while this one writes (see
    :mod:`core.catalog.parse_ahead`); None decides by the file's size and the machine. ``actor``: who
    gives the file's stock counts (recorded in the ledger; the operating-system user by default).
    ``image_folders`` and ``image_hosts``: where images may also come from besides the file's own folder
    and public web hosts (the settings ``images.folders`` and ``images.allowed_hosts``).
    """
    report = ImportReport(dry_run=dry_run, replace=replace)
    seller = None if seller is None else seller.strip().upper()  # as stored: --seller htx-c is HTX-C
    parser = RowParser(base_dir=path.resolve().parent, default_seller=seller, replace=replace,
                       image_folders=image_folders, image_hosts=image_hosts)  # fmt: skip
    # A reading process is forked before this connection opens; it never touches the database.
    with parsed_table(path, parser, ahead=parse_ahead) as table, store.engine.connect() as conn:
        report.row_label = table.label
        report.problems.extend(
            header_problems(
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


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:59]}…"

"""``chosync catalog``: import, export, list and show the canonical catalog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from core.catalog.exporter import export_catalog
from core.catalog.importer import ImportRejected, ImportReport, import_catalog
from core.catalog.queries import iter_products
from core.catalog.records import ProductRecord, VariantRecord
from core.cli.context import console, console_err, escape, print_json, state
from core.cli.tables import Col, Grid, Under
from core.errors import NotFound, UsageError
from core.models import ProductStatus

app = typer.Typer(help="Import, export and browse the catalog.", no_args_is_help=True)


def vnd(amount: int) -> str:
    """125000 → '125.000 ₫', as Vietnamese buyers read prices."""
    return f"{amount:,} ₫".replace(",", ".")


def _report_table(report: ImportReport) -> Grid:
    verb = "would be" if report.dry_run else "were"
    counts = (Col(c, "number") for c in ("created", "updated", "unchanged", "archived"))
    table = Grid([Col(""), *counts], title=f"{report.rows} rows read; what {verb} written")
    table.add_row(
        "products",
        *map(
            str,
            (
                report.products_created,
                report.products_updated,
                report.products_unchanged,
                report.products_archived,
            ),
        ),
    )
    table.add_row(
        "variants",
        *map(
            str,
            (
                report.variants_created,
                report.variants_updated,
                report.variants_unchanged,
                report.variants_archived,
            ),
        ),
    )
    return table


# How a changed column is counted for people: "12 prices, 3 stock counts, 1 description".
_CHANGE_WORDS = {
    "price_vnd": ("price", "prices"), "list_price_vnd": ("list price", "list prices"),
    "stock": ("new stock count (on hand set to it, in the ledger)", "new stock counts (on hand set to them)"),
    "status": ("status", "statuses"),
    "images": ("image list", "image lists"), "attributes": ("attribute list", "attribute lists"),
    "category": ("category", "categories"), "weight_g": ("weight", "weights"),
}  # fmt: skip


def _changes(report: ImportReport) -> str:
    def word(column: str, n: int) -> str:
        one, many = _CHANGE_WORDS.get(column, (column.replace("_", " "), column.replace("_", " ") + "s"))
        return f"{n} {one if n == 1 else many}"

    return ", ".join(word(column, n) for column, n in report.changes.most_common())


def _cleared(report: ImportReport, shown: int = 20) -> str:
    per_sku: dict[str, list[str]] = {}
    for sku, column in report.cleared:
        per_sku.setdefault(sku, []).append(column)
    listed = [f"{sku} ({', '.join(columns)})" for sku, columns in list(per_sku.items())[:shown]]
    more = len(per_sku) - shown
    return "; ".join(listed) + (f"; and {more} more" if more > 0 else "")


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="Catalog file: .csv, .xlsx or .json, one row per variant."),
    seller: str | None = typer.Option(
        None, "--seller", help="Seller code for every row (seller_code column optional)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything and report; write nothing."),
    archive_missing: bool = typer.Option(
        False,
        "--archive-missing",
        help="Archive products (and variants) of the sellers in the file that it no longer lists.",
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="The file is the whole truth for the products it lists: a column it leaves out is cleared too "
        "(without it, a left-out column keeps what is stored).",
    ),
) -> None:
    """Import a catalog file: all of it, or nothing if any row is bad (every bad row is listed).

    A column the file leaves out keeps what is stored; a present column with an empty cell clears it."""
    images = state.settings().images
    try:
        report = import_catalog(
            state.store(), file, seller=seller, dry_run=dry_run, archive_missing=archive_missing, replace=replace,
            image_folders=images.folders, image_hosts=images.allowed_hosts,
        )  # fmt: skip
    except ImportRejected as rejected:
        problems = rejected.report.problems
        label = rejected.report.row_label.capitalize()
        table = Grid(
            [Col(label, "number"), Col("Column", "id"), Col("Problem", "text")],
            title=f"{escape(file.name)}: {len(problems)} problem{'s' if len(problems) != 1 else ''}",
        )
        for p in sorted(problems, key=lambda p: (p.row, p.column)):
            table.add_row(str(p.row), escape(p.column), escape(p.reason))
        table.print(console_err())
        raise
    out = console()
    _report_table(report).print(out)
    verb = "would change" if dry_run else "changed"
    if report.changes:
        out.print(f"Values {verb}: {_changes(report)}.", highlight=False)
    if report.cleared:
        out.print(f"[yellow]Empty cells {'would clear' if dry_run else 'cleared'}:[/] {escape(_cleared(report))}",
                  highlight=False)  # fmt: skip
    if dry_run:
        typer.echo("Dry run: nothing was written.")


@app.command("export")
def export(
    file: Path = typer.Argument(..., help="Where to write: .csv, .xlsx or .json (format from the extension)."),
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's products."),
) -> None:
    """Export the catalog in the import format (re-importing it changes nothing)."""
    count = export_catalog(state.store(), file, seller=seller)
    typer.echo(f"{count} rows written to {file}")


@app.command("set-stock")
def set_stock_command(
    variant_sku: str = typer.Argument(..., help="Variant SKU."),
    on_hand: int = typer.Argument(..., help="Units on hand, as counted."),
    seller: str = typer.Option(..., "--seller", help="Seller code."),
) -> None:
    """Set a variant's stock on hand by hand; the next sync sends it to every channel."""
    from core.catalog.stock import set_stock

    old, new = set_stock(state.store(), seller=seller, variant_sku=variant_sku, on_hand=on_hand)
    typer.echo(f"{variant_sku}: stock on hand {old} → {new}" if old != new else f"{variant_sku}: already {new}")


@app.command("template")
def template(
    file: Path = typer.Argument(..., help="Where to write the template: .csv, .xlsx or .json."),
) -> None:
    """Write an empty-catalog template with two example rows (XLSX adds a sheet explaining each column)."""
    from core.catalog.template import write_template

    write_template(file)
    typer.echo(f"Template written to {file}: replace the example rows with your products.")


def _product_json(product: ProductRecord) -> dict[str, Any]:
    data = product.model_dump(mode="json", exclude={"seller_code", "variants"})
    variants = [
        {
            "sku": v.sku,
            "options": {o.name: o.value for o in v.options},
            "price_vnd": v.price_vnd,
            "list_price_vnd": v.list_price_vnd,
            "barcode": v.barcode,
            # The package each variant ships in (its own: a 10 kg bag is not a 2 kg one).
            "weight_g": v.weight_g,
            "length_cm": v.length_cm,
            "width_cm": v.width_cm,
            "height_cm": v.height_cm,
            "stock": v.stock,
            "status": v.status.value,
        }
        for v in product.variants
    ]
    return {"seller": product.seller_code, **data, "variants": variants}


def _package(variant: VariantRecord) -> str:
    """'5200 g, 35×22×8.5 cm', as much of it as is known."""
    sizes = (variant.length_cm, variant.width_cm, variant.height_cm)
    parts = [] if variant.weight_g is None else [f"{variant.weight_g} g"]
    if all(s is not None for s in sizes):
        parts.append("×".join(f"{s:g}" for s in sizes if s is not None) + " cm")
    return ", ".join(parts)


def _price_range(product: ProductRecord) -> str:
    prices = [v.price_vnd for v in product.variants]
    if not prices:
        return "-"
    low, high = min(prices), max(prices)
    return vnd(low) if low == high else f"{vnd(low)} – {vnd(high)}"


@app.command("list")
def list_(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's products."),
    status: ProductStatus | None = typer.Option(None, "--status", help="active or archived (default: both)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON array of products with their variants."),
) -> None:
    """List products with their variants' prices and stock."""
    with state.store().engine.connect() as conn:
        products = list(iter_products(conn, seller=seller, status=status))
    if as_json:
        print_json([_product_json(p) for p in products])
        return
    table = Grid(
        [Col("Seller", "id"), Col("SKU", "id"), Col("Name", "text"), Col("OCOP"), Col("Var.", "number"),
         Col("Price"), Col("Stock", "number"), Col("Status")],
        title=f"{len(products)} product{'s' if len(products) != 1 else ''}",
        narrow=[Under("SKU", "Seller"), Under("Status", "OCOP"), Under("Stock", "Var."), Under("Price", "Name"),
                Under("OCOP", "Var.")],
    )  # fmt: skip
    for p in products:
        table.add_row(
            p.seller_code,
            escape(p.sku),
            escape(p.name),
            "★" * p.ocop_stars if p.ocop_stars else "",
            str(len(p.variants)),
            _price_range(p),
            str(sum(v.stock for v in p.variants)),
            p.status.value,
        )
    table.print(console())


@app.command("show")
def show(
    sku: str = typer.Argument(..., help="Product SKU."),
    seller: str | None = typer.Option(None, "--seller", help="Seller code (needed when two sellers use the SKU)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one product with every field and variant."""
    with state.store().engine.connect() as conn:
        found = list(iter_products(conn, seller=seller, sku=sku))
    if not found:
        raise NotFound(
            f"no product with SKU {sku!r}" + (f" for seller {seller!r}" if seller else ""),
            hint="see the products' SKUs with: chosync catalog list" + (f" --seller {seller}" if seller else ""),
        )
    if len(found) > 1:
        sellers = ", ".join(p.seller_code for p in found)
        raise UsageError(f"SKU {sku!r} is used by several sellers ({sellers})", hint="add --seller CODE")
    product = found[0]
    if as_json:
        print_json(_product_json(product))
        return
    fields = Grid([Col("field"), Col("value", "text")], title=escape(f"{product.seller_code} / {product.sku}"),
                  show_header=False)  # fmt: skip
    for key, value in _product_json(product).items():
        if key not in ("variants", "sku", "seller"):
            shown = " | ".join(value) if isinstance(value, list) else value
            shown = "; ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, dict) else shown
            fields.add_row(f"[bold]{key}[/]", escape("" if shown is None else str(shown)))
    variants = Grid(
        [Col("SKU", "id"), Col("Options", "text"), Col("Price", "number"), Col("List price", "number"),
         Col("Barcode", "id"), Col("Package"), Col("Stock", "number"), Col("Status")],
        title="Variants",
        narrow=[Under("List price", "Price"), Under("Status", "Stock"), Under("Barcode", "SKU"),
                Under("Package", "Options")],
    )  # fmt: skip
    for v in product.variants:
        variants.add_row(
            escape(v.sku),
            escape(", ".join(f"{o.name}: {o.value}" for o in v.options)),
            vnd(v.price_vnd),
            vnd(v.list_price_vnd) if v.list_price_vnd else "",
            escape(v.barcode or ""),
            _package(v),
            str(v.stock),
            v.status.value,
        )
    out = console()
    fields.print(out)
    variants.print(out)

"""``chosync sellers``: register and list the businesses whose catalogs chosync keeps."""

from __future__ import annotations

import typer

from core.cli.context import console, escape, print_json, say, state
from core.cli.tables import Col, Grid, Under
from core.models import SellerKind
from core.sellers import add_seller, list_sellers

app = typer.Typer(help="Register and list sellers.", no_args_is_help=True)


@app.command("add")
def add(
    code: str = typer.Argument(..., help="Short code, e.g. HTX-DANTIEN (letters, digits, - and _)."),
    name: str = typer.Option(..., "--name", help="Registered business name."),
    kind: SellerKind = typer.Option(SellerKind.HOUSEHOLD, "--kind", help="cooperative, household or company."),
    province: str | None = typer.Option(None, "--province", help="Province, e.g. Trà Vinh."),
) -> None:
    """Register a seller."""
    seller = add_seller(state.store(), code, name=name, kind=kind, province=province)
    say(f"Seller {seller.code} registered: {seller.name}")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """List registered sellers with their number of active products."""
    rows = list_sellers(state.store())
    if as_json:
        print_json(
            [
                {
                    "code": r.code,
                    "name": r.name,
                    "kind": r.kind.value,
                    "province": r.province,
                    "products": r.products,
                }
                for r in rows
            ]
        )
        return
    table = Grid(
        [Col("Code", "id"), Col("Name", "text"), Col("Kind"), Col("Province", "text"), Col("Products", "number")],
        title=f"{len(rows)} seller{'s' if len(rows) != 1 else ''}",
        narrow=[Under("Kind", "Code"), Under("Province", "Name")],
    )  # fmt: skip
    for r in rows:
        table.add_row(r.code, escape(r.name), r.kind.value, escape(r.province or ""), str(r.products))
    table.print(console())

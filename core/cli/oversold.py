"""``chosync oversold``: the variants sold beyond what the seller has, the orders behind them, what to do."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer

from core.cli.context import console, escape, print_json, state
from core.cli.tables import Col, Grid, Under
from core.sync.oversold import Oversold, list_oversold

__all__ = ["WHAT_TO_DO", "oversold_note", "register"]

WHAT_TO_DO = (
    "What to do: cancel one of these orders on its marketplace (the next pull releases its units), or, if "
    "the goods are there after all, count again: chosync catalog set-stock SKU QUANTITY --seller CODE. "
    "Until then every shop shows 0 for these SKUs."
)


def oversold_note(item: Oversold) -> str:
    """One line for a person: which SKU, how short, and where to look."""
    return (f"oversold: {item.variant_sku} ({item.seller}): on hand {item.on_hand}, held by orders "
            f"{item.reserved}, short by {item.short}; see 'chosync oversold'")  # fmt: skip


def _orders(item: Oversold) -> str:
    return "\n".join(f"{o.channel} {o.order_id} ×{o.quantity} {o.state}" for o in item.orders) or "-"


def oversold(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Variants sold or held by orders beyond what is on hand, with the orders involved and what to do."""
    items = list_oversold(state.store(), seller=seller)
    if as_json:
        print_json([{**dataclasses.asdict(item), "short": item.short} for item in items])
        return
    out = console()
    if not items:
        out.print("Nothing is oversold.")
        return
    table = Grid(
        [Col("Seller", "id"), Col("SKU", "id"), *(Col(c, "number") for c in ("On hand", "Held", "Short")),
         Col("Orders (channel, order, quantity, state)", "text", room=36)],
        title=f"{len(items)} oversold SKU{'s' if len(items) != 1 else ''}",
        narrow=[Under("SKU", "Seller"), Under("Held", "On hand"), Under("Short", "On hand")],
    )  # fmt: skip
    for item in items:
        table.add_row(escape(item.seller), escape(item.variant_sku), str(item.on_hand), str(item.reserved),
                      f"[red]{item.short}[/]", escape(_orders(item)))  # fmt: skip
    table.print(out)
    out.print(WHAT_TO_DO, highlight=False)


def register(app: Any) -> None:
    app.command("oversold")(oversold)

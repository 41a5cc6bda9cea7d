"""``chosync orders``: pull orders from every marketplace, list them, confirm returned goods.

``orders pull`` runs one pull per enabled channel account (each recorded as a sync run): new and
changed orders are stored, the inventory ledger reserves, sells and releases stock, and every product
whose stock moved is re-planned on all of the seller's channels. ``orders confirm-return`` puts a
returned order's goods back on hand once the seller has them (DESIGN: stock comes back only then).
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC
from typing import Any

import typer

from core.channels import AccountSummary, find_account, list_accounts
from core.cli.catalog import vnd
from core.cli.context import account_label, console, console_err, escape, local_time, print_json, say, state
from core.cli.oversold import oversold_note
from core.cli.tables import Col, Grid, Split, Under
from core.errors import ChosyncError, NotFound
from core.http import http_client
from core.logs import scrub
from core.scheduler.locks import hold_accounts
from core.sync.connect import build_connector
from core.sync.ledger import LedgerPolicy
from core.sync.order_views import OrderView, list_orders
from core.sync.orders import PullReport, confirm_return, pull_orders
from core.sync.runs import cli_trigger

__all__ = ["app"]

app = typer.Typer(help="Pull orders into one stock truth; list them; confirm returns.", no_args_is_help=True)

HTTP_TIMEOUT_S = 30.0


# A pull's report, or the account whose connector could not even be built and why.
_Pulled = PullReport | tuple[AccountSummary, str]


def _label(account: AccountSummary) -> str:
    return f"{account.seller} {account.channel} ({account.name})"


def _pull_all(accounts: list[AccountSummary], policy: LedgerPolicy) -> list[_Pulled]:
    """One pull per account, in turn; an account whose connector cannot be built is a failure too."""

    async def run() -> list[_Pulled]:
        results: list[_Pulled] = []
        trigger = cli_trigger()
        async with (
            hold_accounts(state.store(), accounts, role="cli orders pull", settings=state.settings().schedule),
            http_client(timeout=HTTP_TIMEOUT_S) as http,
        ):
            for account in accounts:
                try:
                    connector = build_connector(state.store(), account, http)
                except ChosyncError as exc:
                    results.append((account, scrub(str(exc))))
                    continue
                results.append(await pull_orders(state.store(), account, connector, trigger=trigger, policy=policy))
        return results

    return asyncio.run(run())


# New orders, orders whose status changed, lines naming no SKU of ours, stock moves, products re-planned.
_PULL_COLUMNS = ("New", "Changed", "No SKU", "Ledger", "Re-planned")


def _pull_table(results: list[_Pulled]) -> Grid:
    """One row per account: what the pull stored and moved, and whether it worked."""
    table = Grid(
        [Col("Account", "id"), *(Col(c, "number") for c in _PULL_COLUMNS), Col("Result")], title="orders pulled",
        compact=True, narrow=[Split("Account"), Under("Changed", "New")],
        legend="No SKU: lines whose SKU is not in the catalog (stock not moved) · Ledger: stock moves",
    )  # fmt: skip
    for result in results:
        if isinstance(result, tuple):
            failed = account_label(result[0].seller, result[0].channel, result[0].name)
            table.add_row(escape(failed), *("" for _ in _PULL_COLUMNS), "[bold red]failed[/]")
            continue
        account = account_label(result.seller, result.channel, result.account)
        counts = (result.orders_new, result.orders_updated, len(result.unknown), result.ledger_entries,
                  result.products_touched)  # fmt: skip
        cells = [str(n) if n else "·" for n in counts]
        if result.unknown:
            cells[2] = f"[yellow]{len(result.unknown)}[/]"
        table.add_row(escape(account), *cells, "[green]ok[/]" if result.ok else "[bold red]failed[/]")
    return table


@app.command("pull")
def pull(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's accounts."),
    channel: str | None = typer.Option(None, "--channel", help="Only accounts on this channel."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Pull new and changed orders of every enabled account (exit 1 if any pull failed)."""
    accounts = [a for a in list_accounts(state.store(), seller=seller, channel=channel) if a.enabled]
    if not accounts:
        raise NotFound("no enabled channel account matches", hint="see 'chosync channels list'")
    failures: list[str] = []
    err = console_err()
    results = _pull_all(accounts, LedgerPolicy.from_settings(state.settings()))
    if as_json:
        print_json([_pull_json(r) for r in results])
        if any(isinstance(r, tuple) or not r.ok for r in results):
            raise typer.Exit(1)
        return
    _pull_table(results).print(console())
    for result in results:
        if isinstance(result, tuple):
            failures.append(f"{_label(result[0])}: {result[1]}")
            continue
        for line in result.unknown:
            err.print(
                f"[bold yellow]warning:[/] order {escape(line.order_id)} line {escape(line.line_id)}: "
                f"SKU {escape(line.sku or '(none)')} is not in {escape(result.seller)}'s catalog; "
                "its stock was not moved",
                highlight=False,
            )
        for item in result.oversold:
            err.print(f"[bold yellow]warning:[/] {escape(oversold_note(item))}", highlight=False)
        if not result.ok:
            failures.append(f"{result.seller} {result.channel} ({result.account}): {result.error}")
    for failure in failures:
        err.print(f"[bold red]error:[/] {escape(failure)}", highlight=False)
    if failures:
        raise typer.Exit(1)


def _pull_json(result: _Pulled) -> dict[str, Any]:
    if isinstance(result, tuple):  # the account's connector could not even be built
        return {"account": _label(result[0]), "outcome": "failed", "error": result[1]}
    return {
        "seller": result.seller, "channel": result.channel, "account": result.account, "outcome": result.outcome,
        "error": result.error, "run_id": result.run_id, **result.counts(),
        "unknown_lines": [dataclasses.asdict(line) for line in result.unknown],
        "oversold": [dataclasses.asdict(item) for item in result.oversold],
    }  # fmt: skip


def _order_json(order: OrderView) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "seller": order.seller,
        "channel": order.channel,
        "account": order.account,
        "status": order.status,
        "raw_status": order.raw_status,
        "placed_at": order.placed_at.astimezone(UTC).isoformat(),
        "changed_at": order.changed_at.astimezone(UTC).isoformat(),
        "total_vnd": order.total_vnd,
        "lines": [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price_vnd": line.unit_price_vnd,
                "ledger_state": line.ledger_state,
                "unknown": line.unknown,
            }
            for line in order.lines
        ],
    }


@app.command("list")
def list_(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's orders."),
    status: str | None = typer.Option(
        None, "--status", help="Only orders in this status: pending, ready, shipped, completed, ..."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (times in UTC)."),
) -> None:
    """List stored orders, newest first, with their lines and where each stands in the ledger."""
    orders = list_orders(state.store(), seller=seller, status=status)
    if as_json:
        print_json([_order_json(order) for order in orders])
        return
    table = Grid(
        [Col("Order", "id"), Col("Seller", "id"), Col("Channel", "id"), Col("Status"), Col("Placed"),
         Col("Total", "number"), Col("Lines", "text")],
        title=f"{len(orders)} order{'s' if len(orders) != 1 else ''}",
        # Narrow: the order's facts stack in its first column, so each line keeps its SKU whole.
        narrow=[Under("Channel", "Seller"), Under("Placed", "Order"), Under("Total", "Order"),
                Under("Status", "Seller"), Under("Seller", "Order")],
    )  # fmt: skip
    for order in orders:
        lines = "\n".join(
            f"{escape(line.sku or '?')} ×{line.quantity} "
            + ("[yellow]unknown SKU[/]" if line.unknown else line.ledger_state)
            for line in order.lines
        )
        table.add_row(
            escape(order.order_id),
            escape(order.seller),
            f"{order.channel} ({escape(order.account)})",
            f"{order.status} ({escape(order.raw_status)})",
            local_time(order.placed_at),
            vnd(order.total_vnd),
            lines,
        )
    table.print(console())


@app.command("confirm-return")
def confirm_return_(
    order_id: str = typer.Argument(..., help="The marketplace's order id."),
    seller: str = typer.Option(..., "--seller", help="Seller code."),
    channel: str = typer.Option(..., "--channel", help="Channel name, e.g. shopee."),
    name: str | None = typer.Option(None, "--name", help="Account name, when the seller has several."),
) -> None:
    """Confirm the goods of a returned order are back: their stock goes on hand again (once)."""
    account = find_account(state.store(), seller=seller, channel=channel, name=name)
    restocked = confirm_return(state.store(), account_id=account.id, order_id=order_id)
    if restocked:
        say(f"{restocked} line{'s' if restocked != 1 else ''} of order {order_id} back in stock.")
    else:
        say(f"Nothing to restock for order {order_id}: already confirmed, or nothing was sold.")

"""``chosync orders import`` and ``orders add``: orders that do not come from an API.

They join the ``orders`` commands (:mod:`core.cli.orders`). ``import`` reads an order export of an
assisted floor (Voso, the provincial floor) in that floor's column layout, all or nothing: a file with any
bad row is refused whole, every bad row named, and moved to the account's ``rejected/`` folder with an
``.errors.txt`` beside it. ``add`` records an order taken by phone. Both store orders exactly as a pull
does (same ledger, same stock moves on every channel).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer

from core.catalog.values import CellError, parse_count, parse_price_vnd
from core.channels import AccountSummary, find_account
from core.cli.context import console, console_err, escape, state
from core.cli.orders import app
from core.errors import InputRejected, UsageError
from core.http import http_client
from core.ports import OrderStatus
from core.scheduler.locks import hold_accounts
from core.sync.connect import build_connector
from core.sync.ledger import LedgerPolicy
from core.sync.manual_orders import ImportResult, PhoneLine, add_phone_order, import_order_file
from core.sync.orders import PullReport
from core.sync.runs import cli_trigger

__all__ = ["add", "import_"]

_SELLER = typer.Option(..., "--seller", help="Seller code.")
_CHANNEL = typer.Option(..., "--channel", help="Channel name, e.g. voso.")
_NAME = typer.Option(None, "--name", help="Account name, when the seller has several on the channel.")


def _report(report: PullReport) -> None:
    out = console()
    out.print(f"{report.orders_new} new order(s), {report.orders_updated} updated, "
              f"{report.ledger_entries} ledger entries, {report.products_touched} product(s) re-planned.")  # fmt: skip
    for line in report.unknown:
        console_err().print(
            f"[bold yellow]warning:[/] order {escape(line.order_id)}: SKU {escape(line.sku or '(none)')} is not "
            f"in {escape(report.seller)}'s catalog; its stock was not moved",
            highlight=False,
        )


@app.command("import")
def import_(
    file: Path = typer.Argument(..., help="The floor's order export (.csv or .xlsx)."),
    seller: str = _SELLER,
    channel: str = _CHANNEL,
    name: str | None = _NAME,
) -> None:
    """Import a floor's order export, all or nothing (exit 1 and every bad row named if refused).

    Other exports already waiting in the inbox are pulled too (as the scheduler would); one of them
    refused is a warning naming it and where it went, not this command's failure.
    """
    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)
    policy = LedgerPolicy.from_settings(state.settings())

    async def run() -> ImportResult:
        async with (
            hold_accounts(store, [account], role="cli orders import", settings=state.settings().schedule),
            http_client() as http,
        ):
            connector = build_connector(store, account, http)
            return await import_order_file(store, account, connector, file, trigger=cli_trigger(), policy=policy)

    result = asyncio.run(run())
    if result.imported:
        console().print(f"{escape(file.name)} imported (kept in {escape(str(result.kept))}).")
        _report(result.report)
    else:
        console_err().print(f"[bold red]error:[/] {escape(result.error or '')}", highlight=False)
        if result.kept is not None:
            console_err().print(f"{escape(file.name)} was moved to {escape(str(result.kept))}.", highlight=False)
    # The pull met other exports waiting in the inbox: said, but they do not decide this command's outcome.
    for other in result.others_imported:
        console().print(f"Also imported from the inbox: {escape(other.name)} (kept in {escape(str(other))}).")
    for other in result.others_rejected:
        console_err().print(
            f"[bold yellow]warning:[/] another export in the inbox, {escape(other.name)}, was rejected whole and moved "
            f"to {escape(str(other))}; its problems are in {escape(other.name)}.errors.txt beside it",
            highlight=False,
        )
    if not result.imported:
        raise typer.Exit(1)


@app.command("add")
def add(
    seller: str = _SELLER,
    channel: str = _CHANNEL,
    name: str | None = _NAME,
    order_id: str = typer.Option(..., "--order-id", help="The order's id (yours: e.g. DT-2024-001)."),
    line: list[str] | None = typer.Option(
        None, "--line", help="An item sold, SKU:QTY or SKU:QTY:PRICE (đồng); repeat for each item."
    ),
    sku: str | None = typer.Option(None, "--sku", help="Variant SKU sold (an order of one item; with --qty)."),
    qty: int | None = typer.Option(None, "--qty", help="Units sold (with --sku)."),
    price: int | None = typer.Option(None, "--price", help="Unit price in đồng (with --sku; default: the catalog's)."),
    status: str = typer.Option("ready", "--status", help="pending, ready, shipped, completed, cancelled, returned."),
) -> None:
    """Record an order taken by phone; the same order id with another status (and no lines) moves it on."""
    try:
        chosen = OrderStatus(status)
    except ValueError:
        raise UsageError(f"{status!r} is not an order status",
                         hint=f"use one of: {', '.join(s.value for s in OrderStatus)}") from None  # fmt: skip
    lines = _lines(line or [], sku, qty, price)
    store = state.store()
    account: AccountSummary = find_account(store, seller=seller, channel=channel, name=name)

    async def run() -> PullReport:
        # The same lock as every other job on the account: a daemon pull never interleaves with it.
        async with hold_accounts(store, [account], role="cli orders add", settings=state.settings().schedule):
            return add_phone_order(
                store, account, order_id=order_id, lines=lines, status=chosen, trigger=cli_trigger(),
                policy=LedgerPolicy.from_settings(state.settings()),
            )  # fmt: skip

    report = asyncio.run(run())
    if report.unknown:  # pragma: no cover - the SKUs were checked against the catalog
        raise InputRejected(f"{', '.join(u.sku or '' for u in report.unknown)} not in the catalog")
    console().print(f"Order {escape(order_id)} ({chosen.value}) recorded on {channel} ({escape(account.name)}).")
    _report(report)


def _lines(given: list[str], sku: str | None, qty: int | None, price: int | None) -> list[PhoneLine]:
    """The order's lines from ``--line`` options, or from the one-item form ``--sku --qty [--price]``."""
    if sku is not None or qty is not None or price is not None:
        if given:
            raise UsageError("give the items either as --line options or as one --sku/--qty, not both")
        if sku is None or qty is None:
            raise UsageError("--sku and --qty go together", hint="or give --line SKU:QTY once per item")
        return [PhoneLine(sku, qty, price)]
    return [_parse_line(text) for text in given]


def _parse_line(text: str) -> PhoneLine:
    parts = [part.strip() for part in text.split(":")]
    if len(parts) not in (2, 3) or not parts[0]:
        raise UsageError(f"--line {text!r}: expected SKU:QTY or SKU:QTY:PRICE")
    try:
        quantity = parse_count(parts[1], what="units", required=True, positive=True)
        unit = parse_price_vnd(parts[2]) if len(parts) == 3 else None
    except CellError as exc:
        raise UsageError(f"--line {text!r}: {exc}") from None
    assert quantity is not None  # required=True
    return PhoneLine(parts[0], quantity, unit)

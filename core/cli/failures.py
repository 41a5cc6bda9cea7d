"""``chosync failures`` and ``retry``: the operations parked as failed, and putting them back in the queue."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer
from rich.table import Table

from core.cli.context import console, escape, local_time, print_json, state
from core.cli.options import CHANNEL as _CHANNEL
from core.cli.options import JSON as _JSON
from core.cli.options import SELLER as _SELLER
from core.sync.failures import list_failures, requeue

__all__ = ["register"]


def failures(seller: str | None = _SELLER, channel: str | None = _CHANNEL, as_json: bool = _JSON) -> None:
    """List operations parked as failed, with the marketplace's reason."""
    rows = list_failures(state.store(), seller=seller, channel=channel)
    if as_json:
        print_json([dataclasses.asdict(f) for f in rows])
        return
    table = Table(title=f"{len(rows)} failed operation{'s' if len(rows) != 1 else ''}")
    for column in ("ID", "Seller", "Channel", "Kind", "SKU", "Tries", "Since"):
        table.add_column(column, no_wrap=True)
    table.add_column("Reason", overflow="fold", ratio=1, min_width=24)  # the reason gets what room is left
    for f in rows:
        table.add_row(
            str(f.id),
            f.seller,
            f.channel,
            f.kind,
            f.variant_sku or f.product_sku,
            str(f.attempts),
            local_time(f.since),
            escape(f.reason),
        )
    console().print(table)


def retry(
    ids: list[int] | None = typer.Argument(None, help="Operation ids from 'chosync failures'."),
    every: bool = typer.Option(False, "--all", help="Every failed operation (of --seller/--channel)."),
    seller: str | None = _SELLER,
    channel: str | None = _CHANNEL,
    as_json: bool = _JSON,
) -> None:
    """Put failed operations back in the queue; the next sync sends them."""
    count = requeue(state.store(), ids or [], every=every, seller=seller, channel=channel)
    if as_json:
        print_json({"requeued": count})
        return
    typer.echo(f"{count} operation{'s' if count != 1 else ''} re-queued; run 'chosync sync' to send them.")


def register(app: Any) -> None:
    for command in (failures, retry):
        app.command(command.__name__)(command)

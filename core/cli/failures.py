"""``chosync failures`` and ``retry``: the operations parked as failed, and putting them back in the queue."""

from __future__ import annotations

import dataclasses
from typing import Any

import typer

from core.cli.context import console, escape, local_time, print_json, state
from core.cli.options import CHANNEL as _CHANNEL
from core.cli.options import JSON as _JSON
from core.cli.options import SELLER as _SELLER
from core.cli.tables import Col, Grid, Under
from core.sync.failures import list_failures, requeue

__all__ = ["register"]


def failures(seller: str | None = _SELLER, channel: str | None = _CHANNEL, as_json: bool = _JSON) -> None:
    """List operations parked as failed, with the marketplace's reason."""
    rows = list_failures(state.store(), seller=seller, channel=channel)
    if as_json:
        print_json([dataclasses.asdict(f) for f in rows])
        return
    table = Grid(
        [Col("ID", "number"), Col("Seller", "id"), Col("Channel", "id"), Col("Kind"), Col("SKU", "id"),
         Col("Tries", "number"), Col("Since"), Col("Reason", "text", room=30)],
        title=f"{len(rows)} failed operation{'s' if len(rows) != 1 else ''}",
        # Narrow: what failed stacks in one column, so the reason keeps room to be read.
        narrow=[Under("Channel", "Seller"), Under("Tries", "ID"), Under("SKU", "Seller"), Under("Kind", "Seller"),
                Under("Since", "Seller")],
    )  # fmt: skip
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
    table.print(console())


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

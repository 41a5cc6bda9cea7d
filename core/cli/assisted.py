"""``chosync assisted``: the floors with no seller API (Voso, the provincial floor), worked through packs.

``chosync sync`` writes an assisted account's changes into an upload pack (a spreadsheet, images and a
checklist in its folder) instead of sending them. A person uploads it in the floor's seller centre and
then runs ``assisted confirm``, which records what the floor now shows, so the next pack carries only
what is still to do. ``--from-export`` confirms only what the floor's own product export shows.
``assisted packs`` lists an account's packs and where they are. ``assisted rebind`` carries a floor's
listings over once its channel has an API connector (:mod:`core.sync.rebind`).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import typer

from core.channels import AccountSummary, find_account
from core.cli.context import console, console_err, escape, local_time, print_json, state
from core.cli.tables import Col, Grid, Under
from core.db import Store
from core.errors import UsageError
from core.http import http_client
from core.ports import Assisted, Connector
from core.scheduler.locks import hold_accounts
from core.sync.connect import build_connector
from core.sync.pack_confirm import ConfirmResult, confirm_pack, list_packs
from core.sync.rebind import RebindReport, rebind_listings
from core.sync.runs import cli_trigger

__all__ = ["app"]

app = typer.Typer(help="Floors without a seller API: upload packs and their confirmation.", no_args_is_help=True)

_SELLER = typer.Option(..., "--seller", help="Seller code.")
_CHANNEL = typer.Option(..., "--channel", help="Channel name, e.g. voso or provincial.")
_NAME = typer.Option(None, "--name", help="Account name, when the seller has several on the channel.")


@asynccontextmanager
async def _connected(store: Store, account: AccountSummary, command: str) -> AsyncIterator[Connector]:
    """The account's connector, with the account's lock held (the daemon waits) for the command's length."""
    async with (
        hold_accounts(store, [account], role=f"cli assisted {command}", settings=state.settings().schedule),
        http_client() as http,
    ):
        yield build_connector(store, account, http)


@app.command("confirm")
def confirm(
    seller: str = _SELLER,
    channel: str = _CHANNEL,
    name: str | None = _NAME,
    pack: int | None = typer.Option(None, "--pack", help="Pack id (default: the open pack)."),
    from_export: Path | None = typer.Option(
        None, "--from-export", help="The floor's product export: confirm only what it shows."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The pack is on the floor: its changes are done; the next pack repeats only what is not."""
    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)

    async def run() -> ConfirmResult:
        async with _connected(store, account, "confirm") as connector:
            return confirm_pack(store, account, connector, by=cli_trigger(), pack_id=pack, export=from_export)

    result = asyncio.run(run())
    if as_json:
        print_json(dataclasses.asdict(result))
        return
    out = console()
    if result.confirmed == 0 and result.already and not result.unconfirmed:
        out.print(f"Pack {result.pack_id} was already confirmed: nothing changed.")
        return
    out.print(f"Pack {result.pack_id}: {result.confirmed} change(s) confirmed; pack {result.state}.")
    if result.outdated:
        out.print(f"{result.outdated} change(s) skipped: a newer value was confirmed since.")
    if result.unconfirmed:
        out.print(f"[yellow]{len(result.unconfirmed)} change(s) not shown by the export[/] (the next pack repeats "
                  f"them): {escape(', '.join(result.unconfirmed))}")  # fmt: skip


@app.command("packs")
def packs(
    seller: str = _SELLER,
    channel: str = _CHANNEL,
    name: str | None = _NAME,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """An account's upload packs, newest first: state, changes, folder."""
    account = find_account(state.store(), seller=seller, channel=channel, name=name)
    views = list_packs(state.store(), account.id)
    if as_json:
        print_json([
            {"id": v.id, "state": v.state, "operations": v.operations, "created_at": v.created_at.isoformat(),
             "confirmed_at": v.confirmed_at.isoformat() if v.confirmed_at else None,
             "confirmed_by": v.confirmed_by, "path": v.path, "written": v.written}
            for v in views
        ])  # fmt: skip
        return
    table = Grid(
        [Col("Pack", "number"), Col("State"), Col("Changes", "number"), Col("Created"), Col("Confirmed", "text"),
         Col("Folder", "text")],
        title=escape(f"{account.seller} · {account.channel} ({account.name}): {len(views)} pack(s)"),
        narrow=[Under("Changes", "Pack"), Under("Created", "State"), Under("Confirmed", "State")],
    )  # fmt: skip
    for v in views:
        folder = escape(v.path) if v.written else "[yellow]not written yet: the next sync writes it[/]"
        confirmed = f"{local_time(v.confirmed_at)} by {escape(v.confirmed_by or '?')}" if v.confirmed_at else ""
        table.add_row(str(v.id), v.state, str(v.operations), local_time(v.created_at), confirmed, folder)
    table.print(console())


@app.command("rebind")
def rebind(seller: str = _SELLER, channel: str = _CHANNEL, name: str | None = _NAME) -> None:
    """After a floor's channel gets an API connector: find its pack-confirmed listings by SKU and bind them
    to the API's item ids; changes still awaiting a pack go through the API at the next sync."""
    store = state.store()
    account = find_account(store, seller=seller, channel=channel, name=name)

    async def run() -> RebindReport:
        async with _connected(store, account, "rebind") as connector:
            if isinstance(connector, Assisted):
                raise UsageError(f"{channel} is still worked through upload packs: there is nothing to rebind",
                                 hint="rebind once the channel's connector talks to an API")  # fmt: skip
            return await rebind_listings(store, account, connector)

    report = asyncio.run(run())
    console().print(f"{len(report.rebound)} listing(s) bound to {channel}'s item ids; {report.replanned} with "
                    "unconfirmed pack changes, sent by the next sync.")  # fmt: skip
    if report.missing:
        console_err().print(
            f"[bold yellow]warning:[/] not found on {channel} by SKU (left as they were): "
            f"{escape(', '.join(report.missing))}",
            highlight=False,
        )

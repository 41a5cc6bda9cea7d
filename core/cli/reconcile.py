"""``chosync reconcile``: read every listing back, report the drift, and push the corrections."""

from __future__ import annotations

import asyncio
from typing import Any

import typer

from core.channels import AccountSummary
from core.cli.context import console, escape, print_json, state
from core.cli.options import CHANNEL as _CHANNEL
from core.cli.options import JSON as _JSON
from core.cli.options import SELLER as _SELLER
from core.cli.sync import enabled_accounts
from core.cli.sync_report import print_summary, summary_json
from core.cli.tables import Col, Grid, Under
from core.http import http_client
from core.scheduler.locks import hold_accounts
from core.sync.apply import RetrySchedule
from core.sync.push import PushResult, push_account
from core.sync.reconcile import ReconcileReport, reconcile_job
from core.sync.runs import cli_trigger

__all__ = ["register"]


def _json(checked: list[tuple[AccountSummary, ReconcileReport | None, str | None]], pushes: list[PushResult]) -> None:
    print_json({
        "reconcile": [
            {"seller": a.seller, "channel": a.channel, "account": a.name, "outcome": "failed" if r is None else "ok",
             **(r.counts() if r else {}), "notes": list(r.notes) if r else [], "error": error}
            for a, r, error in checked
        ],
        "sync": [summary_json(p) for p in pushes],  # the corrections pushed, as 'chosync sync --json' has them
    })  # fmt: skip


def reconcile(seller: str | None = _SELLER, channel: str | None = _CHANNEL, as_json: bool = _JSON) -> None:
    """Read listings back from each marketplace, report drift, and push the corrections."""
    accounts = enabled_accounts(seller, channel)
    trigger = cli_trigger()
    out = console()

    async def run() -> tuple[list[tuple[AccountSummary, ReconcileReport | None, str | None]], list[PushResult]]:
        async with (
            hold_accounts(state.store(), accounts, role="cli reconcile", settings=state.settings().schedule),
            http_client() as http,
        ):
            checked = [(a, *(await reconcile_job(state.store(), a, http, trigger=trigger))) for a in accounts]
            schedule = RetrySchedule.from_settings(state.settings().schedule)
            pushes = [
                await push_account(state.store(), a, http, trigger=trigger, schedule=schedule)
                for a, report, _ in checked
                if report is not None
            ]
            return checked, pushes

    checked, pushes = asyncio.run(run())
    failed = any(report is None for _, report, _ in checked) or any(r.outcome != "ok" for r in pushes)
    if as_json:
        _json(checked, pushes)
        if failed:
            raise typer.Exit(1)
        return
    numbers = ("Checked", "Price drift", "Stock drift", "Missing", "Content", "Adopted", "Flagged")
    table = Grid(
        [Col("Seller", "id"), Col("Channel", "id"), *(Col(c, "number") for c in numbers)], title="reconcile",
        narrow=[Under("Channel", "Seller"), Under("Stock drift", "Price drift"), Under("Flagged", "Adopted"),
                Under("Content", "Missing")],
        legend="Missing: items gone from the marketplace (+Nv: variants gone from a live item); "
               "Content: name, description, category or number of images changed there",
    )  # fmt: skip
    notes: list[str] = []
    for account, report, error in checked:
        where = f"{account.seller} {account.channel}"
        if report is None:
            table.add_row(account.seller, escape(account.channel), "[red]failed[/]", "", "", "", "", "", "")
            notes.append(f"{where}: {escape(error or '')}")
            continue
        c = report.counts()
        missing = str(c["missing"]) + (f" +{c['variant_missing']}v" if c["variant_missing"] else "")
        table.add_row(account.seller, account.channel, *(str(c[k]) for k in ("checked", "price_drift", "stock_drift")),
                      missing, str(c["content_drift"]), str(c["adopted"]), str(c["flagged"]))  # fmt: skip
        notes.extend(f"{where}: {escape(n)}" for n in report.notes)
    table.print(out)
    for note in notes:
        out.print(note, highlight=False)
    if pushes:
        print_summary(pushes)
    if failed:
        raise typer.Exit(1)


def register(app: Any) -> None:
    app.command("reconcile")(reconcile)

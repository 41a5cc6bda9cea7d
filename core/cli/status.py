"""``chosync status`` and ``chosync runs``: is every shop healthy, and what ran when."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from typing import Any

import typer

from core.cli.access import access_health
from core.cli.context import account_label, console, escape, local_time, print_json, state
from core.cli.oversold import oversold_note
from core.cli.tables import Col, Grid, Split, Under, short_time
from core.models import utcnow
from core.sync.oversold import list_oversold
from core.sync.status import AccountStatus, account_status, recent_runs

__all__ = ["register"]


def _pushed(r: AccountStatus, now: datetime) -> str:
    """The last successful push; the newest one instead, in yellow with its outcome, when it was not ok."""
    latest = r.latest_push
    if latest is not None and r.latest_push_outcome != "ok" and (r.last_push is None or latest > r.last_push):
        return f"[yellow]{short_time(latest, now)} {r.latest_push_outcome}[/]"
    return short_time(r.last_push, now)


def status(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Health per seller × channel: listings live, pending and needing attention; last push, pull; tokens."""
    rows = account_status(state.store(), seller=seller)
    oversold = list_oversold(state.store(), seller=seller)
    per_seller = Counter(item.seller for item in oversold)
    now = utcnow()
    if as_json:
        print_json(
            [
                {**{k: v for k, v in dataclasses.asdict(r).items() if k != "settings"},
                 "live": r.live, "attention": r.attention, "oversold": per_seller[r.seller],
                 "authorisation": access_health(r.channel, r.refresh_expires_at, now, r.settings)[0]}
                for r in rows
            ]
        )  # fmt: skip
        return
    table = Grid(
        [Col("Account", "id"), *(Col(c, "number") for c in ("Live", "Wait", "Attn", "Failed")), Col("Pushed"),
         Col("Pulled"), Col("Access", "text")],
        title=f"chosync status · {local_time(now)}", compact=True,
        narrow=[Split("Account"), Under("Pulled", "Pushed"), Under("Attn", "Wait"), Under("Failed", "Live")],
        legend="Wait: changes not yet on the marketplace (packs awaiting confirmation too) · "
               "Attn: listings a person must fix · Failed: see chosync failures",
    )  # fmt: skip
    for r in rows:
        health, warn = access_health(r.channel, r.refresh_expires_at, now, r.settings)
        account = account_label(r.seller, r.channel, r.name)
        table.add_row(
            account + ("" if r.enabled else " (paused)"),
            str(r.live),
            str(r.pending_ops),
            f"[red]{r.attention}[/]" if r.attention else "0",
            f"[red]{r.failed_ops}[/]" if r.failed_ops else "0",
            _pushed(r, now),
            short_time(r.last_pull, now),
            f"[yellow]{escape(health)}[/]" if warn else escape(health.removesuffix(" left")),  # "ok, 29 d" fits 80 cols
        )
    out = console()
    table.print(out)
    for item in oversold:  # a seller's attention, not one shop's: every shop of the seller shows 0 for it
        out.print(f"[bold red]attention:[/] {escape(oversold_note(item))}", highlight=False)


def runs(
    limit: int = typer.Option(20, "--limit", help="How many of the latest runs."),
    seller: str | None = typer.Option(None, "--seller", help="Only this seller."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """The latest sync runs: who triggered them, counts, duration, outcome."""
    rows = recent_runs(state.store(), limit=limit, seller=seller)
    if as_json:
        print_json([dataclasses.asdict(r) for r in rows])
        return
    table = Grid(
        [Col("ID", "number"), Col("Seller", "id"), Col("Channel", "id"), Col("Kind"), Col("Trigger", "text"),
         Col("Started"), Col("Took", "number"), Col("Outcome"), Col("Counts", "text")],
        title=f"last {len(rows)} runs",
        narrow=[Under("Channel", "Seller"), Under("Started", "Seller"), Under("Took", "ID"), Under("Outcome", "Kind"),
                Under("Trigger", "Counts")],
    )  # fmt: skip
    for r in rows:
        took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "running"
        counts = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v)
        detail = escape(counts + (f" · {r.error}" if r.error else ""))
        started = local_time(r.started_at)
        table.add_row(str(r.id), r.seller or "", r.channel or "", r.kind, escape(r.trigger), started, took, r.outcome,
                      detail)  # fmt: skip
    table.print(console())


def register(app: Any) -> None:
    for command in (status, runs):
        app.command(command.__name__)(command)

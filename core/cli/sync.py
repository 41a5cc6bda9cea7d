"""``chosync plan``, ``sync``, ``failures`` and ``retry``: pushing the catalog to every marketplace.

``sync`` exits 0 only when every account shows the catalog; 1 when a product cannot be listed or kept
in step (a problem in the catalog found before sending, or an operation parked as failed: counted on
every sync while it stands, not only on the one that found it), when changes still wait in the queue (to
retry after a marketplace error or rate limit, or with an answer lost that the next sync reads back
first: a line says how many and when the next attempt is), or when an account's push stopped. Waiting
changes go out by syncing again (the daemon does so itself); a blocked product needs a person.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.channels import AccountSummary, list_accounts
from core.cli import options
from core.cli.context import console, escape, print_json, state
from core.cli.sync_report import print_summary, summary_json
from core.cli.tables import Col, Grid, Under
from core.errors import NotFound, UsageError
from core.http import http_client
from core.scheduler.locks import hold_accounts
from core.sync.apply import RetrySchedule
from core.sync.blocked import BlockedListing, blocked_listings
from core.sync.connect import build_connector
from core.sync.models import OpKind
from core.sync.plan import AccountPlan, PlannedOp, plan_account
from core.sync.push import PushResult, push_account
from core.sync.runs import cli_trigger
from core.sync.waiting import QueuedOp, queued_operations

__all__ = ["enabled_accounts", "print_summary", "register"]

_SELLER, _CHANNEL, _SKU, _FULL, _JSON = options.SELLER, options.CHANNEL, options.SKU, options.FULL, options.JSON


def enabled_accounts(seller: str | None, channel: str | None) -> list[AccountSummary]:
    accounts = [a for a in list_accounts(state.store(), seller=seller, channel=channel) if a.enabled]
    if not accounts:
        raise NotFound(
            "no enabled channel account matches",
            hint="see 'chosync channels list'; add one with 'chosync channels add'",
        )
    return accounts


def _change(op: PlannedOp) -> str:
    if op.kind is OpKind.CREATE:
        return "new listing"
    if op.kind is OpKind.UPDATE:
        return "content changed"
    if op.kind is OpKind.DELIST:
        return "archived: delist"
    old = "-" if op.old is None else f"{op.old:,}".replace(",", ".")
    new = f"{op.new or 0:,}".replace(",", ".")
    return f"{old} → {new}"


def _plans(seller: str | None, channel: str | None, sku: str | None, full: bool) -> list[AccountPlan]:
    async def run() -> list[AccountPlan]:
        async with http_client() as http:
            return [
                plan_account(state.store(), account, build_connector(state.store(), account, http), full=full, sku=sku)
                for account in enabled_accounts(seller, channel)
            ]

    return asyncio.run(run())


def _value(op: QueuedOp) -> str:
    if op.kind in (OpKind.PRICE.value, OpKind.STOCK.value) and op.value is not None:
        return f"{op.value:,}".replace(",", ".")
    return ""


def _earlier(plan: AccountPlan, sku: str | None) -> list[BlockedListing]:
    """Blocked products this plan did not look at again: found by an earlier sync, still standing."""
    found = blocked_listings(state.store(), plan.account.id)
    return [b for b in found if b.product_id not in plan.revisions and (sku is None or b.product_sku == sku)]


def _queued_table(p: AccountPlan, queued: list[QueuedOp]) -> Grid:
    """Written down by an earlier sync and not done yet: the next sync settles these first."""
    waiting = Grid(
        [Col("Kind"), Col("Product", "id"), Col("Variant", "id"), Col("Value", "number"), Col("Why it waits", "text")],
        title=f"{p.account.seller} · {p.account.channel} ({p.account.name}): {len(queued)} waiting in the queue "
              "from an earlier sync", title_justify="left",
        narrow=[Under("Variant", "Product"), Under("Value", "Kind")],
    )  # fmt: skip
    for q in queued:
        waiting.add_row(q.kind, escape(q.product_sku), escape(q.variant_sku or ""), _value(q), escape(q.why))
    return waiting


def _plan_json(plan: AccountPlan, sku: str | None) -> dict[str, Any]:
    operations = [
        {
            "kind": op.kind.value,
            "product_sku": op.product_sku,
            "variant_sku": op.variant_sku,
            "old": op.old,
            "new": op.new,
        }
        for op in plan.ops
    ]
    return {
        "seller": plan.account.seller,
        "channel": plan.account.channel,
        "account": plan.account.name,
        "operations": operations,
        "waiting": [
            {
                "kind": op.kind,
                "product_sku": op.product_sku,
                "variant_sku": op.variant_sku,
                "value": op.value,
                "state": op.state,
                "why": op.why,
            }
            for op in queued_operations(state.store(), plan.account.id)
        ],
        "problems": [problem.model_dump() for problem in plan.problems],
        "warnings": [warning.model_dump() for warning in plan.warnings],
        "blocked": [
            {"product_sku": b.product_sku, "problem": b.problem, "parked": list(b.parked)} for b in _earlier(plan, sku)
        ],
    }


def plan(
    seller: str | None = _SELLER,
    channel: str | None = _CHANNEL,
    sku: str | None = _SKU,
    full: bool = _FULL,
    as_json: bool = _JSON,
) -> None:
    """Show what a sync would send, per channel account, without sending anything."""
    plans = _plans(seller, channel, sku, full)
    if as_json:
        print_json([_plan_json(p, sku) for p in plans])
        return
    out = console()
    for p in plans:
        queued = queued_operations(state.store(), p.account.id)
        title = f"{p.account.seller} · {p.account.channel} ({p.account.name}): {len(p.ops)} operations"
        table = Grid([Col("Kind"), Col("Product", "id"), Col("Variant", "id"), Col("Change")], title=title,
                     title_justify="left", narrow=[Under("Variant", "Product")])  # fmt: skip
        for op in p.ops:
            table.add_row(op.kind.value, escape(op.product_sku), escape(op.variant_sku or ""), _change(op))
        if p.ops:
            table.print(out)
        elif not queued:
            out.print(f"{title}: nothing to send", highlight=False)
        if queued:
            _queued_table(p, queued).print(out)
        for problem in p.problems:
            out.print(f"[yellow]cannot list {problem.sku}[/] ({problem.field}): {escape(problem.message)}")
        for warning in p.warnings:
            out.print(f"note: {escape(warning.sku)} ({warning.field}): {escape(warning.message)}", highlight=False)
        for blocked in _earlier(p, sku):
            for reason in blocked.reasons():
                out.print(f"[yellow]still[/] {escape(reason)}", highlight=False)


def sync(
    seller: str | None = _SELLER,
    channel: str | None = _CHANNEL,
    sku: str | None = _SKU,
    full: bool = _FULL,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show the plan (same as chosync plan)."),
    via_daemon: bool = typer.Option(False, "--via-daemon", help="Ask the running daemon to do it now, and wait."),
    as_json: bool = _JSON,
) -> None:
    """Plan and apply: send every change to every matching channel account, then summarise."""
    if dry_run:
        plan(seller=seller, channel=channel, sku=sku, full=full, as_json=as_json)
        return
    if via_daemon and as_json:
        raise UsageError("--json is not available with --via-daemon", hint="see 'chosync runs --json' afterwards")
    accounts = enabled_accounts(seller, channel)
    seller = accounts[0].seller if seller is not None else None  # as stored: the daemon matches it exactly
    if via_daemon:
        from core.cli.daemon import sync_via_daemon

        sync_via_daemon(seller=seller, channel=channel, sku=sku, full=full)
        return
    out = console()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        disable=as_json or not out.is_terminal,
    )
    trigger = cli_trigger()
    schedule = RetrySchedule.from_settings(state.settings().schedule)  # the daemon's, so both agree

    async def one(http: httpx.AsyncClient, account: AccountSummary) -> PushResult:
        task = progress.add_task(f"{account.seller} · {account.channel}", total=None)
        return await push_account(
            state.store(),
            account,
            http,
            trigger=trigger,
            full=full,
            sku=sku,
            schedule=schedule,
            on_planned=lambda total: progress.update(task, total=total),
            on_progress=lambda n: progress.advance(task, n),
        )

    async def run() -> list[PushResult]:
        # One run per shop at a time, the daemon's included: wait a little, else say who is busy.
        async with (
            hold_accounts(state.store(), accounts, role="cli sync", settings=state.settings().schedule),
            http_client() as http,
        ):
            return list(await asyncio.gather(*(one(http, a) for a in accounts)))

    with progress:
        results = asyncio.run(run())
    if as_json:
        print_json([summary_json(r) for r in results])
    else:
        print_summary(results)
    if any(r.outcome != "ok" for r in results):
        raise typer.Exit(1)


def register(app: Any) -> None:
    for command in (plan, sync):
        app.command(command.__name__)(command)

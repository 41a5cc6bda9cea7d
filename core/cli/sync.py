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
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.channels import AccountSummary, list_accounts
from core.cli import options
from core.cli.context import VIETNAM, account_label, console, escape, print_json, state
from core.errors import NotFound
from core.http import http_client
from core.models import utcnow
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
_BLOCKED_SHOWN = 10  # per account, of the blocked products an earlier sync found: 'chosync plan' has them all


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


def _queued_table(p: AccountPlan, queued: list[QueuedOp]) -> Table:
    """Written down by an earlier sync and not done yet: the next sync settles these first."""
    waiting = Table(title=f"{p.account.seller} · {p.account.channel} ({p.account.name}): {len(queued)} "
                          "waiting in the queue from an earlier sync", title_justify="left")  # fmt: skip
    for column in ("Kind", "Product", "Variant", "Value"):
        waiting.add_column(column, no_wrap=True)
    waiting.add_column("Why it waits", overflow="fold", ratio=1)
    for q in queued:
        waiting.add_row(q.kind, q.product_sku, q.variant_sku or "", _value(q), escape(q.why))
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
        table = Table(title=title, title_justify="left")
        for column in ("Kind", "Product", "Variant", "Change"):
            table.add_column(column)
        for op in p.ops:
            table.add_row(op.kind.value, op.product_sku, op.variant_sku or "", _change(op))
        if p.ops:
            out.print(table)
        elif not queued:
            out.print(f"{title}: nothing to send")
        if queued:
            out.print(_queued_table(p, queued))
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
) -> None:
    """Plan and apply: send every change to every matching channel account, then summarise."""
    if dry_run:
        plan(seller=seller, channel=channel, sku=sku, full=full, as_json=False)
        return
    accounts = enabled_accounts(seller, channel)
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
        disable=not out.is_terminal,
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
    print_summary(results)
    if any(r.outcome != "ok" for r in results):
        raise typer.Exit(1)


def print_summary(results: list[PushResult]) -> None:
    # Compact: it must stay readable on an 80-column terminal with ten accounts.
    table = Table(title="sync summary", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("Account", no_wrap=True)
    # "Upd" counts content updates, prices, stock and delists together: `chosync runs` has them apart.
    # "Retry": requests sent again after a marketplace error, timeout or rate limit (they still count once).
    numeric = ("New", "Upd", "Same", "Failed", "Wait", "Retry", "Time")
    for column in numeric:
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("Result", no_wrap=True)
    for r in results:
        rep = r.report
        outcome = {"ok": "[green]ok[/]", "partial": "[yellow]partial[/]"}.get(r.outcome, "[red]failed[/]")
        account = account_label(r.account.seller, r.account.channel, r.account.name)
        changed = rep.updated + rep.prices + rep.stocks + rep.delisted
        # Failed counts products, this run's and earlier runs' alike, for as long as they stay blocked.
        numbers = (rep.created, changed, r.unchanged, len(r.blocked) or r.failed, r.waiting, r.retries.total)
        table.add_row(account, *map(str, numbers), f"{r.seconds:.1f}s", outcome)
    notes: list[str] = []
    for r in results:
        rep = r.report
        where = f"{r.account.seller} {r.account.channel}"
        notes.extend(f"{where}: {escape(f)}" for f in rep.failures)
        if r.pack is not None:
            notes.extend(f"{where}: not in the upload pack: {escape(f)}" for f in r.pack.failed)
        if r.error or rep.stopped:
            notes.append(f"{where}: stopped: {escape(r.error or rep.stopped or '')}")
        if r.plan is not None:
            notes.extend(f"{where}: cannot list {p.sku} ({p.field}): {escape(p.message)}" for p in r.plan.problems)
            notes.extend(f"{where}: note: {p.sku} ({p.field}): {escape(p.message)}" for p in r.plan.warnings)
        standing = r.standing()
        notes.extend(f"{where}: still {escape(reason)}" for b in standing[:_BLOCKED_SHOWN] for reason in b.reasons())
        if len(standing) > _BLOCKED_SHOWN:
            notes.append(f"{where}: and {len(standing) - _BLOCKED_SHOWN} more product(s) still blocked "
                         "('chosync plan' lists them)")  # fmt: skip
    out = console()
    out.print(table)
    for note in notes:
        out.print(note, highlight=False)
    if any(r.report.failed for r in results) or any(b.parked for r in results for b in r.blocked):
        out.print("Failed operations are parked: see 'chosync failures', fix, then 'chosync retry'.")
    if any(b.problem for r in results for b in r.blocked):
        out.print("A product that cannot be listed waits for its catalog to be fixed (see 'chosync plan'); "
                  "the next sync sends it then.")  # fmt: skip
    waiting = _waiting_line(results)
    if waiting:
        out.print(waiting, highlight=False)
    retried = sum(r.retries.total for r in results)
    if retried:
        limited = sum(r.retries.rate_limited for r in results)
        out.print(f"{retried} request(s) were sent again ({limited} after a rate limit): the marketplaces' "
                  "hiccups cost time, not correctness.", highlight=False)  # fmt: skip


def _waiting_line(results: list[PushResult]) -> str | None:
    """How many changes still wait in the queue, why, and when the next attempt is due."""
    retrying = sum(r.queued.retrying for r in results)
    unknown = sum(r.queued.unknown for r in results)
    held = sum(r.queued.planned for r in results)
    total = retrying + unknown + held
    if not total:
        return None
    why: list[str] = []
    if retrying:
        soonest = min(r.queued.next_attempt_at for r in results if r.queued.next_attempt_at is not None)
        seconds = max(0, round((soonest - utcnow()).total_seconds()))
        due = f"next attempt at {soonest.astimezone(VIETNAM):%H:%M:%S}, in {seconds} s"
        why.append(f"{retrying} to retry after a marketplace error or rate limit ({due})")
    if unknown:
        why.append(f"{unknown} whose answer was lost (read back from the marketplace first)")
    if held:
        why.append(f"{held} behind a listing that did not settle")
    return (f"{total} change(s) still wait: {'; '.join(why)}. Run 'chosync sync' again then; the daemon does "
            "it on its own.")  # fmt: skip


def register(app: Any) -> None:
    for command in (plan, sync):
        app.command(command.__name__)(command)

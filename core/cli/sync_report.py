"""What a sync says when it ends: the summary table and its notes for people, the same as JSON for scripts.

Every outcome says what to do next: an upload pack names its folder and the command that confirms it, a
parked change points to ``chosync failures``, a stopped account says why (a marketplace that could not be
connected to names its host), changes still waiting say when they go.
"""

from __future__ import annotations

from typing import Any

from core.cli.context import VIETNAM, account_label, console, escape
from core.cli.tables import Col, Grid, Split, Under
from core.models import utcnow
from core.sync.push import PushResult

__all__ = ["pack_next_step", "print_summary", "summary_json"]

_BLOCKED_SHOWN = 10  # per account, of the blocked products an earlier sync found: 'chosync plan' has them all


def confirm_command(r: PushResult) -> str:
    account = r.account
    name = "" if account.name == account.channel else f" --name {account.name}"
    return f"chosync assisted confirm --seller {account.seller} --channel {account.channel}{name}"


def pack_next_step(r: PushResult) -> list[tuple[str, bool]] | None:
    """Where an assisted account's open pack is and what the person does with it, as lines and whether
    each must stay whole (a folder, a link, a command: copied from here); None without a pack."""
    pack = r.pack
    if pack is None or pack.pack_id is None or pack.path is None:
        return None
    where = f"{r.account.seller} {r.account.channel}"
    done = "written" if pack.written else "still waits to be uploaded"
    centre = pack.title or r.account.channel
    upload = f"  Next: upload it in the {centre} seller centre"
    where_to = [(f"{upload}:", False), (f"  {pack.seller_centre_url}", True), ("  then run:", False)]
    return [
        (f"{where}: upload pack {pack.pack_id} {done} ({pack.entries} change(s)), in the folder", False),
        (f"  {pack.path}", True),
        *(where_to if pack.seller_centre_url else [(f"{upload}, then run:", False)]),
        (f"  {confirm_command(r)}", True),
    ]


def _summary_table(results: list[PushResult]) -> Grid:
    # Compact: it must stay readable on an 80-column terminal with ten accounts.
    # "Upd" counts content updates, prices, stock and delists together: `chosync runs` has them apart.
    # "Retry": requests sent again after a marketplace error, timeout or rate limit (they still count once).
    numeric = ("New", "Upd", "Same", "Failed", "Wait", "Retry", "Time")
    table = Grid(
        [Col("Account", "id"), *(Col(c, "number") for c in numeric), Col("Result")], title="sync summary",
        compact=True, narrow=[Split("Account"), Under("Retry", "Wait"), Under("Same", "Upd")],
    )  # fmt: skip
    for r in results:
        rep = r.report
        outcome = {"ok": "[green]ok[/]", "partial": "[yellow]partial[/]"}.get(r.outcome, "[red]failed[/]")
        account = account_label(r.account.seller, r.account.channel, r.account.name)
        changed = rep.updated + rep.prices + rep.stocks + rep.delisted
        # Failed counts products, this run's and earlier runs' alike, for as long as they stay blocked.
        numbers = (rep.created, changed, r.unchanged, len(r.blocked) or r.failed, r.waiting, r.retries.total)
        table.add_row(account, *map(str, numbers), f"{r.seconds:.1f}s", outcome)
    return table


def _notes(r: PushResult) -> list[str]:
    rep = r.report
    where = f"{r.account.seller} {r.account.channel}"
    notes = [f"{where}: {escape(f)}" for f in rep.failures]
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
    return notes


def print_summary(results: list[PushResult]) -> None:
    out = console()
    _summary_table(results).print(out)
    for r in results:
        for note in _notes(r):
            out.print(note, highlight=False)
    for r in results:
        # The folder and the command are copied from here: each whole on its own line, never wrapped.
        for line, whole in pack_next_step(r) or ():
            out.print(escape(line), highlight=False, soft_wrap=whole)
    if any(r.report.failed for r in results) or any(b.parked for r in results for b in r.blocked):
        out.print("Failed operations are parked: see 'chosync failures', fix, then 'chosync retry'.")
    if any(b.problem for r in results for b in r.blocked):
        out.print("A product that cannot be listed waits for its catalog to be fixed (see 'chosync plan'); "
                  "the next sync sends it then.")  # fmt: skip
    waiting = _waiting_line(results)
    if waiting:
        out.print(waiting, highlight=False)
    # A connection that could not be made is no hiccup: its account's "stopped" line says what to fix.
    retried = sum(r.retries.total - r.retries.unreachable for r in results)
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


def summary_json(r: PushResult) -> dict[str, Any]:
    """One account's push, for scripts: the summary's numbers, its notes as data, and the next step."""
    rep = r.report
    pack = r.pack
    return {
        "seller": r.account.seller, "channel": r.account.channel, "account": r.account.name,
        "outcome": r.outcome, "seconds": round(r.seconds, 3), "run_id": r.run_id,
        **rep.counts(), "unchanged": r.unchanged, "blocked": len(r.blocked), "waiting": r.waiting,
        "retries": {"failed": r.retries.failed, "unreachable": r.retries.unreachable,
                    "rate_limited": r.retries.rate_limited, "reauthorized": r.retries.reauthorized},
        "queued": {"planned": r.queued.planned, "retrying": r.queued.retrying, "unknown": r.queued.unknown,
                   "next_attempt_at": r.queued.next_attempt_at},
        "stopped": r.error or rep.stopped,
        "failures": list(rep.failures),
        "problems": [p.model_dump() for p in r.plan.problems] if r.plan else [],
        "warnings": [w.model_dump() for w in r.plan.warnings] if r.plan else [],
        "still_blocked": [reason for b in r.standing() for reason in b.reasons()],
        "pack": None if pack is None or pack.pack_id is None else {
            "id": pack.pack_id, "folder": str(pack.path) if pack.path else None, "changes": pack.entries,
            "written": pack.written, "replaces": pack.replaced, "not_in_pack": list(pack.failed),
            "seller_centre_url": pack.seller_centre_url or None, "next": confirm_command(r),
        },
    }  # fmt: skip

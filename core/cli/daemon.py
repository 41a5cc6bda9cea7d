"""``chosync run``, ``chosync daemon status`` and ``sync --via-daemon`` (``channels schedule``: ``schedule``).

The scheduler daemon (:mod:`core.scheduler`) as an operator meets it: start it in a shell, ask whether
it is alive and what it will do next, give one shop its own intervals, or hand it a sync and wait.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import typer

from core.cli.context import account_label, console, console_err, escape, local_time, print_json, state
from core.cli.tables import Col, Grid, Split, Under, short_time
from core.errors import ChosyncError
from core.models import utcnow
from core.scheduler.durations import format_duration
from core.scheduler.heartbeat import DaemonStatus, daemon_status
from core.scheduler.requests import submit, wait_for
from core.sync.runs import cli_trigger

__all__ = ["daemon_app", "run_command", "sync_via_daemon"]

daemon_app = typer.Typer(help="The scheduler daemon that keeps every shop in sync.", no_args_is_help=True)


def run_command() -> None:
    """Start the scheduler daemon here (the same as 'python scheduler.py'); Ctrl-C stops it gracefully."""
    from core.scheduler.service import serve

    raise typer.Exit(serve(state.settings()))


def _status() -> DaemonStatus | None:
    return daemon_status(state.store(), stale_after=state.settings().schedule.stale_after)


def _ago(moment: datetime) -> str:
    return format_duration(max(0, round((utcnow() - moment).total_seconds())))


_COLOURS = {"ok": "green", "busy": "yellow", "warning": "yellow", "partial": "yellow"}


def _job(job: dict[str, Any], usual: dict[str, str], now: datetime) -> str:
    """``pull 14:03``: the kind and its next run, with the interval when this account has its own and the last
    outcome when it was not ok."""
    kind, every = str(job.get("kind", "")), str(job.get("every", ""))
    nxt = job.get("next_run")
    shown = "running now" if job.get("running") else short_time(datetime.fromisoformat(nxt), now) if nxt else "-"
    own = f" (every {every})" if usual.get(kind) != every else ""
    outcome = str(job.get("last_outcome") or "")
    last = "" if outcome in ("", "ok") else f" [{_COLOURS.get(outcome, 'red')}]{escape(outcome)}[/]"
    return f"{escape(kind)}{escape(own)} {shown}{last}"


def _jobs_table(found: DaemonStatus) -> tuple[Grid, list[str]]:
    """One row per account, its jobs on it: a hundred jobs are twenty-five lines, not four hundred; and the
    jobs' last errors, to print under it."""
    now = utcnow()
    jobs = sorted(found.jobs.values(), key=lambda j: (j.get("seller", ""), j.get("channel", ""),
                                                      j.get("account", ""), j.get("kind", "")))  # fmt: skip
    # Each kind's most common interval is said once, under the table; an account's own ones on its row.
    usual = {
        kind: Counter(str(j.get("every", "")) for j in jobs if j.get("kind") == kind).most_common(1)[0][0]
        for kind in {str(j.get("kind", "")) for j in jobs}
    }
    per_account: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        label = account_label(str(job.get("seller", "")), str(job.get("channel", "")), str(job.get("account", "")))
        per_account.setdefault(label, []).append(job)
    table = Grid(
        [Col("Account", "id"), Col("Next run of each job", "text", room=40)],
        title=f"{len(found.jobs)} jobs, {len(per_account)} accounts",
        narrow=[Split("Account")],
        legend=f"Every: {', '.join(f'{kind} {every}' for kind, every in sorted(usual.items()))}. A job's last "
        "outcome follows its next run when it was not ok.",
    )
    errors: list[str] = []
    for label, own in per_account.items():
        table.add_row(escape(label), " · ".join(_job(job, usual, now) for job in own))
        errors.extend(f"{label} {job.get('kind', '')}: {job['last_error']}" for job in own if job.get("last_error"))
    return table, errors


def _status_json(found: DaemonStatus | None) -> dict[str, Any]:
    if found is None:
        return {"state": "never started"}
    return {
        "state": found.state, "host": found.host, "pid": found.pid, "started_at": found.started_at,
        "heartbeat_at": found.heartbeat_at,
        "heartbeat_age_s": round((utcnow() - found.heartbeat_at).total_seconds(), 1),
        "stopped_at": found.stopped_at, "last_error": found.last_error,
        "jobs": [{"id": key, **job} for key, job in found.jobs.items()],
    }  # fmt: skip


@daemon_app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is a daemon running (by its heartbeat), since when, each job's next run and last error (exit 1 if none)."""
    found = _status()
    if as_json:
        print_json(_status_json(found))
    elif found is None:
        console().print("No scheduler daemon has ever run on this database. Start one: chosync run")
    else:
        _print_status(found)
    if found is None or not found.alive:
        raise typer.Exit(1)


def _print_status(found: DaemonStatus) -> None:
    out = console()
    where = f"on {escape(found.host)} (pid {found.pid})"
    beat = f"last heartbeat {_ago(found.heartbeat_at)} ago"
    if found.state == "running":
        out.print(f"[green]running[/] {where} since {local_time(found.started_at)}; {beat}")
    elif found.state == "stopping":
        out.print(f"[yellow]stopping[/] {where}: letting running jobs finish; {beat}")
    elif found.state == "stale":
        silent = _ago(found.heartbeat_at)
        out.print(
            f"[bold red]not running[/]: the daemon {where} stopped beating {silent} ago without stopping cleanly "
            "(killed, crashed, or its host is down). Start it again: chosync run"
        )
    else:
        stopped = local_time(found.stopped_at) if found.stopped_at else "?"
        out.print(f"[bold red]not running[/]: the last daemon {where} stopped at {stopped}. Start it: chosync run")
    table, errors = _jobs_table(found)
    table.print(out)
    for error in errors:
        out.print(f"[red]error:[/] {escape(error)}", highlight=False)
    if found.last_error:
        out.print(f"last error: {escape(found.last_error)}", highlight=False)


def sync_via_daemon(*, seller: str | None, channel: str | None, sku: str | None, full: bool) -> None:
    """Hand a push to the running daemon, wait for it, print its outcome (exit 1 unless all ok)."""
    store = state.store()
    found = _status()
    if found is None or not found.alive:
        raise ChosyncError(
            "no scheduler daemon is running, so --via-daemon has nobody to ask",
            hint="start it ('chosync run' or the service), or sync from here without --via-daemon",
        )
    request_id = submit(store, kind="push", seller=seller, channel=channel, sku=sku, full=full,
                        requested_by=cli_trigger())  # fmt: skip
    console_err().print(f"Asked the daemon on {escape(found.host)} (request {request_id}); waiting for it…")

    def alive() -> bool:
        now = _status()
        return now is not None and now.alive

    try:
        request = wait_for(store, request_id, alive=alive)
    except KeyboardInterrupt:
        console_err().print(f"Stopped waiting; the daemon goes on with request {request_id}.")
        raise typer.Exit(130) from None
    # The columns of 'chosync sync''s summary, and the run to look up in 'chosync runs'.
    numeric = ("New", "Upd", "Price", "Stock", "Del", "Failed", "Wait", "Time")
    table = Grid(
        [Col("Account", "id"), *(Col(c, "number") for c in numeric), Col("Result"), Col("Run", "number")],
        title=f"sync via the daemon: {request.outcome}", compact=True,
        narrow=[Split("Account"), Under("Stock", "Price"), Under("Del", "Upd"), Under("Run", "Result")],
        legend="New: listings created · Upd: content updated · Del: delisted · Failed: products blocked · "
               "Wait: changes still waiting",
    )  # fmt: skip
    notes = []
    for r in request.results:
        c = r.get("counts", {})
        # Failed: products blocked, as in the sync summary (an older daemon reports operations parked).
        c = {**c, "failed": c.get("blocked") or c.get("failed", 0)}
        keys = ("created", "updated", "prices", "stocks", "delisted", "failed", "waiting")
        table.add_row(
            escape(account_label(r["seller"], r["channel"], r["account"])), *(str(c.get(k, 0)) for k in keys),
            f"{r['seconds']:.1f}s", escape(r["outcome"]), str(r.get("run_id") or ""),
        )  # fmt: skip
        if r.get("error"):
            notes.append(f"{r['seller']} {r['channel']}: {r['error']}")
    out = console()
    if request.results:
        table.print(out)
    elif request.detail:
        notes.append(request.detail)
    for note in notes:
        out.print(escape(note), highlight=False)
    if request.outcome != "ok":
        raise typer.Exit(1)

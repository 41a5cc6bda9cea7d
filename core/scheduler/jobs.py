"""Jobs: one run of one kind for one channel account, under the account's lock, logged start to end.

A job is the unit the daemon schedules and the unit ``--via-daemon`` requests ask for:

- **push**: plan and apply (:func:`core.sync.push.push_account`);
- **pull**: new and changed orders through the ledger (:func:`core.sync.orders.pull_orders`);
- **reconcile**: read the marketplace back and record drift (:func:`core.sync.reconcile.reconcile_account`);
  the corrections it plans are pushed by the change watcher within seconds;
- **tokens**: token health (:mod:`core.scheduler.tokens`).

:class:`JobRunner` never raises for a job that went wrong: marketplace and configuration errors, a busy
account, even a bug, become a :class:`JobResult` the daemon records and the next tick retries. Only
cancellation (a graceful stop) passes through. Each job logs ``job.started`` and ``job.finished`` with
seller, channel, run id, counts and duration bound (DESIGN rule 9).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import structlog
from sqlalchemy import update
from structlog.contextvars import bound_contextvars

from core.channels import AccountSummary, list_accounts
from core.db import Store
from core.errors import ChosyncError
from core.logs import scrub
from core.models import utcnow
from core.scheduler.locks import AccountBusy, hold_account
from core.scheduler.tokens import check_tokens, reauthorize_warning
from core.settings import ScheduleSettings
from core.sync.apply import RetrySchedule
from core.sync.connect import build_connector
from core.sync.ledger import LedgerPolicy
from core.sync.models import SYNC_RUN
from core.sync.orders import pull_orders
from core.sync.push import PushResult, push_account
from core.sync.reconcile import reconcile_account
from core.sync.runs import finish_run, start_run

__all__ = ["JobKind", "JobResult", "JobRunner", "close_dead_runs"]

log = structlog.get_logger(__name__)


def close_dead_runs(
    store: Store, account_id: int, *, older_than: float | None = None, since: datetime | None = None
) -> int:
    """Mark the account's runs still ``running`` as interrupted: called while holding its lock, so no
    live run can be among them (a killed process, a cancelled job). Returns how many."""
    where = [SYNC_RUN.c.account_id == account_id, SYNC_RUN.c.outcome == "running"]
    now = utcnow()
    if older_than is not None:
        where.append(SYNC_RUN.c.started_at < now - timedelta(seconds=older_than))
    if since is not None:
        where.append(SYNC_RUN.c.started_at >= since)
    with store.engine.begin() as conn:
        closed = conn.execute(
            update(SYNC_RUN)
            .where(*where)
            .values(outcome="interrupted", finished_at=now, error="stopped before it finished; the next run resumes")
        ).rowcount
    return int(closed)


def _fail_if_open(store: Store, run_id: int | None, error: str) -> None:
    """Record a run the job started as failed, unless the job's own code already finished it."""
    if run_id is None:
        return
    with store.engine.begin() as conn:
        conn.execute(
            update(SYNC_RUN)
            .where(SYNC_RUN.c.id == run_id, SYNC_RUN.c.outcome == "running")
            .values(outcome="failed", finished_at=utcnow(), error=error)
        )


class JobKind(StrEnum):
    PUSH = "push"
    PULL = "pull"
    RECONCILE = "reconcile"
    TOKENS = "tokens"


@dataclass
class JobResult:
    """How one job ended: ok, partial (some listings blocked or changes waiting), failed, busy (account
    locked), skipped."""

    kind: JobKind
    account_id: int
    seller: str = ""
    channel: str = ""
    account: str = ""
    outcome: str = "skipped"
    run_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0
    # A push made headway (sent something, or left nothing waiting): the change watcher may push again.
    progressed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kind": self.kind.value, "seconds": round(self.seconds, 3)}


def _progressed(pushed: PushResult) -> bool:
    """Did a push make headway (so the change watcher may push the account again at once)?

    It did when it sent something, or left nothing in the engine's queue. An assisted account's changes
    wait for the seller's upload by design: writing or refreshing its pack is the whole of its push, not a
    push that got stuck, so only ``queued`` counts here (``waiting`` adds the pack's changes).
    """
    return pushed.error is None and (pushed.report.done > 0 or pushed.queued.total == 0)


class JobRunner:
    """Runs jobs for the daemon (and its requests), each under its account's lock."""

    def __init__(
        self,
        store: Store,
        http: httpx.AsyncClient,
        settings: ScheduleSettings,
        *,
        policy: LedgerPolicy,
        role: str = "daemon",
    ) -> None:
        self.store = store
        self.http = http
        self.settings = settings
        self.policy = policy
        self.role = role
        self.retry = RetrySchedule.from_settings(settings)

    def account(self, account_id: int) -> AccountSummary | None:
        return next((a for a in list_accounts(self.store) if a.id == account_id), None)

    async def run(
        self,
        kind: JobKind,
        account_id: int,
        *,
        trigger: str,
        wait: float = 0.0,
        sku: str | None = None,
        full: bool = False,
    ) -> JobResult:
        """Run one job now; waits up to ``wait`` seconds for the account's lock, then reports busy."""
        result = JobResult(kind, account_id)
        account = self.account(account_id)
        if account is None or not account.enabled:
            return result  # removed or paused since it was scheduled: the next reload drops the job
        result.seller, result.channel, result.account = account.seller, account.channel, account.name
        started, started_at = time.perf_counter(), utcnow()
        with bound_contextvars(seller=account.seller, channel=account.channel, account=account.name, job=kind.value):
            try:
                async with hold_account(
                    self.store, account, role=f"{self.role} {kind.value}", ttl=self.settings.lease_ttl, wait=wait
                ):
                    close_dead_runs(self.store, account.id, older_than=self.settings.lease_ttl)
                    # The run starts once the account is ours (a busy job records none), so its start
                    # event names the run every later event of the job carries.
                    if kind is not JobKind.TOKENS:
                        result.run_id = start_run(self.store, account_id=account.id, kind=kind.value, trigger=trigger)
                    log.info("job.started", trigger=trigger, run_id=result.run_id)
                    try:
                        await self._run(result, account, trigger=trigger, sku=sku, full=full)
                    except ChosyncError as exc:  # before the job's own code could record it (a config error)
                        _fail_if_open(self.store, result.run_id, scrub(str(exc)))
                        raise
                    except BaseException as exc:
                        close_dead_runs(self.store, account.id, since=started_at)  # ours, stopped mid-way
                        if isinstance(exc, asyncio.CancelledError):
                            log.warning(
                                "job.finished", outcome="interrupted", seconds=round(time.perf_counter() - started, 3),
                                error="stopped with the daemon; its operations stay queued for the next start",
                            )  # fmt: skip
                        raise
            except AccountBusy as exc:
                result.outcome, result.error = "busy", scrub(str(exc))
            except ChosyncError as exc:
                result.outcome, result.error = "failed", scrub(str(exc))
            except Exception as exc:
                # A bug must not take the daemon down with it: record it, keep the other shops going.
                result.outcome, result.error = "failed", f"internal error: {type(exc).__name__}: {scrub(str(exc))}"
                log.exception("job.crashed")
            result.seconds = time.perf_counter() - started
            event = log.info if result.outcome in ("ok", "busy", "skipped") else log.warning
            event(
                "job.finished",
                outcome=result.outcome,
                run_id=result.run_id,
                seconds=round(result.seconds, 3),
                error=result.error,
                **result.counts,
            )
        return result

    async def _run(
        self, result: JobResult, account: AccountSummary, *, trigger: str, sku: str | None, full: bool
    ) -> None:
        if result.kind is JobKind.PUSH:
            pushed = await push_account(
                self.store, account, self.http, trigger=trigger, full=full, sku=sku, schedule=self.retry,
                run_id=result.run_id,
            )  # fmt: skip
            result.run_id, result.outcome = pushed.run_id, pushed.outcome
            result.error = pushed.error or pushed.report.stopped
            result.counts = {**pushed.report.counts(), "waiting": pushed.waiting, "blocked": len(pushed.blocked)}
            result.progressed = _progressed(pushed)
        elif result.kind is JobKind.PULL:
            report = await pull_orders(
                self.store,
                account,
                build_connector(self.store, account, self.http),
                trigger=trigger,
                policy=self.policy,
                run_id=result.run_id,
            )
            result.run_id, result.outcome, result.error = report.run_id, report.outcome, report.error
            result.counts = report.counts()
        elif result.kind is JobKind.RECONCILE:
            await self._reconcile(result, account, trigger=trigger)
        else:
            check = await check_tokens(
                self.store,
                account,
                self.http,
                every=timedelta(seconds=self.settings.tokens_every),
                warn_within=reauthorize_warning(
                    account.channel, account.settings, fallback=timedelta(seconds=self.settings.reauthorize_warning)
                ),
            )
            if check.state == "not connected":
                check = replace(check, warning="not authorised yet: run 'chosync channels connect' for this shop")
            result.outcome = "warning" if check.warning else "ok"
            result.error = check.warning
            result.counts = {"refreshed": int(check.state == "refreshed")}

    async def _reconcile(self, result: JobResult, account: AccountSummary, *, trigger: str) -> None:
        # As core.sync.reconcile.reconcile_job, in the run the job started.
        assert result.run_id is not None
        try:
            with bound_contextvars(run_id=result.run_id):  # as push and pull bind theirs
                report = await reconcile_account(self.store, account, build_connector(self.store, account, self.http))
        except ChosyncError as exc:
            result.outcome, result.error = "failed", scrub(str(exc))
            finish_run(self.store, result.run_id, outcome="failed", counts={}, error=result.error)
            return
        finish_run(self.store, result.run_id, outcome="ok", counts=report.counts())
        result.outcome, result.counts = "ok", report.counts()

"""The daemon: every channel account's jobs on one clock, kept running for months without a person.

:class:`Daemon` wires the scheduler's parts around an APScheduler 3 ``AsyncIOScheduler``:

- **jobs** (push, pull, reconcile, tokens per enabled account, :mod:`~core.scheduler.builder`) are
  APScheduler interval jobs with ``max_instances=1`` (a job never overlaps itself), ``coalesce`` and no
  misfire limit (runs missed while the process was busy or asleep collapse into one, run late rather
  than never). Each runs under its account's lock (:mod:`~core.scheduler.locks`), so it never overlaps
  another job of the same shop, here or in any other process;
- **housekeeping loops**, plain asyncio tasks beside the scheduler: the heartbeat (and the daemon's own
  lease on the clock, so a second daemon on the same database waits instead of doubling every job), the
  reload of jobs from the database, the change watcher (an account with work is pushed within seconds:
  its push job is simply moved to now, so the same never-overlap rules hold), the ``--via-daemon``
  requests, and the hourly pruning of old runs.

**Stopping** (SIGTERM / SIGINT, or :meth:`Daemon.stop`): no new job starts; running ones get
``stop_grace`` seconds to finish; those still running are cancelled, which leaves their operations
queued or ``sending``: the next start resolves a ``sending`` one by reading the marketplace back before
sending anything (:mod:`core.sync.apply`), so nothing is lost or sent twice. Then the heartbeat row says
``stopped`` and :meth:`Daemon.run` returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import structlog
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from core.channels import list_accounts
from core.db import Store
from core.http import http_client
from core.logs import scrub
from core.models import utcnow
from core.scheduler.builder import JobSpec, desired_jobs, job_id, trigger_for
from core.scheduler.changes import ChangeWatcher, accounts_with_work
from core.scheduler.durations import VIETNAM, format_duration
from core.scheduler.heartbeat import Heartbeat, other_daemon
from core.scheduler.jobs import JobKind, JobResult, JobRunner
from core.scheduler.leases import acquire, held, holder_id, release, renew
from core.scheduler.requests import JobRequestView, claim, finish, interrupt_unfinished, pending
from core.scheduler.retention import prune_exports, prune_runs
from core.settings import Settings
from core.sync.ledger import LedgerPolicy

__all__ = ["CLOCK_LEASE", "Daemon"]

log = structlog.get_logger(__name__)
CLOCK_LEASE = "scheduler"  # held by the one daemon that runs the clock for this database
_PRUNE_EVERY_S = 3600.0
_JOBS_EVERY_BEATS = 3  # the jobs table in the heartbeat row is rewritten at most every third beat


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(VIETNAM).isoformat(timespec="seconds")


class Daemon:
    """One scheduler daemon over ``store``. ``http`` is injected by tests (a sandbox transport)."""

    def __init__(self, store: Store, settings: Settings, *, http: httpx.AsyncClient | None = None) -> None:
        self.store = store
        self.settings = settings.schedule
        self.policy = LedgerPolicy.from_settings(settings)
        self._given_http = http
        self.holder = holder_id("daemon")
        self.heartbeat = Heartbeat(store)
        self.scheduler = AsyncIOScheduler(
            timezone=VIETNAM, job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        )
        self.specs: dict[str, JobSpec] = {}
        self.book: dict[str, dict[str, Any]] = {}  # job id → what the heartbeat reports of it
        self.running: set[asyncio.Task[Any]] = set()
        self.running_jobs: Counter[str] = Counter()
        self.watcher = ChangeWatcher(base_s=max(1.0, 5 * self.settings.changes_every), cap=self._push_every)
        self.last_error: str | None = None
        self.exit_code = 0
        self._nudged: set[int] = set()  # accounts whose push was moved to now by the change watcher
        self._claimed: set[int] = set()  # requests being served
        self._serving: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._stopping = False
        self._dirty = True
        self._beats = 0
        self._runner: JobRunner | None = None

    # --- life ----------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the daemon to stop gracefully (what SIGTERM and SIGINT do)."""
        if not self._stop.is_set():
            log.info("daemon.stop_requested")
        self._stop.set()

    async def run(self, *, handle_signals: bool = False) -> int:
        """Run until :meth:`stop` (or a signal); returns the exit code (0 after a graceful stop)."""
        loop = asyncio.get_running_loop()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop)
        if not await self._take_clock():
            return 0 if self._stop.is_set() else 1
        http = self._given_http or http_client(limits=httpx.Limits(max_connections=50, max_keepalive_connections=10))
        self._runner = JobRunner(self.store, http, self.settings, policy=self.policy)
        loops: list[asyncio.Task[None]] = []
        beating: asyncio.Task[None] | None = None
        try:
            self.heartbeat.start()
            interrupt_unfinished(self.store)  # requests a killed daemon had claimed: it will not finish them
            self.scheduler.add_listener(self._not_run, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
            self.scheduler.start()
            self.reload()
            s = self.settings
            for every, step in (
                (s.reload_every, self.reload),
                (s.changes_every, self._changes),
                (s.requests_every, self._requests),
                (_PRUNE_EVERY_S, self._prune),
            ):
                loops.append(asyncio.create_task(self._every(every, step), name=f"daemon {step.__name__}"))
            beating = asyncio.create_task(self._every(s.heartbeat_every, self._beat), name="daemon heartbeat")
            log.info("daemon.started", jobs=len(self.specs), pid=os.getpid(), holder=self.holder)
            await self._stop.wait()
            await self._shutdown(loops)  # the heartbeat goes on meanwhile: "stopping", not dead
            beating.cancel()
            await asyncio.gather(beating, return_exceptions=True)
            self.heartbeat.stop(jobs=self._jobs_report())
            log.info("daemon.stopped", exit_code=self.exit_code)
        finally:
            for task in [*loops, *([beating] if beating else [])]:
                task.cancel()
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            release(self.store, CLOCK_LEASE, self.holder)
            if self._given_http is None:
                await http.aclose()
        return self.exit_code

    async def _take_clock(self) -> bool:
        """Hold the clock lease; wait for a dead daemon's to expire, refuse if a live one holds it."""
        ttl = self.settings.stale_after
        wait = ttl + self.settings.heartbeat_every
        deadline = time.monotonic() + wait
        told = False
        while not acquire(self.store, CLOCK_LEASE, self.holder, ttl):
            if not told:  # at once: a silent wait this long looks like a hang to whoever started us
                told = True
                who, fields = other_daemon(self.store, CLOCK_LEASE)
                reason = f"another daemon runs on this database ({who}): waiting up to {format_duration(wait)} "
                log.warning("daemon.waiting", **fields, wait_s=wait,
                            reason=reason + "for it to stop, then exiting with code 1 if it still runs")  # fmt: skip
            if self._stop.is_set():  # stopped while waiting: nothing was started
                return False
            if time.monotonic() > deadline:
                who, fields = other_daemon(self.store, CLOCK_LEASE)
                log.error("daemon.already_running", **fields, reason=f"another daemon runs on this database ({who})",
                          fix="stop it first ('chosync daemon status' shows it) or use another database")  # fmt: skip
                return False
            await asyncio.sleep(min(1.0, self.settings.heartbeat_every))
        return True

    async def _shutdown(self, loops: list[asyncio.Task[None]]) -> None:
        self._stopping = True
        self.scheduler.pause()
        for task in loops:
            task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        running = set(self.running) | set(self._serving)
        log.info("daemon.stopping", running=len(running), grace_s=self.settings.stop_grace)
        self._beat(state="stopping")
        if running:
            _, left = await asyncio.wait(running, timeout=self.settings.stop_grace)
            for task in left:
                task.cancel()  # their operations stay queued or "sending": the next start resolves them
            await asyncio.gather(*left, return_exceptions=True)
            if left:
                log.warning("daemon.jobs_cancelled", jobs=len(left))
        interrupt_unfinished(self.store, sorted(self._claimed))
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # the scheduler shuts down on the loop's next turn

    async def _every(self, seconds: float, step: Callable[[], object]) -> None:
        """Run ``step`` every ``seconds`` for ever; a failure is logged and the loop goes on."""
        while True:
            try:
                outcome = step()
                if isinstance(outcome, Awaitable):
                    await outcome
            except Exception as exc:  # the database may be away for a while: keep trying
                self.last_error = scrub(f"{getattr(step, '__name__', 'step')}: {type(exc).__name__}: {exc}")
                log.exception("daemon.step_failed", step=getattr(step, "__name__", str(step)))
            await asyncio.sleep(seconds)

    # --- jobs ----------------------------------------------------------------------------------------

    def _push_every(self, account_id: int) -> float:
        spec = self.specs.get(job_id(JobKind.PUSH, account_id))
        return spec.every_s if spec else self.settings.push_every

    def reload(self) -> None:
        """Make the scheduler's jobs match the database (accounts added, paused, removed, rescheduled)."""
        desired = desired_jobs(self.store, self.settings)
        for gone in self.specs.keys() - desired.keys():
            with contextlib.suppress(JobLookupError):  # already gone from the scheduler
                self.scheduler.remove_job(gone)
            self.book.pop(gone, None)
            log.info("job.removed", job=gone)
        for key, spec in desired.items():
            old = self.specs.get(key)
            if old is None:
                self.scheduler.add_job(
                    self._scheduled, trigger_for(spec, self.settings), args=(spec.kind.value, spec.account_id),
                    id=key, name=f"{spec.kind.value} {spec.seller} {spec.channel} ({spec.account})",
                    replace_existing=True,
                )  # fmt: skip
                log.info("job.scheduled", job=key, seller=spec.seller, channel=spec.channel, every_s=spec.every_s)
            elif old.every_s != spec.every_s:
                self.scheduler.reschedule_job(key, trigger=trigger_for(spec, self.settings))
                log.info("job.rescheduled", job=key, seller=spec.seller, channel=spec.channel, every_s=spec.every_s)
        if desired != self.specs:
            self._dirty = True
        self.specs = desired

    async def _scheduled(self, kind: str, account_id: int) -> None:
        if self._stopping:
            return
        trigger = "scheduler"
        if kind == JobKind.PUSH.value and account_id in self._nudged:
            self._nudged.discard(account_id)
            trigger = "scheduler:change"
        await self.run_job(JobKind(kind), account_id, trigger=trigger, wait=self.settings.lock_wait)

    async def run_job(
        self,
        kind: JobKind,
        account_id: int,
        *,
        trigger: str,
        wait: float,
        sku: str | None = None,
        full: bool = False,
    ) -> JobResult:
        """Run one job now, tracked for the heartbeat, the change watcher and a graceful stop."""
        assert self._runner is not None, "the daemon is not running"
        key = job_id(kind, account_id)
        task = asyncio.current_task()
        if task is not None:
            self.running.add(task)
        self.running_jobs[key] += 1
        entry = self.book.setdefault(key, {})
        entry.update(running=True, last_started=_iso(utcnow()))
        try:
            result = await self._runner.run(kind, account_id, trigger=trigger, wait=wait, sku=sku, full=full)
        finally:
            self.running_jobs[key] -= 1
            if self.running_jobs[key] <= 0:
                del self.running_jobs[key]
            if task is not None:
                self.running.discard(task)
            entry["running"] = False
        entry.update(
            last_finished=_iso(utcnow()), last_outcome=result.outcome, last_error=result.error,
            last_run_id=result.run_id,
        )  # fmt: skip
        if result.error and result.outcome not in ("busy", "skipped"):
            self.last_error = f"{key} {result.seller} {result.channel}: {result.error}"[:2000]
        if kind is JobKind.PUSH and result.outcome not in ("busy", "skipped"):
            self.watcher.pushed(account_id, progressed=result.progressed, now=time.monotonic())
        self._dirty = True
        return result

    def _not_run(self, event: JobEvent) -> None:
        what = "job.still_running" if event.code == EVENT_JOB_MAX_INSTANCES else "job.missed"
        log.info(what, job=event.job_id)

    # --- the fast path, requests, the heartbeat ------------------------------------------------------

    def _changes(self) -> None:
        if self._stopping:
            return
        with_work = accounts_with_work(self.store)
        busy = {int(name.split(":", 1)[1]) for name in held(self.store, prefix="account:")}
        busy |= {int(key.split(":", 1)[1]) for key in self.running_jobs if key.startswith("push:")}
        for account_id in self.watcher.due(with_work, busy, time.monotonic()):
            key = job_id(JobKind.PUSH, account_id)
            if key not in self.specs:
                self.reload()  # added since the last reload: no need to wait for the next one
                if key not in self.specs:
                    continue
            self._nudged.add(account_id)
            self.scheduler.modify_job(key, next_run_time=datetime.now(VIETNAM))
            log.info("daemon.push_now", job=key, reason="stock or catalog changed, or operations due")

    def _requests(self) -> None:
        if self._stopping:
            return
        for request_id in pending(self.store):
            request = claim(self.store, request_id)
            if request is not None:
                self._claimed.add(request.id)
                task = asyncio.create_task(self._serve(request), name=f"request {request.id}")
                self._serving.add(task)  # a reference, or the task could be collected mid-way
                task.add_done_callback(self._serving.discard)

    async def _serve(self, request: JobRequestView) -> None:
        accounts = [a for a in list_accounts(self.store, seller=request.seller, channel=request.channel) if a.enabled]
        log.info("daemon.request", request_id=request.id, kind=request.kind, accounts=len(accounts),
                 requested_by=request.requested_by)  # fmt: skip
        if not accounts:
            finish(self.store, request.id, outcome="failed", detail="no enabled channel account matches")
            self._claimed.discard(request.id)
            return
        trigger = f"via-daemon {request.requested_by}"[:64]
        results = await asyncio.gather(
            *(
                self.run_job(JobKind(request.kind), a.id, trigger=trigger, wait=self.settings.lease_ttl,
                             sku=request.sku, full=request.full)
                for a in accounts
            )
        )  # fmt: skip
        outcomes = {r.outcome for r in results}
        outcome = "ok" if outcomes <= {"ok"} else "partial" if outcomes <= {"ok", "partial"} else "failed"
        finish(self.store, request.id, outcome=outcome, detail=[r.as_dict() for r in results])
        self._claimed.discard(request.id)

    async def _prune(self) -> None:
        removed = prune_runs(self.store, keep=self.settings.runs_kept, keep_quiet=self.settings.quiet_runs_kept)
        if removed:
            log.info("daemon.runs_pruned", runs=removed)
        files = await prune_exports(self.store, keep=self.settings.exports_kept)
        if files:
            log.info("daemon.exports_pruned", files=files)

    def _jobs_report(self) -> dict[str, Any]:
        report: dict[str, Any] = {}
        for key, spec in sorted(self.specs.items()):
            job = self.scheduler.get_job(key) if self.scheduler.running else None
            report[key] = {
                "kind": spec.kind.value, "seller": spec.seller, "channel": spec.channel, "account": spec.account,
                "every": format_duration(spec.every_s),
                "next_run": _iso(job.next_run_time) if job is not None else None,
                **self.book.get(key, {}),
            }  # fmt: skip
        return report

    def _beat(self, state: str | None = None) -> None:
        if not renew(self.store, CLOCK_LEASE, self.holder, self.settings.stale_after):
            log.error("daemon.clock_lost", reason="another daemon took the clock lease: this one stops")
            self.exit_code = 1
            self.stop()
        self._beats += 1
        jobs = None
        if self._dirty and (self._beats % _JOBS_EVERY_BEATS == 1 or state is not None):
            jobs, self._dirty = self._jobs_report(), False
        self.heartbeat.beat(state=state, jobs=jobs, last_error=self.last_error)

"""One push of one channel account: plan, queue, apply, recorded as a sync run.

An assisted account (its connector is :class:`~core.ports.Assisted`: no seller API) plans and
queues the same way, then writes or refreshes its upload pack (:mod:`core.sync.packs`) instead of
applying: a person uploads it and confirms it.

A push's outcome: ``failed`` when it stopped (configuration, authorisation), ``partial`` when an
operation still waits in the queue after the apply (to retry, or with its outcome unknown: the next run
settles it) or a listing of the account is blocked (:mod:`core.sync.blocked`: a preflight problem, or an
operation parked as failed, found by this run or an earlier one and not fixed since), ``ok`` when the
account shows the catalog. An assisted account's pack awaiting the seller's upload is not waiting work
of the engine: it is the end of the push.

A blocked listing is never counted as unchanged: the summary's "same" means the marketplace shows what
the catalog has.

Every log event of the push, the connector's included, carries the seller, channel, account and run id
(DESIGN rule 9), bound as structlog context variables for its duration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import httpx
import structlog
from sqlalchemy import and_, func, or_, select
from structlog.contextvars import bound_contextvars

from core.channels import AccountSummary
from core.db import Store
from core.errors import ChosyncError
from core.logs import scrub
from core.models import CHANNEL_ACCOUNT, PRODUCT, ProductStatus, utcnow
from core.ports import Assisted
from core.ports.retries import RetryTally, counting_retries
from core.sync.apply import ApplyReport, RetrySchedule, Waiting, apply_account, pending_count, waiting_work
from core.sync.blocked import BlockedListing, blocked_listings
from core.sync.connect import build_connector
from core.sync.models import LISTING
from core.sync.packs import PackResult, write_pack
from core.sync.plan import AccountPlan, plan_account, queue_operations
from core.sync.rebind import rebind_listings
from core.sync.runs import finish_run, start_run

__all__ = ["PushResult", "push_account"]

log = structlog.get_logger(__name__)


@dataclass
class PushResult:
    account: AccountSummary
    run_id: int
    plan: AccountPlan | None = None
    report: ApplyReport = field(default_factory=ApplyReport)
    unchanged: int = 0
    queued: Waiting = field(default_factory=Waiting)  # the queue's operations not yet done, by why they wait
    seconds: float = 0.0
    error: str | None = None
    pack: PackResult | None = None  # an assisted account's upload pack
    retries: RetryTally = field(default_factory=RetryTally)  # requests the marketplace made us send again
    blocked: list[BlockedListing] = field(default_factory=list)  # after the push, this run's and earlier ones

    @property
    def waiting(self) -> int:
        """The queue's waiting operations, and an assisted account's changes awaiting upload."""
        return self.queued.total + (self.pack.awaiting if self.pack else 0)

    @property
    def failed(self) -> int:
        """Operations parked as failed, and changes that could not go in the upload pack."""
        return self.report.failed + (len(self.pack.failed) if self.pack else 0)

    @property
    def outcome(self) -> str:
        """failed (stopped), partial (some listings blocked, or changes still waiting in the queue), or ok."""
        if self.error is not None or self.report.stopped:
            return "failed"
        return "partial" if self.failed or self.queued.total or self.blocked else "ok"

    @property
    def touched(self) -> set[int]:
        """Products this push looked at: planned, or whose queued operations the apply took up."""
        return set(self.plan.revisions if self.plan else ()) | self.report.product_ids

    def standing(self) -> list[BlockedListing]:
        """Blocked listings of products this push did not look at: what earlier runs found, still unfixed."""
        touched = self.touched
        return [b for b in self.blocked if b.product_id not in touched]


def _listed_count(store: Store, account: AccountSummary) -> int:
    """Products this account shows or should show: active ones, and archived ones still listed."""
    seller_id = select(CHANNEL_ACCOUNT.c.seller_id).where(CHANNEL_ACCOUNT.c.id == account.id).scalar_subquery()
    counted = (
        select(func.count())
        .select_from(PRODUCT)
        .outerjoin(LISTING, and_(LISTING.c.product_id == PRODUCT.c.id, LISTING.c.account_id == account.id))
        .where(PRODUCT.c.seller_id == seller_id)
        .where(or_(PRODUCT.c.status == ProductStatus.ACTIVE.value, LISTING.c.item_id.is_not(None)))
    )
    with store.engine.connect() as conn:
        return int(conn.execute(counted).scalar_one())


async def push_account(
    store: Store,
    account: AccountSummary,
    http: httpx.AsyncClient,
    *,
    trigger: str,
    full: bool = False,
    sku: str | None = None,
    schedule: RetrySchedule | None = None,
    now: Callable[[], datetime] = utcnow,
    on_planned: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    run_id: int | None = None,
) -> PushResult:
    """Plan and apply everything due for ``account``; never raises for marketplace or config errors.

    ``run_id``: a push run the caller started (the daemon does, to log it when the job starts)."""
    if run_id is None:
        run_id = start_run(store, account_id=account.id, kind="push", trigger=trigger)
    result = PushResult(account, run_id)
    # The caller's task owns this context (asyncio.gather gives each push its own), so pushes running
    # side by side never see each other's binding.
    with bound_contextvars(seller=account.seller, channel=account.channel, account=account.name, run_id=result.run_id):
        await _push(store, account, http, result, full=full, sku=sku, schedule=schedule, now=now,
                    on_planned=on_planned, on_progress=on_progress)  # fmt: skip
    return result


async def _push(
    store: Store,
    account: AccountSummary,
    http: httpx.AsyncClient,
    result: PushResult,
    *,
    full: bool,
    sku: str | None,
    schedule: RetrySchedule | None,
    now: Callable[[], datetime],
    on_planned: Callable[[int], None] | None,
    on_progress: Callable[[int], None] | None,
) -> None:
    started = time.perf_counter()
    bound = log.bind(account_id=account.id)
    try:
        with counting_retries() as result.retries:
            connector = build_connector(store, account, http, now=now)
            # A floor whose channel now has an API connector: its pack-confirmed listings are bound to the
            # API's items before planning, or the plan would send to SKUs standing in for ids (an assisted
            # connector, or an account with no stand-ins, costs two reads).
            await rebind_listings(store, account, connector)
            result.plan = plan_account(store, account, connector, full=full, sku=sku)
            queue_operations(store, result.plan, run_id=result.run_id)
            if on_planned is not None:
                on_planned(pending_count(store, account.id))
            if isinstance(connector, Assisted):
                pack = await write_pack(store, account, connector, now=now)
                result.pack = replace(pack, title=connector.title, seller_centre_url=connector.seller_centre_url)
            else:
                result.report = await apply_account(
                    store, account, connector, schedule=schedule, now=now, on_progress=on_progress
                )
                if result.report.adopted and not result.report.stopped:
                    # Creates that found their item already there forgot what it holds: plan those
                    # listings again now, so this push sends what the catalog has changed since.
                    replan = plan_account(store, account, connector, sku=sku)
                    queue_operations(store, replan, run_id=result.run_id)
                    if on_planned is not None:
                        on_planned(result.report.done + pending_count(store, account.id))
                    result.report.add(
                        await apply_account(store, account, connector, schedule=schedule, now=now,
                                            on_progress=on_progress)
                    )  # fmt: skip
    except ChosyncError as exc:
        result.error = scrub(str(exc))
        bound.error("sync.push_failed", error=result.error)
    result.queued = waiting_work(store, account.id)
    result.blocked = blocked_listings(store, account.id)
    if result.plan is not None and result.error is None:
        # A listing the plan looked at, or whose queued operations the apply took up (a run after a crash
        # finishes what the one before planned), is not also "unchanged"; nor is one that is blocked.
        counted = result.touched | {b.product_id for b in result.blocked}
        result.unchanged = max(0, _listed_count(store, account) - len(counted))
    result.seconds = time.perf_counter() - started
    counts = {**result.report.counts(), "unchanged": result.unchanged, "waiting": result.waiting,
              "retried": result.retries.total, "blocked": len(result.blocked)}  # fmt: skip
    if result.plan is not None:
        counts["problems"] = len(result.plan.problems)
    if result.pack is not None and result.pack.pack_id is not None:
        counts |= {"pack": result.pack.pack_id, "awaiting": result.pack.awaiting, "failed": len(result.pack.failed)}
    finish_run(
        store,
        result.run_id,
        outcome=result.outcome,
        counts=counts,
        error=result.error or result.report.stopped,
    )
    bound.info("sync.push", outcome=result.outcome, seconds=round(result.seconds, 3), **counts)

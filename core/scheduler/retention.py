"""Retention: the daemon's own records pruned, so months of unattended running do not fill the disk.

Every push and pull is recorded as a sync run, and the daemon makes many: 130 sellers with two shops
each, pushed every 5 minutes and pulled every 2, is some 11 000 runs an hour, almost all of them
finding nothing to do. Runs that did nothing (every work count zero, and outcome ok, or partial only
because products an earlier run found blocked still are) are kept ``quiet_runs_kept`` (a day), except
the newest of each account and kind, which ``chosync status`` reads; every other run, and every
finished ``--via-daemon`` request, is kept ``runs_kept`` (90 days).
Operations, orders and the ledger are the business's history and are never pruned here.

The assisted floors' order export files are another matter: they carry buyers' personal data (names,
addresses, phones) that chosync does not need once the orders are stored, so each assisted account's
imported and rejected exports are deleted ``exports_kept`` (90 days) after they last changed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, func, select

from core.channels import list_accounts
from core.db import Store
from core.errors import ChosyncError
from core.http import http_client
from core.models import utcnow
from core.ports import Assisted, get_connector_class, implements_assisted
from core.sync.connect import build_connector
from core.sync.models import JOB_REQUEST, SYNC_RUN

__all__ = ["WORK_COUNTS", "prune_exports", "prune_runs"]

log = structlog.get_logger(__name__)

# Counts that mean a run changed something (or found something wrong); the others only describe it.
WORK_COUNTS = frozenset(
    {
        "created", "updated", "prices", "stocks", "delisted", "failed", "retrying", "unknown", "waiting",
        "orders_new", "orders_updated", "lines_new", "lines_unknown", "ledger_entries", "products_touched",
        "price_drift", "stock_drift", "missing", "variant_missing", "adopted", "flagged", "problems", "retried",
        "resolved",
    }
)  # fmt: skip
# A push ends partial, run after run, while a product stays blocked (core.sync.blocked): with no work
# done, such a run says no more than the newest one, which is always kept.
_QUIET_OUTCOMES = ("ok", "partial")
_BATCH = 1000  # rows deleted per statement: never a huge IN list
_PAGE = 5000  # runs read per transaction: short transactions beside a busy daemon


def _quiet(outcome: str, counts: dict[str, int]) -> bool:
    """Did the run do nothing (and, if partial, only because of products still blocked)?"""
    if any(counts.get(k) for k in WORK_COUNTS):
        return False
    return outcome == "ok" or bool(counts.get("blocked"))


def prune_runs(store: Store, *, keep: float, keep_quiet: float, now: datetime | None = None) -> int:
    """Delete run records past their keeping time; returns how many runs went."""
    now = now or utcnow()
    cutoff, quiet_cutoff = now - timedelta(seconds=keep), now - timedelta(seconds=keep_quiet)
    with store.engine.begin() as conn:
        removed = conn.execute(
            delete(SYNC_RUN).where(SYNC_RUN.c.started_at < cutoff, SYNC_RUN.c.outcome != "running")
        ).rowcount
        conn.execute(delete(JOB_REQUEST).where(JOB_REQUEST.c.finished_at < cutoff))
    newest = select(func.max(SYNC_RUN.c.id)).group_by(SYNC_RUN.c.account_id, SYNC_RUN.c.kind)
    candidates = (
        select(SYNC_RUN.c.id, SYNC_RUN.c.outcome, SYNC_RUN.c.counts)
        .where(SYNC_RUN.c.started_at < quiet_cutoff, SYNC_RUN.c.outcome.in_(_QUIET_OUTCOMES))
        .where(SYNC_RUN.c.id.not_in(newest))
        .order_by(SYNC_RUN.c.id)
    )
    last = 0
    while True:  # a page at a time, by id, so that runs kept (not quiet) are read once
        with store.engine.begin() as conn:
            rows = conn.execute(candidates.where(SYNC_RUN.c.id > last).limit(_PAGE)).all()
            quiet = [run_id for run_id, outcome, counts in rows if _quiet(outcome, counts or {})]
            for start in range(0, len(quiet), _BATCH):
                conn.execute(delete(SYNC_RUN).where(SYNC_RUN.c.id.in_(quiet[start : start + _BATCH])))
        removed += len(quiet)
        if len(rows) < _PAGE:
            return int(removed)
        last = rows[-1][0]


async def prune_exports(store: Store, *, keep: float, now: datetime | None = None) -> int:
    """Delete every assisted account's order exports imported (or rejected) more than ``keep`` seconds ago."""
    older_than = (now or utcnow()) - timedelta(seconds=keep)
    removed = 0
    async with http_client() as http:  # assisted connectors never send a request: it is only their due
        for account in list_accounts(store):
            try:
                if not implements_assisted(get_connector_class(account.channel)):
                    continue  # an API account keeps no files: no connector to build
                connector = build_connector(store, account, http)
            except ChosyncError as exc:
                log.warning("retention.account_skipped", seller=account.seller, channel=account.channel, error=str(exc))
                continue
            if isinstance(connector, Assisted):
                removed += connector.prune_exports(older_than)
    return removed

"""Leases and the per-account lock: one holder at a time, on SQLite and PostgreSQL, across tasks and processes."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from core.channels import AccountSummary
from core.db import Store, open_store
from core.models import utcnow
from core.scheduler.leases import acquire, current, held, holder_id, holder_role, release, renew
from core.scheduler.locks import AccountBusy, LeaseLost, hold_account, lock_name
from core.settings import PROJECT_ROOT
from core.sync.models import LEASE
from tests.sync_world import make_world

pytestmark = pytest.mark.anyio


def test_a_lease_has_one_holder_until_released(store: Store) -> None:
    a, b = holder_id("daemon push"), holder_id("cli sync")
    assert acquire(store, "account:1", a, ttl=60)
    assert not acquire(store, "account:1", b, ttl=60)
    assert acquire(store, "account:1", a, ttl=60), "taking it again is renewing it"
    assert not release(store, "account:1", b), "only the holder releases"
    assert held(store, prefix="account:") == {"account:1": a}
    assert release(store, "account:1", a)
    assert acquire(store, "account:1", b, ttl=60)
    assert holder_role(b) == "cli sync"


def test_an_expired_lease_is_taken_over_and_its_old_holder_cannot_renew(store: Store) -> None:
    old, new = holder_id("daemon push"), holder_id("daemon push")
    assert acquire(store, "account:7", old, ttl=60, now=utcnow() - timedelta(minutes=5))
    assert held(store) == {}, "expired: not in force"
    assert acquire(store, "account:7", new, ttl=60)
    assert not renew(store, "account:7", old, ttl=60)
    assert renew(store, "account:7", new, ttl=60)
    lease = current(store, "account:7")
    assert lease is not None
    assert lease.holder == new


def test_a_lease_left_by_a_dead_process_on_this_host_is_free_at_once(store: Store) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    pid = int(dead.stdout)
    ghost = holder_id("cli sync").replace(f":{os.getpid()}#", f":{pid}#")
    assert acquire(store, "account:3", ghost, ttl=600)
    assert acquire(store, "account:3", holder_id("daemon push"), ttl=60)


def test_many_threads_racing_for_a_lease_give_it_to_exactly_one(store: Store) -> None:
    winners: list[str] = []
    start = threading.Barrier(8)

    def contend() -> None:
        me = holder_id("racer")
        start.wait()
        if acquire(store, "account:9", me, ttl=60):
            winners.append(me)

    threads = [threading.Thread(target=contend) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1


def _account(account_id: int = 1) -> AccountSummary:
    return AccountSummary(account_id, "HTX-DANTIEN", "shopee", "shopee", {}, None, True, None, None)  # type: ignore[arg-type]


async def test_two_tasks_holding_one_account_never_overlap(store: Store) -> None:
    spans: list[tuple[float, float]] = []

    async def job(role: str) -> None:
        for _ in range(3):
            async with hold_account(store, _account(), role=role, ttl=10, wait=10):
                began = time.monotonic()
                await asyncio.sleep(0.03)
                spans.append((began, time.monotonic()))

    await asyncio.gather(job("daemon push"), job("cli sync"), job("daemon pull"))
    spans.sort()
    assert len(spans) == 9
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))
    assert held(store) == {}, "every hold released its lease"


async def test_a_busy_account_is_a_retryable_refusal_naming_the_daemon(store: Store) -> None:
    assert acquire(store, lock_name(1), holder_id("daemon push"), ttl=60)
    began = time.monotonic()
    with pytest.raises(AccountBusy) as refused:
        async with hold_account(store, _account(), role="cli sync", ttl=60, wait=0.3):
            pytest.fail("must not get the lock")
    assert time.monotonic() - began >= 0.3, "it waited the bounded time first"
    assert "the daemon is syncing this account right now; try again or use --via-daemon" in str(refused.value)


async def test_a_run_whose_lease_was_taken_over_is_stopped(store: Store) -> None:
    async def stalled_run() -> None:
        async with hold_account(store, _account(), role="daemon push", ttl=0.3, wait=0):
            with store.engine.begin() as conn:  # another host took it while this run stalled
                conn.execute(update(LEASE).values(holder=holder_id("daemon push")))
            await asyncio.sleep(2)
            pytest.fail("the stalled run must be cancelled")

    with pytest.raises(LeaseLost):
        await stalled_run()


async def test_a_held_lease_is_renewed_past_its_ttl(store: Store) -> None:
    async with hold_account(store, _account(), role="daemon push", ttl=0.3, wait=0):
        await asyncio.sleep(0.8)
        assert lock_name(1) in held(store)
    assert held(store) == {}


CONTENDER = """
import asyncio, json, sys, time
from core.channels import AccountSummary
from core.db import open_store
from core.scheduler.locks import hold_account

store = open_store(sys.argv[1], migrate=False)
account = AccountSummary(1, "HTX-DANTIEN", "shopee", "shopee", {}, None, True, None, None)

async def main():
    spans = []
    for _ in range(4):
        async with hold_account(store, account, role=sys.argv[2], ttl=10, wait=30):
            began = time.time()
            await asyncio.sleep(0.02)
            spans.append((began, time.time()))
    print(json.dumps(spans))

asyncio.run(main())
"""


def test_processes_contending_for_one_account_take_turns(database_url: str, tmp_path: Path) -> None:
    """Three processes (say, the daemon and two shells) each hold the account four times; never two at once."""
    open_store(database_url).dispose()  # migrated once, before the race
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, database_url, role],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for role in ("daemon push", "cli sync", "cli reconcile")
    ]
    spans = sorted(span for p in procs for span in json.loads(p.communicate(timeout=60)[0]))
    assert all(p.returncode == 0 for p in procs)
    assert len(spans) == 12
    assert all(earlier[1] <= later[0] for earlier, later in itertools.pairwise(spans))


async def test_world_accounts_lock_by_id(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two shops of one seller are two locks: holding one does not block the other."""
    world = make_world(store, tmp_path, monkeypatch, products=1, shops=(14701711, 14701712))
    first, second = world.accounts
    async with (
        hold_account(store, first, role="daemon push", ttl=10, wait=0),
        hold_account(store, second, role="cli sync", ttl=10, wait=0),
    ):
        assert set(held(store)) == {lock_name(first.id), lock_name(second.id)}

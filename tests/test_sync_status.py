"""``account_status``: the last successful push is the last push that ended ok, never a partial one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from core.channels import add_account
from core.db import Store, open_store
from core.sync.models import SYNC_RUN
from core.sync.runs import finish_run, start_run
from core.sync.status import account_status
from tests.catalog_files import register
from tests.conftest import Invoke


def run(store: Store, account_id: int, kind: str, outcome: str) -> int:
    run_id = start_run(store, account_id=account_id, kind=kind, trigger="test")
    finish_run(store, run_id, outcome=outcome, counts={})
    return run_id


def finished_at(store: Store, run_id: int, second: int) -> None:
    """Pin a run's end (runs in one test finish within the same clock tick otherwise)."""
    with store.engine.begin() as conn:
        moment = datetime(2026, 11, 30, 8, 0, second, tzinfo=UTC)
        conn.execute(update(SYNC_RUN).where(SYNC_RUN.c.id == run_id).values(finished_at=moment))


def test_a_partial_push_is_not_the_last_successful_one(store: Store) -> None:
    register(store)
    account_id = add_account(store, seller="HTX-DANTIEN", channel="shopee", settings={"partner_id": 1, "shop_id": 2})
    [fresh] = account_status(store)
    assert (fresh.last_push, fresh.latest_push, fresh.latest_push_outcome) == (None, None, None)

    ok = run(store, account_id, "push", "ok")
    partial = run(store, account_id, "push", "partial")
    pull = run(store, account_id, "pull", "ok")
    for second, run_id in enumerate((ok, partial, pull)):
        finished_at(store, run_id, second)
    [status] = account_status(store)
    assert status.last_push is not None and status.last_push.second == 0  # the ok push, not the partial one
    assert status.latest_push is not None and status.latest_push.second == 1
    assert status.latest_push_outcome == "partial"
    assert status.last_pull is not None and status.last_pull.second == 2

    failed = run(store, account_id, "push", "failed")
    finished_at(store, failed, 3)
    [status] = account_status(store)
    assert (status.last_push.second, status.latest_push_outcome) == (0, "failed")  # type: ignore[union-attr]


def test_a_push_that_only_ever_ended_partial_has_never_succeeded(store: Store) -> None:
    register(store)
    account_id = add_account(store, seller="HTX-DANTIEN", channel="shopee", settings={"partner_id": 1, "shop_id": 2})
    run(store, account_id, "push", "partial")
    run(store, account_id, "pull", "failed")
    [status] = account_status(store)
    assert (status.last_push, status.last_pull, status.latest_push_outcome) == (None, None, "partial")


def test_the_status_table_shows_a_newer_push_that_was_not_ok(run_cli: Invoke, sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    register(store)
    account_id = add_account(store, seller="HTX-DANTIEN", channel="shopee", settings={"partner_id": 1, "shop_id": 2})
    finished_at(store, run(store, account_id, "push", "ok"), 0)
    code, out, _ = run_cli("status")
    assert code == 0 and "partial" not in out
    run(store, account_id, "push", "partial")
    store.dispose()
    code, out, _ = run_cli("status")
    assert code == 0 and "partial" in out

"""The scheduler daemon in-process, on a Shopee sandbox, time scaled down: what an operator relies on."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import select, update
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs

from core.catalog.importer import import_catalog
from core.channels import DatabaseTokenStore, find_account, update_account
from core.cli.context import local_time
from core.db import open_store
from core.errors import ConfigError
from core.models import VARIANT, utcnow
from core.ports import Tokens
from core.revisions import touch_products
from core.scheduler.changes import accounts_with_work
from core.scheduler.daemon import Daemon
from core.scheduler.durations import VIETNAM
from core.scheduler.heartbeat import daemon_status
from core.scheduler.jobs import JobKind, JobRunner
from core.scheduler.leases import acquire, holder_id
from core.scheduler.locks import lock_name
from core.settings import ScheduleSettings, load_settings
from core.sync.ledger import LedgerPolicy
from core.sync.models import DAEMON
from core.sync.push import push_account
from simulators.common.faults import ANY_PATH, Fault
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.daemon_world import FAST, loopback_store, overlapping, running_daemon, runs, wait_until
from tests.servers import serve_in_thread
from tests.sync_world import PARTNER_ID, PARTNER_KEY, World, make_world

pytestmark = pytest.mark.anyio
SHOPS = (14701711, 14701712)


@pytest.fixture
def world(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    store = open_store(sqlite_url)
    yield make_world(store, tmp_path, monkeypatch, products=3, variants=2, shops=SHOPS)
    store.dispose()


def stock(world: World, shop_id: int, sku: str) -> int | None:
    found = [m.seller_stock for i in world.items(shop_id) for m in i.models.values() if m.model_sku == sku]
    return found[0] if found else None


def restock(world: World, sku: str, units: int) -> None:
    """An import that changes one variant's stock (the catalog file a seller uploads again)."""
    rows = make_rows(3, 2)
    for r in rows:
        if r["variant_sku"] == sku:
            r["stock"] = str(units)
    assert world.catalog is not None
    import_catalog(world.store, write_csv(world.catalog.parent / f"restock-{sku}-{units}.csv", rows))


def everything_pushed(world: World) -> bool:
    return len(world.items(SHOPS[0])) == 3 and len(world.items(SHOPS[1])) == 3 and not accounts_with_work(world.store)


async def test_jobs_follow_accounts_added_rescheduled_paused_and_removed_without_a_restart(
    world: World, sqlite_url: str, run_cli: Invoke
) -> None:
    first, second = world.accounts
    async with world.http() as http, running_daemon(world.store, sqlite_url, http=http) as daemon:
        expected = {f"{kind.value}:{a.id}" for a in (first, second) for kind in JobKind}
        assert set(daemon.specs) == expected
        assert {job.id for job in daemon.scheduler.get_jobs()} == expected
        code, _, err = await anyio.to_thread.run_sync(
            run_cli, "channels", "add", "shopee", "--seller", world.seller, "--name", "shopee3",
            "--base-url", "https://partner.shopeemobile.com", "--partner-id", str(PARTNER_ID), "--shop-id", "14701713",
        )  # fmt: skip
        assert code == 0, err
        await wait_until(lambda: len(daemon.specs) == 12, what="the new account's jobs")
        third = find_account(world.store, seller=world.seller, channel="shopee", name="shopee3").id
        code, out, err = await anyio.to_thread.run_sync(
            run_cli, "channels", "schedule", "shopee", "--seller", world.seller, "--name", "shopee3",
            "--pull-every", "10s", "--push-every", "1h",
        )  # fmt: skip
        assert code == 0, err
        assert "pull       every 10s (this shop's own)" in out
        job = f"pull:{third}"
        await wait_until(lambda: daemon.scheduler.get_job(job).trigger.interval == timedelta(seconds=10),
                         what="the new pull interval")  # fmt: skip
        code, _, err = await anyio.to_thread.run_sync(
            run_cli, "channels", "set", "shopee", "--seller", world.seller, "--name", "shopee2", "--disable"
        )
        assert code == 0, err
        await wait_until(lambda: f"push:{second.id}" not in daemon.specs, what="the paused account's jobs gone")
        assert daemon.scheduler.get_job(f"push:{second.id}") is None
        assert len(daemon.scheduler.get_jobs()) == 8
        code, out, err = await anyio.to_thread.run_sync(
            run_cli, "channels", "remove", "shopee", "--seller", world.seller, "--name", "shopee3", "--force"
        )  # forced: the daemon may have listed the catalog on it already (refusals: tests/test_channels_remove.py)
        assert code == 0, err
        assert "account 'shopee3' of HTX-DANTIEN" in out
        await wait_until(lambda: len(daemon.scheduler.get_jobs()) == 4, what="the removed account's jobs gone")
        assert set(daemon.specs) == {f"{kind.value}:{first.id}" for kind in JobKind}


async def test_a_job_never_overlaps_itself(world: World, sqlite_url: str) -> None:
    """Orders pulled every 50 ms from a marketplace taking 300 ms to answer: one pull at a time."""
    world.sandbox.faults.add_chance("/api/v2/order/get_order_list", Fault.latency(0.3), 1.0)
    with capture_logs() as logs:
        async with world.http() as http, running_daemon(world.store, sqlite_url, http=http, pull_every=0.05):
            await wait_until(lambda: len(runs(world.store, "pull")) >= 6, what="six pulls")
    pulls = runs(world.store, "pull")
    for account in world.accounts:
        mine = [r for r in pulls if r.account_id == account.id]
        assert len(mine) >= 2
        assert overlapping(mine) == []
    assert any(e["event"] == "job.still_running" for e in logs), "runs that fell due meanwhile were skipped"


async def test_runs_missed_while_the_loop_was_blocked_coalesce_into_one_catch_up(world: World, sqlite_url: str) -> None:
    """A pull every 0.1 s, and the daemon's loop blocked for 0.6 s (a slow disk, a stalled host): of the
    five or so runs that fell due meanwhile, exactly one runs once the loop is back, then the interval goes on."""
    executed: list[datetime] = []
    async with world.http() as http, running_daemon(world.store, sqlite_url, http=http, pull_every=0.1) as daemon:
        job = f"pull:{world.accounts[0].id}"

        def ran(event: JobExecutionEvent) -> None:
            if event.job_id == job:
                executed.append(event.scheduled_run_time)

        daemon.scheduler.add_listener(ran, EVENT_JOB_EXECUTED)
        await wait_until(lambda: len(executed) >= 2, what="two pulls on time")
        blocked_from = datetime.now(VIETNAM)
        time.sleep(0.6)  # blocks the event loop itself: the scheduler cannot fire while this runs
        blocked_until = datetime.now(VIETNAM)
        await wait_until(lambda: sum(at > blocked_from for at in executed) >= 2, what="the interval going on after")
    # Nothing ran while the loop was blocked, so what ran since, in order, is: the catch-up, then the rest.
    catch_up, following = [at for at in executed if at > blocked_from][:2]
    assert catch_up >= blocked_until - timedelta(seconds=0.15), "the catch-up is the latest run missed, alone"
    assert following > blocked_until, "no second run for the other runs missed while blocked"


@pytest.fixture
def any_world(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, str]]:
    """The world on SQLite, and on PostgreSQL (the province's server)."""
    store = open_store(database_url)
    yield make_world(store, tmp_path, monkeypatch, products=3, variants=2, shops=SHOPS), database_url
    store.dispose()


async def test_a_stock_change_from_an_import_is_pushed_within_seconds(any_world: tuple[World, str]) -> None:
    world, url = any_world
    async with (
        world.http() as http,
        running_daemon(world.store, url, http=http),
    ):  # push every hour: only the change watcher pushes here
        await wait_until(lambda: everything_pushed(world), what="the catalog listed on both shops")
        assert stock(world, SHOPS[0], "P000001-V1") == 2
        restock(world, "P000001-V1", 17)
        took = await wait_until(
            lambda: stock(world, SHOPS[0], "P000001-V1") == stock(world, SHOPS[1], "P000001-V1") == 17,
            what="the new stock on both shops",
        )
    assert took < 3
    assert {r.trigger for r in runs(world.store, "push")} == {"scheduler:change"}


async def test_an_order_pulled_on_one_shop_is_pushed_to_the_other_within_seconds(world: World, sqlite_url: str) -> None:
    async with world.http() as http, running_daemon(world.store, sqlite_url, http=http, pull_every=0.2):
        await wait_until(lambda: everything_pushed(world), what="the catalog listed on both shops")
        sku = "P000002-V1"  # 3 on hand
        item = next(i for i in world.items(SHOPS[0]) if i.item_sku == "P000002")
        model = next(m for m in item.models.values() if m.model_sku == sku)
        world.sandbox.place_order(SHOPS[0], [(item.item_id, model.model_id, 2)], status="READY_TO_SHIP")
        took = await wait_until(lambda: stock(world, SHOPS[1], sku) == 1, what="the other shop's stock lowered")
    assert took < 5


async def test_the_daemon_survives_a_marketplace_down_for_an_hour_and_catches_up(world: World, sqlite_url: str) -> None:
    """Time ×1/1000: push every 5 min → 0.3 s, pull every 2 min → 0.12 s, an hour of 503s → 3.6 s."""
    async with (
        world.http() as http,
        running_daemon(
            world.store, sqlite_url, http=http, push_every=0.3, pull_every=0.12, heartbeat_every=0.1
        ) as daemon,
    ):
        await wait_until(lambda: everything_pushed(world), what="the catalog listed on both shops")
        world.sandbox.faults.add_chance(ANY_PATH, Fault.server_error(503), 1.0)
        outage_began = len(runs(world.store))
        restock(world, "P000000-V0", 33)  # a change that must wait for the marketplace
        await asyncio.sleep(3.6)
        during = runs(world.store)[outage_began:]
        status = daemon_status(world.store, stale_after=0.5)
        assert status is not None and status.state == "running", "the heartbeat went on through the outage"
        assert status.last_error is not None and "503" in status.last_error
        assert sum(1 for r in during if r.kind == "pull" and r.outcome == "failed") >= 10
        assert any(r.kind == "push" and r.counts.get("retrying") for r in during), "pushes were tried, and retried"
        assert stock(world, SHOPS[0], "P000000-V0") != 33
        world.sandbox.faults.clear()
        took = await wait_until(
            lambda: stock(world, SHOPS[0], "P000000-V0") == stock(world, SHOPS[1], "P000000-V0") == 33,
            what="the catch-up after the outage",
        )
        await wait_until(lambda: runs(world.store, "pull")[-1].outcome == "ok", what="pulls working again")
        assert daemon.exit_code == 0
    assert took < 5


async def test_a_cli_sync_and_the_daemon_never_work_on_one_account_at_once(
    sqlite_url: str, tmp_path: Path, run_cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon pushes and pulls every 0.1 s while an admin runs sync and orders pull by hand, over and
    over: every run of the shop, whoever ran it, starts after the previous one ended."""
    monkeypatch.setenv("CHOSYNC_SCHEDULE__LOCK_WAIT", "10")
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOPS[0]]))
    sandbox.faults.add_chance(ANY_PATH, Fault.latency(0.02), 1.0)
    store = open_store(sqlite_url)
    with serve_in_thread(sandbox) as base_url:
        loopback_store(store, tmp_path, sandbox, base_url, products=3)
        async with running_daemon(store, sqlite_url, push_every=0.1, pull_every=0.1):
            for units in (5, 6, 7):
                with store.engine.begin() as conn:  # the seller counted the shelf again
                    conn.execute(update(VARIANT).where(VARIANT.c.sku == "P000001-V0").values(stock_on_hand=units))
                    product = select(VARIANT.c.product_id).where(VARIANT.c.sku == "P000001-V0")
                    touch_products(conn, [conn.execute(product).scalar_one()])
                code, out, err = await anyio.to_thread.run_sync(run_cli, "sync")
                assert code == 0, out + err
                code, out, err = await anyio.to_thread.run_sync(run_cli, "orders", "pull")
                assert code == 0, out + err
    everything = runs(store)
    store.dispose()
    # Both worked the shop (how often the daemon got its turn depends on the machine's load, so no count).
    assert len([r for r in everything if r.trigger.startswith("cli")]) == 6
    assert any(r.trigger.startswith("scheduler") for r in everything)
    assert overlapping(everything) == []
    [item] = [i for i in sandbox.items.values() if i.item_sku == "P000001"]
    assert next(m.seller_stock for m in item.models.values() if m.model_sku == "P000001-V0") == 7


@pytest.mark.parametrize("command", [("sync",), ("orders", "pull"), ("reconcile",)])
async def test_a_cli_command_refuses_an_account_the_daemon_is_syncing(
    world: World, run_cli: Invoke, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("CHOSYNC_SCHEDULE__LOCK_WAIT", "0.2")
    acquire(world.store, lock_name(world.accounts[1].id), holder_id("daemon push"), ttl=60)
    calls = world.sandbox.calls()
    code, _, err = await anyio.to_thread.run_sync(run_cli, *command)
    assert code == 1
    assert "HTX-DANTIEN shopee (shopee2): the daemon is syncing this account right now; try again or use" in err
    assert "--via-daemon" in err
    assert world.sandbox.calls() == calls, "nothing was sent, to either shop"
    assert runs(world.store) == []


async def test_sync_via_daemon_runs_in_the_daemon_and_prints_its_outcome(
    world: World, sqlite_url: str, run_cli: Invoke
) -> None:
    code, _, err = run_cli("sync", "--via-daemon")
    assert code == 1
    assert "no scheduler daemon is running" in err
    async with world.http() as http:
        for account in world.accounts:
            assert (await push_account(world.store, account, http, trigger="test")).outcome == "ok"
        # The fast path looks once, as the daemon starts, then not for an hour: only the request pushes.
        async with running_daemon(world.store, sqlite_url, http=http, changes_every=3600):
            await asyncio.sleep(0.2)
            restock(world, "P000002-V0", 21)
            code, out, err = await anyio.to_thread.run_sync(run_cli, "sync", "--via-daemon", "--channel", "shopee")
            assert code == 0, out + err
    assert "Asked the daemon" in err
    assert "sync via the daemon: ok" in out
    assert out.count("HTX-DANTIEN") == 2
    pushes = [r for r in runs(world.store, "push") if r.trigger != "test"]
    assert len(pushes) == 2 and all(r.trigger.startswith("via-daemon cli:") for r in pushes)
    assert [r.counts["stocks"] for r in pushes] == [1, 1]
    assert stock(world, SHOPS[0], "P000002-V0") == stock(world, SHOPS[1], "P000002-V0") == 21


async def test_daemon_status_reports_the_heartbeat_and_the_jobs(world: World, sqlite_url: str, run_cli: Invoke) -> None:
    code, out, _ = run_cli("daemon", "status")
    assert code == 1 and "No scheduler daemon has ever run" in out
    async with world.http() as http, running_daemon(world.store, sqlite_url, http=http, pull_every=0.3) as daemon:
        pull_id = f"pull:{world.accounts[0].id}"

        def pull_reported() -> bool:  # the heartbeat writes the jobs table a beat after a job ends
            status = daemon_status(world.store, stale_after=60)
            return status is not None and status.jobs.get(pull_id, {}).get("last_outcome") == "ok"

        await wait_until(lambda: len(runs(world.store, "pull")) >= 2, what="pulls")
        await wait_until(pull_reported, what="the pull's outcome in the heartbeat's jobs")
        code, out, _ = await anyio.to_thread.run_sync(run_cli, "daemon", "status", "--json")
        assert code == 0
        report = json.loads(out)
        assert report["state"] == "running" and report["heartbeat_age_s"] < 5  # beats every few tenths; slack for load
        jobs = {job["id"]: job for job in report["jobs"]}
        assert set(jobs) == set(daemon.specs)
        pull = jobs[pull_id]
        assert pull["every"] == "0.3s" and pull["last_outcome"] == "ok" and pull["next_run"]
        code, out, _ = await anyio.to_thread.run_sync(run_cli, "daemon", "status")
        assert code == 0 and "running on" in out and "pull" in out
        with world.store.engine.connect() as conn:
            started_at = conn.execute(select(DAEMON.c.started_at)).scalar_one()
        assert f"since {local_time(started_at)};" in out, "since when, in Vietnam time"
        assert datetime.fromisoformat(report["started_at"]) == started_at
        assert "last error:" not in out and report["last_error"] is None
        world.sandbox.faults.add_chance("/api/v2/order/get_order_list", Fault.server_error(503), 1.0)
        await wait_until(lambda: runs(world.store, "pull")[-1].outcome == "failed", what="a failed pull")
        await wait_until(lambda: (daemon_status(world.store, stale_after=1) or daemon).last_error is not None,
                         what="the error in the heartbeat")  # fmt: skip
        code, out, _ = await anyio.to_thread.run_sync(run_cli, "daemon", "status")
        assert code == 0
        [line] = [line for line in out.splitlines() if line.startswith("last error:")]
        assert "pull:" in line and "HTX-DANTIEN shopee" in line and "503" in line, line
    code, out, _ = run_cli("daemon", "status")
    assert code == 1 and "stopped at" in out
    with world.store.engine.begin() as conn:  # a daemon that died without a word
        conn.execute(update(DAEMON).values(state="running", heartbeat_at=utcnow() - timedelta(minutes=3)))
    code, out, _ = run_cli("daemon", "status")
    assert code == 1 and "stopped beating 3m ago" in out


async def test_a_second_daemon_on_the_same_database_refuses_to_double_the_jobs(world: World, sqlite_url: str) -> None:
    async with world.http() as http, running_daemon(world.store, sqlite_url, http=http):
        schedule = {**FAST, "heartbeat_every": 0.1, "stale_after_beats": 2}
        second = Daemon(world.store, load_settings(database_url=sqlite_url, schedule=schedule), http=http)
        assert await second.run() == 1


async def test_token_health_refreshes_ahead_of_expiry_and_warns_before_reauthorisation(world: World) -> None:
    account = world.accounts[0]
    tokens = DatabaseTokenStore(world.store, account.id)
    old = tokens._load()
    assert old is not None
    soon = utcnow() + timedelta(minutes=30)
    tokens._save(old.model_copy(update={"access_expires_at": soon}))  # dies before the next hourly check
    settings = ScheduleSettings(**{**FAST, "tokens_every": "1h"})
    async with world.http() as http:
        runner = JobRunner(world.store, http, settings, policy=LedgerPolicy())
        result = await runner.run(JobKind.TOKENS, account.id, trigger="test")
    fresh = tokens._load()
    assert fresh is not None and fresh.access_token != old.access_token
    assert fresh.access_expires_at > soon
    assert result.outcome == "ok" and result.counts == {"refreshed": 1}
    tokens._save(Tokens(**{**fresh.model_dump(), "refresh_expires_at": utcnow() + timedelta(days=2)}))
    async with world.http() as http:
        result = await JobRunner(world.store, http, settings, policy=LedgerPolicy()).run(
            JobKind.TOKENS, account.id, trigger="test"
        )
    assert result.outcome == "warning" and "authorised again" in (result.error or "")
    assert result.counts == {"refreshed": 0}
    # The account's own warning (auth.refresh_warn_days), as channels list and status read it: 1 day.
    update_account(world.store, account.id, settings={"auth": {"refresh_warn_days": 1}})
    async with world.http() as http:
        result = await JobRunner(world.store, http, settings, policy=LedgerPolicy()).run(
            JobKind.TOKENS, account.id, trigger="test"
        )
    assert (result.outcome, result.error) == ("ok", None)


async def test_a_job_stopped_by_a_config_error_records_its_run_as_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ConfigError("config/channels/shopee.toml: base_url is missing", hint="set base_url")

    monkeypatch.setattr("core.scheduler.jobs.build_connector", broken)
    account = world.accounts[0]
    async with world.http() as http:
        result = await JobRunner(world.store, http, ScheduleSettings(**FAST), policy=LedgerPolicy()).run(
            JobKind.PULL, account.id, trigger="test"
        )
    assert result.outcome == "failed" and "base_url is missing" in (result.error or "")
    [run] = runs(world.store, "pull")
    assert (run.id, run.outcome, run.finished_at is not None) == (result.run_id, "failed", True)
    assert "base_url is missing" in (run.error or "")


async def test_every_job_kind_logs_its_start_and_end_with_seller_channel_run_id_counts_and_duration(
    world: World,
) -> None:
    settings = ScheduleSettings(**FAST)
    account = world.accounts[0]
    expected_counts = {
        JobKind.PUSH: {"created", "updated", "prices", "stocks", "delisted", "failed", "waiting"},
        JobKind.PULL: {"orders_new", "orders_updated", "ledger_entries"},
        JobKind.RECONCILE: {"checked", "price_drift", "stock_drift", "missing"},
        JobKind.TOKENS: {"refreshed"},
    }
    async with world.http() as http:
        runner = JobRunner(world.store, http, settings, policy=LedgerPolicy())
        for kind in JobKind:
            with capture_logs(processors=[merge_contextvars]) as logs:  # with what the job binds
                result = await runner.run(kind, account.id, trigger="test")
            assert result.outcome == "ok", (kind, result.error)
            [started] = [e for e in logs if e["event"] == "job.started"]
            [finished] = [e for e in logs if e["event"] == "job.finished"]
            for event in (started, finished):
                assert (event["seller"], event["channel"], event["account"], event["job"]) == (
                    world.seller, "shopee", account.name, kind.value,
                ), event  # fmt: skip
            assert started["trigger"] == "test"
            assert finished["outcome"] == "ok" and isinstance(finished["seconds"], float)
            assert expected_counts[kind] <= finished.keys(), (kind, finished)
            if kind is JobKind.TOKENS:
                assert started["run_id"] is finished["run_id"] is None, "a token check records no sync run"
            else:
                assert started["run_id"] == finished["run_id"] == result.run_id == runs(world.store, kind.value)[-1].id
                inner = [e for e in logs if e.get("run_id") is not None and e["event"] != "job.finished"]
                assert inner and {e["run_id"] for e in inner} == {result.run_id}, "the run id is bound inside"

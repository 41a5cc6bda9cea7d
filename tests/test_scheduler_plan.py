"""What the daemon schedules, read from the database and the config; and the cheap "what needs a push" query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from core.catalog.importer import import_catalog
from core.db import Store
from core.models import CHANNEL_ACCOUNT, VARIANT, utcnow
from core.revisions import touch_products
from core.scheduler.builder import JobSpec, account_intervals, desired_jobs, first_run, set_intervals, trigger_for
from core.scheduler.changes import ChangeWatcher, accounts_with_work
from core.scheduler.durations import VIETNAM, format_duration, parse_duration
from core.scheduler.jobs import JobKind
from core.scheduler.retention import prune_runs
from core.settings import ScheduleSettings, load_settings
from core.sync.apply import RetrySchedule
from core.sync.models import SYNC_RUN
from core.sync.push import push_account
from core.sync.runs import finish_run, start_run
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.sync_world import World, make_world


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        pytest.param("10s", 10, id="seconds"),
        pytest.param("5m", 300, id="minutes"),
        pytest.param("1h", 3600, id="hours"),
        pytest.param("1d", 86400, id="days"),
        pytest.param(" 0.5s ", 0.5, id="fraction-for-tests"),
        pytest.param(90, 90, id="bare-number-is-seconds"),
        pytest.param("45", 45, id="bare-text-number-is-seconds"),
    ],
)
def test_durations_read_as_people_write_them(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5 minutes", "-1s", "1w", "", "s", True, -3])
def test_a_bad_duration_says_how_to_write_one(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_durations_print_in_their_shortest_exact_form() -> None:
    assert [format_duration(s) for s in (300, 90, 86400, 7200, 0.5, 0, 172800)] == [
        "5m", "90s", "1d", "2h", "0.5s", "0s", "2d",
    ]  # fmt: skip


def test_schedule_settings_come_from_the_config_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "chosync.toml"
    config.write_text('[schedule]\npull_every = "1m"\n\n[schedule.channels.shopee]\npush_every = "10m"\n')
    monkeypatch.setenv("CHOSYNC_CONFIG", str(config))
    monkeypatch.setenv("CHOSYNC_SCHEDULE__RECONCILE_AT", "03:30")
    schedule = load_settings().schedule
    assert (schedule.pull_every, schedule.push_every, schedule.reconcile_at) == (60, 300, "03:30")
    assert schedule.channels["shopee"].push_every == 600
    config.write_text('[schedule]\npull_evry = "1m"\n')
    with pytest.raises(ValidationError, match="pull_evry"):
        load_settings()  # a typo in the config fails loudly, not silently ignored


def test_the_shipped_config_gives_the_documented_defaults() -> None:
    schedule = load_settings().schedule
    assert (schedule.push_every, schedule.pull_every, schedule.reconcile_every, schedule.tokens_every) == (
        300, 120, 86400, 3600,
    )  # fmt: skip


def test_the_retry_schedule_the_daemon_and_cli_use_comes_from_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "chosync.toml"
    config.write_text('[schedule]\nretry_base = "1m"\nretry_attempts = 3\nretry_rate_limited_max = "10m"\n')
    monkeypatch.setenv("CHOSYNC_CONFIG", str(config))
    retry = RetrySchedule.from_settings(load_settings().schedule)
    assert (retry.base_s, retry.max_attempts, retry.max_rate_limited_s) == (60, 3, 600)
    shipped = RetrySchedule.from_settings(ScheduleSettings())
    assert shipped.max_rate_limited_s == 3600


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return make_world(store, tmp_path, monkeypatch, products=3, variants=2, shops=(14701711, 14701712))


def test_every_enabled_account_gets_four_jobs_with_intervals_from_account_channel_or_default(
    world: World,
) -> None:
    first, second = world.accounts
    settings = ScheduleSettings(channels={"shopee": {"pull_every": "1m"}})  # type: ignore[dict-item]
    set_intervals(world.store, second.id, {JobKind.PUSH: 30, JobKind.RECONCILE: 6 * 3600})
    jobs = desired_jobs(world.store, settings)
    assert sorted(jobs) == sorted(f"{k.value}:{a.id}" for a in (first, second) for k in JobKind)
    assert jobs[f"push:{first.id}"].every_s == 300
    assert jobs[f"pull:{first.id}"].every_s == 60  # the channel's
    assert jobs[f"push:{second.id}"].every_s == 30  # the account's own
    assert account_intervals(world.store, settings, second.id)[JobKind.RECONCILE] == (21600, "account")
    set_intervals(world.store, second.id, {JobKind.PUSH: None})  # back to the channel's default
    assert desired_jobs(world.store, settings)[f"push:{second.id}"].every_s == 300
    with world.store.engine.begin() as conn:
        conn.execute(update(CHANNEL_ACCOUNT).where(CHANNEL_ACCOUNT.c.id == second.id).values(enabled=False))
    assert {spec.account_id for spec in desired_jobs(world.store, settings).values()} == {first.id}


def test_jobs_are_spread_over_their_interval_and_daily_reconciles_run_at_night_in_vietnam() -> None:
    settings = ScheduleSettings()
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 16:00 in Vietnam
    firsts = [first_run(JobSpec(JobKind.PUSH, i, "S", "shopee", "shopee", 300), settings, now) for i in range(200)]
    offsets = [(f - now).total_seconds() for f in firsts]
    assert all(0 <= o < 300 for o in offsets)
    assert len({int(o // 30) for o in offsets}) == 10, "spread over every tenth of the interval"
    assert firsts == [
        first_run(JobSpec(JobKind.PUSH, i, "S", "shopee", "shopee", 300), settings, now) for i in range(200)
    ]
    assert trigger_for(JobSpec(JobKind.PUSH, 1, "S", "shopee", "shopee", 300), settings, now).jitter == 30
    assert trigger_for(JobSpec(JobKind.PULL, 1, "S", "shopee", "shopee", 10), settings, now).jitter == 1, "a tenth"
    nightly = [
        first_run(JobSpec(JobKind.RECONCILE, i, "S", "shopee", "shopee", 86400), settings, now) for i in range(50)
    ]
    local = [n.astimezone(VIETNAM) for n in nightly]
    assert all(n.date() == datetime(2026, 11, 29, tzinfo=VIETNAM).date() and 2 <= n.hour < 4 for n in local)


def test_accounts_with_work_are_those_with_changed_products_or_due_operations(world: World) -> None:
    first, second = world.accounts
    store = world.store
    assert accounts_with_work(store) == {first.id, second.id}, "nothing listed yet"

    async def push_both() -> None:
        async with world.http() as http:
            for account in world.accounts:
                await push_account(store, account, http, trigger="test", schedule=RetrySchedule(base_s=0, max_s=0))

    asyncio.run(push_both())
    assert accounts_with_work(store) == set(), "everything pushed: nothing to do"
    with store.engine.begin() as conn:  # an order or an import moved one variant's stock
        variant = conn.execute(select(VARIANT.c.product_id).where(VARIANT.c.sku == "P000001-V0")).scalar_one()
        touch_products(conn, [variant])
    assert accounts_with_work(store) == {first.id, second.id}, "every shop of the seller"
    asyncio.run(push_both())
    assert world.catalog is not None
    import_catalog(store, write_csv(world.catalog.parent / "more.csv", make_rows(4, 2)))  # adds a fourth product
    assert accounts_with_work(store) == {first.id, second.id}


def test_the_change_watcher_backs_off_from_an_account_where_pushing_does_not_help() -> None:
    watcher = ChangeWatcher(base_s=1.0, cap=lambda _: 8.0)
    assert watcher.due({1, 2}, busy={2}, now=0.0) == [1]
    assert watcher.due({1, 2}, busy=set(), now=0.5) == [2], "1 is held until its push reports"
    watcher.pushed(1, progressed=False, now=1.0)
    assert watcher.due({1}, busy=set(), now=1.5) == []
    assert watcher.due({1}, busy=set(), now=2.0) == [1]
    for miss, at in ((2, 2.0), (3, 10.0), (4, 30.0)):
        watcher.pushed(1, progressed=False, now=at)
        wait = min(8.0, 2 ** (miss - 1))
        assert watcher.due({1}, busy=set(), now=at + wait - 0.01) == []
        assert watcher.due({1}, busy=set(), now=at + wait) == [1]
    watcher.pushed(1, progressed=True, now=40.0)
    assert watcher.due({1}, busy=set(), now=40.0) == [1], "headway: the next change goes out at once"


def test_quiet_runs_are_pruned_after_a_day_but_the_newest_and_the_busy_ones_stay(world: World) -> None:
    store, account = world.store, world.accounts[0]
    old = utcnow() - timedelta(days=2)
    runs = []
    for counts in ({"created": 0, "unchanged": 3}, {"stocks": 2}, {"created": 0}, {"created": 0}):
        run_id = start_run(store, account_id=account.id, kind="push", trigger="test")
        finish_run(store, run_id, outcome="ok", counts=counts)
        runs.append(run_id)
    with store.engine.begin() as conn:
        conn.execute(update(SYNC_RUN).values(started_at=old))
    assert prune_runs(store, keep=90 * 86400, keep_quiet=86400) == 2
    with store.engine.connect() as conn:
        left = sorted(conn.execute(select(SYNC_RUN.c.id)).scalars())
    assert left == [runs[1], runs[3]], "the run that sent stock, and the newest"
    assert prune_runs(store, keep=86400, keep_quiet=86400) == 2, "past runs_kept, every run goes"


def test_channels_schedule_validates_durations_and_goes_back_to_the_default(run_cli: Invoke) -> None:
    assert run_cli("sellers", "add", "HTX-A", "--name", "A")[0] == 0
    added = run_cli("channels", "add", "shopee", "--seller", "HTX-A", "--base-url", "https://partner.shopeemobile.com",
                    "--partner-id", "1", "--shop-id", "2")  # fmt: skip
    assert added[0] == 0
    for bad in ("5s", "1w", "31d", "10.5s"):
        code, _, err = run_cli("channels", "schedule", "shopee", "--seller", "HTX-A", "--pull-every", bad)
        assert code == 2 and "--pull-every" in err, bad
    code, out, _ = run_cli(
        "channels", "schedule", "shopee", "--seller", "HTX-A", "--push-every", "90", "--reconcile-every", "2d"
    )
    assert code == 0
    assert "push       every 90s (this shop's own)" in out
    assert "reconcile  every 2d, at night from 02:00 (this shop's own)" in out
    code, out, _ = run_cli("channels", "schedule", "shopee", "--seller", "HTX-A", "--push-every", "default")
    assert "push       every 5m (default)" in out

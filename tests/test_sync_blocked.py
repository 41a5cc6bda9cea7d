"""Products that cannot be listed: found before anything is sent, and counted on every sync until fixed.

A product is blocked on an account while a problem in the catalog stops it (preflight) or one of its
operations is parked as failed (the marketplace refused it). Such a product is never "the same" as the
catalog: every push counts it and ends partial, and ``chosync sync`` exits 1, run after run, until a
person fixes it; the daemon is not woken by it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from core.catalog.importer import import_catalog
from core.channels import DatabaseTokenStore, find_account
from core.db import Store, open_store
from core.models import PRODUCT, VARIANT, utcnow
from core.ports import Tokens
from core.revisions import touch_products
from core.scheduler.changes import accounts_with_work
from core.scheduler.retention import prune_runs
from core.sync.connect import build_connector
from core.sync.models import LISTING, SYNC_RUN, OpKind
from core.sync.plan import AccountPlan, plan_account
from core.sync.push import PushResult
from core.sync.runs import finish_run, start_run
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import SHOP_ID as SHOP
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread
from tests.sync_world import FAST_SETTINGS, JPEG, PARTNER_ID, PARTNER_KEY, World, make_world, no_requests

pytestmark = pytest.mark.sqlite_only  # the PostgreSQL run of these flows: see tests/conftest.py

ADD_ITEM = "/api/v2/product/add_item"
PROHIBITED = "Gạo hàng giả giá rẻ"  # the sandbox refuses the word, as Shopee refuses prohibited words


def rows(products: int, *, unsized: tuple[str, ...] = (), refused: tuple[str, ...] = (),
         archived: tuple[str, ...] = (), images: str | None = None) -> list[dict[str, str]]:  # fmt: skip
    """The test catalog, with some products lacking their package size, named to be refused, or archived."""
    found = make_rows(products, 2)
    for row in found:
        if row["product_sku"] in unsized:
            row.update(length_cm="", width_cm="", height_cm="")
        if row["product_sku"] in refused:
            row["name"] = PROHIBITED
        if row["product_sku"] in archived:
            row["status"] = "archived"
        if images is not None:
            row["images"] = images
    return found


def reimport(world: World, tmp_path: Path, products: int, **changes: tuple[str, ...]) -> None:
    import_catalog(world.store, write_csv(tmp_path / "catalog.csv", rows(products, **changes)))


def plan(world: World) -> AccountPlan:
    async def run() -> AccountPlan:
        async with world.http() as http:
            return plan_account(world.store, world.account(), build_connector(world.store, world.account(), http))

    return asyncio.run(run())


def blocked(result: PushResult) -> list[str]:
    return [b.product_sku for b in result.blocked]


@pytest.fixture
def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Three products on one Shopee shop whose channel 50021 prices by size (the channel toml says so)."""
    return make_world(store, tmp_path, monkeypatch, products=3)


def test_a_product_without_its_package_size_is_reported_by_plan_and_never_sent(world: World, tmp_path: Path) -> None:
    reimport(world, tmp_path, 3, unsized=("P000001",))
    planned = plan(world)
    [problem] = planned.problems
    assert (problem.sku, problem.field) == ("P000001", "dimensions")
    assert "channel 50021" in problem.message and "length_cm" in problem.message
    assert sorted(op.product_sku for op in planned.ops if op.kind is OpKind.CREATE) == ["P000000", "P000002"]

    first = world.push()
    assert world.sandbox.calls(ADD_ITEM) == 2  # nothing Shopee would refuse was sent
    assert sorted(item.item_sku for item in world.items()) == ["P000000", "P000002"]
    assert (first.report.created, first.report.failed, first.outcome, blocked(first)) == (2, 0, "partial", ["P000001"])
    assert accounts_with_work(world.store) == set(), "a blocked product is no work for the daemon's fast path"

    with no_requests(world):
        second = world.push()
    assert (second.unchanged, second.outcome, blocked(second)) == (2, "partial", ["P000001"])
    assert "channel 50021" in (second.blocked[0].problem or "")

    reimport(world, tmp_path, 3)  # the seller gives the package size
    third = world.push()
    assert (third.report.created, third.unchanged, third.outcome, third.blocked) == (1, 2, "ok", [])


def test_a_live_item_whose_new_content_cannot_be_sent_is_blocked_until_the_catalog_is_fixed(
    world: World, tmp_path: Path
) -> None:
    assert world.push().outcome == "ok"
    reimport(world, tmp_path, 3, unsized=("P000001",))
    first = world.push()
    assert first.plan is not None and [p.sku for p in first.plan.problems] == ["P000001"]
    assert (first.outcome, blocked(first)) == ("partial", ["P000001"])
    with world.store.engine.connect() as conn:
        statuses = set(conn.execute(select(LISTING.c.status)).scalars())
    assert statuses == {"live"}, "its last good content is still on sale"
    with no_requests(world):
        second = world.push()
    assert (second.unchanged, second.outcome, blocked(second)) == (2, "partial", ["P000001"])
    [reason] = second.blocked[0].reasons()
    assert reason.startswith("cannot update P000001 (its content and prices wait; its stock is kept true): "
                             "dimensions: ")  # fmt: skip
    # An order elsewhere moves its stock: that still reaches the blocked item, which could oversell otherwise.
    sku = "P000001-V0"
    with world.store.engine.begin() as conn:
        conn.execute(update(VARIANT).where(VARIANT.c.sku == sku).values(reserved=VARIANT.c.reserved + 1))
        touch_products(conn, conn.execute(select(VARIANT.c.product_id).where(VARIANT.c.sku == sku)).scalars())
    stocked = world.push()
    assert (stocked.report.stocks, stocked.report.updated, stocked.outcome) == (1, 0, "partial")
    [model] = [m for i in world.items() for m in i.models.values() if m.model_sku == sku]
    assert model.seller_stock == 0  # 1 on hand, 1 now held by an order
    with world.store.engine.begin() as conn:
        conn.execute(update(VARIANT).where(VARIANT.c.sku == sku).values(reserved=VARIANT.c.reserved - 1))
    reimport(world, tmp_path, 3)  # back as it was on Shopee, and nothing blocked
    third = world.push()
    assert (third.report.stocks, third.unchanged, third.outcome, third.blocked) == (1, 2, "ok", [])


def test_a_refused_product_stays_counted_and_an_archived_one_no_longer_counts(world: World, tmp_path: Path) -> None:
    reimport(world, tmp_path, 3, unsized=("P000001",), refused=("P000002",))
    first = world.push()
    assert (first.report.created, first.report.failed, blocked(first)) == (1, 1, ["P000001", "P000002"])
    with no_requests(world):
        second = world.push()
    assert (second.unchanged, second.outcome, blocked(second)) == (1, "partial", ["P000001", "P000002"])
    [refused] = [b for b in second.blocked if b.product_sku == "P000002"]
    assert refused.problem is None and "prohibited word" in refused.parked[0]
    reimport(world, tmp_path, 3, unsized=("P000001",), refused=("P000002",), archived=("P000001", "P000002"))
    third = world.push()
    assert (third.outcome, third.blocked) == ("ok", []), "an archived product is not to be listed"


def test_quiet_partial_runs_of_a_standing_block_are_pruned_like_quiet_ok_ones(world: World) -> None:
    """The daemon pushes every few minutes; a block that stands must not fill the runs table."""
    account = world.accounts[0]
    kept = []
    for outcome, counts in (
        ("partial", {"created": 0, "unchanged": 2, "blocked": 1}),  # the block, still standing: quiet
        ("partial", {"failed": 1, "blocked": 1}),  # the run that found it
        ("partial", {"waiting": 2, "blocked": 0}),  # changes to retry
        ("partial", {"created": 0, "blocked": 1}),  # the newest: always kept
    ):
        run_id = start_run(world.store, account_id=account.id, kind="push", trigger="test")
        finish_run(world.store, run_id, outcome=outcome, counts=counts)
        kept.append(run_id)
    with world.store.engine.begin() as conn:
        conn.execute(update(SYNC_RUN).values(started_at=utcnow() - timedelta(days=2)))
    assert prune_runs(world.store, keep=90 * 86400, keep_quiet=86400) == 1
    with world.store.engine.connect() as conn:
        assert sorted(conn.execute(select(SYNC_RUN.c.id)).scalars()) == kept[1:]


# --- as an operator sees it ---------------------------------------------------------------------------------


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP]))


@pytest.fixture
def cli(
    run_cli: Invoke, sqlite_url: str, tmp_path: Path, sandbox: ShopeeSandbox, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Invoke]:
    """A seller with three products, P000001 without its package size, on a Shopee shop shipping by 50011:
    a channel the sandbox prices by size (SIZE_INPUT) and chosync's channel toml does not know."""
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    (tmp_path / "anh.jpg").write_bytes(JPEG)
    catalog = write_csv(tmp_path / "catalog.csv", rows(3, unsized=("P000001",), images="anh.jpg"))
    with serve_in_thread(sandbox) as base_url:
        assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
        assert run_cli("catalog", "import", str(catalog))[0] == 0
        code, _, err = run_cli(
            "channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--base-url", base_url,
            "--partner-id", str(PARTNER_ID), "--shop-id", str(SHOP), "--logistics-id", "50011",
            "--set", f"retry={json.dumps(FAST_SETTINGS['retry'])}", "--set", 'listing={"tier_variation_delay_s": 0}',
        )  # fmt: skip
        assert code == 0, err
        (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,100012\n", encoding="utf-8")
        assert run_cli("categories", "map", "shopee", str(tmp_path / "map.csv"))[0] == 0
        store = open_store(sqlite_url)
        access, refresh = sandbox.authorize_shop(SHOP)
        later = utcnow().replace(year=utcnow().year + 1)
        account = find_account(store, seller="HTX-DANTIEN", channel="shopee")
        DatabaseTokenStore(store, account.id)._save(
            Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
        )
        store.dispose()
        yield run_cli


def summary_row(out: str) -> list[str]:
    """New, Upd, Same, Failed, Wait, Retry, Time, Result of the account's row in the sync summary."""
    return next(line.split() for line in out.splitlines() if line.strip().startswith("HTX-DANTIEN/shopee"))[1:]


def test_a_refused_product_is_failed_not_same_on_every_sync_until_fixed(
    cli: Invoke, sandbox: ShopeeSandbox, tmp_path: Path
) -> None:
    """Issue 13: Shopee refused what plan had passed; the next plain sync said "Same … ok" and exit 0."""
    code, out, err = cli("sync")
    assert code == 1, out + err
    row = summary_row(out)
    assert (row[:5], row[-1]) == (["2", "0", "0", "1", "0"], "partial")
    assert "dimension is required by logistics channel 50011" in out
    calls = sandbox.calls()
    code, out, err = cli("sync")
    assert code == 1, out + err  # still needs a person
    row = summary_row(out)
    assert (row[:5], row[-1]) == (["0", "0", "2", "1", "0"], "partial"), out
    assert "still parked as failed: create P000001: " in out and "logistics channel 50011" in out
    assert "chosync failures" in out
    assert sandbox.calls() == calls  # nothing sent again
    [run] = json.loads(cli("runs", "--limit", "1", "--json")[1])
    assert (run["outcome"], run["counts"]["blocked"], run["counts"]["unchanged"]) == ("partial", 1, 2)


def test_once_the_fee_type_is_known_plan_catches_it_and_every_sync_counts_it(
    cli: Invoke, sandbox: ShopeeSandbox, tmp_path: Path
) -> None:
    assert cli("sync")[0] == 1  # refused by the marketplace
    sized = json.dumps([{"logistic_id": 50011, "enabled": True, "fee_type": "SIZE_INPUT"}])
    assert cli("channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--set", f"logistics={sized}")[0] == 0
    [account] = json.loads(cli("plan", "--json")[1])
    assert account["operations"] == [], "the fee type is not sent: the live listings need no update"
    [problem] = account["problems"]
    assert (problem["sku"], problem["field"]) == ("P000001", "dimensions") and "50011" in problem["message"]
    calls = sandbox.calls(ADD_ITEM)
    code, out, _ = cli("sync")
    assert code == 1
    assert "cannot list P000001 (dimensions): Shopee's shipping channel 50011" in out
    code, out, _ = cli("sync")
    row = summary_row(out)
    assert (code, row[:5], row[-1]) == (1, ["0", "0", "2", "1", "0"], "partial")
    assert "still cannot list P000001: dimensions: Shopee's shipping channel 50011" in out
    assert "the next sync sends it then" in out
    assert sandbox.calls(ADD_ITEM) == calls, "preflight: never sent to be refused again"
    code, out, _ = cli("plan")
    assert code == 0 and "still cannot list P000001" in out
    [account] = json.loads(cli("plan", "--json")[1])
    assert [b["product_sku"] for b in account["blocked"]] == ["P000001"]

    fixed = write_csv(tmp_path / "catalog.csv", rows(3, images="anh.jpg"))
    assert cli("catalog", "import", str(fixed))[0] == 0
    code, out, err = cli("sync")
    assert code == 0, out + err
    assert summary_row(out)[:5] == ["1", "0", "2", "0", "0"]
    assert json.loads(cli("failures", "--json")[1]) == [], "the new create superseded the refused one"


def test_an_archived_product_is_not_blocked_by_its_old_problem(world: World, tmp_path: Path) -> None:
    reimport(world, tmp_path, 3, unsized=("P000001",))
    assert blocked(world.push()) == ["P000001"]
    with world.store.engine.begin() as conn:  # archived by hand, before any plan sees it
        conn.execute(update(PRODUCT).where(PRODUCT.c.sku == "P000001").values(status="archived"))
    with no_requests(world):
        result = world.push()
    assert (result.outcome, result.blocked) == ("ok", [])


def test_the_migration_moves_preflight_problems_into_their_own_column(empty_database_url: str) -> None:
    """A never-listed listing in status problem, and a live one an earlier revision marked in last_error."""
    store = open_store(empty_database_url, migrate=False)
    store.migrate("0009")
    now = utcnow()

    def insert(sql: str, **values: object) -> int:
        with store.engine.begin() as conn:
            return int(conn.execute(text(f"{sql} RETURNING id"), {"now": now, **values}).scalar_one())

    seller = insert("INSERT INTO seller (code, name, kind, created_at) VALUES ('HTX-A', 'HTX', 'household', :now)")
    account = insert(
        "INSERT INTO channel_account (seller_id, channel, name, settings, price_markup_percent, round_to_vnd, "
        "stock_buffer, stock_share_percent, enabled, revision, created_at, updated_at) "
        "VALUES (:s, 'shopee', 'shopee', '{}', 0, 0, 0, 100, true, 0, :now, :now)",
        s=seller,
    )
    listings = {}
    for sku, status, error in (("P1", "problem", "name: too short"), ("P2", "live", "cannot be listed: images: 0"),
                               ("P3", "live", "banned by the marketplace")):  # fmt: skip
        product = insert(
            "INSERT INTO product (seller_id, sku, name, description, category, images, attributes, status, "
            "revision, created_at, updated_at) VALUES (:s, :sku, 'x', '', 'Gạo', '[]', '{}', 'active', 0, :now, :now)",
            s=seller, sku=sku,
        )  # fmt: skip
        listings[sku] = insert(
            "INSERT INTO listing (account_id, product_id, models, prices, stocks, status, planned_revision, "
            "account_revision, last_error, created_at, updated_at) "
            "VALUES (:a, :p, '{}', '{}', '{}', :status, 0, 0, :error, :now, :now)",
            a=account, p=product, status=status, error=error,
        )  # fmt: skip
    store.migrate()
    with store.engine.connect() as conn:
        query = select(LISTING.c.id, LISTING.c.problem, LISTING.c.last_error)
        by_id = {row.id: (row.problem, row.last_error) for row in conn.execute(query)}
    found = {sku: by_id[listing_id] for sku, listing_id in listings.items()}
    assert found == {
        "P1": ("name: too short", "name: too short"),
        "P2": ("images: 0", "images: 0"),
        "P3": (None, "banned by the marketplace"),
    }
    store.dispose()

"""Pulling orders end to end: a Shopee sandbox shop, the real Shopee connector, the store (SQLite and
PostgreSQL), the ledger. Then the same through the CLI against a sandbox on a loopback port."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from core.catalog.importer import import_catalog
from core.channels import AccountSummary, DatabaseTokenStore, add_account, find_account
from core.db import Store, open_store
from core.errors import InputRejected, NotFound
from core.models import PRODUCT, VARIANT, utcnow
from core.ports import Tokens
from core.sync.connect import build_connector
from core.sync.ledger import LedgerPolicy
from core.sync.models import LEDGER, LISTING, ORDER, ORDER_LINE, SYNC_CURSOR, SYNC_RUN
from core.sync.order_views import list_orders
from core.sync.orders import PullReport, UnknownLine, confirm_return, pull_orders
from simulators.common.faults import Fault, ManualClock
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID
from simulators.shopee.records import Item, Model
from simulators.shopee.sandbox import BASE_URL, ShopeeSandbox
from tests.catalog_files import register, row, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread

SHOP, SHOP2 = SHOP_ID, SHOP_ID + 1
START = 1_717_200_000  # 2024-06-01 00:00 UTC
SELLER = "HTX-DANTIEN"
DETAIL = "/api/v2/order/get_order_detail"
# No real waiting in tests: a generous rate budget, and retries that back off by nothing.
FAST = {
    "rate": {"account_per_second": 1000.0, "account_burst": 1000, "partner_per_second": 1000.0,
             "partner_burst": 1000},
    "retry": {"max_attempts": 2, "base_delay_s": 0.0, "max_delay_s": 0.0},
}  # fmt: skip


def catalog_rows() -> list[dict[str, Any]]:
    """Rice in two sizes; honey, one variant, which Shopee knows by the product SKU only."""

    def variant(product: str, sku: str, option: str, price: str, stock: str) -> dict[str, Any]:
        return row(product_sku=product, variant_sku=sku, option1_value=option, price_vnd=price, stock=stock,
                   barcode="", name=f"Sản phẩm {product}")  # fmt: skip

    return [
        variant("GAO-ST25", "GAO-ST25-5KG", "5kg", "175000", "40"),
        variant("GAO-ST25", "GAO-ST25-10KG", "10kg", "340000", "12"),
        variant("MATONG", "MATONG-500ML", "500ml", "250000", "10"),
    ]


@dataclass
class World:
    store: Store
    sandbox: ShopeeSandbox
    clock: ManualClock
    tmp_path: Path
    accounts: dict[str, AccountSummary] = field(default_factory=dict)
    items: dict[str, Item] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def add_account(self, name: str, shop_id: int) -> AccountSummary:
        settings = {"base_url": BASE_URL, "partner_id": PARTNER_ID, "shop_id": shop_id, **FAST}
        add_account(self.store, seller=SELLER, channel="shopee", name=name, settings=settings)
        account = self.accounts[name] = find_account(self.store, seller=SELLER, channel="shopee", name=name)
        access, refresh = self.sandbox.authorize_shop(shop_id)
        tokens = Tokens(access_token=access, refresh_token=refresh,
                        access_expires_at=self.now() + timedelta(hours=4),
                        refresh_expires_at=self.now() + timedelta(days=30))  # fmt: skip
        await DatabaseTokenStore(self.store, account.id).save(tokens)
        return account

    async def pull(self, name: str = "shopee", policy: LedgerPolicy | None = None) -> PullReport:
        account = self.accounts[name]
        async with self.sandbox.client() as http:
            connector = build_connector(self.store, account, http, now=self.now)
            return await pull_orders(self.store, account, connector, trigger="test", policy=policy or LedgerPolicy())

    def order(self, *lines: tuple[str, int], status: str = "READY_TO_SHIP", shop_id: int = SHOP) -> str:
        """A buyer orders (variant SKU, quantity) lines; the clock moves on so a pull sees it."""
        self.clock.advance(60)
        wanted = [(self.items[sku].item_id, self.models[sku].model_id, qty) for sku, qty in lines]
        order_sn = self.sandbox.place_order(shop_id, wanted, status=status).order_sn
        self.clock.advance(60)
        return order_sn

    def move(self, order_sn: str, status: str) -> None:
        self.clock.advance(60)
        self.sandbox.set_order_status(order_sn, status)
        self.clock.advance(60)


@pytest.fixture
async def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    clock = ManualClock(START)
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP, SHOP2]), clock=clock)
    world = World(store, sandbox, clock, tmp_path)
    register(store)
    import_catalog(store, write_csv(tmp_path / "catalog.csv", catalog_rows()))
    rice = sandbox.create_item(SHOP, "Gạo ST25 Dân Tiến", price=175_000, item_sku="GAO-ST25")
    tiers = [{"name": "Khối lượng", "option_list": [{"option": "5kg"}, {"option": "10kg"}]}]
    small, large = sandbox.set_tiers(
        rice.item_id, tiers, [([0], "GAO-ST25-5KG", 175_000, 100), ([1], "GAO-ST25-10KG", 340_000, 50)]
    )
    honey = sandbox.create_item(SHOP, "Mật ong bạc hà", price=250_000, stock=50, item_sku="MATONG")
    stranger = sandbox.create_item(SHOP, "Trà shan tuyết", price=90_000, stock=50, item_sku="TRA-SHAN")
    world.items.update({"GAO-ST25-5KG": rice, "GAO-ST25-10KG": rice, "MATONG": honey, "TRA-SHAN": stranger})
    world.models.update({"GAO-ST25-5KG": small, "GAO-ST25-10KG": large, "MATONG": honey.models[0],
                         "TRA-SHAN": stranger.models[0]})  # fmt: skip
    await world.add_account("shopee", SHOP)
    return world


def stock(store: Store, sku: str) -> tuple[int, int]:
    with store.engine.connect() as conn:
        found = conn.execute(select(VARIANT.c.stock_on_hand, VARIANT.c.reserved).where(VARIANT.c.sku == sku)).one()
    return found[0], found[1]


def revisions(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {r[0]: r[1] for r in conn.execute(select(PRODUCT.c.sku, PRODUCT.c.revision))}


def snapshot(store: Store) -> dict[str, Any]:
    """Everything a pull may write, except the sync run that records it."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted(map(tuple, conn.execute(select(table))), key=repr)
            for table in (ORDER, ORDER_LINE, LEDGER, VARIANT, PRODUCT, SYNC_CURSOR)
        }


def cursor(store: Store, account: AccountSummary) -> str | None:
    with store.engine.connect() as conn:
        return conn.execute(select(SYNC_CURSOR.c.value).where(SYNC_CURSOR.c.account_id == account.id)).scalar()


def ledger(store: Store, order_sn: str) -> list[tuple[str, str, int, int]]:
    with store.engine.connect() as conn:
        query = (
            select(ORDER_LINE.c.variant_sku, LEDGER.c.transition, LEDGER.c.on_hand_delta, LEDGER.c.reserved_delta)
            .join(ORDER_LINE, ORDER_LINE.c.id == LEDGER.c.order_line_id)
            .join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
            .where(ORDER.c.order_id == order_sn)
            .order_by(LEDGER.c.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


@pytest.mark.anyio
async def test_a_pull_stores_orders_reserves_stock_and_replans_the_products(world: World) -> None:
    store = world.store
    before = revisions(store)
    order_sn = world.order(("GAO-ST25-5KG", 2), ("MATONG", 1))
    report = await world.pull()
    assert report.ok, report.error
    assert report.counts() == {"batches": 1, "orders_new": 1, "orders_updated": 0, "lines_new": 2,
                               "lines_unknown": 0, "ledger_entries": 2, "products_touched": 2}  # fmt: skip
    [order] = list_orders(store, seller=SELLER)
    assert (order.order_id, order.status, order.raw_status, order.total_vnd) == (
        order_sn, "ready", "READY_TO_SHIP", 2 * 175_000 + 250_000,
    )  # fmt: skip
    assert order.placed_at == datetime.fromtimestamp(START + 60, UTC)
    assert [(line.sku, line.quantity, line.unit_price_vnd, line.ledger_state, line.unknown)
            for line in order.lines] == [("GAO-ST25-5KG", 2, 175_000, "reserved", False),
                                         ("MATONG-500ML", 1, 250_000, "reserved", False)]  # fmt: skip
    assert (stock(store, "GAO-ST25-5KG"), stock(store, "MATONG-500ML")) == ((40, 2), (10, 1))
    assert stock(store, "GAO-ST25-10KG") == (12, 0)
    assert revisions(store) == {"GAO-ST25": before["GAO-ST25"] + 1, "MATONG": before["MATONG"] + 1}
    assert report.cursor is not None
    assert cursor(store, world.accounts["shopee"]) == report.cursor
    with store.engine.connect() as conn:
        [run] = conn.execute(select(SYNC_RUN)).all()
    assert (run.id, run.kind, run.trigger, run.outcome, run.counts, run.error) == (
        report.run_id, "pull", "test", "ok", report.counts(), None,
    )  # fmt: skip
    assert run.finished_at is not None
    assert "khachhang" not in repr(snapshot(store))  # the buyer's user name was never stored (rule 8)

    # Pulled again with nothing new (the overlap window hands the same order back): nothing changes.
    unchanged = snapshot(store)
    again = await world.pull()
    assert again.ok
    assert (again.orders_new, again.orders_updated, again.lines_new, again.ledger_entries) == (0, 0, 0, 0)
    assert snapshot(store) == unchanged


@pytest.mark.anyio
async def test_status_changes_move_stock_exactly_once(world: World) -> None:
    store = world.store
    start = revisions(store)["GAO-ST25"]
    order_sn = world.order(("GAO-ST25-5KG", 2))
    await world.pull()
    assert stock(store, "GAO-ST25-5KG") == (40, 2)
    world.move(order_sn, "SHIPPED")
    shipped = await world.pull()
    assert (shipped.orders_updated, shipped.ledger_entries) == (1, 1)
    assert (await world.pull()).ledger_entries == 0
    assert stock(store, "GAO-ST25-5KG") == (38, 0)
    world.move(order_sn, "COMPLETED")
    completed = await world.pull()
    assert (completed.orders_updated, completed.ledger_entries, completed.products_touched) == (1, 0, 0)
    assert stock(store, "GAO-ST25-5KG") == (38, 0)
    assert ledger(store, order_sn) == [("GAO-ST25-5KG", "reserve", 0, 2), ("GAO-ST25-5KG", "sell", -2, -2)]
    assert revisions(store)["GAO-ST25"] == start + 2  # re-planned when stock moved, not otherwise
    [order] = list_orders(store, status="completed")
    assert (order.raw_status, [line.ledger_state for line in order.lines]) == ("COMPLETED", ["sold"])


@pytest.mark.anyio
async def test_a_cancellation_releases_and_unpaid_orders_follow_the_policy(world: World) -> None:
    store = world.store
    no_unpaid = LedgerPolicy(reserve_unpaid=False)
    order_sn = world.order(("GAO-ST25-10KG", 3), status="UNPAID")
    assert (await world.pull(policy=no_unpaid)).ledger_entries == 0
    assert stock(store, "GAO-ST25-10KG") == (12, 0)
    world.move(order_sn, "READY_TO_SHIP")  # paid: now it holds stock
    await world.pull(policy=no_unpaid)
    assert stock(store, "GAO-ST25-10KG") == (12, 3)
    world.move(order_sn, "CANCELLED")
    cancelled = await world.pull(policy=no_unpaid)
    assert cancelled.ledger_entries == 1
    assert stock(store, "GAO-ST25-10KG") == (12, 0)
    assert [t for _, t, _, _ in ledger(store, order_sn)] == ["reserve", "release"]
    [order] = list_orders(store)
    assert (order.status, order.lines[0].ledger_state) == ("cancelled", "released")
    # With the default policy an unpaid order holds its stock at once.
    world.order(("GAO-ST25-10KG", 1), status="UNPAID")
    await world.pull()
    assert stock(store, "GAO-ST25-10KG") == (12, 1)


@pytest.mark.anyio
async def test_an_unknown_sku_is_stored_and_reported_then_resolved_once_known(world: World) -> None:
    store = world.store
    order_sn = world.order(("TRA-SHAN", 1), ("GAO-ST25-5KG", 1))
    with capture_logs() as logs:
        report = await world.pull()
    stranger = world.items["TRA-SHAN"].item_id
    assert report.ok
    assert report.unknown == [UnknownLine(order_sn, f"{stranger}:0", "TRA-SHAN", str(stranger), "0")]
    assert (report.lines_new, report.ledger_entries) == (2, 1)
    [order] = list_orders(store)
    assert [(line.sku, line.unknown, line.ledger_state) for line in order.lines] == [
        ("TRA-SHAN", True, "none"), ("GAO-ST25-5KG", False, "reserved"),
    ]  # fmt: skip
    [warning] = [e for e in logs if e["event"] == "orders.unknown_sku"]
    assert (warning["order_id"], warning["sku"]) == (order_sn, "TRA-SHAN")
    assert "khachhang" not in repr(logs)  # the buyer's name never reaches a log line (rule 8)

    # The seller adds the tea; the order ships: its line finds its variant and sells.
    tea = row(product_sku="TRA", variant_sku="TRA-SHAN", option1_value="100g", price_vnd="90000",
              stock="5", barcode="", name="Trà shan tuyết")  # fmt: skip
    rows = [*catalog_rows(), tea]
    import_catalog(store, write_csv(world.tmp_path / "more.csv", rows))
    world.move(order_sn, "SHIPPED")
    report = await world.pull()
    assert (report.unknown, report.ledger_entries) == ([], 2)
    assert (stock(store, "TRA-SHAN"), stock(store, "GAO-ST25-5KG")) == ((4, 0), (39, 0))


@pytest.mark.anyio
async def test_a_failed_pull_stores_nothing_and_keeps_the_cursor(world: World) -> None:
    store = world.store
    account = world.accounts["shopee"]
    world.order(("GAO-ST25-5KG", 1))
    first = await world.pull()
    kept = cursor(store, account)
    second_sn = world.order(("MATONG", 2))
    before = snapshot(store)
    world.sandbox.faults.enqueue(DETAIL, Fault.server_error(500), times=2)  # every attempt fails
    failed = await world.pull()
    assert (failed.outcome, failed.orders_new, failed.batches) == ("failed", 0, 0)
    assert failed.error
    assert snapshot(store) == before
    assert cursor(store, account) == kept == first.cursor
    with store.engine.connect() as conn:
        run = conn.execute(select(SYNC_RUN).where(SYNC_RUN.c.id == failed.run_id)).one()
    assert (run.outcome, run.error) == ("failed", failed.error)

    recovered = await world.pull()
    assert recovered.ok
    assert list_orders(store)[0].order_id == second_sn
    assert stock(store, "MATONG-500ML") == (10, 2)


@pytest.mark.anyio
async def test_an_order_on_one_shop_replans_the_product_for_every_shop(world: World) -> None:
    store = world.store
    second = await world.add_account("second", SHOP2)
    # Shop 2 lists the rice without SKUs: its order lines are placed through the listing binding.
    rice2 = world.sandbox.create_item(SHOP2, "Gạo ST25 (shop 2)", price=175_000)
    tiers = [{"name": "Khối lượng", "option_list": [{"option": "5kg"}, {"option": "10kg"}]}]
    small2, large2 = world.sandbox.set_tiers(rice2.item_id, tiers, [([0], "", 175_000, 100), ([1], "", 340_000, 50)])
    with store.engine.begin() as conn:
        product_id, revision = conn.execute(
            select(PRODUCT.c.id, PRODUCT.c.revision).where(PRODUCT.c.sku == "GAO-ST25")
        ).one()
        bindings = {world.accounts["shopee"].id: (world.items["GAO-ST25-5KG"], world.models),
                    second.id: (rice2, {"GAO-ST25-5KG": small2, "GAO-ST25-10KG": large2})}  # fmt: skip
        for account_id, (item, models) in bindings.items():
            conn.execute(
                LISTING.insert().values(account_id=account_id, product_id=product_id,
                                        item_id=str(item.item_id),
                                        models={sku: str(models[sku].model_id)
                                                for sku in ("GAO-ST25-5KG", "GAO-ST25-10KG")},
                                        prices={}, stocks={}, status="live", planned_revision=revision,
                                        account_revision=0, created_at=utcnow(), updated_at=utcnow())
            )  # fmt: skip
    world.clock.advance(60)
    order_sn = world.sandbox.place_order(SHOP2, [(rice2.item_id, large2.model_id, 2)]).order_sn
    world.clock.advance(60)

    assert (await world.pull("shopee")).orders_new == 0  # not this shop's order
    report = await world.pull("second")
    assert (report.orders_new, report.unknown, report.ledger_entries) == (1, [], 1)
    assert stock(store, "GAO-ST25-10KG") == (12, 2)
    assert ledger(store, order_sn) == [(None, "reserve", 0, 2)]  # the line carried no SKU of its own
    with store.engine.connect() as conn:
        stale = conn.execute(
            select(LISTING.c.account_id)
            .join(PRODUCT, PRODUCT.c.id == LISTING.c.product_id)
            .where(LISTING.c.planned_revision < PRODUCT.c.revision)
        ).scalars()
        assert sorted(stale) == sorted([world.accounts["shopee"].id, second.id])
    [order] = list_orders(store)
    assert (order.account, order.lines[0].sku) == ("second", "GAO-ST25-10KG")


@pytest.mark.anyio
async def test_confirm_return_restocks_once_and_only_returns(world: World) -> None:
    store = world.store
    account = world.accounts["shopee"]
    order_sn = world.order(("MATONG", 2))
    await world.pull()
    with pytest.raises(InputRejected, match="no return to confirm"):
        confirm_return(store, account_id=account.id, order_id=order_sn)
    world.move(order_sn, "SHIPPED")
    await world.pull()  # the ledger sells only what it sees ship (a return before that is a release)
    world.move(order_sn, "TO_RETURN")
    await world.pull()
    assert stock(store, "MATONG-500ML") == (8, 0)  # on its way back: not on the shelf yet
    before = revisions(store)["MATONG"]
    assert confirm_return(store, account_id=account.id, order_id=order_sn) == 1
    assert confirm_return(store, account_id=account.id, order_id=order_sn) == 0
    assert stock(store, "MATONG-500ML") == (10, 0)
    assert revisions(store)["MATONG"] == before + 1
    with pytest.raises(NotFound, match="no order 'NOPE'"):
        confirm_return(store, account_id=account.id, order_id="NOPE")


@pytest.mark.anyio
async def test_a_cancellation_before_shipping_releases_and_confirming_a_return_says_why_nothing_moves(
    world: World,
) -> None:
    store = world.store
    account = world.accounts["shopee"]
    order_sn = world.order(("MATONG", 2))
    await world.pull()
    assert stock(store, "MATONG-500ML") == (10, 2)
    world.move(order_sn, "CANCELLED")  # undone before it shipped: nothing left us
    await world.pull()
    await world.pull()  # a replay moves nothing
    assert stock(store, "MATONG-500ML") == (10, 0)
    with pytest.raises(InputRejected, match="before it shipped") as refused:
        confirm_return(store, account_id=account.id, order_id=order_sn)
    assert "on hand was never lowered" in (refused.value.hint or "")
    assert stock(store, "MATONG-500ML") == (10, 0)
    [order] = list_orders(store)
    assert order.lines[0].ledger_state == "released"


@pytest.mark.anyio
async def test_a_return_whose_ship_fell_between_two_pulls_is_sold_until_the_seller_confirms(world: World) -> None:
    store = world.store
    account = world.accounts["shopee"]
    order_sn = world.order(("MATONG", 2))
    await world.pull()
    world.move(order_sn, "SHIPPED")
    world.move(order_sn, "TO_RETURN")  # shipped and returned between two pulls
    await world.pull()
    assert stock(store, "MATONG-500ML") == (8, 0)  # the parcel is on the road: not counted on hand
    assert confirm_return(store, account_id=account.id, order_id=order_sn) == 1
    assert stock(store, "MATONG-500ML") == (10, 0)


# --- the CLI against a sandbox on a loopback port ----------------------------------------------------


@pytest.fixture
def cli(run_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    return run_cli


def test_the_orders_commands(cli: Invoke, sqlite_url: str, tmp_path: Path) -> None:
    # The sandbox runs 30 s behind us, so every order it stamps is already inside our pull window.
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP]),
                            clock=lambda: time.time() - 30)  # fmt: skip
    honey = sandbox.create_item(SHOP, "Mật ong bạc hà", price=250_000, stock=50, item_sku="MATONG-500ML")
    assert cli("sellers", "add", SELLER, "--name", "Dân Tiến")[0] == 0
    assert cli("catalog", "import", str(write_csv(tmp_path / "c.csv", catalog_rows())))[0] == 0
    with serve_in_thread(sandbox) as base_url:
        code, _, err = cli("channels", "add", "shopee", "--seller", SELLER, "--base-url", base_url,
                           "--partner-id", str(PARTNER_ID), "--shop-id", str(SHOP),
                           "--set", "rate=" + json.dumps(FAST["rate"]),
                           "--set", 'retry={"max_attempts": 1}')  # fmt: skip
        assert code == 0, err
        store = open_store(sqlite_url)
        account = find_account(store, seller=SELLER, channel="shopee")
        access, refresh = sandbox.authorize_shop(SHOP)
        now = datetime.now(UTC)
        tokens = Tokens(access_token=access, refresh_token=refresh,
                        access_expires_at=now + timedelta(hours=4),
                        refresh_expires_at=now + timedelta(days=30))  # fmt: skip
        asyncio.run(DatabaseTokenStore(store, account.id).save(tokens))
        store.dispose()
        order_sn = sandbox.place_order(SHOP, [(honey.item_id, 0, 3)]).order_sn

        code, out, err = cli("orders", "pull", "--seller", SELLER)
        assert (code, err) == (0, ""), err
        assert "Changed" in out and "Ledger" in out
        row = next(line for line in out.splitlines() if line.strip().startswith("HTX-DANTIEN/shopee"))
        assert row.split() == ["HTX-DANTIEN/shopee", "1", "·", "·", "1", "1", "ok"]  # one new order, one stock move
        code, out, _ = cli("orders", "pull", "--seller", SELLER, "--json")  # again: nothing new
        [pulled] = json.loads(out)
        assert (code, pulled["seller"], pulled["outcome"], pulled["orders_new"]) == (0, SELLER, "ok", 0)
        [listed] = json.loads(cli("orders", "list", "--json")[1])
        assert listed == {
            "order_id": order_sn, "seller": SELLER, "channel": "shopee", "account": "shopee",
            "status": "ready", "raw_status": "READY_TO_SHIP", "placed_at": listed["placed_at"],
            "changed_at": listed["changed_at"], "total_vnd": 750_000,
            "lines": [{"line_id": f"{honey.item_id}:0", "sku": "MATONG-500ML", "quantity": 3,
                       "unit_price_vnd": 250_000, "ledger_state": "reserved", "unknown": False}],
        }  # fmt: skip
        assert listed["placed_at"].endswith("+00:00")
        code, out, _ = cli("orders", "list", "--seller", SELLER)
        assert (code, order_sn in out, "MATONG-500ML ×3 reserved" in out) == (0, True, True)

        code, _, err = cli("orders", "confirm-return", order_sn, "--seller", SELLER, "--channel", "shopee")
        assert code == 1 and "no return to confirm" in err
        sandbox.set_order_status(order_sn, "SHIPPED")
        assert cli("orders", "pull")[0] == 0
        sandbox.set_order_status(order_sn, "TO_RETURN")
        assert cli("orders", "pull")[0] == 0
        code, out, _ = cli("orders", "confirm-return", order_sn, "--seller", SELLER, "--channel", "shopee")
        assert (code, out.strip()) == (0, f"1 line of order {order_sn} back in stock.")
        code, out, _ = cli("orders", "confirm-return", order_sn, "--seller", SELLER, "--channel", "shopee")
        assert (code, out.startswith("Nothing to restock")) == (0, True)
        [returned] = json.loads(cli("orders", "list", "--status", "returned", "--json")[1])
        assert returned["lines"][0]["ledger_state"] == "restocked"

        sandbox.faults.enqueue("/api/v2/order/get_order_list", Fault.server_error(503))
        code, out, err = cli("orders", "pull", "--channel", "shopee")
        assert code == 1
        assert "failed" in out
        assert "error:" in err and "HTX-DANTIEN shopee (shopee)" in err
        assert PARTNER_KEY not in out + err
    code, _, err = cli("orders", "pull", "--seller", "NOBODY")
    assert code == 2 and "no seller NOBODY" in err  # a typo is no empty pull

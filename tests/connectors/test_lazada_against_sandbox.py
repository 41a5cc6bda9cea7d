"""The connector against the Lazada simulator (same wire contract, built apart, in-process): connect and learn
the seller, create with variants → QC → live, a lost create bound, price, stock under open orders, a batch
halved, look-up, listing states with a QC rejection, orders with per-unit statuses and a sliding window,
delist and delete. The respx tests pin the details; this proves the pieces fit."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from connectors.lazada.connector import LazadaConnector
from core.catalog.records import OptionValue, ProductRecord
from core.errors import OutcomeUnknown
from core.ports import InMemoryTokenStore, ListingStatus, OrderStatus, PriceUpdate, StockUpdate
from simulators.common.faults import Fault, ManualClock
from simulators.lazada.config import LazadaConfig as SandboxConfig
from simulators.lazada.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SELLERS
from simulators.lazada.sandbox import BASE_URL, LazadaSandbox
from tests.connectors.conftest import product
from tests.connectors.lazada_fixtures import make_config

pytestmark = pytest.mark.anyio
START = 1_717_200_000
SELLER = DEMO_SELLERS[0]


class World:
    def __init__(self, tmp_path: Path, **sandbox: Any) -> None:
        self.clock = ManualClock(START)
        config = SandboxConfig(apps={DEMO_APP_KEY: DEMO_APP_SECRET}, sellers=[SELLER], **sandbox)
        self.sandbox = LazadaSandbox(config, clock=self.clock)
        picture = io.BytesIO()
        Image.new("RGB", (400, 400), "green").save(picture, "JPEG")
        (tmp_path / "tra.jpg").write_bytes(picture.getvalue())
        self.image = str(tmp_path / "tra.jpg")

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def connector(self, http: Any, **settings: Any) -> LazadaConnector:
        config = make_config(
            base_url=BASE_URL, auth_base_url=BASE_URL, app_key=DEMO_APP_KEY, seller_id=None, **settings
        )
        return LazadaConnector(
            config,
            http=http,
            tokens=InMemoryTokenStore(),
            app_secret=DEMO_APP_SECRET,
            throttle=Throttle.unlimited(),
            now=self.now,
            sleep=self.sleep,
            retry=RetryPolicy(config.retry, sleep=self.sleep, jitter=lambda cap: cap),
        )

    def tea(self, sku: str = "TRA-TC", name: str = "Trà Tân Cương Thái Nguyên") -> ProductRecord:
        record = product(sku=sku, name=name, images=(self.image,))
        variants = tuple(v.model_copy(update={"sku": v.sku.replace("TRA-TC", sku)}) for v in record.variants)
        return record.model_copy(update={"variants": variants})


async def _states(connector: LazadaConnector) -> dict[str, Any]:
    return {s.item_id: s async for s in connector.listing_states()}


async def _orders(batches: AsyncIterator[Any]) -> dict[str, Any]:
    return {o.order_id: o async for batch in batches for o in batch.orders}


async def test_a_product_round_trip_through_the_simulator(tmp_path: Path) -> None:
    world = World(tmp_path, qc_delay_s=60)
    sandbox = world.sandbox
    tea = world.tea()
    async with sandbox.client() as http:
        lazada = world.connector(http)
        tokens = await lazada.connect(sandbox.authorize_seller(SELLER.seller_id))
        assert lazada.learned_settings() == {"seller_id": SELLER.seller_id, "country": "vn"}
        assert tokens.refresh_expires_at > tokens.access_expires_at

        sandbox.faults.enqueue("/rest/product/create", Fault.lost_response())
        with pytest.raises(OutcomeUnknown):
            await lazada.create_listing(tea)
        ref = await lazada.create_listing(tea)  # how the core resolves the lost answer: looked up, bound
        assert ref.found and set(ref.models) == {"TRA-TC-200", "TRA-TC-500"}
        assert len(sandbox.seller_products(SELLER.seller_id)) == 1
        assert await lazada.find_by_sku("TRA-TC") == ref.model_copy(update={"found": False})
        assert (await _states(lazada))[ref.item_id].status is ListingStatus.IN_REVIEW

        world.clock.advance(61)  # QC passes
        prices = await lazada.update_prices([PriceUpdate(ref=ref, variant_sku="TRA-TC-500", price_vnd=300_000)])
        stock = await lazada.update_stock([StockUpdate(ref=ref, variant_sku="TRA-TC-200", stock=7)])
        assert prices.ok and stock.ok, (prices.failed, stock.failed)
        state = (await _states(lazada))[ref.item_id]
        assert state.status is ListingStatus.LIVE
        by_sku = {v.variant_sku: v for v in state.variants}
        assert (by_sku["TRA-TC-500"].price_vnd, by_sku["TRA-TC-200"].stock) == (300_000, 7)

        world.clock.advance(60)
        order = sandbox.place_order(SELLER.seller_id, [("TRA-TC-200", 3), ("TRA-TC-500", 1)])
        sandbox.set_item_status(order.items[-1].order_item_id, "canceled")  # the TRA-TC-500 unit
        world.clock.advance(60)
        # 3 units are occupied by the order: 1 more to sell is a total of 4, and Lazada shows 1 sellable
        held = await lazada.update_stock([StockUpdate(ref=ref, variant_sku="TRA-TC-200", stock=1)])
        assert held.ok, held.failed
        [sku] = [
            s for p in sandbox.seller_products(SELLER.seller_id) for s in p.live_skus() if s.seller_sku == "TRA-TC-200"
        ]
        assert (sku.quantity, sku.available) == (4, 1)
        pulled = await _orders(lazada.pull_orders(None))
        mine = pulled[str(order.order_id)]
        assert mine.status is OrderStatus.READY
        assert [(line.variant_sku, line.quantity) for line in mine.lines] == [("TRA-TC-200", 3)]

        rejected = await lazada.create_listing(world.tea("TRA-X", "Trà chữa bệnh gan Thái Nguyên"))
        world.clock.advance(61)
        state = (await _states(lazada))[rejected.item_id]
        assert state.status is ListingStatus.REJECTED and state.reason and "chữa bệnh" in state.reason

        assert (await lazada.delist([ref])).ok
        assert (await _states(lazada))[ref.item_id].status is ListingStatus.DELISTED
        assert (await lazada.update_listing(ref, tea)).models == ref.models  # an update puts it back on sale
        assert (await _states(lazada))[ref.item_id].status is not ListingStatus.DELISTED
        assert (await lazada.delist([ref], delete=True)).ok
        assert (await lazada.delist([ref], delete=True)).ok  # deleting twice is done
        assert (await _states(lazada))[ref.item_id].status is ListingStatus.DELETED
        assert await lazada.find_by_sku("TRA-TC") is None


async def test_a_variant_added_and_one_dropped_through_the_simulator(tmp_path: Path) -> None:
    world = World(tmp_path)
    tea = world.tea()
    async with world.sandbox.client() as http:
        lazada = world.connector(http)
        await lazada.connect(world.sandbox.authorize_seller(SELLER.seller_id))
        ref = await lazada.create_listing(tea)
        small, large = tea.variants
        kilo = large.model_copy(update={"sku": "TRA-TC-1KG", "options": (OptionValue(name="Khối lượng", value="1kg"),)})
        changed = tea.model_copy(update={"variants": (small, kilo, large.model_copy(update={"status": "archived"}))})
        after = await lazada.update_listing(ref, changed)
        assert set(after.models) == {"TRA-TC-200", "TRA-TC-1KG"}
        assert after.models["TRA-TC-200"] == ref.models["TRA-TC-200"]
        held = {s.seller_sku for p in world.sandbox.seller_products(SELLER.seller_id) for s in p.live_skus()}
        assert held == {"TRA-TC-200", "TRA-TC-1KG"}


async def test_a_big_batch_is_halved_when_the_simulator_times_out_on_it(tmp_path: Path) -> None:
    world = World(tmp_path, timeout_batch=3)
    async with world.sandbox.client() as http:
        lazada = world.connector(http, limits={"price_quantity_batch": 8})
        await lazada.connect(world.sandbox.authorize_seller(SELLER.seller_id))
        refs = [await lazada.create_listing(world.tea(f"P{n}", f"Sản phẩm số {n} Thái Nguyên")) for n in range(3)]
        updates = [PriceUpdate(ref=r, variant_sku=s, price_vnd=77_000) for r in refs for s in r.models]
        result = await lazada.update_prices(updates)
    assert result.ok, result.failed
    prices = {s.price for p in world.sandbox.seller_products(SELLER.seller_id) for s in p.live_skus()}
    assert prices == {77_000}


async def test_orders_past_the_offset_cap_are_all_pulled_by_sliding_the_window(tmp_path: Path) -> None:
    world = World(tmp_path, orders_max_offset=4)
    sandbox = world.sandbox
    async with sandbox.client() as http:
        lazada = world.connector(http, limits={"orders_page_size": 2, "orders_offset_max": 4})
        await lazada.connect(sandbox.authorize_seller(SELLER.seller_id))
        await lazada.create_listing(world.tea())
        placed = []
        for _ in range(11):
            world.clock.advance(7)
            placed.append(str(sandbox.place_order(SELLER.seller_id, [("TRA-TC-200", 1)]).order_id))
        world.clock.advance(60)
        batches = [b async for b in lazada.pull_orders(None)]
        again = await _orders(lazada.pull_orders(batches[-1].cursor))
    pulled = [o.order_id for b in batches for o in b.orders]
    assert sorted(pulled) == sorted(placed) and len(pulled) == len(set(pulled))
    assert set(again) <= set(placed)  # a replay of the overlap: the ledger ignores it

"""One flow against the Shopee sandbox (same wire protocol, in-process): authorise, create with
variants, price and stock, find by SKU, read states, walk orders. The respx tests pin the details;
this proves the pieces fit an independent implementation of the protocol."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from connectors.shopee.connector import ShopeeConnector
from core.ports import InMemoryTokenStore, ListingStatus, OrderStatus, PriceUpdate, StockUpdate
from simulators.common.faults import ManualClock
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID
from simulators.shopee.sandbox import ShopeeSandbox
from tests.connectors.conftest import JPEG, PNG, make_config, product

pytestmark = pytest.mark.anyio

START = 1_717_200_000


async def test_a_product_round_trip_through_the_sandbox(tmp_path: Path) -> None:
    clock = ManualClock(START)
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP_ID]), clock=clock, seed=3)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    (tmp_path / "tra-1.jpg").write_bytes(JPEG)
    (tmp_path / "tra-2.png").write_bytes(PNG)
    tea = product(images=(str(tmp_path / "tra-1.jpg"), str(tmp_path / "tra-2.png")))
    config = make_config(base_url="https://partner.shopeemobile.com", category_map={"Trà": 100111})
    tokens = InMemoryTokenStore()
    async with sandbox.client() as http:
        shopee = ShopeeConnector(
            config,
            http=http,
            tokens=tokens,
            partner_key=PARTNER_KEY,
            throttle=Throttle.unlimited(),
            retry=RetryPolicy(config.retry, sleep=sleep, jitter=lambda cap: cap),
            now=now,
            sleep=sleep,
        )
        await shopee.authorizer.exchange_code(sandbox.issue_code(SHOP_ID))

        ref = await shopee.create_listing(tea)
        assert set(ref.models) == {"TRA-TC-200", "TRA-TC-500"}
        # a second create finds the first, and says it found it
        assert await shopee.create_listing(tea) == ref.model_copy(update={"found": True})
        assert sandbox.calls("/api/v2/product/add_item") == 1
        assert await shopee.find_by_sku("TRA-TC") == ref

        prices = await shopee.update_prices([PriceUpdate(ref=ref, variant_sku="TRA-TC-500", price_vnd=300_000)])
        stock = await shopee.update_stock([StockUpdate(ref=ref, variant_sku="TRA-TC-200", stock=7)])
        assert prices.ok, prices.failed
        assert stock.ok, stock.failed
        item_id, small = int(ref.item_id), int(ref.models["TRA-TC-200"])
        assert sandbox.model(item_id, int(ref.models["TRA-TC-500"])).original_price == 300_000

        states = [state async for state in shopee.listing_states()]
        assert [(s.item_id, s.sku, s.status) for s in states] == [(ref.item_id, "TRA-TC", ListingStatus.LIVE)]
        by_sku = {v.variant_sku: v for v in states[0].variants}
        assert (by_sku["TRA-TC-500"].price_vnd, by_sku["TRA-TC-200"].stock) == (300_000, 7)

        clock.advance(60)
        order = sandbox.place_order(SHOP_ID, [(item_id, small, 2)])
        clock.advance(60)
        batches = [batch async for batch in shopee.pull_orders(None)]
        pulled = [o for batch in batches for o in batch.orders]
        assert [(o.order_id, o.status) for o in pulled] == [(order.order_sn, OrderStatus.READY)]
        assert [(line.variant_sku, line.quantity, line.unit_price_vnd) for line in pulled[0].lines] == [
            ("TRA-TC-200", 2, 120_000)
        ]

        clock.advance(3600)
        sandbox.set_order_status(order.order_sn, "SHIPPED")
        clock.advance(60)
        cursor = batches[-1].cursor
        later = [o for batch in [b async for b in shopee.pull_orders(cursor)] for o in batch.orders]
        assert [(o.order_id, o.status) for o in later] == [(order.order_sn, OrderStatus.SHIPPED)]
        assert json.loads(cursor)["update_time_from"] < START + 180

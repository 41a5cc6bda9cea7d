"""One flow against the TikTok Shop sandbox (same wire contract, built apart, in-process): connect and learn
the shop, create with variants → in review → live, price, stock, look-up, listing states, orders, a rejected
review with TikTok's reason, delist. The respx tests pin the details; this proves the pieces fit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from connectors.tiktok.connector import TikTokConnector
from core.ports import InMemoryTokenStore, ListingStatus, OrderStatus, PriceUpdate, StockUpdate
from simulators.common.faults import ManualClock
from simulators.tiktok.config import TikTokConfig as SandboxConfig
from simulators.tiktok.harness import APP_KEY, APP_SECRET, SHOP
from simulators.tiktok.sandbox import BASE_URL, TikTokSandbox
from tests.connectors.conftest import JPEG, product
from tests.connectors.tiktok_fixtures import make_config

pytestmark = pytest.mark.anyio
START = 1_717_200_000


async def test_a_product_round_trip_through_the_sandbox(tmp_path: Path) -> None:
    clock = ManualClock(START)
    sandbox = TikTokSandbox(SandboxConfig(apps={APP_KEY: APP_SECRET}, shops=[SHOP], audit_delay_s=60), clock=clock)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    (tmp_path / "tra.jpg").write_bytes(JPEG)
    tea = product(images=(str(tmp_path / "tra.jpg"),))
    config = make_config(
        base_url=BASE_URL, auth_base_url=BASE_URL, app_key=APP_KEY, shop_id=None, shop_cipher=None, warehouse_id=None
    )
    async with sandbox.client() as http:
        tiktok = TikTokConnector(
            config,
            http=http,
            tokens=InMemoryTokenStore(),
            app_secret=APP_SECRET,
            throttle=Throttle.unlimited(),
            now=now,
            sleep=sleep,
            retry=RetryPolicy(config.retry, sleep=sleep, jitter=lambda cap: cap),
        )
        await tiktok.connect(sandbox.authorize_shop(SHOP.shop_id))
        assert tiktok.learned_settings() == {
            "shop_id": SHOP.shop_id,
            "shop_cipher": SHOP.cipher,
            "warehouse_id": SHOP.warehouse_ids[0],
        }

        ref = await tiktok.create_listing(tea)
        assert set(ref.models) == {"TRA-TC-200", "TRA-TC-500"}
        assert await tiktok.create_listing(tea) == ref.model_copy(update={"found": True})
        assert await tiktok.find_by_sku("TRA-TC") == ref
        states = [s async for s in tiktok.listing_states()]
        assert [(s.item_id, s.sku, s.status) for s in states] == [(ref.item_id, "TRA-TC", ListingStatus.IN_REVIEW)]

        clock.advance(61)  # the review passes
        prices = await tiktok.update_prices([PriceUpdate(ref=ref, variant_sku="TRA-TC-500", price_vnd=300_000)])
        stock = await tiktok.update_stock([StockUpdate(ref=ref, variant_sku="TRA-TC-200", stock=7)])
        assert prices.ok, prices.failed
        assert stock.ok, stock.failed
        states = [s async for s in tiktok.listing_states()]
        assert states[0].status is ListingStatus.LIVE
        by_sku = {v.variant_sku: v for v in states[0].variants}
        assert (by_sku["TRA-TC-500"].price_vnd, by_sku["TRA-TC-200"].stock) == (300_000, 7)

        clock.advance(60)
        order = sandbox.place_order(SHOP.shop_id, [("TRA-TC-200", 3)])
        clock.advance(60)
        pulled = [o for batch in [b async for b in tiktok.pull_orders(None)] for o in batch.orders]
        assert [(o.order_id, o.status) for o in pulled] == [(order.order_id, OrderStatus.READY)]
        assert [(line.variant_sku, line.quantity) for line in pulled[0].lines] == [("TRA-TC-200", 3)]

        banned = product(
            sku="TRA-X",
            name="Trà chữa bệnh gan Thái Nguyên",
            images=(str(tmp_path / "tra.jpg"),),
            variants=tuple(v.model_copy(update={"sku": v.sku.replace("TRA-TC", "TRA-X")}) for v in tea.variants),
        )
        rejected = await tiktok.create_listing(banned)
        clock.advance(61)
        refused = await tiktok.update_prices([PriceUpdate(ref=rejected, variant_sku="TRA-X-200", price_vnd=1000)])
        assert "rejected product" in str(refused.failed[0].error) and "chữa bệnh" in str(refused.failed[0].error)

        delisted = await tiktok.delist([ref])
        assert delisted.ok
        assert [s.status async for s in tiktok.listing_states() if s.item_id == ref.item_id] == [ListingStatus.DELISTED]
        assert (await tiktok.delist([ref], delete=True)).ok
        assert (await tiktok.delist([ref], delete=True)).ok  # deleting twice is done
        assert await tiktok.find_by_sku("TRA-TC") is None

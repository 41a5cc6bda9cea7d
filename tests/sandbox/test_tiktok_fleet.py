"""The TikTok Shop sandbox in a fleet (saved and brought back with its books), tuned, and as a harness."""

from __future__ import annotations

import pickle

import pytest

from simulators.common.faults import Fault
from simulators.common.harness import MarketplaceHarness, load_harness
from simulators.common.standalone import Tuning
from simulators.tiktok import fleet
from simulators.tiktok.harness import SHOP_ID, TikTokHarness
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import CREATE, TikTokApi

pytestmark = pytest.mark.anyio


def test_the_demo_has_one_app_and_at_least_four_shops_each_with_a_cipher_and_a_warehouse() -> None:
    [member] = fleet.fresh().values()
    assert isinstance(member, TikTokSandbox)
    assert member.apps[fleet.DEMO_APP_KEY].app_secret == fleet.DEMO_APP_SECRET
    assert len(member.shops) >= 4
    assert len({shop.cipher for shop in member.shops.values()}) == len(member.shops)
    assert all(shop.warehouses for shop in member.shops.values())
    assert fleet.DEMO_APP_KEY in fleet.accounts()


async def test_saved_books_bring_back_tokens_products_orders_and_id_counters() -> None:
    [sandbox] = fleet.fresh().values()
    assert isinstance(sandbox, TikTokSandbox)
    shop = fleet.DEMO_SHOPS[1]
    tokens = sandbox.grant_tokens(shop.shop_id)
    product = sandbox.create_product(shop.shop_id, "Kẹo dừa Bến Tre truyền thống gói 500g", [("KEO-DUA", 45_000, 9)])
    order = sandbox.place_order(shop.shop_id, [("KEO-DUA", 2)])

    again = fleet.restore("tiktok", pickle.loads(pickle.dumps(sandbox.books())))
    assert isinstance(again, TikTokSandbox)
    assert again.products[product.product_id].skus == product.skus
    assert again.orders[order.order_id].line_items == order.line_items
    newer = again.create_product(shop.shop_id, "Kẹo dừa Bến Tre vị sầu riêng gói 500g", [("KEO-SR", 50_000, 3)])
    assert int(newer.product_id) > int(product.product_id), "ids continue after the saved ones"
    async with again.client() as http:
        api = TikTokApi(http, again.clock, shop, (fleet.DEMO_APP_KEY, fleet.DEMO_APP_SECRET))
        api.access_token = tokens["access_token"]
        read = await api.ok("GET", f"{CREATE}/{product.product_id}")
    assert read["skus"][0]["inventory"][0]["quantity"] == 7


def test_a_tuned_sandbox_has_the_limits_lifetimes_and_faults_asked_for() -> None:
    tuning = Tuning.parse(rate_limit="5/s", access_token_ttl="90s", refresh_token_ttl="1h", faults=["server_error:1"])
    sandbox = fleet.tuned(tuning)
    config = sandbox.config
    assert (config.rate_limit_per_api, config.access_token_lifetime, config.refresh_token_lifetime) == (5, 90, 3600)
    assert sandbox.faults.pick("/product/202309/products") == Fault.server_error(500)
    assert fleet.tuned(Tuning()).config.rate_limit_per_api == fleet.SERVED_RATE_LIMIT


async def test_the_harness_fits_the_protocol_and_its_tokens_work() -> None:
    harness = load_harness("tiktok")
    assert isinstance(harness, TikTokHarness) and isinstance(harness, MarketplaceHarness)
    settings = harness.account_settings()
    assert settings["base_url"] == settings["auth_base_url"] == harness.base_url
    assert settings["limits"] == {"price_batch": 4, "inventory_batch": 4}
    assert {"retry", "rate", "http"} <= set(settings) and settings["shop_id"] == SHOP_ID
    tokens = harness.authorize()
    assert tokens.access_token in harness.secrets() and tokens.access_expires_at > harness.now()
    assert harness.sandbox.config.audit_delay_s == 0
    assert harness.sandbox.config.price_batch == harness.batch_limit == 4

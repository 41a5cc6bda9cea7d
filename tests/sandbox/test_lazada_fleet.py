"""The Lazada simulator in a fleet (saved and brought back with its books), tuned, served, and as a harness."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from simulators.common.faults import Fault
from simulators.common.fleet import fresh_fleet, kind_of
from simulators.common.harness import MarketplaceHarness, load_harness
from simulators.common.serving import serve_in_thread
from simulators.common.standalone import Tuning
from simulators.lazada import fleet
from simulators.lazada.harness import SELLER_ID, LazadaHarness
from simulators.lazada.sandbox import LazadaSandbox

from .lazada_api import LazadaApi, payload, sku

pytestmark = pytest.mark.anyio


def test_the_demo_has_one_app_and_at_least_four_sellers_and_joins_the_fleet() -> None:
    [member] = fleet.fresh().values()
    assert isinstance(member, LazadaSandbox)
    assert member.apps[fleet.DEMO_APP_KEY].app_secret == fleet.DEMO_APP_SECRET
    assert len(member.sellers) >= 4
    assert len({s.short_code for s in member.sellers.values()}) == len(member.sellers)
    assert all(s.country == "vn" for s in member.sellers.values())
    assert fleet.DEMO_APP_KEY in fleet.accounts()
    assert kind_of("lazada") is fleet
    assert isinstance(fresh_fleet().get("lazada", LazadaSandbox), LazadaSandbox)


async def test_saved_books_bring_back_tokens_products_orders_and_id_counters() -> None:
    [sandbox] = fleet.fresh().values()
    assert isinstance(sandbox, LazadaSandbox)
    seller = fleet.DEMO_SELLERS[1]
    tokens = sandbox.grant_tokens(seller.seller_id)
    product = sandbox.create_product(seller.seller_id, "Kẹo dừa Bến Tre gói 500g", [("KEO-DUA", 45_000, 9)])
    order = sandbox.place_order(seller.seller_id, [("KEO-DUA", 2)])

    again = fleet.restore("lazada", pickle.loads(pickle.dumps(sandbox.books())))
    assert isinstance(again, LazadaSandbox)
    assert again.products[product.item_id].skus == product.skus
    assert again.orders[order.order_id].items == order.items
    newer = again.create_product(seller.seller_id, "Kẹo dừa sầu riêng gói 500g", [("KEO-SR", 50_000, 3)])
    assert newer.item_id > product.item_id, "ids continue after the saved ones"
    assert again.place_order(seller.seller_id, [("KEO-SR", 1)]).order_id > order.order_id
    async with again.client() as http:
        api = LazadaApi(http, again.clock, (fleet.DEMO_APP_KEY, fleet.DEMO_APP_SECRET))
        api.access_token = tokens["access_token"]
        [read] = (await api.products(sku_seller_list=json.dumps(["KEO-DUA"])))["products"]
        renewed = await api.post("/auth/token/refresh", {"refresh_token": tokens["refresh_token"]}, token=False)
    assert (read["skus"][0]["Available"], read["skus"][0]["occupy_quantity"]) == (7, 2)
    assert renewed.json()["code"] == "0"


def test_a_tuned_sandbox_has_the_limits_lifetimes_and_faults_asked_for() -> None:
    tuning = Tuning.parse(rate_limit="5/s", access_token_ttl="90s", refresh_token_ttl="1h", faults=["server_error:1"])
    sandbox = fleet.tuned(tuning)
    config = sandbox.config
    assert (config.rate_limit_per_api, config.access_token_lifetime, config.refresh_token_lifetime) == (5, 90, 3600)
    assert sandbox.faults.pick("/rest/product/create") == Fault.server_error(500)
    assert fleet.tuned(Tuning()).config.rate_limit_per_api == fleet.SERVED_RATE_LIMIT


def test_serve_announces_the_url_app_and_sellers(monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[LazadaSandbox] = []
    monkeypatch.setattr(fleet, "serve_sandbox", lambda port, host, *, sandbox: served.append(sandbox))
    lines: list[str] = []
    fleet.serve("lazada", 8765, "127.0.0.1", Tuning.parse(rate_limit="3/s"), lines.append)
    assert lines[0].startswith("lazada sandbox on http://127.0.0.1:8765/rest")
    assert any(fleet.DEMO_APP_KEY in line and fleet.DEMO_APP_SECRET in line for line in lines)
    assert sum(seller.seller_id in line for seller in fleet.DEMO_SELLERS for line in lines) == 4
    assert any("rate limit 3 requests/s" in line for line in lines)
    assert "  access tokens live 30 days, refresh tokens 180 days" in lines
    assert [s.config.rate_limit_per_api for s in served] == [3]


async def test_served_on_loopback_both_hosts_answer_under_rest() -> None:
    sandbox = fleet.tuned(Tuning())
    seller = fleet.DEMO_SELLERS[0]
    code = sandbox.authorize_seller(seller.seller_id)
    with serve_in_thread(sandbox) as url:
        async with httpx.AsyncClient(base_url=f"{url}/rest") as http:
            api = LazadaApi(http, sandbox.clock, (fleet.DEMO_APP_KEY, fleet.DEMO_APP_SECRET))
            tokens = (await api.post("/auth/token/create", {"code": code}, token=False)).json()
            api.access_token = tokens["access_token"]
            product = await api.product(sku("A"), sku("B"))
            created = await api.ok("POST", "/product/create", {"payload": payload(product)})
    assert tokens["country_user_info"][0]["seller_id"] == seller.seller_id
    assert created["item_status"] == "Active"


async def test_the_harness_fits_the_protocol_and_its_tokens_work() -> None:
    harness = load_harness("lazada")
    assert isinstance(harness, LazadaHarness) and isinstance(harness, MarketplaceHarness)
    settings = harness.account_settings()
    assert settings["base_url"] == settings["auth_base_url"] == harness.base_url
    assert settings["base_url"].endswith("/rest")
    assert (settings["app_key"], settings["seller_id"]) == (fleet.DEMO_APP_KEY, SELLER_ID)
    assert settings["limits"] == {"price_quantity_batch": 4}
    assert {"retry", "rate", "http"} <= set(settings)
    assert harness.environment() == {"CHOSYNC_LAZADA_APP_SECRET": fleet.DEMO_APP_SECRET}
    tokens = harness.authorize()
    assert tokens.access_token in harness.secrets() and tokens.access_expires_at > harness.now()
    assert tokens.refresh_expires_at > tokens.access_expires_at
    config = harness.sandbox.config
    assert (config.qc_delay_s, config.image_px[0], config.price_quantity_batch) == (0, 0, harness.batch_limit)
    async with httpx.AsyncClient(transport=harness.transport(), base_url=harness.base_url) as http:
        api = LazadaApi(http, harness.clock, (fleet.DEMO_APP_KEY, fleet.DEMO_APP_SECRET))
        api.access_token = tokens.access_token
        picture = await http.get("https://images.example/a.jpg")
        api_upload = await api.upload(picture.content)
    assert api_upload.json()["code"] == "0", "the suite's tiny fake JPEGs are taken"

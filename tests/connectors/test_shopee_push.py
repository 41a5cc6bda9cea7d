"""Pushing to Shopee: create (idempotent), update, images, batched prices and stock, delist."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import respx

from connectors.kit.retry import RetrySettings
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.connector import ShopeeConnector
from core.catalog.records import VariantRecord
from core.errors import AuthError, OutcomeUnknown, PermanentError, RetryableError
from core.ports import InMemoryTokenStore, ListingRef, PriceUpdate, StockUpdate
from tests.connectors.conftest import (
    BASE_URL,
    JPEG,
    PNG,
    FakeClock,
    assert_signed,
    body_of,
    envelope,
    make_config,
    make_connector,
    product,
    shopee_error,
)

pytestmark = pytest.mark.anyio

API = f"{BASE_URL}/api/v2"
ITEM_ID = 800001
MODELS = [
    {"model_id": 9001, "model_sku": "TRA-TC-200", "tier_index": [0]},
    {"model_id": 9002, "model_sku": "TRA-TC-500", "tier_index": [1]},
]
REF = ListingRef(item_id=str(ITEM_ID), models={"TRA-TC-200": "9001", "TRA-TC-500": "9002"})
# get_model_list of the item as product() maps it: one tier, the two models above
MODEL_LIST = {
    "tier_variation": [{"name": "Khối lượng", "option_list": [{"option": "200g"}, {"option": "500g"}]}],
    "model": MODELS,
}


def _mock_images(router: respx.MockRouter) -> respx.Route:
    router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
    router.get("https://img.test/tra-2.png").mock(return_value=httpx.Response(200, content=PNG))
    ids = iter(["vn-img-1", "vn-img-2", "vn-img-3"])
    return router.post(f"{API}/media_space/upload_image").mock(
        side_effect=lambda request: envelope({"image_info": {"image_id": next(ids)}})
    )


async def _chunks(size: int) -> AsyncIterator[bytes]:
    """A body streamed without Content-Length: the size is only known by reading it."""
    yield JPEG
    for _ in range(size // 65536):
        yield b"\x00" * 65536


def _search(router: respx.MockRouter, item_ids: list[int]) -> respx.Route:
    return router.get(f"{API}/product/search_item").mock(
        return_value=envelope({"item_id_list": item_ids, "total_count": len(item_ids)})
    )


async def test_create_with_variants_uploads_images_adds_the_item_then_its_models(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        search = _search(router, [])
        uploads = _mock_images(router)
        add = router.post(f"{API}/product/add_item").mock(return_value=envelope({"item_id": ITEM_ID}))
        tiers = router.post(f"{API}/product/init_tier_variation").mock(
            return_value=envelope({"item_id": ITEM_ID, "model": MODELS})
        )
        async with httpx.AsyncClient() as http:
            ref = await make_connector(config, tokens, clock, http).create_listing(product())
    assert ref == REF
    assert search.calls.last.request.url.params["item_sku"] == "TRA-TC"
    assert uploads.call_count == 2
    assert b'filename="tra-1.jpg"' in uploads.calls[0].request.content
    sent = body_of(add.calls.last.request)
    assert sent["item_sku"] == "TRA-TC"
    assert sent["image"] == {"image_id_list": ["vn-img-1", "vn-img-2"]}
    assert sent["category_id"] == 100123
    assert body_of(tiers.calls.last.request)["model"][0]["model_sku"] == "TRA-TC-200"
    assert clock.sleeps == [5.0]  # Shopee's advice: variations a few seconds after the item
    for route in (search, add, tiers):
        assert_signed(route.calls.last.request)


async def test_create_of_an_existing_sku_creates_nothing(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _search(router, [ITEM_ID])
        router.get(f"{API}/product/get_item_base_info").mock(
            return_value=envelope(
                {"item_list": [{"item_id": ITEM_ID, "item_sku": "TRA-TC", "item_status": "NORMAL", "has_model": True}]}
            )
        )
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope({"model": MODELS}))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).create_listing(product()) == REF.model_copy(
                update={"found": True}
            )


async def test_create_finishes_an_item_whose_variations_were_lost(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _search(router, [ITEM_ID])
        router.get(f"{API}/product/get_item_base_info").mock(
            return_value=envelope(
                {
                    "item_list": [
                        {
                            "item_id": ITEM_ID,
                            "item_sku": "TRA-TC",
                            "item_status": "NORMAL",
                            "has_model": False,
                        }
                    ]
                }
            )
        )
        tiers = router.post(f"{API}/product/init_tier_variation").mock(return_value=envelope({"item_id": ITEM_ID}))
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope({"model": MODELS}))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).create_listing(product()) == REF.model_copy(
                update={"found": True}
            )
    assert body_of(tiers.calls.last.request)["item_id"] == ITEM_ID


async def test_a_lost_create_is_unknown_then_resolved_by_sku_without_a_second_item(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    single = product(variants=(VariantRecord(sku="TRA-TC", price_vnd=120_000, stock=4),))
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{API}/product/search_item").mock(
            side_effect=[envelope({"item_id_list": []})] + [envelope({"item_id_list": [ITEM_ID]})] * 2
        )
        _mock_images(router)
        add = router.post(f"{API}/product/add_item").mock(side_effect=httpx.ReadTimeout("lost"))
        router.get(f"{API}/product/get_item_base_info").mock(
            return_value=envelope(
                {
                    "item_list": [
                        {
                            "item_id": ITEM_ID,
                            "item_sku": "TRA-TC",
                            "item_status": "NORMAL",
                            "has_model": False,
                        }
                    ]
                }
            )
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            with pytest.raises(OutcomeUnknown):
                await connector.create_listing(single)
            assert await connector.find_by_sku("TRA-TC") == ListingRef(item_id=str(ITEM_ID))
            assert await connector.create_listing(single) == ListingRef(item_id=str(ITEM_ID), found=True)
    assert add.call_count == 1


async def test_a_product_with_problems_sends_nothing(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True):
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="no Shopee category mapped") as raised:
                await make_connector(config, tokens, clock, http).create_listing(product(category="Gốm"))
    assert raised.value.field == "category"


@pytest.mark.parametrize(
    ("response", "message"),
    [
        pytest.param(httpx.Response(200, content=b"GIF89a" + b"\x00" * 10), "JPG and PNG", id="gif"),
        pytest.param(
            httpx.Response(200, headers={"Content-Length": str(11 * 1024 * 1024)}),
            "at most",
            id="declared-too-big",
        ),
        pytest.param(httpx.Response(200, content=_chunks(11 * 1024 * 1024)), "larger than", id="streamed-too-big"),
        pytest.param(httpx.Response(404), "HTTP 404", id="missing"),
    ],
)
async def test_images_are_checked_before_upload(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock, response: httpx.Response, message: str
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _search(router, [])
        router.get("https://img.test/a.jpg").mock(return_value=response)
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            with pytest.raises(PermanentError, match=message) as raised:
                await connector.create_listing(product(images=("https://img.test/a.jpg",)))
    assert raised.value.field == "images"


async def test_an_image_server_hiccup_is_retried(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _search(router, [])
        router.get("https://img.test/a.jpg").mock(
            side_effect=[httpx.Response(503), httpx.ConnectError("x"), httpx.Response(200, content=JPEG)]
        )
        router.post(f"{API}/media_space/upload_image").mock(return_value=envelope({"image_info": {"image_id": "i"}}))
        router.post(f"{API}/product/add_item").mock(return_value=envelope({"item_id": ITEM_ID}))
        single = product(images=("https://img.test/a.jpg",), variants=(VariantRecord(sku="S", price_vnd=1000),))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).create_listing(single) == ListingRef(
                item_id=str(ITEM_ID)
            )


async def test_local_image_files_are_uploaded(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock, tmp_path: Path
) -> None:
    image = tmp_path / "mat-ong.png"
    image.write_bytes(PNG)
    with respx.mock(assert_all_called=True) as router:
        _search(router, [])
        upload = router.post(f"{API}/media_space/upload_image").mock(
            return_value=envelope({"image_info": {"image_id": "local-1"}})
        )
        add = router.post(f"{API}/product/add_item").mock(return_value=envelope({"item_id": ITEM_ID}))
        single = product(images=(str(image), f"file://{image}"), variants=(VariantRecord(sku="S", price_vnd=1000),))
        async with httpx.AsyncClient() as http:
            await make_connector(config, tokens, clock, http).create_listing(single)
    assert upload.call_count == 2
    assert b"image/png" in upload.calls[0].request.content
    assert "access_token" not in upload.calls[0].request.url.params  # partner-signed, as public SDKs do
    assert body_of(add.calls.last.request)["image"] == {"image_id_list": ["local-1", "local-1"]}


async def test_a_missing_local_image_is_a_problem_to_fix(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock, tmp_path: Path
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _search(router, [])
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="does not exist"):
                await make_connector(config, tokens, clock, http).create_listing(
                    product(images=(str(tmp_path / "none.jpg"),))
                )


async def test_update_sends_the_content_only(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _mock_images(router)
        update = router.post(f"{API}/product/update_item").mock(return_value=envelope({"item_id": ITEM_ID}))
        # The variations are read back (a renamed option would show there) and, unchanged, left alone.
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope(MODEL_LIST))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            assert await connector.update_listing(REF, product(name="Trà Tân Cương thượng hạng")) == REF
    sent = body_of(update.calls.last.request)
    assert sent["item_id"] == ITEM_ID
    assert sent["item_name"] == "Trà Tân Cương thượng hạng"
    assert "original_price" not in sent
    assert "seller_stock" not in sent


def _price_updates(item_id: str, count: int) -> list[PriceUpdate]:
    ref = ListingRef(item_id=item_id, models={f"V{i}": str(1000 + i) for i in range(count)})
    return [PriceUpdate(ref=ref, variant_sku=f"V{i}", price_vnd=10_000 + i) for i in range(count)]


async def test_prices_go_50_models_per_call_one_item_per_call(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    updates = _price_updates("1", 60) + _price_updates("2", 3)
    unknown = PriceUpdate(ref=updates[0].ref, variant_sku="NOT-THERE", price_vnd=5000)

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        failures = [{"model_id": 1007, "failed_reason": "locked by promotion"}] if body["item_id"] == 1 else []
        return envelope({"failure_list": failures, "success_list": []})

    models = [{"model_id": 1000 + i, "model_sku": f"V{i}", "tier_index": [i]} for i in range(60)]
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{API}/product/update_price").mock(side_effect=answer)
        # A variant the binding lacks is looked for on the item before it is called unknown.
        read_back = router.get(f"{API}/product/get_model_list").mock(return_value=envelope({"model": models}))
        async with httpx.AsyncClient() as http:
            result = await make_connector(config, tokens, clock, http).update_prices([*updates, unknown])
    assert read_back.call_count == 1
    bodies = [body_of(call.request) for call in route.calls]
    assert [(b["item_id"], len(b["price_list"])) for b in bodies] == [(1, 50), (1, 10), (2, 3)]
    assert bodies[0]["price_list"][0] == {"model_id": 1000, "original_price": 10_000}
    assert len(result.items) == 64
    assert {(f.variant_sku, f.error.field if isinstance(f.error, PermanentError) else None) for f in result.failed} == {
        ("V7", "price"),
        ("NOT-THERE", "variant_sku"),
    }


async def test_a_newer_value_supersedes_an_older_one_in_the_same_batch(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    updates = [
        StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=9),
        StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=7),
    ]
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{API}/product/update_stock").mock(return_value=envelope({"failure_list": []}))
        async with httpx.AsyncClient() as http:
            result = await make_connector(config, tokens, clock, http).update_stock(updates)
    assert body_of(route.calls.last.request)["stock_list"] == [{"model_id": 9001, "seller_stock": [{"stock": 7}]}]
    assert result.ok


async def test_stock_of_an_item_without_variations_uses_model_zero_and_the_location(
    tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    config = make_config(listing={"stock_location_id": "VNZ"})
    ref = ListingRef(item_id="5")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{API}/product/update_stock").mock(return_value=envelope({}))
        async with httpx.AsyncClient() as http:
            await make_connector(config, tokens, clock, http).update_stock(
                [StockUpdate(ref=ref, variant_sku="S", stock=3)]
            )
    assert body_of(route.calls.last.request) == {
        "item_id": 5,
        "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 3, "location_id": "VNZ"}]}],
    }


async def test_one_item_failing_does_not_stop_the_others(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["item_id"] == 1:
            return shopee_error("error_server")
        return envelope({})

    with respx.mock(assert_all_called=True) as router:
        router.post(f"{API}/product/update_price").mock(side_effect=answer)
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http, retry=RetrySettings(max_attempts=2))
            result = await connector.update_prices(_price_updates("1", 2) + _price_updates("2", 1))
    assert [(i.item_id, type(i.error)) for i in result.items] == [
        ("1", RetryableError),
        ("1", RetryableError),
        ("2", type(None)),
    ]


async def test_a_refused_shop_stops_the_batch(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{API}/product/update_price").mock(return_value=shopee_error("error_auth"))
        router.post(f"{API}/auth/access_token/get").mock(return_value=shopee_error("error_auth"))
        async with httpx.AsyncClient() as http:
            with pytest.raises(AuthError):
                await make_connector(config, tokens, clock, http).update_prices(
                    _price_updates("1", 1) + _price_updates("2", 1)
                )


async def test_delist_unlists_50_items_per_call(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    refs = [ListingRef(item_id=str(i)) for i in range(1, 121)]

    def answer(request: httpx.Request) -> httpx.Response:
        ids = [entry["item_id"] for entry in json.loads(request.content)["item_list"]]
        failures = [{"item_id": 77, "failed_reason": "item is banned"}] if 77 in ids else []
        return envelope({"failure_list": failures})

    with respx.mock(assert_all_called=True) as router:
        route = router.post(f"{API}/product/unlist_item").mock(side_effect=answer)
        async with httpx.AsyncClient() as http:
            result = await make_connector(config, tokens, clock, http).delist(refs)
    assert [len(body_of(call.request)["item_list"]) for call in route.calls] == [50, 50, 20]
    assert body_of(route.calls[0].request)["item_list"][0] == {"item_id": 1, "unlist": True}
    assert [(item.item_id, str(item.error)) for item in result.failed] == [
        ("77", "Shopee refused to delist: item is banned")
    ]


async def test_deleting_twice_is_not_a_failure(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        router.post(f"{API}/product/delete_item").mock(
            side_effect=[
                envelope({}),
                shopee_error("product.error_item_not_found"),
                shopee_error("error_param", "no"),
                httpx.Response(503),
            ]
        )
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http, retry=RetrySettings(max_attempts=1))
            result = await connector.delist([ListingRef(item_id=str(i)) for i in range(1, 5)], delete=True)
    assert [type(item.error).__name__ for item in result.items] == [
        "NoneType",
        "NoneType",
        "PermanentError",
        "RetryableError",
    ]


def test_the_connector_is_built_from_a_channel_account(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.ports import AccountRules, ChannelAccount

    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", "env-partner-key-1234")
    account = ChannelAccount(
        channel="shopee",
        settings={"partner_id": 1, "shop_id": 2, "category_map": {"Trà": 3}},
        rules=AccountRules(price_markup_percent=5),
    )
    connector = ShopeeConnector.from_account(account, http=httpx.AsyncClient(), tokens=InMemoryTokenStore())
    assert connector.config.shop_id == 2
    assert connector.rules.price_markup_percent == 5
    assert "sign=" in connector.authorization_url("https://chosync.test/cb")

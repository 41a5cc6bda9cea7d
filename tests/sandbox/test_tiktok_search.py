"""TikTok Shop's shelf on the sandbox: product search and paging, off and on sale, delete, image upload."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.tiktok.sandbox import TikTokSandbox

from .tiktok_api import CREATE, JPEG, SHOP, TikTokApi, connected, make_sandbox

pytestmark = pytest.mark.anyio
SEARCH = "/product/202502/products/search"


@pytest.fixture
def tiktok(clock: ManualClock) -> TikTokSandbox:
    return make_sandbox(clock)


@pytest.fixture
async def api(tiktok: TikTokSandbox, clock: ManualClock) -> AsyncIterator[TikTokApi]:
    async with connected(tiktok, clock) as client:
        yield client


def shelve(tiktok: TikTokSandbox, count: int) -> list[str]:
    """``count`` one-SKU products, SKU-0 … SKU-(count-1), made as if in Seller Center."""
    title = "Bánh pía Sóc Trăng sầu riêng hộp 400g"
    return [tiktok.create_product(SHOP.shop_id, title, [(f"SKU-{k}", 50_000, 5)]).product_id for k in range(count)]


async def search(api: TikTokApi, body: dict[str, Any], page_size: int = 100, token: str = "") -> dict[str, Any]:
    return await api.ok("POST", SEARCH, body, query={"page_size": page_size, "page_token": token})


async def test_search_by_seller_skus_walks_every_page_once(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    ids = shelve(tiktok, 7)
    wanted = [f"SKU-{k}" for k in (0, 2, 3, 5, 6)]
    seen, token, pages = [], "", 0
    while True:
        page = await search(api, {"seller_skus": wanted}, page_size=2, token=token)
        seen += [p["id"] for p in page["products"]]
        pages += 1
        assert page["total_count"] == 5
        token = page["next_page_token"]
        if not token:
            break
    assert seen == [ids[k] for k in (0, 2, 3, 5, 6)]
    assert pages == 3


async def test_at_most_ten_seller_skus_per_search(api: TikTokApi) -> None:
    response = await api.call("POST", SEARCH, {"seller_skus": [f"S{k}" for k in range(11)]}, query={"page_size": 10})
    assert response.json()["code"] == 36009001
    bad_size = await api.call("POST", SEARCH, {}, query={"page_size": 101})
    assert bad_size.json()["code"] == 36009001


async def test_a_deleted_product_is_gone_from_search_and_reads(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    ids = shelve(tiktok, 2)
    first = await api.ok("DELETE", CREATE, {"product_ids": [ids[0]]})
    again = await api.ok("DELETE", CREATE, {"product_ids": [ids[0]]})
    assert first["errors"] == []
    assert [(e["code"], e["detail"]["product_id"]) for e in again["errors"]] == [(12052404, ids[0])]
    assert [p["id"] for p in (await search(api, {}))["products"]] == [ids[1]]
    assert [p["id"] for p in (await search(api, {"status": "DELETED"}))["products"]] == []
    assert (await api.call("GET", f"{CREATE}/{ids[0]}")).json()["code"] == 12052404


async def test_deactivating_twice_is_done_twice_and_activating_goes_through_audit(clock: ManualClock) -> None:
    tiktok = make_sandbox(clock, audit_delay_s=10)
    [product_id] = shelve(tiktok, 1)
    clock.advance(10)
    async with connected(tiktok, clock) as api:
        for _ in range(2):
            done = await api.ok("POST", f"{CREATE}/deactivate", {"product_ids": [product_id]})
            assert done["errors"] == []
            assert tiktok.product(product_id).status == "SELLER_DEACTIVATED"
        assert (await search(api, {"status": "SELLER_DEACTIVATED"}))["total_count"] == 1
        await api.ok("POST", f"{CREATE}/activate", {"product_ids": [product_id]})
        assert tiktok.product(product_id).status == "PENDING"
        clock.advance(10)
        assert (await search(api, {"status": "ACTIVATE"}))["total_count"] == 1


async def test_more_than_twenty_ids_are_refused(api: TikTokApi) -> None:
    response = await api.call("POST", f"{CREATE}/deactivate", {"product_ids": [str(n) for n in range(21)]})
    assert response.json()["code"] == 12019120


async def test_search_by_update_time(api: TikTokApi, tiktok: TikTokSandbox, clock: ManualClock) -> None:
    old, recent = shelve(tiktok, 2)
    clock.advance(100)
    tiktok.hand_set_price("SKU-1", 51_000)
    found = await search(api, {"update_time_ge": int(clock())})
    assert [p["id"] for p in found["products"]] == [recent]
    assert old != recent


async def test_an_upload_gives_a_uri_and_refuses_what_is_not_an_image(api: TikTokApi, tiktok: TikTokSandbox) -> None:
    uploaded = (await api.upload(JPEG)).json()["data"]
    assert uploaded["uri"] in tiktok.images and uploaded["use_case"] == "MAIN_IMAGE"
    assert uploaded["url"].startswith("https://")
    not_an_image = await api.upload(b"%PDF-1.4 not a picture")
    assert (not_an_image.status_code, not_an_image.json()["code"]) == (200, 12019006)
    tiktok.config.max_image_bytes = 100
    too_large = await api.upload(JPEG)
    assert too_large.json()["code"] == 36009021

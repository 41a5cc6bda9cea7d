"""The Shopee sandbox's product API: images, listings, variations, price and stock, paging, search."""

from __future__ import annotations

from typing import Any

import pytest

from simulators.common.faults import ManualClock
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.sandbox import ShopeeSandbox

from .shopee_api import JPEG, PNG, SHOP_ID, ShopeeApi

pytestmark = pytest.mark.anyio


async def _error_of(api: ShopeeApi, call: str, body: dict[str, Any]) -> tuple[int, str, str]:
    response = await api.post(call, body)
    envelope = response.json()
    return response.status_code, envelope["error"], envelope["message"]


async def test_upload_image_answers_an_image_id_and_urls(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    path = "/api/v2/media_space/upload_image"
    response = await api.http.post(path, params=api.params(path), files={"image": ("a.png", PNG, "image/png")})
    info = response.json()["response"]["image_info"]
    assert info["image_id"].startswith("vn-")
    assert info["image_url_list"][0]["image_url"].endswith(info["image_id"])
    assert sandbox.images[info["image_id"]].content_type == "image/png"


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        pytest.param(b"GIF89a" + bytes(50), "JPG", id="gif"),
        pytest.param(JPEG + bytes(2048), "MB", id="too-big"),
    ],
)
async def test_upload_image_refuses_other_formats_and_big_files(
    sandbox: ShopeeSandbox, api: ShopeeApi, data: bytes, detail: str
) -> None:
    sandbox.config.max_image_bytes = 1024  # the 10 MB rule, scaled down to keep the test fast
    path = "/api/v2/media_space/upload_image"
    response = await api.http.post(path, params=api.params(path), files={"image": ("x.jpg", data, "image/jpeg")})
    assert response.json()["error"] == "error_param"
    assert detail in response.json()["message"]


async def test_add_item_creates_a_listing_and_echoes_it(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    echo = await api.add_item()
    assert echo["item_status"] == "NORMAL" and echo["item_sku"] == "TRA-SHAN-100"
    assert echo["price_info"][0]["original_price"] == 125000.0
    item = sandbox.item(echo["item_id"])
    assert (item.item_name, item.models[0].seller_stock, item.shop_id) == (
        "Trà Shan Tuyết Hà Giang 100g",
        20,
        SHOP_ID,
    )
    assert [i.item_id for i in sandbox.items_by_sku("TRA-SHAN-100")] == [echo["item_id"]]


async def test_a_whole_price_written_as_a_float_is_accepted(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    echo = await api.add_item(original_price=99000.0)
    assert sandbox.model(echo["item_id"]).original_price == 99000


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"item_name": "Trà"}, "error_param", id="name-too-short"),
        pytest.param({"item_name": "T" * 101}, "error_title_exceeds_max_length", id="name-too-long"),
        pytest.param({"item_name": "Túi xách replica cao cấp"}, "product.error_busi", id="banned-word"),
        pytest.param({"description": "ngắn"}, "error_param", id="description-too-short"),
        pytest.param({"category_id": 100011}, "error_invalid_category", id="category-not-leaf"),
        pytest.param({"category_id": 1}, "error_invalid_category", id="category-unknown"),
        pytest.param({"image": {"image_id_list": []}}, "error_image_num_min", id="no-image"),
        pytest.param({"image": {"image_id_list": ["vn-made-up"]}}, "error_param", id="image-never-uploaded"),
        pytest.param({"original_price": 125000.5}, "error_param", id="fraction-of-a-dong"),
        pytest.param({"original_price": 10}, "error_price_exceed_min_limitt", id="price-too-low"),
        pytest.param({"original_price": 10**10}, "error_price_exceed_max_limitt", id="price-too-high"),
        pytest.param({"weight": 0}, "error_param", id="no-weight"),
        pytest.param({"dimension": None}, "error_param", id="size-input-channel-needs-dimension"),
        pytest.param(
            {"logistic_info": [{"logistic_id": 50012, "enabled": True}]}, "error_param", id="disabled-channel"
        ),
        pytest.param({"item_name": None}, "error_param", id="name-missing"),
    ],
)
async def test_add_item_refusals_come_in_a_200_envelope(
    api: ShopeeApi, sandbox: ShopeeSandbox, overrides: dict[str, Any], error: str
) -> None:
    status, code, message = await _error_of(api, "product/add_item", await api.item_body(**overrides))
    assert (status, code) == (200, error), message
    assert sandbox.items == {}


async def test_the_banned_word_message_tells_the_seller_what_to_fix(api: ShopeeApi) -> None:
    _, _, message = await _error_of(api, "product/add_item", await api.item_body(item_name="Nước mắm hàng nhái"))
    assert "prohibited word" in message and "hàng nhái" in message


async def test_a_shop_on_holiday_cannot_add_items(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.shops[SHOP_ID].holiday_mode = True
    _, code, _ = await _error_of(api, "product/add_item", await api.item_body())
    assert code == "error_holiday_on_add_item"


def _tiers(image_id: str | None = None) -> list[dict[str, Any]]:
    colour = [{"option": o} | ({"image": {"image_id": image_id}} if image_id else {}) for o in ("Xanh", "Đỏ")]
    return [
        {"name": "Màu", "option_list": colour},
        {"name": "Cỡ", "option_list": [{"option": "250g"}, {"option": "500g"}]},
    ]


def _models(prices: tuple[int, ...] = (100000, 180000, 110000, 190000)) -> list[dict[str, Any]]:
    combos = [[0, 0], [0, 1], [1, 0], [1, 1]]
    return [
        {
            "tier_index": t,
            "original_price": p,
            "model_sku": f"MO-{t[0]}{t[1]}",
            "seller_stock": [{"stock": 5}],
        }
        for t, p in zip(combos, prices, strict=True)
    ]


async def test_init_tier_variation_creates_models_readable_by_sku(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item(item_sku="MO-HOA"))["item_id"]
    body = {"item_id": item_id, "tier_variation": _tiers(await api.upload()), "model": _models()}
    created = await api.ok("POST", "product/init_tier_variation", body)
    assert len(created["model"]) == 4
    listed = await api.ok("GET", "product/get_model_list", {"item_id": item_id})
    assert [t["name"] for t in listed["tier_variation"]] == ["Màu", "Cỡ"]
    assert {m["model_sku"] for m in listed["model"]} == {"MO-00", "MO-01", "MO-10", "MO-11"}
    [(item, model)] = sandbox.models_by_sku("MO-11")
    assert (item.item_id, model.tier_index, item.model_name(model)) == (item_id, [1, 1], "Đỏ,500g")
    base = (await api.ok("GET", "product/get_item_base_info", {"item_id_list": str(item_id)}))["item_list"][0]
    assert base["has_model"] is True and "price_info" not in base


@pytest.mark.parametrize(
    ("body", "error"),
    [
        pytest.param(
            {"tier_variation": [*_tiers(), {"name": "Ba", "option_list": [{"option": "x"}]}]},
            "error_param",
            id="3-tiers",
        ),
        pytest.param({"model": _models((10000, 10000, 10000, 60000))}, "product.error_busi", id="price-ratio-over-5"),
        pytest.param({"model": _models()[:1] * 2}, "error_param", id="same-tier-index-twice"),
        pytest.param({"model": [{"tier_index": [2, 0], "original_price": 100000}]}, "error_param", id="bad-index"),
        pytest.param({"model": _models() * 13}, "error_param", id="52-models"),
    ],
)
async def test_init_tier_variation_refusals(api: ShopeeApi, body: dict[str, Any], error: str) -> None:
    item_id = (await api.add_item())["item_id"]
    request = {"item_id": item_id, "tier_variation": _tiers(), "model": _models()} | body
    assert (await _error_of(api, "product/init_tier_variation", request))[1] == error


async def test_models_can_be_added_renamed_and_deleted(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item())["item_id"]
    tiers = [{"name": "Cỡ", "option_list": [{"option": "250g"}]}]
    model = {"tier_index": [0], "original_price": 100000, "model_sku": "A-250"}
    await api.ok("POST", "product/init_tier_variation", {"item_id": item_id, "tier_variation": tiers, "model": [model]})
    tiers[0]["option_list"].append({"option": "500g"})
    await api.ok("POST", "product/update_tier_variation", {"item_id": item_id, "tier_variation": tiers})
    added = await api.ok(
        "POST",
        "product/add_model",
        {"item_id": item_id, "model_list": [model | {"tier_index": [1], "model_sku": "A-500"}]},
    )
    new_id = added["model"][0]["model_id"]
    await api.ok(
        "POST",
        "product/update_model",
        {"item_id": item_id, "model": [{"model_id": new_id, "model_sku": "A-0.5"}]},
    )
    assert sandbox.model(item_id, new_id).model_sku == "A-0.5"
    first_id = next(m for m in sandbox.item(item_id).models if m != new_id)
    await api.ok("POST", "product/delete_model", {"item_id": item_id, "model_id": first_id})
    last = await _error_of(api, "product/delete_model", {"item_id": item_id, "model_id": new_id})
    assert last[1] == "product.error_busi"
    assert list(sandbox.item(item_id).models) == [new_id]


async def _three_colours(api: ShopeeApi, sandbox: ShopeeSandbox) -> tuple[int, dict[str, int]]:
    """An item in red, black and blue: its id and model id by colour."""
    item_id = (await api.add_item())["item_id"]
    colours = ("Đỏ", "Đen", "Xanh")
    tiers = [{"name": "Màu", "option_list": [{"option": c} for c in colours]}]
    models = [{"tier_index": [i], "original_price": 100000, "model_sku": f"A-{i}"} for i in range(3)]
    await api.ok("POST", "product/init_tier_variation", {"item_id": item_id, "tier_variation": tiers, "model": models})
    by_sku = {m.model_sku: m.model_id for m in sandbox.item(item_id).models.values()}
    return item_id, {colour: by_sku[f"A-{i}"] for i, colour in enumerate(colours)}


async def test_update_tier_variation_with_model_list_removes_and_reorders_options(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    """Shopee's variant-management guide: drop an option and its model, the others placed by model_list."""
    item_id, ids = await _three_colours(api, sandbox)
    tiers = [{"name": "Màu", "option_list": [{"option": "Xanh"}, {"option": "Đỏ"}]}]
    placed = [{"model_id": ids["Xanh"], "tier_index": [0]}, {"model_id": ids["Đỏ"], "tier_index": [1]}]
    await api.ok(
        "POST", "product/update_tier_variation", {"item_id": item_id, "tier_variation": tiers, "model_list": placed}
    )
    item = sandbox.item(item_id)
    assert {item.model_name(m): m.model_id for m in item.models.values()} == {"Xanh": ids["Xanh"], "Đỏ": ids["Đỏ"]}


@pytest.mark.parametrize(
    ("tiers", "model_list", "error"),
    [
        pytest.param(["Đỏ", "Đen"], None, "error_param", id="an-option-removed-without-model-list"),
        pytest.param(["Đỏ", "Đen", "Xanh"], [("Đỏ", [0]), ("Đen", [0])], "error_param", id="two-models-one-place"),
        pytest.param(["Đỏ", "Đen", "Xanh"], [("Đỏ", [3])], "error_param", id="no-such-option"),
        pytest.param(["Đỏ", "Đen", "Xanh"], [("Khác", [1])], "error_param", id="a-model-of-another-item"),
        pytest.param(["Đỏ", "Đen", "Xanh"], [], "error_param", id="no-model-left"),
    ],
)
async def test_update_tier_variation_refusals(
    api: ShopeeApi,
    sandbox: ShopeeSandbox,
    tiers: list[str],
    model_list: list[tuple[str, list[int]]] | None,
    error: str,
) -> None:
    item_id, ids = await _three_colours(api, sandbox)
    body: dict[str, Any] = {
        "item_id": item_id,
        "tier_variation": [{"name": "Màu", "option_list": [{"option": o} for o in tiers]}],
    }
    if model_list is not None:
        body["model_list"] = [{"model_id": ids.get(c, 1), "tier_index": i} for c, i in model_list]
    assert (await _error_of(api, "product/update_tier_variation", body))[1] == error
    assert len(sandbox.item(item_id).models) == 3


async def test_update_item_is_partial_and_revalidates(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item())["item_id"]
    await api.ok("POST", "product/update_item", {"item_id": item_id, "item_name": "Trà Shan Tuyết cổ thụ 100g"})
    assert sandbox.item(item_id).item_name == "Trà Shan Tuyết cổ thụ 100g"
    assert sandbox.item(item_id).description.startswith("Trà shan tuyết")
    assert (await _error_of(api, "product/update_item", {"item_id": item_id, "original_price": 1}))[1] == "error_param"
    banned = await _error_of(api, "product/update_item", {"item_id": item_id, "item_name": "Trà hàng giả 100g"})
    assert banned[1] == "product.error_busi"
    await api.ok("POST", "product/update_item", {"item_id": item_id, "item_sku": ""})
    assert sandbox.item(item_id).item_sku == ""


async def test_update_price_answers_per_model(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item())["item_id"]
    await api.ok(
        "POST",
        "product/init_tier_variation",
        {"item_id": item_id, "tier_variation": _tiers(), "model": _models()},
    )
    ids = sorted(sandbox.item(item_id).models)
    sandbox.lock_price(item_id, ids[1])
    prices = [
        {"model_id": ids[0], "original_price": 120000},
        {"model_id": ids[1], "original_price": 120000},
        {"model_id": 42, "original_price": 120000},
        {"model_id": ids[2], "original_price": 500},
    ]
    answer = await api.ok("POST", "product/update_price", {"item_id": item_id, "price_list": prices})
    assert answer["success_list"] == [{"model_id": ids[0], "original_price": 120000.0}]
    failed = {f["model_id"]: f["failed_reason"] for f in answer["failure_list"]}
    assert set(failed) == {ids[1], 42, ids[2]}
    assert "promotion" in failed[ids[1]] and "min" in failed[ids[2]]
    assert sandbox.model(item_id, ids[0]).original_price == 120000


async def test_update_price_of_an_item_without_models_uses_model_zero(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item())["item_id"]
    body = {"item_id": item_id, "price_list": [{"model_id": 0, "original_price": 130000}]}
    assert (await api.ok("POST", "product/update_price", body))["failure_list"] == []
    assert sandbox.model(item_id).original_price == 130000


@pytest.mark.parametrize(
    ("price_list", "why"),
    [
        pytest.param([], "empty", id="empty"),
        pytest.param([{"model_id": 0, "original_price": 100000}] * 51, "51", id="51-entries"),
        pytest.param([{"model_id": 0, "original_price": 100000.5}], "integer", id="fraction"),
    ],
)
async def test_update_price_batch_rules(api: ShopeeApi, price_list: list[dict[str, Any]], why: str) -> None:
    item_id = (await api.add_item())["item_id"]
    code = (await _error_of(api, "product/update_price", {"item_id": item_id, "price_list": price_list}))[1]
    assert code == "error_param", why


async def test_update_stock_answers_per_model(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item_id = (await api.add_item())["item_id"]
    sandbox.set_reserved_stock(item_id, 3)
    ok = {"item_id": item_id, "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 7}]}]}
    answer = await api.ok("POST", "product/update_stock", ok)
    assert answer["success_list"][0]["stock"] == 7 and sandbox.model(item_id).seller_stock == 7
    below = {"item_id": item_id, "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 2}]}]}
    assert (await api.ok("POST", "product/update_stock", below))["failure_list"][0]["model_id"] == 0
    too_many = {"item_id": item_id, "stock_list": [{"model_id": 0, "seller_stock": [{"stock": 1}]}] * 51}
    assert (await _error_of(api, "product/update_stock", too_many))[1] == "error_param"


async def test_unlist_relist_and_banned_items(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    first, second = (await api.add_item())["item_id"], (await api.add_item(item_sku="B"))["item_id"]
    sandbox.ban_item(second)
    body = {"item_list": [{"item_id": first, "unlist": True}, {"item_id": second, "unlist": True}]}
    answer = await api.ok("POST", "product/unlist_item", body)
    assert answer["success_list"] == [{"item_id": first, "unlist": True}]
    assert answer["failure_list"][0]["item_id"] == second
    assert sandbox.item(first).item_status == "UNLIST"
    await api.ok("POST", "product/unlist_item", {"item_list": [{"item_id": first, "unlist": False}]})
    assert sandbox.item(first).item_status == "NORMAL"
    assert (await _error_of(api, "product/update_item", {"item_id": second, "item_name": "Tên mới dài"}))[1] == (
        "product.error_busi"
    )


async def test_deleted_items_stay_readable_for_ninety_days(
    api: ShopeeApi, sandbox: ShopeeSandbox, clock: ManualClock
) -> None:
    item_id = (await api.add_item())["item_id"]
    await api.ok("POST", "product/delete_item", {"item_id": item_id})
    listed = await api.ok("GET", "product/get_item_list", {"page_size": 10, "item_status": "SELLER_DELETE"})
    assert [i["item_id"] for i in listed["item"]] == [item_id]
    assert (await _error_of(api, "product/delete_item", {"item_id": item_id}))[1] == "error_item_not_found"
    clock.advance(91 * 24 * 3600)
    api.access_token, _ = sandbox.authorize_shop(SHOP_ID)
    gone = await api.ok("GET", "product/get_item_base_info", {"item_id_list": str(item_id)})
    assert gone["item_list"] == []


async def test_get_item_list_pages_with_next_offset(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    ids = [sandbox.create_item(SHOP_ID, f"Sản phẩm số {n}", price=50000).item_id for n in range(7)]
    sandbox.create_item(SHOP_ID, "Sản phẩm đã ẩn", price=50000, item_status="UNLIST")
    seen, offset, pages = [], 0, 0
    while True:
        query = {"offset": offset, "page_size": 3, "item_status": "NORMAL"}
        page = await api.ok("GET", "product/get_item_list", query)
        seen += [i["item_id"] for i in page["item"]]
        pages += 1
        assert page["total_count"] == 7
        if not page["has_next_page"]:
            break
        offset = page["next_offset"]
    assert (seen, pages) == (ids, 3)
    repeated = {
        "offset": 0,
        "page_size": 100,
        "item_status": ["NORMAL", "UNLIST"],
    }  # item_status=A&item_status=B
    both = await api.ok("GET", "product/get_item_list", repeated)
    assert both["total_count"] == 8


@pytest.mark.parametrize(
    ("query", "message"),
    [
        pytest.param(
            {"offset": 7, "page_size": 3, "item_status": "NORMAL"},
            "offset over limit",
            id="offset-over-total",
        ),
        pytest.param({"offset": 0, "page_size": 3}, "item_status", id="status-missing"),
        pytest.param({"offset": 0, "page_size": 101, "item_status": "NORMAL"}, "page_size", id="page-too-big"),
        pytest.param({"offset": 0, "page_size": 3, "item_status": "NORMAL,UNLIST"}, "item_status", id="comma-list"),
    ],
)
async def test_get_item_list_refusals(
    api: ShopeeApi, sandbox: ShopeeSandbox, query: dict[str, Any], message: str
) -> None:
    for n in range(7):
        sandbox.create_item(SHOP_ID, f"Sản phẩm số {n}", price=50000)
    envelope = (await api.get("product/get_item_list", query)).json()
    assert envelope["error"] == "error_param" and message in envelope["message"]


async def test_base_info_reads_batches_and_leaves_unknown_ids_out(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    ids = [sandbox.create_item(SHOP_ID, f"Mật ong rừng {n}", price=90000, stock=n).item_id for n in range(3)]
    answer = await api.ok("GET", "product/get_item_base_info", {"item_id_list": ",".join(map(str, [*ids, 1]))})
    assert [i["item_id"] for i in answer["item_list"]] == ids
    assert answer["item_list"][2]["stock_info_v2"]["seller_stock"][0]["stock"] == 2
    too_many = {"item_id_list": ",".join(str(n) for n in range(51))}
    assert (await api.get("product/get_item_base_info", too_many)).json()["error"] == "error_param"


async def test_search_item_matches_item_sku_only(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    item = sandbox.create_item(SHOP_ID, "Cà phê Robusta Cầu Đất", price=150000, item_sku="CF-RB")
    sandbox.set_tiers(
        item.item_id, [{"name": "Cỡ", "option_list": [{"option": "500g"}]}], [([0], "CF-RB-500", 150000, 3)]
    )
    sandbox.create_item(SHOP_ID, "Cà phê khác", price=150000, item_sku="CF-RB", item_status="SELLER_DELETE")
    by_sku = await api.ok("GET", "product/search_item", {"page_size": 10, "item_sku": "CF-RB"})
    assert by_sku["item_id_list"] == [item.item_id] and by_sku["next_offset"] == ""
    by_model_sku = await api.ok("GET", "product/search_item", {"page_size": 10, "item_sku": "CF-RB-500"})
    assert by_model_sku["item_id_list"] == []
    by_name = await api.ok("GET", "product/search_item", {"page_size": 10, "item_name": "robusta"})
    assert by_name["item_id_list"] == [item.item_id]


async def test_reference_data_for_mappers(api: ShopeeApi, config: ShopeeConfig) -> None:
    categories = (await api.ok("GET", "product/get_category", {"language": "vi"}))["category_list"]
    leaves = {c["category_id"] for c in categories if not c["has_children"]}
    assert 100111 in leaves and 100001 not in leaves
    limits = await api.ok("GET", "product/get_item_limit", {"category_id": 100111})
    assert limits["item_name_length_limit"] == {"min_limit": 5, "max_limit": 100}
    channels = (await api.ok("GET", "logistics/get_channel_list"))["logistics_channel_list"]
    assert [c["logistics_channel_id"] for c in channels] == [c.logistics_channel_id for c in config.logistics_channels]


async def test_seller_edits_in_the_back_office_are_visible_over_the_api(
    api: ShopeeApi, sandbox: ShopeeSandbox, clock: ManualClock
) -> None:
    item = sandbox.create_item(SHOP_ID, "Nước mắm Phú Quốc 500ml", price=85000, stock=10, item_sku="NM-PQ")
    clock.advance(60)
    sandbox.set_price(item.item_id, 79000)
    sandbox.set_stock(item.item_id, 4)
    base = (await api.ok("GET", "product/get_item_base_info", {"item_id_list": str(item.item_id)}))["item_list"][0]
    assert base["price_info"][0]["original_price"] == 79000.0
    assert base["stock_info_v2"]["summary_info"]["total_available_stock"] == 4
    assert base["update_time"] == item.create_time + 60


async def test_with_review_on_new_items_wait_for_approval(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    sandbox.config.review_new_items = True
    echo = await api.add_item(item_status="UNLIST")
    assert echo["item_status"] == "UNLIST"  # only listings going live are reviewed
    live = await api.add_item(item_sku="LIVE")
    assert live["item_status"] == "REVIEWING"
    sandbox.approve_item(live["item_id"])
    assert sandbox.item(live["item_id"]).item_status == "NORMAL"


async def test_models_take_their_own_weight_and_dimension(api: ShopeeApi, sandbox: ShopeeSandbox) -> None:
    """Since 2024-05-29 (DOC): init_tier_variation, add_model and update_model take a model's weight and
    dimension; a model that sets a dimension must set its weight; get_model_list shows them."""
    item_id = (await api.add_item())["item_id"]
    tiers = [{"name": "Cỡ", "option_list": [{"option": "2kg"}, {"option": "5kg"}]}]
    box = {"package_length": 30, "package_width": 20, "package_height": 6}
    small = {"tier_index": [0], "original_price": 100000, "model_sku": "G-2", "weight": 2.1, "dimension": box}
    refused = await _error_of(api, "product/init_tier_variation", {
        "item_id": item_id, "tier_variation": tiers, "model": [small | {"weight": None}]
    })  # fmt: skip
    assert refused[1] == "error_param" and "must set weight" in refused[2]
    assert not sandbox.item(item_id).has_model  # nothing was made
    await api.ok("POST", "product/init_tier_variation", {"item_id": item_id, "tier_variation": tiers, "model": [small]})
    big = {"tier_index": [1], "original_price": 200000, "model_sku": "G-5", "weight": 5.2}
    [added] = (await api.ok("POST", "product/add_model", {"item_id": item_id, "model_list": [big]}))["model"]
    await api.ok("POST", "product/update_model", {"item_id": item_id, "model": [{"model_id": added["model_id"],
                                                                                "weight": 5.3}]})  # fmt: skip
    listed = (await api.ok("GET", "product/get_model_list", {"item_id": item_id}))["model"]
    assert {m["model_sku"]: (m.get("weight"), m.get("dimension")) for m in listed} == {
        "G-2": (2.1, box),
        "G-5": (5.3, None),
    }

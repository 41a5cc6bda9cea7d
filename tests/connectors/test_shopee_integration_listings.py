"""The Shopee connector's writes against the Shopee sandbox: create, update, price, stock, delist, look-up.

Each test checks three things: what the connector returns, what the sandbox's back office now holds, and
exactly which calls reached the sandbox (signed, tokened, over its real wire protocol).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.shopee.connector import ShopeeConnector
from core.catalog.records import OptionValue, VariantRecord
from core.errors import PermanentError
from core.ports import (
    AccountRules,
    ChannelAccount,
    InMemoryTokenStore,
    ListingRef,
    PriceUpdate,
    StockUpdate,
    Tokens,
)
from simulators.common.faults import ManualClock
from simulators.shopee.sandbox import ShopeeSandbox
from tests.connectors.sandbox_fixtures import (
    CATEGORIES,
    GIF,
    IMAGE_HOST,
    JPEG,
    PARTNER_ID,
    PARTNER_KEY,
    PNG,
    SHOP_ID,
    START,
    TEA_VARIANTS,
    World,
    fish_sauce,
    honey,
    path,
    sandbox_config,
    shopee_world,
    tea,
)

pytestmark = pytest.mark.anyio

UPLOAD, SEARCH = "media_space/upload_image", "product/search_item"
ADD, TIERS = "product/add_item", "product/init_tier_variation"


def _bodies(world: World, call: str) -> list[Any]:
    return [json.loads(c.body) for c in world.sandbox.recorded(path(call))]


def _statuses(world: World) -> set[int | None]:
    return {c.status for c in world.sandbox.recorded()}


# --- create ----------------------------------------------------------------------------------------


async def test_a_single_variant_product_becomes_an_item_without_models() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(honey())
        item = w.only_item("MO-UMINH")
        assert ref == ListingRef(item_id=str(item.item_id), models={})
        assert w.calls() == [SEARCH, UPLOAD, UPLOAD, ADD]
        assert _statuses(w) == {200}
        assert w.images.requests == ["/mo-uminh-1.jpg", "/mo-uminh-2.png"]
        uploaded = [w.sandbox.images[i] for i in item.image_ids]
        assert [(i.content_type, i.size) for i in uploaded] == [
            ("image/jpeg", len(JPEG)),
            ("image/png", len(PNG)),
        ]
        assert (item.item_name, item.category_id, item.item_status, item.has_model) == (
            "Mật ong rừng U Minh Hạ nguyên chất",
            CATEGORIES["Mật ong"],
            "NORMAL",
            False,
        )
        assert "Sản phẩm OCOP 4 sao ★★★★" in item.description
        assert "Xuất xứ: Hoàng Su Phì, Hà Giang" in item.description
        assert (item.models[0].original_price, item.models[0].seller_stock) == (185_000, 40)
        [body] = _bodies(w, ADD)
        assert (body["original_price"], body["seller_stock"], body["item_sku"]) == (
            185_000,
            [{"stock": 40}],
            "MO-UMINH",
        )
        assert w.sleeps == []


async def test_two_options_of_two_values_become_four_models_keyed_by_our_variant_skus() -> None:
    """The connector waits (virtually) the 5 s Shopee asks for, else the sandbox refuses the variations."""
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        item = w.only_item("TRA-ST")
        assert w.calls() == [SEARCH, UPLOAD, UPLOAD, ADD, TIERS]
        assert _statuses(w) == {200}
        assert w.sleeps == [5.0]
        assert item.tier_variation == [
            {"name": "Khối lượng", "option_list": [{"option": "100g"}, {"option": "250g"}]},
            {"name": "Loại", "option_list": [{"option": "Búp"}, {"option": "Vụn"}]},
        ]
        models = {m.model_sku: m for m in item.models.values()}
        assert ref.item_id == str(item.item_id)
        assert ref.models == {sku: str(m.model_id) for sku, m in models.items()}
        options = {"100g": 0, "250g": 1, "Búp": 0, "Vụn": 1}
        assert {sku: (m.tier_index, m.original_price, m.seller_stock) for sku, m in models.items()} == {
            sku: ([options[weight], options[grade]], price, stock)
            for sku, (weight, grade, price, stock) in TEA_VARIANTS.items()
        }
        [body] = _bodies(w, ADD)
        assert (body["original_price"], body["seller_stock"]) == (70_000, [{"stock": 112}])


async def test_creating_again_finds_the_item_instead_of_adding_another() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        mark = w.mark()
        assert await w.shopee.create_listing(tea()) == ref.model_copy(update={"found": True})
        assert w.calls(mark) == [SEARCH, "product/get_item_base_info", "product/get_model_list"]
        assert len(w.sandbox.items) == 1


def _named(*names: str) -> tuple[str, ...]:
    return tuple(f"{IMAGE_HOST}/{name}" for name in names)


@pytest.mark.parametrize(
    ("images", "served", "message", "calls"),
    [
        pytest.param(_named(*(f"{n}.jpg" for n in range(10))), {}, "at most 9 images", [], id="ten-images"),
        pytest.param(_named("a.jpg", "b.gif"), {}, "JPG and PNG images only, not .gif", [], id="gif-by-name"),
        pytest.param(
            _named("a.jpg", "big.jpg"),
            {"/big.jpg": JPEG + bytes(10 * 1024 * 1024)},
            "Shopee accepts at most 10485760",
            [SEARCH],
            id="over-10-MB",
        ),
        pytest.param(
            _named("a.jpg", "fake.jpg"),
            {"/fake.jpg": GIF},
            "JPG and PNG images only",
            [SEARCH],
            id="gif-bytes",
        ),
        pytest.param(_named("a.jpg", "gone.png"), {"/gone.png": None}, "HTTP 404", [SEARCH], id="not-found"),
    ],
)
async def test_image_limits_are_checked_before_any_upload(
    images: tuple[str, ...], served: dict[str, bytes | None], message: str, calls: list[str]
) -> None:
    """A good first image is not uploaded either when a later one breaks a limit: nothing is orphaned."""
    async with shopee_world() as w:
        w.images.files.update(served)
        with pytest.raises(PermanentError, match=message) as raised:
            await w.shopee.create_listing(honey(images=images))
        assert raised.value.field == "images"
        assert w.calls() == calls
        assert w.sandbox.images == {}
        assert w.sandbox.items == {}
        if not calls:
            assert w.images.requests == []  # the mapper refused it before anything was fetched


async def test_more_than_50_variants_is_refused_before_any_request() -> None:
    variants = [
        VariantRecord(sku=f"NM-{n:02d}", options=(OptionValue(name="Mẻ", value=f"Mẻ {n}"),), price_vnd=60_000)
        for n in range(51)
    ]
    async with shopee_world() as w:
        with pytest.raises(PermanentError, match="at most 50 variants; this has 51"):
            await w.shopee.create_listing(fish_sauce().model_copy(update={"variants": tuple(variants)}))
        assert w.calls() == []


# --- update ----------------------------------------------------------------------------------------


async def test_a_content_change_sends_update_item_and_only_reads_the_variations() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        mark = w.mark()
        changed = tea(name="Trà Shan Tuyết cổ thụ Hoàng Su Phì", description="Thu hái mùa xuân năm 2024.")
        assert await w.shopee.update_listing(ref, changed) == ref
        assert w.calls(mark) == ["product/update_item", "product/get_model_list"]
        item = w.only_item("TRA-ST")
        assert item.item_name == "Trà Shan Tuyết cổ thụ Hoàng Su Phì"
        assert "Thu hái mùa xuân năm 2024." in item.description
        [body] = _bodies(w, "product/update_item")
        assert body["item_id"] == int(ref.item_id)
        assert not {"original_price", "seller_stock", "model", "tier_variation"} & body.keys()
        assert {m.model_sku: (m.original_price, m.seller_stock) for m in item.models.values()} == {
            sku: (price, stock) for sku, (_, _, price, stock) in TEA_VARIANTS.items()
        }


async def _three_items(w: World) -> tuple[ListingRef, ListingRef, ListingRef]:
    return (
        await w.shopee.create_listing(fish_sauce()),
        await w.shopee.create_listing(tea()),
        await w.shopee.create_listing(honey()),
    )


async def test_prices_go_one_item_a_call_with_the_last_value_per_variant() -> None:
    """50 models fill one update_price call (Shopee's maximum); a later value for a variant replaces
    an earlier one instead of being sent after it."""
    async with shopee_world() as w:
        fish, leaf, single = await _three_items(w)
        updates = [PriceUpdate(ref=fish, variant_sku=sku, price_vnd=100_000) for sku in fish.models]
        updates += [
            PriceUpdate(ref=leaf, variant_sku="TRA-ST-100-BUP", price_vnd=99_000),
            PriceUpdate(ref=single, variant_sku="MO-UMINH-500ML", price_vnd=190_000),
            PriceUpdate(ref=leaf, variant_sku="TRA-ST-100-BUP", price_vnd=101_000),
        ]
        mark = w.mark()
        result = await w.shopee.update_prices(updates)
        assert result.ok, result.failed
        assert len(result.items) == 52
        assert w.calls(mark) == ["product/update_price"] * 3
        bodies = _bodies(w, "product/update_price")
        assert [(b["item_id"], len(b["price_list"])) for b in bodies] == [
            (int(fish.item_id), 50),
            (int(leaf.item_id), 1),
            (int(single.item_id), 1),
        ]
        assert bodies[1]["price_list"] == [{"model_id": int(leaf.models["TRA-ST-100-BUP"]), "original_price": 101_000}]
        assert bodies[2]["price_list"] == [{"model_id": 0, "original_price": 190_000}]
        fish_item = w.sandbox.item(int(fish.item_id))
        assert {m.original_price for m in fish_item.models.values()} == {100_000}
        assert w.sandbox.model(int(leaf.item_id), int(leaf.models["TRA-ST-100-BUP"])).original_price == 101_000
        assert w.sandbox.model(int(leaf.item_id), int(leaf.models["TRA-ST-250-BUP"])).original_price == 220_000
        assert w.sandbox.model(int(single.item_id)).original_price == 190_000


async def test_a_smaller_batch_limit_splits_one_item_over_several_calls() -> None:
    async with shopee_world(settings={"limits": {"batch_max": 20}}) as w:
        fish = await w.shopee.create_listing(fish_sauce())
        mark = w.mark()
        result = await w.shopee.update_stock([StockUpdate(ref=fish, variant_sku=s, stock=7) for s in fish.models])
        assert result.ok, result.failed
        assert w.calls(mark) == ["product/update_stock"] * 3
        assert [len(b["stock_list"]) for b in _bodies(w, "product/update_stock")] == [20, 20, 10]
        assert {m.seller_stock for m in w.sandbox.item(int(fish.item_id)).models.values()} == {7}


async def test_stock_goes_by_update_stock_and_one_refusal_spares_the_rest() -> None:
    async with shopee_world() as w:
        fish, leaf, single = await _three_items(w)
        held = "TRA-ST-250-VUN"
        w.sandbox.set_reserved_stock(int(leaf.item_id), 5, int(leaf.models[held]))
        updates = [StockUpdate(ref=leaf, variant_sku=sku, stock=3) for sku in TEA_VARIANTS]
        updates += [
            StockUpdate(ref=single, variant_sku="MO-UMINH-500ML", stock=9),
            StockUpdate(ref=single, variant_sku="MO-UMINH-500ML", stock=8),
            StockUpdate(ref=fish, variant_sku="NM-PQ-00-0", stock=1),
            StockUpdate(ref=leaf, variant_sku="TRA-ST-KHONG-CO", stock=1),
        ]
        mark = w.mark()
        result = await w.shopee.update_stock(updates)
        assert w.calls(mark) == ["product/get_model_list"] + ["product/update_stock"] * 3
        assert [(i.variant_sku, type(i.error).__name__) for i in result.failed] == [
            ("TRA-ST-KHONG-CO", "PermanentError"),  # looked for on the item, not there: never sent
            (held, "PermanentError"),
        ]
        assert "reserved stock 5" in str(result.failed[1].error)
        tea_item = w.sandbox.item(int(leaf.item_id))
        assert {m.model_sku: m.seller_stock for m in tea_item.models.values()} == {
            "TRA-ST-100-BUP": 3,
            "TRA-ST-100-VUN": 3,
            "TRA-ST-250-BUP": 3,
            held: TEA_VARIANTS[held][3],
        }
        assert w.sandbox.model(int(single.item_id)).seller_stock == 8
        assert w.sandbox.model(int(fish.item_id), int(fish.models["NM-PQ-00-0"])).seller_stock == 1


# --- delist, delete, look-up ---------------------------------------------------------------------


def _shelf(sandbox: ShopeeSandbox, count: int) -> list[ListingRef]:
    """``count`` single-variant items made in Seller Centre, SKUs GAO-000…"""
    return [
        ListingRef(
            item_id=str(
                sandbox.create_item(
                    SHOP_ID, f"Gạo ST25 Sóc Trăng túi {n} kg", price=180_000, item_sku=f"GAO-{n:03d}"
                ).item_id
            )
        )
        for n in range(count)
    ]


async def test_delisting_unlists_50_items_a_call_and_reports_each_refusal() -> None:
    async with shopee_world() as w:
        refs = _shelf(w.sandbox, 61)
        w.sandbox.ban_item(int(refs[55].item_id))
        result = await w.shopee.delist(refs)
        assert w.calls() == ["product/unlist_item"] * 2
        bodies = _bodies(w, "product/unlist_item")
        assert [len(b["item_list"]) for b in bodies] == [50, 11]
        assert all(entry["unlist"] is True for b in bodies for entry in b["item_list"])
        assert [(i.item_id, "BANNED" in str(i.error)) for i in result.failed] == [(refs[55].item_id, True)]
        statuses = [w.sandbox.item(int(ref.item_id)).item_status for ref in refs]
        assert statuses == ["UNLIST"] * 55 + ["BANNED"] + ["UNLIST"] * 5
        assert await w.shopee.find_by_sku("GAO-007") == refs[7]  # still ours, found while delisted


async def test_deleting_marks_items_seller_deleted_and_deleting_twice_is_done() -> None:
    async with shopee_world() as w:
        refs = _shelf(w.sandbox, 3)
        first = await w.shopee.delist(refs, delete=True)
        again = await w.shopee.delist(refs[:1], delete=True)
        assert (first.ok, again.ok) == (True, True)
        assert w.calls() == ["product/delete_item"] * 4
        assert [w.sandbox.item(int(r.item_id)).item_status for r in refs] == ["SELLER_DELETE"] * 3


async def test_find_by_sku_answers_our_item_with_its_models_or_none() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        w.sandbox.create_item(SHOP_ID, "Trà Shan Tuyết loại khác", price=90_000, item_sku="TRA-ST-2")
        mark = w.mark()
        assert await w.shopee.find_by_sku("TRA-ST") == ref
        assert await w.shopee.find_by_sku("TRA-ST-100-BUP") is None  # a model SKU is not an item SKU
        assert await w.shopee.find_by_sku("KHONG-CO") is None
        assert w.calls(mark) == [
            SEARCH,
            "product/get_item_base_info",
            "product/get_model_list",
            SEARCH,
            SEARCH,
        ]


async def test_a_deleted_item_is_ignored_by_find_by_sku_and_create_makes_a_new_one() -> None:
    async with shopee_world() as w:
        old = await w.shopee.create_listing(honey())
        assert (await w.shopee.delist([old], delete=True)).ok
        assert await w.shopee.find_by_sku("MO-UMINH") is None
        new = await w.shopee.create_listing(honey())
        assert new.item_id != old.item_id
        assert await w.shopee.find_by_sku("MO-UMINH") == new
        assert [i.item_status for i in w.items("MO-UMINH", include_deleted=True)] == [
            "SELLER_DELETE",
            "NORMAL",
        ]


async def test_a_connector_made_by_from_account_applies_the_account_rules(tmp_path: Path) -> None:
    """The factory the core uses: settings, partner key file, rules and token store, no test hooks."""
    clock = ManualClock(START)
    sandbox = ShopeeSandbox(sandbox_config(tier_variation_delay=0.0), clock=clock)
    key_file = tmp_path / "shopee_partner_key"
    key_file.write_text(PARTNER_KEY + "\n", encoding="utf-8")
    access, refresh = sandbox.authorize_shop(SHOP_ID)

    def now() -> datetime:
        return datetime.fromtimestamp(clock(), UTC)

    tokens = InMemoryTokenStore(
        Tokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=datetime.fromtimestamp(START + 4 * 3600, UTC),
            refresh_expires_at=datetime.fromtimestamp(START + 30 * 86400, UTC),
        )
    )
    account = ChannelAccount(
        channel="shopee",
        settings={
            "partner_id": PARTNER_ID,
            "partner_key_file": str(key_file),
            "shop_id": SHOP_ID,
            "logistics": [{"logistic_id": 50021}],
            "category_map": CATEGORIES,
            "listing": {"tier_variation_delay_s": 0},
        },
        rules=AccountRules(price_markup_percent=10, round_to_vnd=1000, stock_buffer=2),
    )
    async with httpx.AsyncClient(transport=sandbox.transport(), mounts={IMAGE_HOST: _images()}) as http:
        shopee = ShopeeConnector.from_account(account, http=http, tokens=tokens, now=now)
        ref = await shopee.create_listing(tea())
    item = sandbox.items_by_sku("TRA-ST")[0]
    assert ref.models == {m.model_sku: str(m.model_id) for m in item.models.values()}
    assert {m.model_sku: (m.original_price, m.seller_stock) for m in item.models.values()} == {
        "TRA-ST-100-BUP": (105_000, 28),  # 95.000 đ + 10 % = 104.500, rounded up to 105.000; 30 − 2
        "TRA-ST-100-VUN": (77_000, 48),
        "TRA-ST-250-BUP": (242_000, 10),
        "TRA-ST-250-VUN": (176_000, 18),
    }
    assert [c.path for c in sandbox.recorded()] == [path(c) for c in (SEARCH, UPLOAD, UPLOAD, ADD, TIERS)]


def _images() -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, content=JPEG))

"""A live Shopee item whose variants change: the plan (pure), then the requests (respx) and their failures."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from connectors.kit.retry import RetrySettings
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.mapper import map_item
from connectors.shopee.payload import ShopeeItem, ShopeeModel, ShopeeTier
from connectors.shopee.variations import LiveModel, LiveVariations, VariationChange, plan_variation_change
from core.catalog.records import OptionValue, VariantRecord
from core.errors import OutcomeUnknown, PermanentError
from core.ports import AccountRules, InMemoryTokenStore, ListingRef, StockUpdate
from tests.connectors.conftest import (
    BASE_URL,
    JPEG,
    PNG,
    FakeClock,
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
WEIGHT = "Khối lượng"

# --- the plan ------------------------------------------------------------------------------------


def _variant(sku: str, *options: str, price: int = 120_000, stock: int = 5) -> VariantRecord:
    names = (WEIGHT, "Loại")
    values = tuple(OptionValue(name=name, value=value) for name, value in zip(names, options, strict=False))
    return VariantRecord(sku=sku, options=values, price_vnd=price, stock=stock)


def _wanted(*variants: VariantRecord) -> ShopeeItem:
    mapped = map_item(product(variants=variants), AccountRules(), make_config())
    assert not isinstance(mapped, list), mapped
    return mapped.content


def _live(options: tuple[str, ...], *models: tuple[int, str, int]) -> LiveVariations:
    """One tier of ``options``; models as (model id, SKU, option position)."""
    return LiveVariations(
        tiers=(ShopeeTier(name=WEIGHT, options=options),),
        models=tuple(LiveModel(model_id=i, model_sku=sku, tier_index=(at,)) for i, sku, at in models),
    )


LIVE = _live(("200g", "500g"), (9001, "A", 0), (9002, "B", 1))


def _tiers(*options: str) -> tuple[ShopeeTier, ...]:
    return (ShopeeTier(name=WEIGHT, options=options),)


@pytest.mark.parametrize(
    ("live", "wanted", "change"),
    [
        pytest.param(
            LIVE,
            [_variant("A", "200g"), _variant("B", "500g")],
            VariationChange(placed=((9001, (0,)), (9002, (1,))), kept={"A": "9001", "B": "9002"}),
            id="unchanged",
        ),
        pytest.param(
            LIVE,
            [_variant("A", "200g"), _variant("B", "500g"), _variant("C", "10kg")],
            VariationChange(
                tiers=_tiers("200g", "500g", "10kg"),
                placed=((9001, (0,)), (9002, (1,))),
                add=(ShopeeModel(model_sku="C", tier_index=(2,)),),
                kept={"A": "9001", "B": "9002"},
            ),
            id="a-variant-added-appends-its-option",
        ),
        pytest.param(
            LIVE,
            [_variant("A", "200g")],
            VariationChange(delete_first=(9002,), placed=((9001, (0,)),), kept={"A": "9001"}),
            id="a-variant-removed-keeps-its-option",
        ),
        pytest.param(
            LIVE,
            [_variant("C", "10kg"), _variant("A", "200g")],
            VariationChange(
                delete_first=(9002,),
                tiers=_tiers("200g", "500g", "10kg"),
                placed=((9001, (0,)),),
                add=(ShopeeModel(model_sku="C", tier_index=(2,)),),
                kept={"A": "9001"},
            ),
            id="one-added-one-removed",
        ),
        pytest.param(
            _live(("200g", "500g"), (9001, "A", 0)),
            [_variant("A", "200g"), _variant("B2", "500g")],
            VariationChange(
                placed=((9001, (0,)),), add=(ShopeeModel(model_sku="B2", tier_index=(1,)),), kept={"A": "9001"}
            ),
            id="an-unused-option-is-reused",
        ),
        pytest.param(
            LIVE,
            [_variant("A", "200g"), _variant("B", "0,5kg")],
            VariationChange(
                tiers=_tiers("200g", "0,5kg"), placed=((9001, (0,)), (9002, (1,))), kept={"A": "9001", "B": "9002"}
            ),
            id="an-option-renamed-in-place",
        ),
        pytest.param(
            LIVE.model_copy(update={"tiers": (ShopeeTier(name="Cân nặng", options=("200g", "500g")),)}),
            [_variant("A", "200g"), _variant("B", "500g")],
            VariationChange(
                tiers=_tiers("200g", "500g"), placed=((9001, (0,)), (9002, (1,))), kept={"A": "9001", "B": "9002"}
            ),
            id="an-option-name-renamed",
        ),
        pytest.param(
            _live(("200g", "500g", "1kg"), (9001, "A", 0), (9002, "B", 1), (9003, "", 2), (9004, "A", 2)),
            [_variant("A", "200g"), _variant("B", "500g")],
            VariationChange(
                delete_first=(9003, 9004), placed=((9001, (0,)), (9002, (1,))), kept={"A": "9001", "B": "9002"}
            ),
            id="models-without-sku-or-repeating-one-go",
        ),
        pytest.param(
            LIVE,
            [_variant("C", "200g"), _variant("D", "1kg")],
            VariationChange(
                delete_first=(9001,),
                tiers=_tiers("200g", "500g", "1kg"),
                placed=((9002, (1,)),),
                add=(ShopeeModel(model_sku="C", tier_index=(0,)), ShopeeModel(model_sku="D", tier_index=(2,))),
                delete_last=(9002,),
            ),
            id="all-replaced-the-last-old-one-goes-after-the-adds",
        ),
    ],
)
def test_the_plan_keeps_existing_places_and_sends_only_the_difference(
    live: LiveVariations, wanted: list[VariantRecord], change: VariationChange
) -> None:
    assert plan_variation_change("TRA-TC", live, _wanted(*wanted)) == change


def test_an_unchanged_item_needs_no_call() -> None:
    assert plan_variation_change("TRA-TC", LIVE, _wanted(_variant("A", "200g"), _variant("B", "500g"))).calls == 0


TWO_TIERS = LiveVariations(
    tiers=(ShopeeTier(name=WEIGHT, options=("100g",)), ShopeeTier(name="Loại", options=("Búp", "Vụn"))),
    models=(
        LiveModel(model_id=1, model_sku="A", tier_index=(0, 0)),
        LiveModel(model_id=2, model_sku="B", tier_index=(0, 1)),
    ),
)


@pytest.mark.parametrize(
    ("live", "wanted", "message"),
    [
        pytest.param(LIVE, [_variant("A", "200g", "Búp")], "option names of TRA-TC changed", id="a-second-tier"),
        pytest.param(
            TWO_TIERS,
            [_variant("A", "100 g", "Búp"), _variant("B", "100g", "Vụn")],
            "share the option '100g'",
            id="one-shared-option-renamed-for-one-model-only",
        ),
        pytest.param(
            _live(("200g", "500g"), (9001, "A", 0)),
            [_variant("A", "500g")],
            "the same option twice",
            id="renamed-onto-an-unused-option",
        ),
        pytest.param(
            LIVE,
            [_variant("C", "200g"), _variant("D", "500g")],
            "replaced at once",
            id="every-sku-replaced-on-the-same-options",
        ),
    ],
)
def test_changes_shopee_cannot_make_in_place_are_problems_for_a_person(
    live: LiveVariations, wanted: list[VariantRecord], message: str
) -> None:
    with pytest.raises(PermanentError, match=message) as raised:
        plan_variation_change("TRA-TC", live, _wanted(*wanted))
    assert raised.value.field == "variants"
    assert raised.value.hint


def test_a_model_list_shopee_garbled_is_a_data_error() -> None:
    with pytest.raises(PermanentError, match="could not be read") as raised:
        LiveVariations.from_answer(ITEM_ID, {"tier_variation": [{"name": WEIGHT}], "model": []})
    assert raised.value.code == "shopee_data"


# --- the requests ----------------------------------------------------------------------------------

# Bound: 200g and 1kg. The catalog now sells 200g and 500g (product()): 1kg goes, 500g comes.
REF = ListingRef(item_id=str(ITEM_ID), models={"TRA-TC-200": "9001", "TRA-TC-1KG": "9003"})
BEFORE = {
    "tier_variation": [{"name": WEIGHT, "option_list": [{"option": "200g"}, {"option": "1kg"}]}],
    "model": [
        {"model_id": 9001, "model_sku": "TRA-TC-200", "tier_index": [0]},
        {"model_id": 9003, "model_sku": "TRA-TC-1KG", "tier_index": [1]},
    ],
}
AFTER = {
    "tier_variation": [{"name": WEIGHT, "option_list": [{"option": "200g"}, {"option": "1kg"}, {"option": "500g"}]}],
    "model": [
        {"model_id": 9001, "model_sku": "TRA-TC-200", "tier_index": [0]},
        {"model_id": 9004, "model_sku": "TRA-TC-500", "tier_index": [2]},
    ],
}
ADDED = {"model": [{"model_id": 9004, "model_sku": "TRA-TC-500", "tier_index": [2]}]}
NEW_REF = ListingRef(item_id=str(ITEM_ID), models={"TRA-TC-200": "9001", "TRA-TC-500": "9004"})


def _content(router: respx.MockRouter) -> None:
    router.get("https://img.test/tra-1.jpg").mock(return_value=httpx.Response(200, content=JPEG))
    router.get("https://img.test/tra-2.png").mock(return_value=httpx.Response(200, content=PNG))
    router.post(f"{API}/media_space/upload_image").mock(return_value=envelope({"image_info": {"image_id": "img"}}))
    router.post(f"{API}/product/update_item").mock(return_value=envelope({"item_id": ITEM_ID}))


def _shopee_calls(router: respx.MockRouter) -> list[str]:
    """The Shopee calls made so far, in order (read inside the mock: it forgets them on exit)."""
    return [
        call.request.url.path.removeprefix("/api/v2/") for call in router.calls if "/api/v2/" in str(call.request.url)
    ]


async def test_an_added_and_a_removed_variant_delete_extend_the_tiers_then_add(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope(BEFORE))
        delete = router.post(f"{API}/product/delete_model").mock(return_value=envelope({}))
        tiers = router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
        add = router.post(f"{API}/product/add_model").mock(return_value=envelope(ADDED))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).update_listing(REF, product()) == NEW_REF
        calls = _shopee_calls(router)
    assert calls[-4:] == [
        "product/get_model_list",
        "product/delete_model",
        "product/update_tier_variation",
        "product/add_model",
    ]
    assert body_of(delete.calls.last.request) == {"item_id": ITEM_ID, "model_id": 9003}
    assert body_of(tiers.calls.last.request) == {
        "item_id": ITEM_ID,
        "tier_variation": AFTER["tier_variation"],
        "model_list": [{"tier_index": [0], "model_id": 9001}],
    }
    assert body_of(add.calls.last.request) == {
        "item_id": ITEM_ID,
        "model_list": [
            {"tier_index": [2], "original_price": 280_000, "model_sku": "TRA-TC-500", "seller_stock": [{"stock": 12}]}
        ],
    }


async def test_a_lost_add_model_answer_is_unknown_and_the_retry_adds_nothing_twice(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    """The retry reads the item back, finds the model the lost call made, and binds it."""
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(side_effect=[envelope(BEFORE), envelope(AFTER)])
        router.post(f"{API}/product/delete_model").mock(return_value=envelope({}))
        router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
        add = router.post(f"{API}/product/add_model").mock(side_effect=httpx.ReadTimeout("lost"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            with pytest.raises(OutcomeUnknown):
                await connector.update_listing(REF, product())
            assert await connector.update_listing(REF, product()) == NEW_REF
        calls = _shopee_calls(router)
    assert add.call_count == 1
    assert calls[-2:] == ["product/update_item", "product/get_model_list"]


@pytest.mark.parametrize(
    ("call", "fault", "sent", "outcome"),
    [
        pytest.param("update_tier_variation", httpx.Response(503), 2, None, id="tiers-503-retried-it-sets-a-value"),
        pytest.param("update_tier_variation", httpx.ReadTimeout("x"), 2, None, id="tiers-timeout-retried"),
        pytest.param("add_model", httpx.Response(503), 1, OutcomeUnknown, id="add-503-unknown-not-repeated"),
        pytest.param("add_model", shopee_error("error_server", status=500), 1, OutcomeUnknown, id="add-error-server"),
        pytest.param("add_model", httpx.ConnectError("x"), 2, None, id="add-never-sent-retried"),
        pytest.param("add_model", shopee_error("product.error_busi"), 1, PermanentError, id="add-refused"),
    ],
)
async def test_failures_after_sending_follow_the_error_table(
    config: ShopeeConfig,
    tokens: InMemoryTokenStore,
    clock: FakeClock,
    call: str,
    fault: httpx.Response | Exception,
    sent: int,
    outcome: type[Exception] | None,
) -> None:
    answers: dict[str, Any] = {"update_tier_variation": envelope({}), "add_model": envelope(ADDED)}
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope(BEFORE))
        router.post(f"{API}/product/delete_model").mock(return_value=envelope({}))
        router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
        router.post(f"{API}/product/add_model").mock(return_value=envelope(ADDED))
        route = router.post(f"{API}/product/{call}").mock(side_effect=[fault, answers[call]])
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http, retry=RetrySettings(max_attempts=2))
            if outcome is None:
                assert await connector.update_listing(REF, product()) == NEW_REF
            else:
                with pytest.raises(outcome):
                    await connector.update_listing(REF, product())
    assert route.call_count == sent


@pytest.mark.parametrize(
    ("after", "outcome"),
    [
        pytest.param(AFTER, None, id="already-gone-is-done"),
        pytest.param(BEFORE, PermanentError, id="still-there-is-refused"),
    ],
)
async def test_a_refused_delete_is_checked_against_the_item(
    config: ShopeeConfig,
    tokens: InMemoryTokenStore,
    clock: FakeClock,
    after: dict[str, Any],
    outcome: type[Exception] | None,
) -> None:
    """A delete resent after a lost answer is refused (no such model): a read says whether it is done."""
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(side_effect=[envelope(BEFORE), envelope(after)])
        router.post(f"{API}/product/delete_model").mock(return_value=shopee_error("error_param", "no such model"))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            if outcome is None:
                router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
                router.post(f"{API}/product/add_model").mock(return_value=envelope(ADDED))
                assert await connector.update_listing(REF, product()) == NEW_REF
            else:
                with pytest.raises(outcome, match="refused a value"):
                    await connector.update_listing(REF, product())


async def test_an_add_model_answer_without_ids_is_completed_by_reading_the_item(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        read = router.get(f"{API}/product/get_model_list").mock(side_effect=[envelope(BEFORE), envelope(AFTER)])
        router.post(f"{API}/product/delete_model").mock(return_value=envelope({}))
        router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
        router.post(f"{API}/product/add_model").mock(return_value=envelope({}))
        async with httpx.AsyncClient() as http:
            assert await make_connector(config, tokens, clock, http).update_listing(REF, product()) == NEW_REF
    assert read.call_count == 2


async def test_a_product_that_loses_its_options_cannot_drop_shopee_variations(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    single = product(variants=(VariantRecord(sku="TRA-TC-200", price_vnd=120_000, stock=3),))
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope(BEFORE))
        async with httpx.AsyncClient() as http:
            with pytest.raises(PermanentError, match="without options") as raised:
                await make_connector(config, tokens, clock, http).update_listing(REF, single)
    assert raised.value.field == "variants"


async def test_an_item_whose_variations_never_came_gets_them_on_update(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    """A bound item without models, or a binding lagging a lost init_tier_variation: Shopee is asked."""
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        router.get(f"{API}/product/get_model_list").mock(return_value=envelope({"tier_variation": [], "model": []}))
        init = router.post(f"{API}/product/init_tier_variation").mock(
            return_value=envelope({"model": AFTER["model"][:1] + ADDED["model"]})
        )
        async with httpx.AsyncClient() as http:
            ref = await make_connector(config, tokens, clock, http).update_listing(
                ListingRef(item_id=str(ITEM_ID)), product()
            )
    assert ref == NEW_REF
    assert [m["model_sku"] for m in body_of(init.calls.last.request)["model"]] == ["TRA-TC-200", "TRA-TC-500"]


# --- price and stock with a binding that lags the item ----------------------------------------------


async def test_stock_right_after_an_update_goes_to_the_models_it_made_without_a_read(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    """The run's stock operations were read before its update: their refs still carry the old binding."""
    with respx.mock(assert_all_called=True) as router:
        _content(router)
        read = router.get(f"{API}/product/get_model_list").mock(return_value=envelope(BEFORE))
        router.post(f"{API}/product/delete_model").mock(return_value=envelope({}))
        router.post(f"{API}/product/update_tier_variation").mock(return_value=envelope({}))
        router.post(f"{API}/product/add_model").mock(return_value=envelope(ADDED))
        stock = router.post(f"{API}/product/update_stock").mock(return_value=envelope({"failure_list": []}))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http)
            await connector.update_listing(REF, product())
            result = await connector.update_stock([StockUpdate(ref=REF, variant_sku="TRA-TC-500", stock=12)])
    assert result.ok
    assert read.call_count == 1
    assert body_of(stock.calls.last.request)["stock_list"] == [{"model_id": 9004, "seller_stock": [{"stock": 12}]}]


async def test_stock_of_a_variant_the_binding_lacks_is_sent_after_reading_the_item(
    config: ShopeeConfig, tokens: InMemoryTokenStore, clock: FakeClock
) -> None:
    """An add_model whose answer was lost made the variant: the binding, and this connector, lack it."""
    other = ListingRef(item_id="7", models={"X": "70"})
    updates = [
        StockUpdate(ref=REF, variant_sku="TRA-TC-500", stock=11),
        StockUpdate(ref=REF, variant_sku="TRA-TC-200", stock=4),
        StockUpdate(ref=other, variant_sku="Y", stock=1),
        StockUpdate(ref=other, variant_sku="X", stock=2),
    ]
    with respx.mock(assert_all_called=True) as router:
        read = router.get(f"{API}/product/get_model_list").mock(
            side_effect=lambda request: (
                envelope(AFTER)
                if request.url.params["item_id"] == str(ITEM_ID)
                else shopee_error("error_server", status=500)
            )
        )
        stock = router.post(f"{API}/product/update_stock").mock(return_value=envelope({"failure_list": []}))
        async with httpx.AsyncClient() as http:
            connector = make_connector(config, tokens, clock, http, retry=RetrySettings(max_attempts=1))
            result = await connector.update_stock(updates)
    assert read.call_count == 2
    bodies = {body_of(call.request)["item_id"]: body_of(call.request)["stock_list"] for call in stock.calls}
    assert bodies[ITEM_ID] == [
        {"model_id": 9004, "seller_stock": [{"stock": 11}]},
        {"model_id": 9001, "seller_stock": [{"stock": 4}]},
    ]
    assert bodies[7] == [{"model_id": 70, "seller_stock": [{"stock": 2}]}]
    # The unreadable item fails the variant it could not find with the read's own (retryable) error.
    assert [(f.variant_sku, type(f.error).__name__) for f in result.failed] == [("Y", "RetryableError")]

"""The Shopee connector changing a live item's variations on the Shopee sandbox: two tiers, in place."""

from __future__ import annotations

import json

import pytest

from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.ports import ListingRef
from tests.connectors.sandbox_fixtures import TEA_VARIANTS, World, path, shopee_world, tea

pytestmark = pytest.mark.anyio

SHOOTS = "TRA-ST-500-BUP"  # a new 500 g bag of shoots


def _with(product: ProductRecord, *variants: VariantRecord, without: tuple[str, ...] = ()) -> ProductRecord:
    kept = tuple(v for v in product.variants if v.sku not in without)
    return product.model_copy(update={"variants": kept + variants})


def _shoots_500g() -> VariantRecord:
    options = (OptionValue(name="Khối lượng", value="500g"), OptionValue(name="Loại", value="Búp"))
    return VariantRecord(sku=SHOOTS, options=options, price_vnd=340_000, stock=6)


def _options(w: World, ref: ListingRef) -> list[list[str]]:
    return [[o["option"] for o in t["option_list"]] for t in w.sandbox.item(int(ref.item_id)).tier_variation]


def _bound(w: World, ref: ListingRef) -> dict[str, str]:
    return {m.model_sku: str(m.model_id) for m in w.sandbox.item(int(ref.item_id)).models.values()}


async def test_a_new_weight_appends_an_option_to_the_first_tier_only() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        mark = w.mark()
        new = await w.shopee.update_listing(ref, _with(tea(), _shoots_500g()))
        assert w.calls(mark) == [
            "product/update_item",
            "product/get_model_list",
            "product/update_tier_variation",
            "product/add_model",
        ]
        assert _options(w, ref) == [["100g", "250g", "500g"], ["Búp", "Vụn"]]
        model = w.sandbox.model(int(ref.item_id), int(new.models[SHOOTS]))
        assert (model.tier_index, model.original_price, model.seller_stock) == ([2, 0], 340_000, 6)
        assert new.models == _bound(w, ref)
        assert {sku: new.models[sku] for sku in TEA_VARIANTS} == ref.models


async def test_a_weight_no_longer_sold_loses_its_models_and_keeps_its_place() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        gone = ("TRA-ST-250-BUP", "TRA-ST-250-VUN")
        new = await w.shopee.update_listing(ref, _with(tea(), without=gone))
        deleted = [json.loads(c.body)["model_id"] for c in w.sandbox.recorded(path("product/delete_model"))]
        assert sorted(deleted) == sorted(int(ref.models[sku]) for sku in gone)
        assert new.models == _bound(w, ref) == {sku: ref.models[sku] for sku in ("TRA-ST-100-BUP", "TRA-ST-100-VUN")}
        assert _options(w, ref) == [["100g", "250g"], ["Búp", "Vụn"]]  # an unused option stays, reusable
        back = await w.shopee.update_listing(new, tea())
        assert set(back.models) == set(TEA_VARIANTS)
        assert _options(w, ref) == [["100g", "250g"], ["Búp", "Vụn"]]


async def test_an_option_shared_by_two_models_is_renamed_once_for_both() -> None:
    async with shopee_world() as w:
        ref = await w.shopee.create_listing(tea())
        renamed = tea().model_copy(
            update={
                "variants": tuple(
                    v.model_copy(
                        update={"options": tuple(
                            o.model_copy(update={"value": "Búp non"}) if o.value == "Búp" else o for o in v.options
                        )}
                    )
                    for v in tea().variants
                )
            }
        )  # fmt: skip
        assert await w.shopee.update_listing(ref, renamed) == ref
        assert _options(w, ref) == [["100g", "250g"], ["Búp non", "Vụn"]]
        assert w.sandbox.calls(path("product/add_model")) == w.sandbox.calls(path("product/delete_model")) == 0

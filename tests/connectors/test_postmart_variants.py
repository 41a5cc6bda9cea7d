"""The variants of a live Postmart product: added, removed and renamed through product_update.

ASSUMED contract (config/channels/postmart.toml, ``skus``): the update carries the product's whole SKU
list; kept SKUs go with their id, a new one without an id but with its price and stock, a SKU left out is
removed. Both the connector and the sandbox read that from the same toml.
"""

from __future__ import annotations

import json

import pytest

from core.catalog.records import OptionValue, ProductRecord
from core.errors import OutcomeUnknown
from core.ports import ListingRef
from simulators.common.faults import Fault
from tests.connectors.postmart_fixtures import USERNAME, PostmartWorld, postmart_world, rice

pytestmark = pytest.mark.anyio

UPDATE = "/apis/v1/merchant/products/update"


def _skus(w: PostmartWorld) -> dict[str, tuple[int, str, int, int]]:
    """Serial → (id, option text, price, stock) of the product on the sandbox."""
    product = w.sandbox.by_serial(USERNAME, "GAO-ST25")
    assert product is not None
    return {s.serial: (s.sku_id, s.spec, s.price, s.stock) for s in product.skus}


async def test_an_added_variant_becomes_a_sku_with_its_price_and_stock_and_the_others_keep_their_ids() -> None:
    async with postmart_world() as w:
        ref = await w.connector.create_listing(rice(variants=2))
        before = _skus(w)
        new_ref = await w.connector.update_listing(ref, rice(variants=3))
        after = _skus(w)
        assert set(after) == {"GAO-ST25-1KG", "GAO-ST25-2KG", "GAO-ST25-3KG"}
        assert after["GAO-ST25-3KG"][1:] == ("Khối lượng: 3kg", 150_000, 12)
        assert {k: v[0] for k, v in after.items() if k in before} == {k: v[0] for k, v in before.items()}
        assert new_ref == ListingRef(item_id=ref.item_id, models={k: str(v[0]) for k, v in after.items()})
        [sent] = w.sandbox.recorded("product_update")
        entries = json.loads(sent.body)["goods_list"]
        assert [("goods_id" in e, "goods_price" in e) for e in entries] == [(True, False), (True, False), (False, True)]


async def test_a_removed_variant_leaves_the_product_and_the_binding() -> None:
    async with postmart_world() as w:
        ref = await w.connector.create_listing(rice(variants=2))
        kept_id = ref.models["GAO-ST25-1KG"]
        new_ref = await w.connector.update_listing(ref, rice(variants=1))
        assert list(_skus(w)) == ["GAO-ST25-1KG"]
        assert new_ref.models == {"GAO-ST25-1KG": kept_id}


async def test_a_renamed_option_is_updated_in_place_without_a_read() -> None:
    async with postmart_world() as w:
        ref = await w.connector.create_listing(rice(variants=2))
        product = rice(variants=2)
        first = product.variants[0].model_copy(update={"options": (OptionValue(name="Khối lượng", value="1 kg"),)})
        renamed: ProductRecord = product.model_copy(update={"variants": (first, *product.variants[1:])})
        reads = w.sandbox.calls("product_list")
        assert await w.connector.update_listing(ref, renamed) == ref
        assert _skus(w)["GAO-ST25-1KG"][:2] == (int(ref.models["GAO-ST25-1KG"]), "Khối lượng: 1 kg")
        assert w.sandbox.calls("product_list") == reads  # the SKU set did not change: nothing to read


async def test_an_add_whose_answer_is_lost_is_not_repeated_blindly_nor_added_twice() -> None:
    async with postmart_world() as w:
        ref = await w.connector.create_listing(rice(variants=2))
        w.sandbox.faults.enqueue(UPDATE, Fault.lost_response())  # applied, then the answer is lost
        with pytest.raises(OutcomeUnknown):
            await w.connector.update_listing(ref, rice(variants=3))
        assert w.sandbox.calls("product_update") == 1  # not retried: it may add the SKU again
        new_ref = await w.connector.update_listing(ref, rice(variants=3))  # the core tries again later
        assert sorted(_skus(w)) == ["GAO-ST25-1KG", "GAO-ST25-2KG", "GAO-ST25-3KG"]
        assert set(new_ref.models) == set(_skus(w))

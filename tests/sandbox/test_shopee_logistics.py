"""The Shopee sandbox's logistics channels: a SIZE_INPUT channel refuses an item without its package size."""

from __future__ import annotations

import pytest

from simulators.shopee.config import LogisticsChannel, ShopeeConfig
from simulators.shopee.sandbox import ShopeeSandbox

from .shopee_api import OTHER_SHOP_ID, PARTNER_ID, PARTNER_KEY, SHOP_ID, ShopeeApi

pytestmark = pytest.mark.anyio

SIZED, FLAT = 50021, 50031


@pytest.fixture
def config() -> ShopeeConfig:
    channels = (
        LogisticsChannel(SIZED, "SPX Express", fee_type="SIZE_INPUT"),
        LogisticsChannel(FLAT, "Giao tận nơi", fee_type="FIXED_DEFAULT_PRICE"),
    )
    return ShopeeConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP_ID, OTHER_SHOP_ID], logistics_channels=channels)


def _on(channel: int) -> list[dict[str, object]]:
    return [{"logistic_id": channel, "enabled": True}]


async def test_get_channel_list_tells_each_channels_fee_type(api: ShopeeApi) -> None:
    channels = (await api.ok("GET", "logistics/get_channel_list"))["logistics_channel_list"]
    assert {c["logistics_channel_id"]: c["fee_type"] for c in channels} == {SIZED: "SIZE_INPUT",
                                                                           FLAT: "FIXED_DEFAULT_PRICE"}  # fmt: skip


async def test_add_item_on_a_size_input_channel_without_dimension_is_refused_naming_the_channel(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    response = await api.post("product/add_item", await api.item_body(dimension=None, logistic_info=_on(SIZED)))
    envelope = response.json()
    assert (response.status_code, envelope["error"]) == (200, "error_param")
    # Shopee's own shape: "Wrong parameters, detail: dimension is required by logistics channel 50021."
    assert f"dimension is required by logistics channel {SIZED}" in envelope["message"]
    assert sandbox.items == {}


async def test_a_channel_of_another_fee_type_takes_an_item_without_dimension(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    echo = await api.add_item(dimension=None, logistic_info=_on(FLAT))
    assert sandbox.item(echo["item_id"]).dimension is None


async def test_update_item_enabling_a_size_input_channel_without_dimension_is_refused(
    api: ShopeeApi, sandbox: ShopeeSandbox
) -> None:
    item_id = (await api.add_item(dimension=None, logistic_info=_on(FLAT)))["item_id"]
    body = {"item_id": item_id, "logistic_info": [*_on(FLAT), *_on(SIZED)]}
    envelope = (await api.post("product/update_item", body)).json()
    assert envelope["error"] == "error_param"
    assert f"dimension is required by logistics channel {SIZED}" in envelope["message"]
    assert sandbox.item(item_id).logistic_info == _on(FLAT)  # the refused update changed nothing
    size = {"package_length": 10, "package_width": 8, "package_height": 5}
    await api.ok("POST", "product/update_item", body | {"dimension": size})
    assert sandbox.item(item_id).dimension == size

"""A shipping channel that prices by package size needs the package's dimensions, known before any request."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.shopee.config import ShopeeConfig
from connectors.shopee.mapper import map_item
from connectors.shopee.payload import add_item_body
from core.catalog.records import ProductRecord
from core.errors import ConfigError
from core.ports import AccountRules, Problem, payload_hash
from tests.connectors.conftest import make_config, product

NO_SIZE = {"length_cm": None, "width_cm": None, "height_cm": None}


def _map(p: ProductRecord, config: ShopeeConfig) -> Any:
    return map_item(p, AccountRules(), config)


def _problems(p: ProductRecord, config: ShopeeConfig) -> list[Problem]:
    result = _map(p, config)
    assert isinstance(result, list), "expected problems"
    return result


def _sized(*channels: dict[str, Any], **settings: Any) -> ShopeeConfig:
    return make_config(logistics=list(channels), **settings)


def test_a_size_input_channel_without_package_size_is_a_problem_naming_product_field_and_channel() -> None:
    config = _sized({"logistic_id": 50021, "fee_type": "SIZE_INPUT"})
    [problem] = _problems(product(**NO_SIZE), config)
    assert (problem.sku, problem.field) == ("TRA-TC", "dimensions")
    assert "channel 50021" in problem.message and "SIZE_INPUT" in problem.message
    assert "length_cm, width_cm and height_cm" in problem.message


def test_a_size_input_channel_with_package_size_maps() -> None:
    config = _sized({"logistic_id": 50021, "fee_type": "SIZE_INPUT"})
    listing = _map(product(), config)
    assert not isinstance(listing, list), listing
    dimension = listing.content.dimension
    assert dimension is not None and (dimension.package_length, dimension.package_width) == (20, 11)


def test_the_fee_type_is_never_sent_and_leaves_the_content_hash_alone() -> None:
    """An account that learns its channels' fee types must not see every listing updated for it."""
    with_fee = _map(product(), _sized({"logistic_id": 50021, "fee_type": "SIZE_INPUT"}))
    without = _map(product(), _sized({"logistic_id": 50021}, logistics_fee_types={"50021": "FIXED_DEFAULT_PRICE"}))
    assert not isinstance(with_fee, list) and not isinstance(without, list)
    assert payload_hash(with_fee.content) == payload_hash(without.content)
    assert add_item_body(with_fee, ["img-1"])["logistic_info"] == [{"logistic_id": 50021, "enabled": True,
                                                                    "is_free": False}]  # fmt: skip


def test_the_channel_toml_knows_50021_and_an_account_may_say_otherwise() -> None:
    assert [p.field for p in _problems(product(**NO_SIZE), make_config())] == ["dimensions"]
    config = make_config(logistics_fee_types={"50021": "SIZE_SELECTION"})
    assert not isinstance(_map(product(**NO_SIZE), config), list)
    own = _sized({"logistic_id": 50021, "fee_type": "FIXED_DEFAULT_PRICE"})  # the channel's own word wins
    assert not isinstance(_map(product(**NO_SIZE), own), list)


@pytest.mark.parametrize(
    "channel",
    [
        pytest.param({"logistic_id": 50011, "fee_type": "FIXED_DEFAULT_PRICE"}, id="fixed-price"),
        pytest.param({"logistic_id": 50011, "fee_type": "CUSTOM_PRICE", "shipping_fee": 30000}, id="custom-price"),
        pytest.param({"logistic_id": 50011}, id="fee-type-not-known"),
        pytest.param({"logistic_id": 50021, "fee_type": "SIZE_INPUT", "enabled": False}, id="size-input-disabled"),
    ],
)
def test_other_channels_need_no_package_size(channel: dict[str, Any]) -> None:
    config = _sized({"logistic_id": 50012, "fee_type": "FIXED_DEFAULT_PRICE"}, channel)
    assert not isinstance(_map(product(**NO_SIZE), config), list)


def test_several_size_input_channels_are_one_problem_naming_each() -> None:
    config = _sized({"logistic_id": 50021, "fee_type": "SIZE_INPUT"}, {"logistic_id": 50011, "fee_type": "SIZE_INPUT"})
    [problem] = _problems(product(**NO_SIZE), config)
    assert "channels 50021, 50011" in problem.message


def test_a_partial_package_size_is_reported_once() -> None:
    config = _sized({"logistic_id": 50021, "fee_type": "SIZE_INPUT"})
    [problem] = _problems(product(height_cm=None), config)
    assert problem.field == "dimensions" and "all three" in problem.message


def test_an_unknown_fee_type_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="fee_type"):
        _sized({"logistic_id": 50021, "fee_type": "BY_SIZE"})

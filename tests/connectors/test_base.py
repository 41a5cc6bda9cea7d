"""The connector interface: account rules, payload hashing, the registry, the shared models."""

from __future__ import annotations

import importlib
import inspect
import logging
import pkgutil

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import connectors
from connectors.shopee.connector import ShopeeConnector
from core.errors import ConfigError, PermanentError
from core.logs import register_secret
from core.ports import (
    AccountRules,
    BatchItem,
    BatchResult,
    Connector,
    InMemoryTokenStore,
    ListingRef,
    OrderStatus,
    PriceUpdate,
    available_channels,
    get_connector_class,
    implements_connector,
    payload_hash,
    register,
)
from tests.connectors.conftest import fresh_tokens


@pytest.mark.parametrize(
    ("rules", "price", "expected"),
    [
        pytest.param(AccountRules(), 125_000, 125_000, id="no-rules"),
        pytest.param(AccountRules(price_markup_percent=10), 125_000, 137_500, id="markup"),
        pytest.param(AccountRules(price_markup_percent=12.5), 99_999, 112_499, id="markup-rounds-up-to-dong"),
        pytest.param(AccountRules(round_to_vnd=1000), 125_001, 126_000, id="round-up-not-nearest"),
        pytest.param(AccountRules(price_markup_percent=8, round_to_vnd=500), 100_000, 108_000, id="both-exact"),
        pytest.param(AccountRules(price_markup_percent=8, round_to_vnd=1000), 99_000, 107_000, id="both"),
    ],
)
def test_price_rules_never_sell_below_the_sellers_price(rules: AccountRules, price: int, expected: int) -> None:
    assert rules.price_for(price) == expected


@given(
    price=st.integers(min_value=1, max_value=10**10),
    markup=st.integers(min_value=0, max_value=10_000).map(lambda bp: bp / 100),
    step=st.sampled_from([0, 1, 100, 500, 1000, 5000]),
)
def test_price_rules_give_whole_dong_at_or_above_the_markup(price: int, markup: float, step: int) -> None:
    rules = AccountRules(price_markup_percent=markup, round_to_vnd=step)
    result = rules.price_for(price)
    assert isinstance(result, int)
    assert result * 10_000 >= price * (10_000 + round(markup * 100))
    if step > 1:
        assert result % step == 0


@pytest.mark.parametrize(
    ("rules", "available", "expected"),
    [
        pytest.param(AccountRules(), 7, 7, id="all"),
        pytest.param(AccountRules(stock_buffer=2), 7, 5, id="buffer"),
        pytest.param(AccountRules(stock_buffer=10), 7, 0, id="never-negative"),
        pytest.param(AccountRules(stock_share_percent=50), 7, 3, id="share-rounds-down"),
        pytest.param(AccountRules(stock_buffer=1, stock_share_percent=33.3), 101, 33, id="both"),
    ],
)
def test_stock_rules(rules: AccountRules, available: int, expected: int) -> None:
    assert rules.stock_for(available) == expected


class _Payload(BaseModel):
    name: str
    tags: dict[str, int]


def test_payload_hash_is_stable_and_ignores_key_order() -> None:
    one = _Payload(name="Trà Tân Cương", tags={"a": 1, "b": 2})
    two = _Payload(name="Trà Tân Cương", tags={"b": 2, "a": 1})
    assert payload_hash(one) == payload_hash(two)
    assert len(payload_hash(one)) == 64
    assert payload_hash(one) != payload_hash(_Payload(name="Trà Tân Cương ", tags={"a": 1, "b": 2}))


def test_models_are_frozen_and_validate_money() -> None:
    ref = ListingRef(item_id="1", models={"A": "11"})
    with pytest.raises(ValidationError):
        ref.item_id = "2"
    with pytest.raises(ValidationError):
        PriceUpdate(ref=ref, variant_sku="A", price_vnd=0)


def test_batch_result_reports_each_failure() -> None:
    failure = PermanentError("refused", field="price")
    result = BatchResult(
        items=(
            BatchItem(item_id="1", variant_sku="A"),
            BatchItem(item_id="1", variant_sku="B", error=failure),
        )
    )
    assert not result.ok
    assert [item.variant_sku for item in result.failed] == ["B"]


def test_order_status_has_exactly_our_words() -> None:
    assert [s.value for s in OrderStatus] == [
        "pending",
        "ready",
        "shipped",
        "completed",
        "cancelled",
        "returned",
    ]


@pytest.mark.anyio
async def test_in_memory_token_store_round_trips() -> None:
    store = InMemoryTokenStore()
    assert await store.load() is None
    await store.save(fresh_tokens())
    assert await store.load() == fresh_tokens()
    assert store.saves == 1


def test_every_connector_class_is_declared_as_an_entry_point() -> None:
    """Each connector class of the connector packages is found by its channel name (pyproject.toml)."""
    registered = {get_connector_class(name) for name in available_channels()}
    found = []
    for module_info in pkgutil.walk_packages(connectors.__path__, prefix="connectors."):
        module = importlib.import_module(module_info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and implements_connector(cls):
                found.append(cls)
                assert cls in registered, f"{cls.__qualname__} is not declared in the chosync.connectors entry points"
    assert ShopeeConnector in found and len(found) == len(registered) >= 4


def test_registry_finds_shopee_and_refuses_unknown_channels() -> None:
    assert "shopee" in available_channels()
    assert get_connector_class("shopee") is ShopeeConnector
    assert isinstance(ShopeeConnector.channel, str)
    with pytest.raises(ConfigError, match="no connector for channel 'lazada-typo'"):
        get_connector_class("lazada-typo")


def test_register_refuses_a_class_that_is_not_a_connector() -> None:
    class NotAConnector:
        channel = "nope"

    with pytest.raises(TypeError, match="does not implement"):
        register("nope")(NotAConnector)
    assert not implements_connector(Connector)


def test_transport_request_lines_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    """httpx logs URLs with their query at INFO: the token and signature never reach a handler."""
    register_secret("access-token-in-a-url-9999")
    with caplog.at_level(logging.INFO, logger="httpx"):
        logging.getLogger("httpx").info(
            "HTTP Request: %s %s",
            "GET",
            "https://x.test/a?access_token=access-token-in-a-url-9999&sign=abc123",
        )
    assert "access-token-in-a-url-9999" not in caplog.text
    assert "abc123" not in caplog.text
    assert "HTTP Request: GET https://x.test/a" in caplog.text

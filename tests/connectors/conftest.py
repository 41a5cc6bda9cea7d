"""Fixtures for the connector tests: a Shopee config, fresh tokens, a product, virtual time, no sleeping."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, RetrySettings
from connectors.shopee.config import (
    ShopeeConfig,
    load_shopee_config,
)
from connectors.shopee.connector import ShopeeConnector
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.ports import AccountRules, InMemoryTokenStore, Tokens
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID
from tests.records import product_record

BASE_URL = "https://shopee.test"
ACCESS_TOKEN = "access-token-AAAA1111"
REFRESH_TOKEN = "refresh-token-BBBB2222"
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)

# The smallest valid-looking JPEG and PNG: only the first bytes are checked before upload.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 60


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """Virtual time: ``sleep`` advances it instead of waiting, and records every wait."""

    def __init__(self, start: datetime = NOW) -> None:
        self.start = start
        self.elapsed = 0.0  # a float, not a timedelta: microsecond rounding would freeze tiny sleeps
        self.sleeps: list[float] = []

    @property
    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_config(**overrides: Any) -> ShopeeConfig:
    """The shipped toml with a test shop: so tests also prove the toml loads."""
    settings: dict[str, Any] = {
        "base_url": BASE_URL,
        "partner_id": PARTNER_ID,
        "shop_id": SHOP_ID,
        "logistics": [{"logistic_id": 50021}],
        "category_map": {"Trà": 100123, "Mật ong": "100456"},
        "listing": {"tier_variation_delay_s": 5.0},
    }
    settings.update(overrides)
    return load_shopee_config(**settings)


@pytest.fixture
def config() -> ShopeeConfig:
    return make_config()


def fresh_tokens(now: datetime = NOW, *, access: str = ACCESS_TOKEN, refresh: str = REFRESH_TOKEN) -> Tokens:
    return Tokens(
        access_token=access,
        refresh_token=refresh,
        access_expires_at=now + timedelta(hours=4),
        refresh_expires_at=now + timedelta(days=30),
    )


@pytest.fixture
def tokens() -> InMemoryTokenStore:
    return InMemoryTokenStore(fresh_tokens())


def make_connector(
    config: ShopeeConfig,
    tokens: InMemoryTokenStore,
    clock: FakeClock,
    http: httpx.AsyncClient,
    *,
    rules: AccountRules | None = None,
    retry: RetrySettings | None = None,
) -> ShopeeConnector:
    return ShopeeConnector(
        config,
        http=http,
        tokens=tokens,
        rules=rules,
        partner_key=PARTNER_KEY,
        throttle=Throttle.unlimited(),
        retry=RetryPolicy(retry or RetrySettings(), sleep=clock.sleep, jitter=lambda cap: cap),
        now=clock,
        sleep=clock.sleep,
    )


def product(**overrides: Any) -> ProductRecord:
    fields: dict[str, Any] = {
        "seller_code": "htx-tan-cuong",
        "sku": "TRA-TC",
        "name": "Trà Tân Cương Thái Nguyên",
        "description": "Trà búp non hái tay, sao thủ công trên chảo gang.",
        "category": "Trà",
        "brand": "HTX Tân Cương",
        "images": ("https://img.test/tra-1.jpg", "https://img.test/tra-2.png"),
        "weight_g": 550,
        "length_cm": 20.0,
        "width_cm": 10.5,
        "height_cm": 5.0,
        "ocop_stars": 4,
        "ocop_certificate": "OCOP-TN-2023-0042",
        "origin_province": "Thái Nguyên",
        "origin_district": "Tân Cương",
        "traceability_url": "https://truyxuat.test/TRA-TC",
        "variants": (
            VariantRecord(
                sku="TRA-TC-200",
                options=(OptionValue(name="Khối lượng", value="200g"),),
                price_vnd=120_000,
                stock=30,
            ),
            VariantRecord(
                sku="TRA-TC-500",
                options=(OptionValue(name="Khối lượng", value="500g"),),
                price_vnd=280_000,
                stock=12,
            ),
        ),
    }
    fields.update(overrides)
    return product_record(**fields)


def envelope(response: dict[str, Any] | None = None, **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"request_id": "req-1", "error": "", "message": ""}
    if response is not None:
        body["response"] = response
    body.update(extra)
    return httpx.Response(200, json=body)


def shopee_error(code: str, message: str = "", status: int = 200) -> httpx.Response:
    return httpx.Response(status, json={"request_id": "req-err", "error": code, "message": message})


def expected_sign(request: httpx.Request, partner_key: str = PARTNER_KEY) -> str:
    """An independent computation of the signature Shopee checks."""
    params = request.url.params
    base = f"{params['partner_id']}{request.url.path}{params['timestamp']}"
    if "access_token" in params:
        base += f"{params['access_token']}{params['shop_id']}"
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def assert_signed(request: httpx.Request) -> None:
    assert request.url.params["sign"] == expected_sign(request)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


Responder = Callable[[httpx.Request], httpx.Response]

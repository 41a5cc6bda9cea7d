"""Fixtures for the sandbox tests: a Shopee sandbox on a manual clock and an authorised client of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulators.common.faults import ManualClock
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.sandbox import ShopeeSandbox

from .shopee_api import OTHER_SHOP_ID, PARTNER_ID, PARTNER_KEY, SHOP_ID, START, ShopeeApi


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def config() -> ShopeeConfig:
    return ShopeeConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP_ID, OTHER_SHOP_ID])


@pytest.fixture
def sandbox(config: ShopeeConfig, clock: ManualClock) -> ShopeeSandbox:
    return ShopeeSandbox(config, clock=clock, seed=7)


@pytest.fixture
async def api(sandbox: ShopeeSandbox, clock: ManualClock) -> AsyncIterator[ShopeeApi]:
    """A client of SHOP_ID, already authorised, talking to the sandbox in-process."""
    async with sandbox.client() as http:
        client = ShopeeApi(http, clock)
        client.access_token, _ = sandbox.authorize_shop(SHOP_ID)
        yield client

"""A seller, a catalog and Shopee accounts on in-process sandboxes: the world the sync engine runs in."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.catalog.importer import import_catalog
from core.channels import AccountSummary, DatabaseTokenStore, add_account, find_account, set_category_map
from core.db import Store
from core.models import utcnow
from core.ports import Tokens
from core.sync.apply import RetrySchedule
from core.sync.connect import build_connector
from core.sync.orders import PullReport, pull_orders
from core.sync.push import PushResult, push_account
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import PARTNER_ID, PARTNER_KEY, SHOP_ID
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, register, write_csv

__all__ = ["FAST_SETTINGS", "JPEG", "NO_WAIT", "PARTNER_ID", "PARTNER_KEY", "World", "make_world"]

NO_WAIT = RetrySchedule(base_s=0, max_s=0)  # retries due at once: a test pushes again instead of waiting
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60
API_HOST = "partner.shopeemobile.com"
# No real waiting in tests: tiny backoffs, no tier-variation pause, limits far above what tests send.
FAST_SETTINGS: dict[str, Any] = {
    "retry": {
        "base_delay_s": 0.001,
        "max_delay_s": 0.005,
        "rate_limited_wait_s": 0.001,
        "max_total_wait_s": 2,
    },
    "listing": {"tier_variation_delay_s": 0},
    "rate": {
        "account_per_second": 10000,
        "account_burst": 100,
        "partner_per_second": 10000,
        "partner_burst": 100,
    },
    "http": {"timeout_s": 2.0},
}


class RoutingTransport(httpx.AsyncBaseTransport):
    """The marketplace API goes to the sandbox; product images come from a tiny image host."""

    def __init__(self, sandbox: ShopeeSandbox) -> None:
        self.api = sandbox.transport()
        self.images = httpx.MockTransport(
            lambda request: httpx.Response(200, content=JPEG, headers={"content-type": "image/jpeg"})
        )
        self.image_requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == API_HOST:
            return await self.api.handle_async_request(request)
        self.image_requests += 1
        return await self.images.handle_async_request(request)


@dataclass
class World:
    store: Store
    sandbox: ShopeeSandbox
    transport: RoutingTransport
    seller: str = "HTX-DANTIEN"
    accounts: list[AccountSummary] = field(default_factory=list)
    catalog: Path | None = None

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport, timeout=5.0)

    def account(self, name: str = "shopee") -> AccountSummary:
        return find_account(self.store, seller=self.seller, channel="shopee", name=name)

    def push(self, name: str = "shopee", *, full: bool = False) -> PushResult:
        """One push of the account, as the daemon or ``chosync sync`` runs it."""

        async def go() -> PushResult:
            async with self.http() as http:
                return await push_account(
                    self.store, self.account(name), http, trigger="test", schedule=NO_WAIT, full=full
                )

        return asyncio.run(go())

    def pull(self, name: str = "shopee") -> PullReport:
        """One order pull of the account."""

        async def go() -> PullReport:
            async with self.http() as http:
                account = self.account(name)
                return await pull_orders(
                    self.store, account, build_connector(self.store, account, http), trigger="test"
                )

        return asyncio.run(go())

    def items(self, shop_id: int | None = None) -> list[Any]:
        return [i for i in self.sandbox.items.values()
                if (shop_id is None or i.shop_id == shop_id) and not i.is_deleted]  # fmt: skip


def make_world(
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    products: int = 5,
    variants: int = 2,
    shops: tuple[int, ...] = (SHOP_ID,),
    sandbox: ShopeeSandbox | None = None,
) -> World:
    """Register a seller, import ``products`` × ``variants``, add one Shopee account per shop, authorised."""
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    sandbox = sandbox or ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=list(shops)))
    world = World(store, sandbox, RoutingTransport(sandbox))
    register(store, world.seller)
    world.catalog = write_csv(tmp_path / "catalog.csv", make_rows(products, variants))
    import_catalog(store, world.catalog)
    set_category_map(store, "shopee", {"Gạo": "100012"})
    for index, shop_id in enumerate(shops):
        name = "shopee" if index == 0 else f"shopee{index + 1}"
        settings = {"base_url": f"https://{API_HOST}", "partner_id": PARTNER_ID, "shop_id": shop_id,
                    "logistics": [{"logistic_id": 50021, "enabled": True}], **FAST_SETTINGS}  # fmt: skip
        account_id = add_account(store, seller=world.seller, channel="shopee", name=name, settings=settings)
        access, refresh = sandbox.authorize_shop(shop_id)
        now = utcnow()
        later = now.replace(year=now.year + 1)
        tokens = Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
        DatabaseTokenStore(store, account_id)._save(tokens)  # sync: fixtures run outside the event loop
        world.accounts.append(world.account(name))
    return world


@contextmanager
def no_requests(world: World) -> Iterator[None]:
    """Assert the block sends nothing to the marketplace."""
    before = world.sandbox.calls()
    yield
    assert world.sandbox.calls() == before

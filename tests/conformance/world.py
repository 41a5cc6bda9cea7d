"""The conformance world: one seller, a small catalog, and one account on an API marketplace's simulator.

Built from the marketplace's harness (:mod:`simulators.common.harness`) alone, so the same world stands for
every API connector: the account's settings, secrets and tokens come from the harness, the connector from
the registry (:func:`core.sync.connect.build_connector`, through the :class:`~core.ports.Connector`
interface), and every request goes through :class:`Wire`, which records when each was sent and how it was
answered.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.channels import AccountSummary, DatabaseTokenStore, add_account, find_account, set_category_map
from core.db import Store
from core.ports import Connector, Tokens
from core.sync.apply import RetrySchedule
from core.sync.connect import build_connector
from core.sync.models import LEDGER, LISTING, ORDER, ORDER_LINE
from core.sync.orders import PullReport, pull_orders
from core.sync.push import PushResult, push_account
from simulators.common.harness import MarketplaceHarness
from tests.catalog_files import make_rows, register, write_csv

__all__ = ["SELLER", "Exchange", "Wire", "World", "make_world", "merged", "product_sku", "variant_skus"]

SELLER = "HTX-DANTIEN"
CATEGORY = "Gạo"  # the catalog category of make_rows; the harness names the simulator's
NO_WAIT = RetrySchedule(base_s=0, max_s=0)  # an operation to retry is due at once: the test pushes again


def product_sku(index: int = 0) -> str:
    return f"P{index:06d}"


def variant_skus(variants: int, index: int = 0) -> list[str]:
    return [f"{product_sku(index)}-V{k}" for k in range(variants)]


def merged(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` laid over it, table by table."""
    out = dict(base)
    for key, value in override.items():
        below = out.get(key)
        out[key] = merged(below, value) if isinstance(below, Mapping) and isinstance(value, Mapping) else value
    return out


@dataclass(frozen=True)
class Exchange:
    """One request as the connector sent it, and what came back (status None: no answer)."""

    method: str
    path: str
    sent_at: float  # time.monotonic()
    status: int | None
    retry_after: str | None


class Wire(httpx.AsyncBaseTransport):
    """The harness's transport, recording every exchange."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent_at = time.monotonic()
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.exchanges.append(Exchange(request.method, request.url.path, sent_at, None, None))
            raise
        exchange = Exchange(request.method, request.url.path, sent_at, response.status_code,
                            response.headers.get("retry-after"))  # fmt: skip
        self.exchanges.append(exchange)
        return response


@dataclass
class World:
    harness: MarketplaceHarness
    store: Store
    account: AccountSummary
    wire: Wire
    variants: int

    @property
    def channel(self) -> str:
        return self.harness.channel

    def http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.wire, timeout=5.0)

    def connector(self, http: httpx.AsyncClient) -> Connector:
        """The account's connector, as the engine builds it: registry, settings, token store."""
        return build_connector(self.store, self.account, http, now=self.harness.now)

    async def push(self, *, full: bool = False) -> PushResult:
        async with self.http() as http:
            return await push_account(self.store, self.account, http, trigger="test", schedule=NO_WAIT,
                                      full=full, now=self.harness.now)  # fmt: skip

    async def pull(self) -> PullReport:
        async with self.http() as http:
            return await pull_orders(self.store, self.account, self.connector(http), trigger="test")

    async def tokens(self) -> Tokens | None:
        return await DatabaseTokenStore(self.store, self.account.id).load()

    async def save_tokens(self, tokens: Tokens) -> None:
        await DatabaseTokenStore(self.store, self.account.id).save(tokens)

    def bindings(self) -> list[tuple[str | None, dict[str, str]]]:
        """The account's listings in the store: (item id, variant SKU → model id)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(LISTING.c.item_id, LISTING.c.models).where(
                LISTING.c.account_id == self.account.id)).all()  # fmt: skip
        return [(row.item_id, dict(row.models)) for row in rows]

    def order_lines(self, order_id: str) -> list[str]:
        with self.store.engine.connect() as conn:
            query = (select(ORDER_LINE.c.variant_sku).join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
                     .where(ORDER.c.order_id == order_id).order_by(ORDER_LINE.c.variant_sku))  # fmt: skip
            return [str(sku) for sku in conn.execute(query).scalars()]

    def ledger(self, order_id: str) -> list[tuple[str, str]]:
        """(variant SKU, transition) of every ledger entry of an order's lines, sorted."""
        with self.store.engine.connect() as conn:
            query = (select(ORDER_LINE.c.variant_sku, LEDGER.c.transition)
                     .join(ORDER_LINE, ORDER_LINE.c.id == LEDGER.c.order_line_id)
                     .join(ORDER, ORDER.c.id == ORDER_LINE.c.order_id)
                     .where(ORDER.c.order_id == order_id))  # fmt: skip
            return sorted((str(row[0]), str(row[1])) for row in conn.execute(query))


async def make_world(
    harness: MarketplaceHarness,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    variants: int = 2,
    settings: Mapping[str, Any] | None = None,
) -> World:
    """One seller with one product of ``variants`` variants (20 or more in stock each), and its account on
    the harness's marketplace (``settings`` laid over the harness's), authorised."""
    for name, value in harness.environment().items():
        monkeypatch.setenv(name, value)
    register(store, SELLER)
    rows = [{**row, "stock": str(20 + k)} for k, row in enumerate(make_rows(1, variants, seller=SELLER))]
    import_catalog(store, write_csv(tmp_path / "catalog.csv", rows))
    channel = harness.channel
    set_category_map(store, channel, {CATEGORY: harness.category_id})
    add_account(store, seller=SELLER, channel=channel, settings=merged(harness.account_settings(), settings or {}))
    account = find_account(store, seller=SELLER, channel=channel)
    tokens = harness.authorize()
    if tokens is not None:
        await DatabaseTokenStore(store, account.id).save(tokens)
    return World(harness, store, account, Wire(harness.transport()), variants)

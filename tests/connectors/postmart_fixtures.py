"""A Postmart connector wired to an in-process Postmart sandbox, both built from the same toml.

:func:`postmart_world` builds the pair: a :class:`PostmartSandbox` on a :class:`ManualClock` with one
merchant, an image host (``httpx.MockTransport``) and a real :class:`PostmartConnector` whose ``now``
reads the sandbox clock and whose ``sleep`` advances it, so retries and Retry-After cost virtual time.
Pass ``config_path`` to build both from another toml (the contract test does).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy
from connectors.postmart.config import load_postmart_config, load_postmart_contract
from connectors.postmart.connector import PostmartConnector
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.ports import AccountRules, InMemoryTokenStore
from simulators.common.faults import ManualClock
from simulators.postmart.harness import PASSWORD, USERNAME
from simulators.postmart.sandbox import BASE_URL, PostmartSandbox
from tests.records import product_record

START = 1_717_200_000  # 2024-06-01 00:00 UTC
IMAGE_HOST = "https://anh.htx.test"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(200)
CATEGORIES = {"Gạo": 7821, "Trà": 7822, "Mật ong": 7823}
FAST = {"retry": {"base_delay_s": 0.5, "max_delay_s": 4.0, "max_total_wait_s": 60.0}, "http": {"timeout_s": 0.25}}


@dataclass
class PostmartWorld:
    sandbox: PostmartSandbox
    clock: ManualClock
    connector: PostmartConnector
    tokens: InMemoryTokenStore
    http: httpx.AsyncClient
    sleeps: list[float] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [call.path for call in self.sandbox.log.entries]


def rice(
    sku: str = "GAO-ST25", *, variants: int = 2, name: str = "Gạo ST25 Dân Tiến", images: int = 2
) -> ProductRecord:
    return product_record(
        seller_code="HTX-DANTIEN", sku=sku, name=name, description="Gạo thơm đặc sản Trà Vinh.", category="Gạo",
        images=tuple(f"{IMAGE_HOST}/{sku.lower()}-{n}.jpg" for n in range(images)), weight_g=5200,
        ocop_stars=4, origin_province="Trà Vinh", origin_district="Càng Long",
        variants=tuple(
            VariantRecord(sku=f"{sku}-{k + 1}KG", options=(OptionValue(name="Khối lượng", value=f"{k + 1}kg"),),
                          price_vnd=50_000 * (k + 1), stock=10 + k)
            for k in range(variants)
        ),
    )  # fmt: skip


@asynccontextmanager
async def postmart_world(
    *,
    settings: dict[str, Any] | None = None,
    config_path: Path | None = None,
    sandbox_on_shipped_toml: bool = False,
    rate_limit: float | None = None,
) -> AsyncIterator[PostmartWorld]:
    """``config_path`` is the toml of both sides (default: the shipped one), unless
    ``sandbox_on_shipped_toml`` keeps the sandbox on the shipped one."""
    clock = ManualClock(START)
    contract = load_postmart_contract(None if sandbox_on_shipped_toml else config_path)
    sandbox = PostmartSandbox(contract, clock=clock, rate_limit_per_merchant=rate_limit)
    sandbox.add_merchant(USERNAME, PASSWORD)
    images = httpx.MockTransport(lambda request: httpx.Response(200, content=JPEG))
    api = sandbox.transport()

    class Routing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if str(request.url).startswith(BASE_URL):
                return await api.handle_async_request(request)
            return await images.handle_async_request(request)

    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds)

    account = {"base_url": BASE_URL, "username": USERNAME, "category_map": dict(CATEGORIES), **FAST,
               **(settings or {})}  # fmt: skip
    config = load_postmart_config(config_path, **account)
    tokens = InMemoryTokenStore()
    async with httpx.AsyncClient(transport=Routing()) as http:
        connector = PostmartConnector(
            config, http=http, tokens=tokens, rules=AccountRules(), secret=PASSWORD, throttle=Throttle.unlimited(),
            retry=RetryPolicy(config.retry, sleep=sleep, jitter=lambda cap: cap),
            now=lambda: datetime.fromtimestamp(clock(), UTC), sleep=sleep,
        )  # fmt: skip
        yield PostmartWorld(sandbox, clock, connector, tokens, http, sleeps)

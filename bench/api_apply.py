"""Apply against the TikTok Shop and Lazada simulators at a rate of R requests/s (part 4 of ``sync_bench.py``).

The same measure as Shopee's: create then re-price ``products`` two-variant products with a latency per
request, wall time against the physical bound (requests sent ÷ R). chosync keeps one budget of R per
shop over every API (``[rate]`` in the channel's toml); each simulator enforces R per API and shop, as
the marketplaces document, so neither refuses what chosync paces, and the ratio is chosync's own pacing.
Target: within 1.10 × the bound, with no rate-limit refusal provoked.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
from import_bench import write_catalog
from PIL import Image

from core.catalog.importer import import_catalog
from core.channels import DatabaseTokenStore, add_account, find_account, set_category_map
from core.db import open_store
from core.models import utcnow
from core.ports import Tokens
from core.sellers import add_seller
from core.sync.apply import RetrySchedule
from core.sync.push import push_account
from simulators.common.faults import ANY_PATH, CallLog, Fault, FaultPlan
from simulators.lazada import fleet as lazada_fleet
from simulators.lazada.sandbox import BASE_URL as LAZADA_URL
from simulators.lazada.sandbox import LazadaSandbox
from simulators.tiktok import fleet as tiktok_fleet
from simulators.tiktok.sandbox import BASE_URL as TIKTOK_URL
from simulators.tiktok.sandbox import TikTokSandbox

__all__ = ["MARKETPLACES", "bench_apply_api"]


class _Simulator(Protocol):
    faults: FaultPlan
    log: CallLog

    def transport(self) -> httpx.AsyncBaseTransport: ...


@dataclass(frozen=True)
class Marketplace:
    """How to stand one marketplace's simulator up for the bench, and the account chosync keeps there."""

    channel: str
    base_url: str
    category_id: str
    secret_env: str
    secret: str
    build: Callable[[float], _Simulator]  # the simulator, enforcing this rate per API
    settings: Callable[[float], dict[str, Any]]  # the account's settings, chosync paced at this rate
    tokens: Callable[[Any], tuple[str, str]]  # (access, refresh) granted on the simulator
    throttled: Callable[[Any], int]  # rate-limit refusals the simulator answered


def _refused(sandbox: Any) -> int:
    return sum(1 for call in sandbox.log.recorded() if call.status == 429)


def _tiktok() -> Marketplace:
    shop = tiktok_fleet.DEMO_SHOPS[0]

    def settings(rate: float) -> dict[str, Any]:
        return {"base_url": TIKTOK_URL, "auth_base_url": TIKTOK_URL, "app_key": tiktok_fleet.DEMO_APP_KEY,
                "shop_id": shop.shop_id, "shop_cipher": shop.cipher, "warehouse_id": shop.warehouse_ids[0],
                "rate": {"account_per_second": rate, "account_burst": 1, "account_concurrency": 8}}  # fmt: skip

    def tokens(sandbox: TikTokSandbox) -> tuple[str, str]:
        granted = sandbox.grant_tokens(shop.shop_id)
        return granted["access_token"], granted["refresh_token"]

    return Marketplace(
        "tiktok", TIKTOK_URL, "600101", "CHOSYNC_TIKTOK_APP_SECRET", tiktok_fleet.DEMO_APP_SECRET,
        lambda rate: TikTokSandbox(tiktok_fleet.demo_config(rate_limit_per_api=rate, rate_limit_burst=2)),
        settings, tokens, _refused,
    )  # fmt: skip


def _lazada() -> Marketplace:
    seller = lazada_fleet.DEMO_SELLERS[0]

    def settings(rate: float) -> dict[str, Any]:
        return {"base_url": LAZADA_URL, "auth_base_url": LAZADA_URL, "app_key": lazada_fleet.DEMO_APP_KEY,
                "seller_id": seller.seller_id,
                "rate": {"account_per_second": rate, "account_burst": 1, "account_concurrency": 8}}  # fmt: skip

    def tokens(sandbox: LazadaSandbox) -> tuple[str, str]:
        granted = sandbox.grant_tokens(seller.seller_id)
        return granted["access_token"], granted["refresh_token"]

    return Marketplace(
        "lazada", LAZADA_URL, "10000101", "CHOSYNC_LAZADA_APP_SECRET", lazada_fleet.DEMO_APP_SECRET,
        # Lazada answers a throttle in an HTTP 200 envelope; here with a 429 as well, so the bench can count it.
        lambda rate: LazadaSandbox(lazada_fleet.demo_config(rate_limit_per_api=rate, rate_limit_burst=2,
                                                            throttle_http_status=429)),
        settings, tokens, _refused,
    )  # fmt: skip


MARKETPLACES: dict[str, Callable[[], Marketplace]] = {"tiktok": _tiktok, "lazada": _lazada}


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (230, 220, 190)).save(out, format="JPEG")  # both want main images >= 300 px
    return out.getvalue()


class _Routes(httpx.AsyncBaseTransport):
    def __init__(self, base_url: str, api: httpx.AsyncBaseTransport) -> None:
        self.base_url = base_url
        self.api = api
        self.picture = _picture()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(self.base_url):
            return await self.api.handle_async_request(request)
        return httpx.Response(200, content=self.picture, headers={"content-type": "image/jpeg"})


def bench_apply_api(channel: str, products: int, rate: float, latency: float, slack: float = 1.0) -> dict[str, Any]:
    """Create then re-price ``products`` products on ``channel``'s simulator; the bound is requests ÷ R."""
    market = MARKETPLACES[channel]()
    sandbox = market.build(rate * slack)
    sandbox.faults.add_chance(ANY_PATH, Fault.latency(latency), 1.0)
    os.environ[market.secret_env] = market.secret  # the simulator's public test value
    with tempfile.TemporaryDirectory(prefix=f"chosync-{channel}-apply-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'apply.db'}")
        add_seller(store, "BENCH", name="Bench")
        csv_path = Path(tmp) / "catalog.csv"
        write_catalog(csv_path, products * 2)
        import_catalog(store, csv_path)
        set_category_map(store, channel, {"Gạo": market.category_id})
        account_id = add_account(store, seller="BENCH", channel=channel, settings=market.settings(rate))
        access, refresh = market.tokens(sandbox)
        later = utcnow().replace(year=utcnow().year + 1)
        tokens = Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
        DatabaseTokenStore(store, account_id)._save(tokens)
        account = find_account(store, seller="BENCH", channel=channel)
        phases: dict[str, Any] = {}

        async def push(label: str) -> None:
            before = sandbox.log.calls()
            async with httpx.AsyncClient(transport=_Routes(market.base_url, sandbox.transport()), timeout=30) as http:
                started = time.perf_counter()
                result = await push_account(store, account, http, trigger="bench", schedule=RetrySchedule(base_s=0))
                seconds = time.perf_counter() - started
            requests = sandbox.log.calls() - before
            bound = requests / rate
            phases[label] = {"requests": requests, "seconds": seconds, "bound_seconds": bound,
                             "ratio": seconds / bound if bound else 0.0, "failed": result.report.failed}  # fmt: skip

        asyncio.run(push("create"))
        rows = csv_path.read_text(encoding="utf-8-sig").splitlines()
        changed = [line.replace("175.000 đ", "180.000 đ") for line in rows[1:]]  # every 5 kg variant's price
        (Path(tmp) / "prices.csv").write_text("\n".join([rows[0], *changed]) + "\n", encoding="utf-8")
        import_catalog(store, Path(tmp) / "prices.csv")
        asyncio.run(push("price change"))
        phases["rate_limit_errors"] = market.throttled(sandbox)
        phases["enforced_rate_per_api"] = rate * slack
        store.dispose()
        return phases

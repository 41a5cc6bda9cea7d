"""Apply against the TikTok Shop simulator at a rate of R requests/s (part 4 of ``sync_bench.py``).

The same measure as Shopee's: create then re-price ``products`` two-variant products with a latency per
request, wall time against the physical bound (requests sent ÷ R). chosync's TikTok budget is one R per
shop over every API (``[rate]`` in config/channels/tiktok.toml); the simulator enforces R per API and
shop, as TikTok documents, so a request chosync sends early would be refused by neither and the ratio is
chosync's own pacing. Target: within 1.10 × the bound, with no 429 provoked.
"""

from __future__ import annotations

import asyncio
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any

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
from simulators.common.faults import ANY_PATH, Fault
from simulators.tiktok.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SHOPS, demo_config
from simulators.tiktok.sandbox import BASE_URL, TikTokSandbox

__all__ = ["bench_apply_tiktok"]

SHOP = DEMO_SHOPS[0]


def _picture() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), (230, 220, 190)).save(out, format="JPEG")  # TikTok: main images >= 300 px
    return out.getvalue()


class _Routes(httpx.AsyncBaseTransport):
    def __init__(self, sandbox: TikTokSandbox) -> None:
        self.api = sandbox.transport()
        self.picture = _picture()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(BASE_URL):
            return await self.api.handle_async_request(request)
        return httpx.Response(200, content=self.picture, headers={"content-type": "image/jpeg"})


def bench_apply_tiktok(products: int, rate: float, latency: float, slack: float = 1.0) -> dict[str, Any]:
    """Create then re-price ``products`` products on TikTok Shop; the bound is requests ÷ R."""
    enforced = rate * slack
    sandbox = TikTokSandbox(demo_config(rate_limit_per_api=enforced, rate_limit_burst=2))
    sandbox.faults.add_chance(ANY_PATH, Fault.latency(latency), 1.0)
    os.environ["CHOSYNC_TIKTOK_APP_SECRET"] = DEMO_APP_SECRET  # the simulator's public test value
    with tempfile.TemporaryDirectory(prefix="chosync-tiktok-apply-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'apply.db'}")
        add_seller(store, "BENCH", name="Bench")
        csv_path = Path(tmp) / "catalog.csv"
        write_catalog(csv_path, products * 2)
        import_catalog(store, csv_path)
        set_category_map(store, "tiktok", {"Gạo": "600101"})
        settings = {
            "base_url": BASE_URL, "auth_base_url": BASE_URL, "app_key": DEMO_APP_KEY, "shop_id": SHOP.shop_id,
            "shop_cipher": SHOP.cipher, "warehouse_id": SHOP.warehouse_ids[0],
            "rate": {"account_per_second": rate, "account_burst": 1, "account_concurrency": 8},
        }  # fmt: skip
        account_id = add_account(store, seller="BENCH", channel="tiktok", settings=settings)
        granted = sandbox.grant_tokens(SHOP.shop_id)
        later = utcnow().replace(year=utcnow().year + 1)
        tokens = Tokens(access_token=granted["access_token"], refresh_token=granted["refresh_token"],
                        access_expires_at=later, refresh_expires_at=later)  # fmt: skip
        DatabaseTokenStore(store, account_id)._save(tokens)
        account = find_account(store, seller="BENCH", channel="tiktok")
        phases: dict[str, Any] = {}

        async def push(label: str) -> None:
            before = len(sandbox.recorded())
            async with httpx.AsyncClient(transport=_Routes(sandbox), timeout=30) as http:
                started = time.perf_counter()
                result = await push_account(store, account, http, trigger="bench", schedule=RetrySchedule(base_s=0))
                seconds = time.perf_counter() - started
            requests = len(sandbox.recorded()) - before
            bound = requests / rate
            phases[label] = {"requests": requests, "seconds": seconds, "bound_seconds": bound,
                             "ratio": seconds / bound if bound else 0.0, "failed": result.report.failed}  # fmt: skip

        asyncio.run(push("create"))
        rows = csv_path.read_text(encoding="utf-8-sig").splitlines()
        changed = [line.replace("175.000 đ", "180.000 đ") for line in rows[1:]]  # every 5 kg variant's price
        (Path(tmp) / "prices.csv").write_text("\n".join([rows[0], *changed]) + "\n", encoding="utf-8")
        import_catalog(store, Path(tmp) / "prices.csv")
        asyncio.run(push("price change"))
        phases["rate_limit_errors"] = sum(1 for call in sandbox.recorded() if call.status == 429)
        phases["enforced_rate_per_api"] = enforced
        store.dispose()
        return phases

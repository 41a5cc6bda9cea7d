"""The scheduler daemon in tests: run in-process on a sandbox world, or as a real process on loopback."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from core.catalog.importer import import_catalog
from core.channels import DatabaseTokenStore, add_account, set_category_map
from core.db import Store
from core.models import utcnow
from core.ports import Tokens
from core.scheduler.daemon import Daemon
from core.settings import load_settings
from core.sync.models import SYNC_RUN
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, register, write_csv
from tests.sync_world import FAST_SETTINGS, JPEG, PARTNER_ID

__all__ = [
    "FAST",
    "loopback_store",
    "overlapping",
    "running_daemon",
    "runs",
    "wait_until",
    "write_config",
]

# Time scaled down: nothing fires on its interval unless a test asks; every loop ticks fast.
FAST: dict[str, Any] = {
    "push_every": "1h", "pull_every": "1h", "reconcile_every": "1d", "tokens_every": "1h", "jitter": 0,
    "reload_every": 0.2, "changes_every": 0.1, "requests_every": 0.1, "heartbeat_every": 0.2,
    "stale_after_beats": 5, "stop_grace": 5, "lease_ttl": 10, "lock_wait": 2,
    "retry_base": 0.05, "retry_max": 0.2, "retry_attempts": 1000,
}  # fmt: skip


async def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> float:
    """Poll ``predicate`` until it is true; returns the seconds it took (AssertionError after ``timeout``)."""
    began = time.monotonic()
    while not predicate():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what}: not reached within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - began


@asynccontextmanager
async def running_daemon(
    store: Store, url: str, *, http: httpx.AsyncClient | None = None, **schedule: Any
) -> AsyncIterator[Daemon]:
    """A daemon on ``store`` (its own HTTP client unless ``http`` is given); stopped, and checked, on exit."""
    settings = load_settings(database_url=url, schedule={**FAST, **schedule})
    daemon = Daemon(store, settings, http=http)
    task = asyncio.create_task(daemon.run())
    await wait_until(lambda: daemon.specs or task.done(), what="daemon started")
    try:
        yield daemon
    finally:
        daemon.stop()
        assert await asyncio.wait_for(task, 30) == 0


def runs(store: Store, kind: str | None = None) -> list[Any]:
    query = select(SYNC_RUN).order_by(SYNC_RUN.c.id)
    if kind is not None:
        query = query.where(SYNC_RUN.c.kind == kind)
    with store.engine.connect() as conn:
        return list(conn.execute(query))


def overlapping(rows: list[Any]) -> list[tuple[int, int]]:
    """Pairs of runs whose [started, finished] intervals overlap."""
    spans = sorted((r.started_at, r.finished_at or utcnow(), r.id) for r in rows)
    return [(a[2], b[2]) for a, b in itertools.pairwise(spans) if b[0] < a[1]]


def write_config(path: Path, **schedule: Any) -> Path:
    """A config file with a [schedule] table (for a daemon started as a process)."""
    lines = ["[schedule]"]
    for key, value in {**FAST, **schedule}.items():
        lines.append(f"{key} = {value!r}" if isinstance(value, str) else f"{key} = {value}")
    path.write_text("\n".join(lines).replace("'", '"') + "\n")
    return path


def loopback_store(store: Store, tmp_path: Path, sandbox: ShopeeSandbox, base_url: str, *, products: int) -> None:
    """A seller with ``products`` × 2 variants (with an image) and one authorised Shopee shop at ``base_url``."""
    register(store, "HTX-DANTIEN")
    (tmp_path / "anh.jpg").write_bytes(JPEG)
    rows = make_rows(products, 2)
    for r in rows:
        r["images"] = "anh.jpg"
    import_catalog(store, write_csv(tmp_path / "catalog.csv", rows))
    set_category_map(store, "shopee", {"Gạo": "100012"})
    settings = {"base_url": base_url, "partner_id": PARTNER_ID, "shop_id": 14701711,
                "logistics": [{"logistic_id": 50021, "enabled": True}], **FAST_SETTINGS}  # fmt: skip
    account_id = add_account(store, seller="HTX-DANTIEN", channel="shopee", settings=settings)
    access, refresh = sandbox.authorize_shop(14701711)
    later = utcnow().replace(year=utcnow().year + 1)
    DatabaseTokenStore(store, account_id)._save(
        Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
    )

"""A change the marketplace cannot take yet (a TikTok product still in review) waits without failing.

TikTok Shop refuses price and stock updates while a product is in review (12052003, ``later`` in its
toml): the operation waits (``retry_not_yet``) spending no attempt, goes out once the review passed, and
is parked only when it has waited ``retry_not_yet_max``. A product in review is not for sale, so nothing
can be oversold meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from core.catalog.stock import set_stock
from core.db import Store, open_store
from core.sync.apply import RetrySchedule
from core.sync.models import OPERATION, OpKind
from core.sync.push import PushResult, push_account
from simulators.common.harness import load_harness
from simulators.tiktok.harness import TikTokHarness
from tests.conformance.world import SELLER, World, make_world, variant_skus

pytestmark = pytest.mark.anyio
REVIEW_S = 3600.0


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
async def world(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    harness = load_harness("tiktok")
    assert isinstance(harness, TikTokHarness)
    harness.sandbox.config.audit_delay_s = REVIEW_S  # every new product waits an hour in review
    return await make_world(harness, store, tmp_path, monkeypatch)


async def _push(world: World, schedule: RetrySchedule) -> PushResult:
    async with httpx.AsyncClient(transport=world.wire, timeout=5.0) as http:
        return await push_account(world.store, world.account, http, trigger="test", schedule=schedule,
                                  now=world.harness.now)  # fmt: skip


def _stock_op(world: World, sku: str) -> tuple[str, int, str | None]:
    with world.store.engine.connect() as conn:
        row = conn.execute(
            select(OPERATION.c.state, OPERATION.c.attempts, OPERATION.c.error)
            .where(OPERATION.c.kind == OpKind.STOCK.value, OPERATION.c.variant_sku == sku)
            .order_by(OPERATION.c.id.desc())
        ).first()
    assert row is not None
    return str(row.state), int(row.attempts), row.error


def _held_stock(world: World, sku: str) -> int:
    harness = world.harness
    assert isinstance(harness, TikTokHarness)
    [product] = harness.sandbox.products_by_seller_sku(sku)
    [held] = [s for s in product.skus.values() if s.seller_sku == sku]
    return held.total_available


async def test_a_stock_change_waits_for_the_review_then_goes_out_having_spent_no_attempt(world: World) -> None:
    again_at_once = RetrySchedule(base_s=0, max_s=0, not_yet_s=0)
    assert (await _push(world, again_at_once)).outcome == "ok"  # listed: TikTok reviews it for an hour
    sku = variant_skus(world.variants)[0]
    set_stock(world.store, seller=SELLER, variant_sku=sku, on_hand=7)
    for _ in range(3):  # every sync meanwhile: refused, not yet; the operation waits, no attempt spent
        result = await _push(world, again_at_once)
        assert result.report.failed == 0 and result.report.retrying == 1
        state, attempts, error = _stock_op(world, sku)
        assert (state, attempts) == ("retry_wait", 0)
        assert error is not None and "in review" in error
    world.harness.tick(REVIEW_S)  # the review passes
    result = await _push(world, again_at_once)
    assert (result.report.failed, result.report.stocks) == (0, 1)
    assert _stock_op(world, sku)[0] == "done"
    assert _held_stock(world, sku) == 7


async def test_a_change_refused_for_too_long_is_parked_for_a_person(world: World) -> None:
    assert (await _push(world, RetrySchedule(base_s=0, max_s=0, not_yet_s=0))).outcome == "ok"
    sku = variant_skus(world.variants)[0]
    set_stock(world.store, seller=SELLER, variant_sku=sku, on_hand=5)
    world.harness.tick(60)
    patience = RetrySchedule(base_s=0, max_s=0, not_yet_s=0, max_not_yet_s=timedelta(seconds=30).total_seconds())
    result = await _push(world, patience)
    assert result.report.failed == 1
    state, attempts, error = _stock_op(world, sku)
    assert (state, attempts) == ("failed", 0)
    assert error is not None and error.startswith("still not accepted 0 h after it was queued")

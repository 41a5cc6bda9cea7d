"""Rate limits on virtual time: the bound holds, and a big resync cannot starve a small shop."""

from __future__ import annotations

import asyncio

import pytest

from connectors.kit.ratelimit import FairRateBudget, RateLimits, Throttle, shared_budget
from tests.connectors.conftest import FakeClock

pytestmark = pytest.mark.anyio


def _budget(clock: FakeClock, rate: float, burst: int = 1) -> FairRateBudget:
    return FairRateBudget(rate, burst, clock=clock.monotonic, sleep=clock.sleep)


async def test_small_shop_finishes_early_next_to_a_big_resync(clock: FakeClock) -> None:
    """Shop A queues 1000 calls, then shop B queues 5: B is served round-robin, within ~10 permits."""
    budget = _budget(clock, rate=10.0)
    start = clock.monotonic()
    done: dict[str, list[float]] = {"A": [], "B": []}

    async def call(shop: str) -> None:
        await budget.acquire(shop)
        done[shop].append(clock.monotonic() - start)

    big = [asyncio.create_task(call("A")) for _ in range(1000)]
    await asyncio.sleep(0)  # A's calls are all queued before B asks
    small = [asyncio.create_task(call("B")) for _ in range(5)]
    await asyncio.gather(*small)
    assert len(done["B"]) == 5
    assert max(done["B"]) <= 1.2  # 5 of B interleaved with 5 of A at 10/s
    assert len(done["A"]) < 20  # A is far from finished when B is done
    await asyncio.gather(*big)
    assert max(done["A"]) == pytest.approx(100.5, abs=0.2)


async def test_rate_is_never_exceeded(clock: FakeClock) -> None:
    rate, burst = 5.0, 3
    budget = _budget(clock, rate=rate, burst=burst)
    start = clock.monotonic()
    grants: list[float] = []

    async def call(shop: str) -> None:
        await budget.acquire(shop)
        grants.append(clock.monotonic() - start)

    await asyncio.gather(*(call(f"shop-{i % 3}") for i in range(60)))
    assert len(grants) == 60
    # In any window of length T at most burst + rate*T permits are granted.
    for i, begin in enumerate(grants):
        for j in range(i, len(grants)):
            window = grants[j] - begin
            assert j - i + 1 <= burst + rate * window + 1e-6
    assert grants[-1] == pytest.approx((60 - burst) / rate, abs=0.01)  # and it runs at the bound, not slower


async def test_burst_is_granted_without_waiting(clock: FakeClock) -> None:
    budget = _budget(clock, rate=1.0, burst=4)
    for _ in range(4):
        await budget.acquire("shop")
    assert clock.sleeps == []


async def test_a_cancelled_waiter_gives_its_place_up(clock: FakeClock) -> None:
    budget = _budget(clock, rate=1.0)
    await budget.acquire("A")  # spends the only token
    waiter = asyncio.create_task(budget.acquire("A"))
    await asyncio.sleep(0)
    waiter.cancel()
    await budget.acquire("B")
    assert budget.waiting("A") == 0
    assert clock.monotonic() == pytest.approx(1.0)  # B got the next token; the cancelled waiter none


async def test_throttle_caps_requests_in_flight() -> None:
    throttle = Throttle("shop", concurrency=2)
    in_flight = peak = 0

    async def request() -> None:
        nonlocal in_flight, peak
        async with throttle.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            in_flight -= 1

    await asyncio.gather(*(request() for _ in range(10)))
    assert peak == 2


async def test_throttles_of_one_partner_share_one_budget() -> None:
    limits = RateLimits(account_per_second=5, account_burst=5, partner_per_second=20, partner_burst=20)
    one = Throttle.from_limits(limits, account="shop-1", partner="partner-x")
    two = Throttle.from_limits(limits, account="shop-2", partner="partner-x")
    async with one.slot(), two.slot():
        pass
    assert shared_budget("partner:partner-x", 20, 20) is shared_budget("partner:partner-x", 20, 20)
    assert shared_budget("account:partner-x:shop-1", 5, 5) is not shared_budget("account:partner-x:shop-2", 5, 5)


async def test_unlimited_throttle_never_waits() -> None:
    throttle = Throttle.unlimited()
    for _ in range(100):
        async with throttle.slot():
            pass


def test_a_budget_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        FairRateBudget(0)

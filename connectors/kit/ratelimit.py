"""Rate limiting: how fast one channel account, and one partner app shared by many shops, may call.

A marketplace limits us twice. Each shop (channel account) has its own pace, and the partner app
that all our sellers' shops go through has one budget for all of them. A :class:`FairRateBudget` is a
token bucket that, when several keys wait at once, hands out permits round-robin by key: a seller
resyncing a thousand products takes every other permit, not all of them, so the small shop next to it
is served within a few permits of asking (fair queueing, as DESIGN rule 6 asks).

A :class:`Throttle` is what a connector holds: its account's budget (with a cap on requests in
flight), then the partner budget shared with the other shops. Budgets are shared through
:func:`shared_budget`, which keeps one per name and event loop for the life of the process.

Clock and sleep are injected so tests run on virtual time, with no real waiting.

**Limit: every budget lives in one process's memory.** The per-account and per-partner-app budgets are
shared by the connectors of one process (one event loop), not across processes or hosts. The daemon is
one process, so within it the partner app's rate is respected and shared fairly. But each other process
that calls the marketplace at the same time (a ``chosync sync``, ``chosync orders pull`` or
``chosync reconcile`` run by hand while the daemon works, a second daemon host) has budgets of its own:
together they may send up to N times the configured partner rate, N being the number of such processes,
and fairness holds only within each. (Two processes never work on the same account at once: the
account lease in the database serialises them; it is the partner budget, summed over different accounts,
that can be exceeded.) The marketplace's own refusals (429, ``error_system_busy``) are still honoured
by the retry policy, so the excess costs waits, not failures. Run one daemon per partner app, use
``--via-daemon`` for manual runs, or lower ``partner_per_second`` to share it between processes.
"""

from __future__ import annotations

import asyncio
import math
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Clock", "FairRateBudget", "RateLimits", "Sleep", "Throttle", "shared_budget"]

Clock = Callable[[], float]
# Refills are float arithmetic: 0.9999999999999999 of a token is a token, or a sleep of 1e-17 s follows
# (and on a clock that cannot advance by that little, forever).
_EPSILON = 1e-9
Sleep = Callable[[float], Awaitable[None]]


class RateLimits(BaseModel):
    """Limits for one connector, from the channel's toml. ``None`` means no limit of that kind."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    account_per_second: float | None = Field(default=None, gt=0)
    account_burst: int = Field(default=1, ge=1)
    account_concurrency: int | None = Field(default=None, ge=1)
    partner_per_second: float | None = Field(default=None, gt=0)
    partner_burst: int = Field(default=1, ge=1)


class FairRateBudget:
    """At most ``rate`` permits a second (``burst`` at once), granted round-robin across waiting keys."""

    def __init__(
        self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a rate budget needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._stamp = clock()
        self._queues: dict[str, deque[asyncio.Future[None]]] = {}
        self._ring: deque[str] = deque()
        self._dispatcher: asyncio.Task[None] | None = None

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, key: str) -> None:
        """Wait for a permit on behalf of ``key`` (a shop id); return when it is granted."""
        self._refill()
        if not self._ring and self._tokens >= 1 - _EPSILON:
            self._tokens -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
            self._ring.append(key)
        queue.append(future)
        if self._dispatcher is None:
            self._dispatcher = asyncio.create_task(self._dispatch())
        await future

    async def _dispatch(self) -> None:
        # One task grants permits while anyone waits; it ends when the queues are empty, so no task
        # outlives the work that needed it.
        try:
            while self._ring:
                self._refill()
                if self._tokens < 1 - _EPSILON:
                    await self._sleep((1 - self._tokens) / self.rate)
                    continue
                key = self._ring.popleft()
                queue = self._queues[key]
                while queue and queue[0].done():  # a waiter that was cancelled gives its place up
                    queue.popleft()
                if queue:
                    self._tokens -= 1
                    queue.popleft().set_result(None)
                if queue:
                    self._ring.append(key)
                else:
                    del self._queues[key]
        finally:
            self._dispatcher = None

    def waiting(self, key: str) -> int:
        return len(self._queues.get(key, ()))


class Throttle:
    """One channel account's limits: its own budget and in-flight cap, then the shared partner budget."""

    def __init__(
        self,
        key: str,
        *,
        account: FairRateBudget | None = None,
        partner: FairRateBudget | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.key = key
        self._account = account
        self._partner = partner
        self._in_flight = asyncio.Semaphore(concurrency) if concurrency else None
        self._shared_limits: tuple[RateLimits, str] | None = None

    @classmethod
    def unlimited(cls, key: str = "") -> Throttle:
        return cls(key)

    @classmethod
    def from_limits(cls, limits: RateLimits, *, account: str, partner: str) -> Throttle:
        """A throttle whose budgets are shared with every other throttle of the same account/partner.

        The budgets are looked up on first use, inside the event loop they belong to.
        """
        throttle = cls(account, concurrency=limits.account_concurrency)
        throttle._shared_limits = (limits, partner)
        return throttle

    def _resolve_shared(self) -> None:
        if self._shared_limits is None:
            return
        limits, partner = self._shared_limits
        self._shared_limits = None
        if limits.account_per_second is not None:
            self._account = shared_budget(
                f"account:{partner}:{self.key}", limits.account_per_second, limits.account_burst
            )
        if limits.partner_per_second is not None:
            self._partner = shared_budget(f"partner:{partner}", limits.partner_per_second, limits.partner_burst)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a place for one request: in-flight cap first, so waiting permits are not wasted."""
        self._resolve_shared()
        if self._in_flight is None:
            await self._permits()
            yield
            return
        async with self._in_flight:
            await self._permits()
            yield

    async def _permits(self) -> None:
        if self._account is not None:
            await self._account.acquire(self.key)
        if self._partner is not None:
            await self._partner.acquire(self.key)


_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, FairRateBudget]] = weakref.WeakKeyDictionary()


def shared_budget(name: str, rate: float, burst: int) -> FairRateBudget:
    """The process's one budget of that name (per event loop: asyncio primitives belong to a loop).

    Shared within this process only: another process has its own (see the module docstring).
    """
    budgets = _shared.setdefault(asyncio.get_running_loop(), {})
    budget = budgets.get(name)
    if budget is None or not math.isclose(budget.rate, rate) or budget.burst != burst:
        budget = budgets[name] = FairRateBudget(rate, burst)
    return budget

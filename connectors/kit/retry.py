"""The transport retry policy, declared once for every connector (DESIGN rule 5).

A connector's boundary has already classified each failure into :mod:`core.errors`; this policy only
decides what to do with the class:

- :class:`~core.errors.RetryableError`: wait (exponential backoff with jitter, or exactly the
  ``retry_after`` the marketplace asked for) and try again, up to ``max_attempts`` attempts.
- :class:`~core.errors.CannotConnect`: no connection could be made: the same backoff, but only up to
  ``max_connect_attempts`` tries (a wrong address or a host that is down does not pass in seconds; the
  core then parks the operation after a short bound of its own).
- :class:`~core.errors.RateLimited`: wait as asked; the wait spends no attempt (a busy marketplace is
  not a failing request), but it does spend the total-wait budget.
- :class:`~core.errors.AuthError`: refresh the token once (the refresher is single-flight), retry once.
  :class:`~core.ports.ReauthorizeRequired` is never retried: only a person can fix it.
- anything else (:class:`~core.errors.PermanentError`, :class:`~core.errors.OutcomeUnknown`): raised
  at once; retrying those could do harm or cannot help.

The total time spent waiting is bounded: when the next wait would pass ``max_total_wait_s``, the last
error is raised as it is, and the core reschedules the operation (``retry_wait``). Sleep and jitter are
injected so tests are deterministic and never really sleep.

Every retry is also counted in the :class:`~core.ports.retries.RetryTally` of
:func:`~core.ports.retries.counting_retries`, when one is open in the calling context: a sync run reports
how often the marketplaces made it try again.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState

from core.errors import AuthError, CannotConnect, RateLimited, RetryableError
from core.ports import ReauthorizeRequired
from core.ports.retries import count_retry as _count

__all__ = ["Jitter", "RetryPolicy", "RetrySettings", "Sleep", "equal_jitter"]

T = TypeVar("T")
Jitter = Callable[[float], float]
Sleep = Callable[[float], Awaitable[None]]
RefreshAuth = Callable[[AuthError], Awaitable[None]]

_log = structlog.get_logger("chosync.connectors.retry")


class RetrySettings(BaseModel):
    """The knobs of the policy, from the channel's toml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=5, ge=1)
    max_connect_attempts: int = Field(default=3, ge=1)  # of them, the ones that could not connect at all
    base_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=30.0, ge=0)
    max_total_wait_s: float = Field(default=120.0, ge=0)
    rate_limited_wait_s: float = Field(default=1.0, gt=0)
    # A server answering "slow down, retry after 0 s" forever must not spin us: waits are also counted.
    max_rate_limited_waits: int = Field(default=50, ge=1)


def equal_jitter(rng: random.Random | None = None) -> Jitter:
    """Half the backoff fixed, half random: spreads retries of many workers, never waits ~0."""
    source = rng or random.Random()  # noqa: S311 (jitter, not cryptography)

    def jitter(cap: float) -> float:
        return cap / 2 + source.uniform(0, cap / 2)

    return jitter


@dataclass(slots=True)
class _CallState:
    failures: int = 0
    unreachable: int = 0
    rate_limited: int = 0
    auth_refreshed: bool = False
    pending_auth: AuthError | None = None


class RetryPolicy:
    """Run one request with retries; every wait goes through the injected ``sleep``."""

    def __init__(
        self,
        settings: RetrySettings | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        jitter: Jitter | None = None,
    ) -> None:
        self.settings = settings or RetrySettings()
        self._sleep = sleep
        self._jitter = jitter or equal_jitter()

    async def call(self, attempt: Callable[[], Awaitable[T]], *, refresh_auth: RefreshAuth | None = None) -> T:
        """Await ``attempt()`` until it succeeds or the policy gives up (raising the last error)."""
        state = _CallState()
        settings = self.settings

        async def one_attempt() -> T:
            if state.pending_auth is not None and refresh_auth is not None:
                await refresh_auth(state.pending_auth)
                state.pending_auth = None  # cleared only once the refresh worked: a failed one is redone
            return await attempt()

        def should_retry(rs: RetryCallState) -> bool:
            error = _error_of(rs)
            if isinstance(error, ReauthorizeRequired):
                return False
            if isinstance(error, AuthError):
                if refresh_auth is None or state.auth_refreshed:
                    return False
                state.auth_refreshed = True
                state.pending_auth = error
                return True
            if isinstance(error, RateLimited):
                state.rate_limited += 1
                return True
            if isinstance(error, RetryableError):
                state.failures += 1
                state.unreachable += isinstance(error, CannotConnect)
                return True
            return False

        def wait(rs: RetryCallState) -> float:
            error = _error_of(rs)
            if not isinstance(error, RetryableError):
                return 0.0  # the auth retry goes at once: the refresh itself took the time it needed
            if error.retry_after is not None:
                return max(0.0, error.retry_after)
            if isinstance(error, RateLimited):
                return settings.rate_limited_wait_s
            backoff = settings.base_delay_s * 2 ** max(0, state.failures - 1)
            return self._jitter(min(settings.max_delay_s, backoff))

        def stop(rs: RetryCallState) -> bool:
            if state.failures >= settings.max_attempts or state.rate_limited > settings.max_rate_limited_waits:
                return True
            if state.unreachable >= settings.max_connect_attempts:
                return True
            return rs.idle_for + rs.upcoming_sleep > settings.max_total_wait_s

        def before_sleep(rs: RetryCallState) -> None:
            error = _error_of(rs)
            _count(error)
            _log.info(
                "connector.retry",
                error=type(error).__name__,
                wait_s=round(rs.upcoming_sleep, 3),
                failures=state.failures,
                rate_limited=state.rate_limited,
            )

        retrying = AsyncRetrying(
            retry=should_retry,
            wait=wait,
            stop=stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        async for attempt_manager in retrying:
            with attempt_manager:
                return await one_attempt()
        raise AssertionError("tenacity ended without a result or an error")  # pragma: no cover


def _error_of(rs: RetryCallState) -> BaseException | None:
    outcome = rs.outcome
    if outcome is None or not outcome.failed:
        return None
    return outcome.exception()

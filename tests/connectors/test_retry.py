"""The retry policy: what is retried, how long it waits, and when it gives up."""

from __future__ import annotations

import random

import pytest

from connectors.kit.retry import RetryPolicy, RetrySettings, equal_jitter
from core.errors import (
    AuthError,
    ChosyncError,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from core.ports import ReauthorizeRequired
from core.ports.retries import counting_retries
from tests.connectors.conftest import FakeClock

pytestmark = pytest.mark.anyio


class Script:
    """An attempt that raises the given errors in turn, then succeeds."""

    def __init__(self, *errors: ChosyncError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def _policy(clock: FakeClock, **settings: float) -> RetryPolicy:
    return RetryPolicy(RetrySettings(**settings), sleep=clock.sleep, jitter=lambda cap: cap)


async def test_retryable_errors_back_off_exponentially(clock: FakeClock) -> None:
    attempt = Script(RetryableError("a"), RetryableError("b"), RetryableError("c"))
    assert await _policy(clock, base_delay_s=0.5).call(attempt) == "ok"
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_backoff_is_capped(clock: FakeClock) -> None:
    attempt = Script(*(RetryableError(str(i)) for i in range(4)))
    await _policy(clock, base_delay_s=1, max_delay_s=3, max_attempts=10).call(attempt)
    assert clock.sleeps == [1, 2, 3, 3]


async def test_retry_after_is_honoured_exactly(clock: FakeClock) -> None:
    attempt = Script(RetryableError("busy", retry_after=7.0), RateLimited("slow down", retry_after=12.5))
    await _policy(clock).call(attempt)
    assert clock.sleeps == [7.0, 12.5]


async def test_rate_limit_waits_spend_no_attempt(clock: FakeClock) -> None:
    """Two attempts allowed, yet ten rate limits and one failure still end in success."""
    attempt = Script(*(RateLimited("slow") for _ in range(10)), RetryableError("once"))
    assert await _policy(clock, max_attempts=2, rate_limited_wait_s=1.0).call(attempt) == "ok"
    assert attempt.calls == 12


async def test_attempts_are_bounded(clock: FakeClock) -> None:
    attempt = Script(*(RetryableError(str(i)) for i in range(10)))
    with pytest.raises(RetryableError, match="2"):
        await _policy(clock, max_attempts=3).call(attempt)
    assert attempt.calls == 3


async def test_total_wait_is_bounded_and_the_last_error_says_when_to_come_back(clock: FakeClock) -> None:
    attempt = Script(
        RateLimited("slow", retry_after=30),
        RateLimited("slow", retry_after=30),
        RateLimited("x", retry_after=600),
    )
    with pytest.raises(RateLimited) as raised:
        await _policy(clock, max_total_wait_s=100).call(attempt)
    assert raised.value.retry_after == 600
    assert sum(clock.sleeps) == 60


async def test_endless_zero_second_rate_limits_stop(clock: FakeClock) -> None:
    attempt = Script(*(RateLimited("slow", retry_after=0) for _ in range(100)))
    with pytest.raises(RateLimited):
        await _policy(clock, max_rate_limited_waits=5).call(attempt)
    assert attempt.calls == 6


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(PermanentError("bad price", field="price"), id="permanent"),
        pytest.param(OutcomeUnknown("lost answer"), id="outcome-unknown"),
        pytest.param(ReauthorizeRequired("re-authorise"), id="reauthorize"),
    ],
)
async def test_errors_that_retrying_cannot_fix_are_raised_at_once(clock: FakeClock, error: ChosyncError) -> None:
    attempt = Script(error)
    with pytest.raises(type(error)):
        await _policy(clock).call(attempt, refresh_auth=_never_refresh)
    assert attempt.calls == 1
    assert clock.sleeps == []


async def _never_refresh(_: AuthError) -> None:
    raise AssertionError("no refresh expected")


async def test_auth_error_refreshes_once_then_retries_once(clock: FakeClock) -> None:
    refreshes: list[AuthError] = []

    async def refresh(error: AuthError) -> None:
        refreshes.append(error)

    attempt = Script(AuthError("expired"))
    assert await _policy(clock).call(attempt, refresh_auth=refresh) == "ok"
    assert len(refreshes) == 1
    assert attempt.calls == 2

    twice = Script(AuthError("expired"), AuthError("still refused"))
    with pytest.raises(AuthError, match="still refused"):
        await _policy(clock).call(twice, refresh_auth=refresh)
    assert twice.calls == 2
    assert len(refreshes) == 2


async def test_auth_error_without_a_refresher_is_raised(clock: FakeClock) -> None:
    attempt = Script(AuthError("refused"))
    with pytest.raises(AuthError):
        await _policy(clock).call(attempt)
    assert attempt.calls == 1


async def test_a_refresh_that_fails_transiently_is_retried(clock: FakeClock) -> None:
    outcomes: list[ChosyncError | None] = [RetryableError("token endpoint down"), None]

    async def refresh(_: AuthError) -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    attempt = Script(AuthError("expired"))
    assert await _policy(clock).call(attempt, refresh_auth=refresh) == "ok"
    assert outcomes == []
    assert attempt.calls == 2


def test_equal_jitter_stays_in_the_upper_half() -> None:
    jitter = equal_jitter(random.Random(4))
    waits = [jitter(8.0) for _ in range(200)]
    assert all(4.0 <= wait <= 8.0 for wait in waits)
    assert len(set(waits)) > 100


async def test_retries_are_counted_by_cause_in_the_open_tally_only(clock: FakeClock) -> None:
    async def refresh(_: AuthError) -> None:
        return None

    policy = _policy(clock)
    with counting_retries() as tally:
        await policy.call(Script(RetryableError("502"), RateLimited("slow"), RetryableError("timeout")))
        await policy.call(Script(AuthError("expired")), refresh_auth=refresh)
        with pytest.raises(PermanentError):
            await policy.call(Script(PermanentError("refused")))  # not retried: not counted
    assert (tally.failed, tally.rate_limited, tally.reauthorized, tally.total) == (2, 1, 1, 4)
    await policy.call(Script(RetryableError("after the block")))  # no open tally: nothing to count into
    assert tally.total == 4

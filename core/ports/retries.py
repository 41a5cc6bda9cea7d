"""Counting the requests a marketplace made us send again, for the sync run that reports them.

The connector kit's retry policy counts every retry by its cause (:func:`count_retry`); the core opens a
tally around a push (:func:`counting_retries`) and reads it when the push ends. A context variable, not an
argument: the tally follows the calling task (and the tasks it starts) through every connector method
without each of them passing it along.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from core.errors import AuthError, CannotConnect, RateLimited

__all__ = ["RetryTally", "count_retry", "counting_retries"]


@dataclass(slots=True)
class RetryTally:
    """Requests sent again, by cause, while a :func:`counting_retries` block ran."""

    failed: int = 0  # after a retryable failure (5xx, timeout, a garbled answer)
    unreachable: int = 0  # after no connection could be made (not a hiccup: see the run's stop reason)
    rate_limited: int = 0  # after the marketplace asked us to slow down
    reauthorized: int = 0  # after a refused token was refreshed

    @property
    def total(self) -> int:
        return self.failed + self.unreachable + self.rate_limited + self.reauthorized


_TALLY: ContextVar[RetryTally | None] = ContextVar("chosync_retry_tally", default=None)


@contextmanager
def counting_retries() -> Iterator[RetryTally]:
    """Count the retries of every request made in this context until the block ends."""
    tally = RetryTally()
    token = _TALLY.set(tally)
    try:
        yield tally
    finally:
        _TALLY.reset(token)


def count_retry(error: BaseException | None) -> None:
    """A request is sent again after ``error``: count it in the open tally, if any."""
    tally = _TALLY.get()
    if tally is None:
        return
    if isinstance(error, RateLimited):
        tally.rate_limited += 1
    elif isinstance(error, AuthError):
        tally.reauthorized += 1
    elif isinstance(error, CannotConnect):
        tally.unreachable += 1
    else:
        tally.failed += 1

"""When a failed operation is tried again, and when it is given up on: one schedule for the CLI and the daemon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.settings import ScheduleSettings

__all__ = ["RetrySchedule"]


@dataclass(frozen=True)
class RetrySchedule:
    """When a failed operation is tried again: base × 2^(attempt−1), capped; parked after max_attempts.

    A rate limit spends no attempt; an operation is parked once its rate-limit waits add up to more than
    ``max_rate_limited_s`` (a throttle measured in seconds is normal; one lasting an hour is a quota). A
    change the marketplace cannot take yet (:class:`~core.errors.NotYet`: a listing in review) is sent
    again every ``not_yet_s``, spending no attempt, and parked once ``max_not_yet_s`` after it was queued.
    A marketplace that could not be connected to at all (:class:`~core.errors.CannotConnect`) is tried
    again after ``unreachable_s`` and parked after ``max_unreachable`` such tries: a wrong address or a
    host that is down is a person's to fix, not a hiccup to retry for hours.
    """

    max_attempts: int = 8
    base_s: float = 30.0
    max_s: float = 3600.0
    max_rate_limited_s: float = 3600.0
    not_yet_s: float = 900.0
    max_not_yet_s: float = 3 * 86400.0
    unreachable_s: float = 60.0
    max_unreachable: int = 3

    @classmethod
    def from_settings(cls, settings: ScheduleSettings) -> RetrySchedule:
        return cls(
            max_attempts=settings.retry_attempts,
            base_s=settings.retry_base,
            max_s=settings.retry_max,
            max_rate_limited_s=settings.retry_rate_limited_max,
            not_yet_s=settings.retry_not_yet,
            max_not_yet_s=settings.retry_not_yet_max,
            unreachable_s=settings.retry_unreachable,
            max_unreachable=settings.retry_unreachable_attempts,
        )

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.max_s, self.base_s * 2 ** max(0, attempts - 1)))

    def unreachable(self) -> timedelta:
        return timedelta(seconds=self.unreachable_s)

"""What a failed operation becomes, by its error's class (DESIGN rule 5): waiting to be sent again, its
answer unknown, or parked for a person, and with which message. Decided here, written by the applier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.errors import (
    AuthError,
    CannotConnect,
    ChosyncError,
    NotYet,
    OutcomeUnknown,
    PermanentError,
    RateLimited,
    RetryableError,
)
from core.logs import scrub
from core.sync.due import DueOp
from core.sync.models import OpState
from core.sync.retry_schedule import RetrySchedule

__all__ = ["Settlement", "gave_up", "settle"]

_Values = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Settlement:
    """The operation's new column values; ``parked``: the message a person reads, when it is parked."""

    values: dict[str, Any]
    parked: str | None = None

    @property
    def state(self) -> str:
        return str(self.values["state"])


def gave_up(attempts: int, reason: str) -> str:
    return f"gave up after {attempts} attempts: {reason}"


def _wait(values: dict[str, Any], until: datetime) -> Settlement:
    return Settlement({**values, "state": OpState.RETRY_WAIT.value, "next_attempt_at": until})


def _park(values: dict[str, Any], message: str) -> Settlement:
    return Settlement({**values, "state": OpState.FAILED.value, "error": message}, parked=message)


def _rate_limited(op: DueOp, error: RateLimited, schedule: RetrySchedule, now: datetime, values: _Values) -> Settlement:
    wait = schedule.base_s if error.retry_after is None else error.retry_after
    # Every rate limit counts at least a second: "retry after 0 s" forever must reach the bound too.
    waited = op.rate_limited_s + max(wait, 1.0)
    values.update(attempts=op.attempts - 1, rate_limited_s=waited)  # a rate limit spends no attempt
    if waited <= schedule.max_rate_limited_s:
        return _wait(values, now + timedelta(seconds=wait))
    return _park(values, f"rate-limited for {waited:.0f} s in all (more than the {schedule.max_rate_limited_s:.0f} s "
                 "allowed): the shop's API quota on the marketplace may be spent; check it, then "
                 f"'chosync retry': {values['error']}")  # fmt: skip


def _not_yet(op: DueOp, error: NotYet, schedule: RetrySchedule, now: datetime, values: _Values) -> Settlement:
    values.update(attempts=op.attempts - 1)  # the marketplace's own state, not a failure: no attempt
    if (now - (op.queued_at or now)).total_seconds() <= schedule.max_not_yet_s:
        wait = schedule.not_yet_s if error.retry_after is None else error.retry_after
        return _wait(values, now + timedelta(seconds=wait))
    hours = schedule.max_not_yet_s / 3600
    return _park(values, f"still not accepted {hours:.0f} h after it was queued: {values['error']}")


def _unreachable(op: DueOp, schedule: RetrySchedule, now: datetime, values: _Values) -> Settlement:
    # Not a hiccup: a wrong address or a host that is down. A few short waits, then a person.
    if op.attempts < min(schedule.max_unreachable, schedule.max_attempts):
        return _wait(values, now + schedule.unreachable())
    return _park(values, f"could not connect in {op.attempts} tries, parked for a person: {values['error']}")


def settle(op: DueOp, error: ChosyncError, schedule: RetrySchedule, now: datetime) -> Settlement:
    """What ``op`` becomes after ``error`` (its attempt already counted in ``op.attempts``)."""
    message = scrub(str(error))
    values: _Values = {"updated_at": now, "error": message, "error_code": type(error).__name__}
    if isinstance(error, RateLimited):
        return _rate_limited(op, error, schedule, now, values)
    if isinstance(error, OutcomeUnknown):
        return Settlement({**values, "state": OpState.UNKNOWN.value})
    if isinstance(error, NotYet):
        return _not_yet(op, error, schedule, now, values)
    if isinstance(error, CannotConnect):
        return _unreachable(op, schedule, now, values)
    if isinstance(error, RetryableError | AuthError) and op.attempts < schedule.max_attempts:
        values.update(attempts=op.attempts - 1 if isinstance(error, AuthError) else op.attempts)
        return _wait(values, now + schedule.delay(op.attempts))
    return _park(values, message if isinstance(error, PermanentError) else gave_up(op.attempts, message))

"""Error handling as data, shared by every connector's boundary.

Each connector keeps ONE table from what a marketplace can answer (HTTP status, error code in the body,
transport exception) to an :class:`ErrorRule`: a :class:`Resolution` (what the caller should do) and a
message for a person. :func:`to_error` turns a rule into the :mod:`core.errors` class the retry policy and
the core act on; nothing past a connector's boundary sees an httpx exception or a marketplace code.

``UNSAFE`` marks a failure after which the request may or may not have been applied (a read timeout, a
dropped connection, a gateway's 5xx, an unreadable answer): safe to repeat for idempotent calls, an
:class:`~core.errors.OutcomeUnknown` for the others, resolved by reading the marketplace back.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import httpx

from core.errors import AuthError, ChosyncError, OutcomeUnknown, PermanentError, RateLimited, RetryableError
from core.logs import scrub
from core.ports import ReauthorizeRequired

__all__ = ["ErrorRule", "Resolution", "nothing_applied", "retry_after_seconds", "to_error"]


class Resolution(StrEnum):
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    REAUTHORIZE = "reauthorize"
    PERMANENT = "permanent"
    UNSAFE = "unsafe"


@dataclass(frozen=True, slots=True)
class ErrorRule:
    resolution: Resolution
    message: str
    field: str | None = None
    hint: str | None = None


def nothing_applied(rule: ErrorRule, applied_nothing: bool) -> ErrorRule:
    """``rule``, or a plain retry where an unsafe failure is one the marketplace says applied nothing
    (:class:`~connectors.kit.config.ErrorSettings`)."""
    if not applied_nothing or rule.resolution is not Resolution.UNSAFE:
        return rule
    return ErrorRule(Resolution.RETRY, f"{rule.message} (nothing was applied)", rule.field, rule.hint)


def to_error(
    rule: ErrorRule,
    *,
    call: str,
    idempotent: bool,
    detail: str = "",
    code: str | None = None,
    retry_after: float | None = None,
) -> ChosyncError:
    """The :mod:`core.errors` instance a rule resolves to, its message scrubbed of secrets."""
    text = f"{rule.message} ({call})"
    if detail:
        text = f"{text}: {detail}"
    text = scrub(text)
    resolution = rule.resolution
    if resolution is Resolution.UNSAFE:
        if not idempotent:
            return OutcomeUnknown(
                f"{text}; the change may or may not have been applied",
                hint="read the marketplace back (look the SKU up) before sending it again",
            )
        resolution = Resolution.RETRY
    return _BUILDERS[resolution](text, rule, code, retry_after)


_Builder = Callable[[str, ErrorRule, "str | None", "float | None"], ChosyncError]
_BUILDERS: Mapping[Resolution, _Builder] = {
    Resolution.RETRY: lambda text, rule, _code, wait: RetryableError(text, hint=rule.hint, retry_after=wait),
    Resolution.RATE_LIMITED: lambda text, rule, _code, wait: RateLimited(text, hint=rule.hint, retry_after=wait),
    Resolution.AUTH: lambda text, rule, _code, _wait: AuthError(text, hint=rule.hint),
    Resolution.REAUTHORIZE: lambda text, rule, _code, _wait: ReauthorizeRequired(text, hint=rule.hint),
    Resolution.PERMANENT: lambda text, rule, code, _wait: PermanentError(
        text, hint=rule.hint, field=rule.field, code=code
    ),
}


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Retry-After as seconds (delta or HTTP date); None when absent or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())

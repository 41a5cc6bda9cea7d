"""Error handling as data, shared by every connector's boundary.

Each connector reads what a marketplace can answer (HTTP status, error code in the body, transport
exception) through tables of :class:`ErrorRule`: a :class:`Resolution` (what the caller should do) and a
message for a person. :func:`to_error` turns a rule into the :mod:`core.errors` class the retry policy and
the core act on; nothing past a connector's boundary sees an httpx exception or a marketplace code.

The rules that hold for every marketplace live here once, worded with the marketplace's name
(:func:`http_rules`): HTTP statuses and classes (:data:`STATUS_RULES`, :data:`CLASS_RULES`), transport
exceptions (:data:`TRANSPORT_RULES`). A marketplace adds its own error-code table and says how its
envelope reports an error or carries a result (:class:`Envelope`); :func:`check_answer` applies all of
them in one order: an HTTP 429, then the body's error code, then the HTTP status, then the envelope's
shape.

``CONNECT`` marks a connection that could not be made at all (refused, a host name that does not resolve, a
TLS handshake that failed, no answer to the connect): nothing was sent, but unlike a 5xx it does not pass by
itself in seconds, so it becomes :class:`~core.errors.CannotConnect`, naming the host and what failed (read
from the exception's class and its causes, never from its text), tried a few times only.

``UNSAFE`` marks a failure after which the request may or may not have been applied (a read timeout, a
dropped connection, a gateway's 5xx, an unreadable answer): safe to repeat for idempotent calls, an
:class:`~core.errors.OutcomeUnknown` for the others, resolved by reading the marketplace back.
"""

from __future__ import annotations

import email.utils
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

import httpx

from connectors.kit.config import ErrorSettings
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
from core.ports import ReauthorizeRequired

__all__ = [
    "CLASS_RULES",
    "STATUS_RULES",
    "TRANSPORT_RULES",
    "BodyError",
    "Envelope",
    "ErrorRule",
    "HttpRules",
    "Resolution",
    "TransportRules",
    "Unreadable",
    "cannot_connect",
    "check_answer",
    "connect_reason",
    "http_rules",
    "nothing_applied",
    "retry_after_seconds",
    "to_error",
]

AnswerT = TypeVar("AnswerT")
AnswerT_co = TypeVar("AnswerT_co", covariant=True)


class Resolution(StrEnum):
    RETRY = "retry"
    RATE_LIMITED = "rate_limited"
    AUTH = "auth"
    REAUTHORIZE = "reauthorize"
    PERMANENT = "permanent"
    UNSAFE = "unsafe"
    LATER = "later"  # not yet: the listing's state (a review) refuses it for now; sent again later
    CONNECT = "connect"  # no connection could be made: a few tries, then a person (a wrong address, a host down)


@dataclass(frozen=True, slots=True)
class ErrorRule:
    resolution: Resolution
    message: str
    field: str | None = None
    hint: str | None = None

    def named(self, marketplace: str) -> ErrorRule:
        """This rule with ``{marketplace}`` in its message and hint filled in."""
        hint = self.hint.format(marketplace=marketplace) if self.hint else None
        return ErrorRule(self.resolution, self.message.format(marketplace=marketplace), self.field, hint)


_R = Resolution

# --- the rules every marketplace shares, worded with its name ---------------------------------------------

STATUS_RULES: Mapping[int, ErrorRule] = {
    401: ErrorRule(_R.AUTH, "{marketplace} refused our credentials"),
    403: ErrorRule(_R.AUTH, "{marketplace} refused our credentials"),
    408: ErrorRule(_R.UNSAFE, "{marketplace} timed out answering"),
    429: ErrorRule(_R.RATE_LIMITED, "{marketplace} asked us to slow down"),
}

# By the first digit of the status, when no exact rule applies (and 5 for anything else).
CLASS_RULES: Mapping[int, ErrorRule] = {
    4: ErrorRule(_R.PERMANENT, "{marketplace} refused the request"),
    5: ErrorRule(_R.UNSAFE, "{marketplace} had a server error"),
}

TransportRules = tuple[tuple[type[httpx.RequestError], ErrorRule], ...]

# First match wins: ConnectTimeout is a TimeoutException, but nothing was sent, so it is safe.
_CONNECT_HINT = (
    "check the account's base_url ('chosync channels list --json') and that the host is reachable from "
    "this machine; once fixed, 'chosync retry --all' sends what was parked"
)
TRANSPORT_RULES: TransportRules = (
    (httpx.ConnectTimeout, ErrorRule(_R.CONNECT, "could not connect to {marketplace}", hint=_CONNECT_HINT)),
    (httpx.ConnectError, ErrorRule(_R.CONNECT, "could not connect to {marketplace}", hint=_CONNECT_HINT)),
    (httpx.PoolTimeout, ErrorRule(_R.RETRY, "no free connection to {marketplace} in time")),
    (httpx.TimeoutException, ErrorRule(_R.UNSAFE, "{marketplace} did not answer in time")),
    (httpx.RemoteProtocolError, ErrorRule(_R.UNSAFE, "the connection to {marketplace} dropped mid-answer")),
    (httpx.NetworkError, ErrorRule(_R.UNSAFE, "the connection to {marketplace} failed")),
    (httpx.RequestError, ErrorRule(_R.UNSAFE, "the request to {marketplace} failed")),
)


@dataclass(frozen=True, slots=True)
class HttpRules:
    """The shared status, class and transport rules of one marketplace, its own status rules laid over."""

    marketplace: str
    statuses: Mapping[int, ErrorRule]
    classes: Mapping[int, ErrorRule]
    transport: TransportRules

    def for_status(self, status: int) -> ErrorRule:
        return self.statuses.get(status) or self.classes.get(status // 100) or self.classes[5]

    def translate_transport(self, exc: httpx.RequestError, *, call: str, idempotent: bool) -> ChosyncError:
        """The error a request that got no answer becomes (the exception's class name as its detail)."""
        for kind, rule in self.transport:
            if isinstance(exc, kind):
                if rule.resolution is Resolution.CONNECT:
                    return cannot_connect(rule, exc, call=call)
                return to_error(rule, call=call, idempotent=idempotent, detail=type(exc).__name__)
        raise AssertionError("the transport rules end with the base class")  # pragma: no cover


# What failed, by the class of the exception or of one of its causes (httpx wraps httpcore's, which wraps
# the socket's): checked in this order, the most telling first.
_CONNECT_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (ssl.SSLError, "the TLS handshake failed (certificate or protocol)"),
    (socket.gaierror, "its host name was not found (DNS)"),
    (ConnectionRefusedError, "the connection was refused"),
    (httpx.ConnectTimeout, "it did not answer in time"),
    (TimeoutError, "it did not answer in time"),
)


def connect_reason(exc: BaseException) -> str:
    """Why a connection could not be made, for a person, from the classes in ``exc``'s chain of causes."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for kind, reason in _CONNECT_REASONS:
        if any(isinstance(link, kind) for link in chain):
            return reason
    return "the connection failed"


def _host_of(exc: httpx.RequestError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised without its request (a test's stand-in)
        return ""
    return url.host + (f":{url.port}" if url.port else "")


def cannot_connect(rule: ErrorRule, exc: httpx.RequestError, *, call: str) -> CannotConnect:
    """A connection that could not be made, naming the host and what failed."""
    host = _host_of(exc)
    reason = connect_reason(exc)
    where = f" at {host}" if host else ""
    text = scrub(f"{rule.message}{where}: {reason} ({call})")
    return CannotConnect(text, hint=rule.hint, host=host, reason=reason)


def http_rules(marketplace: str, *, statuses: Mapping[int, ErrorRule] | None = None) -> HttpRules:
    """The shared rules worded for ``marketplace``, with its own ``statuses`` (worded already) winning."""
    return HttpRules(
        marketplace=marketplace,
        statuses={**{s: r.named(marketplace) for s, r in STATUS_RULES.items()}, **(statuses or {})},
        classes={c: r.named(marketplace) for c, r in CLASS_RULES.items()},
        transport=tuple((kind, rule.named(marketplace)) for kind, rule in TRANSPORT_RULES),
    )


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
    Resolution.LATER: lambda text, rule, _code, wait: NotYet(text, hint=rule.hint, retry_after=wait),
    Resolution.CONNECT: lambda text, rule, _code, _wait: CannotConnect(text, hint=rule.hint),
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


# --- a marketplace's envelope, read in the one order every marketplace shares ------------------------------


@dataclass(frozen=True, slots=True)
class BodyError:
    """An error the answer's body reports, as the marketplace's own code table reads it.

    ``key`` is the code as the account's ``[errors] not_applied`` lists it; ``code`` is what a
    :class:`~core.errors.PermanentError` carries for people (often the same); ``detail`` is the
    marketplace's own message, else its code.
    """

    rule: ErrorRule
    key: str
    code: str
    detail: str


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A body that is not the marketplace's envelope: ``message`` says so to a person."""

    message: str


class Envelope(Protocol[AnswerT_co]):
    """How one marketplace's answers report an error or carry a result (its hook into :func:`check_answer`).

    ``body`` is the decoded JSON, or None when the answer was not JSON.
    """

    def error(self, body: Any) -> BodyError | None:
        """The error the body reports, if it reports one."""
        ...

    def result(self, body: Any) -> AnswerT_co | Unreadable:
        """What a successful answer gives its caller, or why the body is not an answer at all."""
        ...


def check_answer(
    response: httpx.Response,
    rules: HttpRules,
    envelope: Envelope[AnswerT],
    *,
    call: str,
    idempotent: bool,
    now: datetime | None = None,
    errors: ErrorSettings | None = None,
) -> AnswerT:
    """The result of a successful answer, or the translated error raised.

    ``errors``: the account's list of failures that applied nothing (retried, not read back)."""
    errors = errors or ErrorSettings()
    status = response.status_code
    retry_after = retry_after_seconds(response.headers, now)
    if status == 429:
        raise to_error(rules.for_status(429), call=call, idempotent=idempotent, retry_after=retry_after)
    body: Any
    try:
        body = response.json()
    except ValueError:
        body = None
    reported = envelope.error(body)
    if reported is not None:
        rule = nothing_applied(reported.rule, errors.applied_nothing(status=status, code=reported.key))
        raise to_error(
            rule, call=call, idempotent=idempotent, detail=reported.detail, code=reported.code, retry_after=retry_after
        )
    if status >= 400:
        rule = nothing_applied(rules.for_status(status), errors.applied_nothing(status=status))
        raise to_error(rule, call=call, idempotent=idempotent, detail=f"HTTP {status}", retry_after=retry_after)
    result = envelope.result(body)
    if isinstance(result, Unreadable):
        raise to_error(ErrorRule(_R.UNSAFE, result.message), call=call, idempotent=idempotent, detail=f"HTTP {status}")
    return result

"""One sandbox served from the command line (``chosync sandbox serve NAME``), with the knobs a person
trying chosync by hand wants: a rate limit, short token lifetimes, and faults by chance.

The CLI passes the options as typed (``--rate-limit 5/s``, ``--access-token-ttl 10m``,
``--fault server_error:0.1``); this module reads them and builds the sandbox, so the command itself
knows nothing of any marketplace (DESIGN rule 7). Each marketplace's ``fleet`` module serves its own
simulator and says what it announces: the API simulators take the knobs (:func:`tuned` applies them,
:func:`announce_serving` says so), any other refuses them with a clear message (:func:`refuse_tuning`)
rather than ignoring them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from core.errors import UsageError
from simulators.common.faults import ANY_PATH, Fault, FaultKind, FaultPlan

__all__ = [
    "FAULT_KINDS",
    "Tuning",
    "announce_serving",
    "lifetimes",
    "parse_duration",
    "parse_fault",
    "parse_rate",
    "refuse_tuning",
    "serve_one",
    "tuned",
]

# What each fault kind does to a request it hits, for --help and errors.
FAULT_KINDS: dict[str, str] = {
    FaultKind.LATENCY: "answered normally, 1 s late",
    FaultKind.SERVER_ERROR: "refused with a 500, nothing applied",
    FaultKind.RATE_LIMIT: "refused as throttled (429, Retry-After), nothing applied",
    FaultKind.TIMEOUT: "held 30 s then 504, nothing applied (past a 20 s client timeout)",
    FaultKind.MALFORMED_JSON: "applied, its answer cut short so it is not JSON",
    FaultKind.LOST_RESPONSE: "applied, its answer replaced by a 504",
}
_FAULTS: dict[str, Fault] = {
    FaultKind.LATENCY: Fault.latency(1.0),
    FaultKind.SERVER_ERROR: Fault.server_error(500),
    FaultKind.RATE_LIMIT: Fault.rate_limited(),
    FaultKind.TIMEOUT: Fault.timeout(30.0),
    FaultKind.MALFORMED_JSON: Fault.malformed_json(),
    FaultKind.LOST_RESPONSE: Fault.lost_response(),
}
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_NUMBER_UNIT = re.compile(r"\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[a-z]*)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Tuning:
    """How a served sandbox should misbehave; the defaults leave it as it is."""

    rate_limit: float | None = None  # requests per second per partner app
    access_token_ttl: float | None = None  # seconds
    refresh_token_ttl: float | None = None  # seconds
    faults: tuple[tuple[Fault, float], ...] = field(default=())  # (fault, chance per request)

    @classmethod
    def parse(
        cls,
        *,
        rate_limit: str | None = None,
        access_token_ttl: str | None = None,
        refresh_token_ttl: str | None = None,
        faults: tuple[str, ...] | list[str] = (),
    ) -> Tuning:
        """The knobs from the command line's text; UsageError naming the option that is wrong."""

        def duration(value: str | None, option: str) -> float | None:
            return None if value is None else parse_duration(value, option)

        return cls(
            rate_limit=None if rate_limit is None else parse_rate(rate_limit),
            access_token_ttl=duration(access_token_ttl, "--access-token-ttl"),
            refresh_token_ttl=duration(refresh_token_ttl, "--refresh-token-ttl"),
            faults=tuple(parse_fault(text) for text in faults),
        )

    @property
    def is_default(self) -> bool:
        return self == Tuning()


def parse_rate(text: str) -> float:
    """``5``, ``5/s``, ``0.5/s`` or ``120/min``: requests per second."""
    number, _, per = text.strip().partition("/")
    per = per.strip().lower() or "s"
    try:
        rate = float(number) / {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0}[per]
    except (ValueError, KeyError):
        raise UsageError(f"--rate-limit {text!r} is not a rate", hint="write N/s or N/min, e.g. 5/s") from None
    if rate <= 0:
        raise UsageError(f"--rate-limit {text!r} must be above zero")
    return rate


def parse_duration(text: str, option: str = "duration") -> float:
    """``90``, ``90s``, ``10m``, ``4h`` or ``30d``: seconds."""
    match = _NUMBER_UNIT.fullmatch(text)
    unit = match.group("unit").lower() if match else ""
    if match is None or unit not in _UNITS or float(match.group("number")) <= 0:
        raise UsageError(f"{option} {text!r} is not a duration", hint="write seconds, or 90s, 10m, 4h, 30d")
    return float(match.group("number")) * _UNITS[unit]


def parse_fault(text: str) -> tuple[Fault, float]:
    """``KIND:RATE`` (``server_error:0.1`` or ``server_error:10%``): that fault on that share of requests."""
    kind, _, rate = text.strip().partition(":")
    kind = kind.strip().lower().replace("-", "_")
    kinds = ", ".join(FAULT_KINDS)
    if kind not in _FAULTS:
        raise UsageError(f"--fault {text!r}: no fault kind {kind!r}", hint=f"kinds: {kinds}")
    try:
        chance = float(rate.strip().removesuffix("%")) / (100 if rate.strip().endswith("%") else 1)
    except ValueError:
        raise UsageError(
            f"--fault {text!r} needs KIND:RATE", hint="e.g. server_error:0.1 or lost_response:5%"
        ) from None
    if not 0 < chance <= 1:
        raise UsageError(f"--fault {text!r}: the rate must be above 0 and at most 1 (or 100%)")
    return _FAULTS[kind], chance


def serve_one(name: str, port: int, host: str, tuning: Tuning, *, announce: Callable[[str], None] = print) -> None:
    """Announce (one line per call of ``announce``), then serve the simulator of channel ``name`` until
    interrupted; its marketplace's ``fleet`` module builds it (:func:`simulators.common.fleet.kind_of`)."""
    from simulators.common.fleet import kind_of

    kind_of(name).serve(name, port, host, tuning, announce)


def refuse_tuning(name: str, tuning: Tuning) -> None:
    """For a simulator that takes no knobs: a UsageError rather than knobs silently ignored."""
    if not tuning.is_default:
        raise UsageError(f"--rate-limit, --access-token-ttl, --refresh-token-ttl and --fault do not go with {name}",
                         hint="they tune the shopee sandbox")  # fmt: skip


class _Faulty(Protocol):
    faults: FaultPlan


_S = TypeVar("_S", bound=_Faulty)


def tuned(make: Callable[..., _S], config: Any, tuning: Tuning, *, rate_field: str, seed: int = 0) -> _S:
    """``make(config, seed=seed)`` misbehaving as ``tuning`` says: its rate limit set on the config field
    ``rate_field``, its token lifetimes on ``access_token_lifetime`` and ``refresh_token_lifetime``, its
    faults by chance on every path."""
    knobs = {
        rate_field: tuning.rate_limit,
        "access_token_lifetime": tuning.access_token_ttl,
        "refresh_token_lifetime": tuning.refresh_token_ttl,
    }
    for name, value in knobs.items():
        if value is not None:
            setattr(config, name, value)
    sandbox = make(config, seed=seed)
    for fault, chance in tuning.faults:
        sandbox.faults.add_chance(ANY_PATH, fault, chance)
    return sandbox


def lifetimes(access: float, refresh: float, *, in_days: bool = False) -> str:
    """The announced token lifetimes; ``in_days`` says a day or more in days."""

    def said(seconds: float) -> str:
        return f"{seconds / 86_400:g} days" if in_days and seconds >= 86_400 else f"{seconds:g} s"

    return f"access tokens live {said(access)}, refresh tokens {said(refresh)}"


def announce_serving(announce: Callable[[str], None], headline: str, details: Iterable[str], tuning: Tuning) -> None:
    """``headline``, then each of ``details`` and each fault by chance, indented: what a served simulator says."""
    announce(headline)
    for line in details:
        announce(f"  {line}")
    for fault, chance in tuning.faults:
        announce(f"  fault {fault.kind}: {chance:.0%} of requests")

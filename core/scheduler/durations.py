"""Time as people write it: durations (``10s``, ``5m``, ``1h``, ``1d``) and the clock of Vietnam.

A duration is a number and one unit (s, m, h, d); a bare number is seconds (environment variables are
text, so ``CHOSYNC_SCHEDULE__LOCK_WAIT=10`` means ten seconds).
Fractions are allowed (``0.5s``) so tests can run the daemon fast; the CLI asks for whole seconds.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["UNITS", "VIETNAM", "format_duration", "local", "parse_duration"]

# Vietnam keeps UTC+7 all year (no daylight saving): a fixed offset is exact and needs no tz database.
VIETNAM = timezone(timedelta(hours=7), "ICT")

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(value: object) -> float:
    """Seconds in ``value`` (``"5m"`` → 300.0; a number is seconds); ValueError saying how to write one."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{value!r} is not a duration: it is negative")
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match[1]) * UNITS[match[2] or "s"]
    raise ValueError(f"{value!r} is not a duration: write a number and a unit, e.g. 10s, 5m, 1h, 1d")


def format_duration(seconds: float) -> str:
    """The shortest exact spelling: 300 → ``5m``, 90 → ``90s``, 86400 → ``1d``, 0.5 → ``0.5s``."""
    if seconds != int(seconds):
        return f"{seconds:g}s"
    whole = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


def local(moment: datetime) -> str:
    """A stored UTC time as people in Vietnam read it: ``2026-11-28 21:30``."""
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")

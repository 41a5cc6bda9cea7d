"""How chosync reaches each channel account, for ``chosync status`` and ``chosync channels list``.

Apart from the channels commands so that ``status`` loads neither them nor what they need (account
removal, the sync engine, the HTTP client), and asks the registry for a channel's declared kind rather
than its connector class: describing twenty shops must not import every marketplace's connector.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from core.cli.context import local_time, state
from core.errors import ConfigError
from core.ports.kinds import ConnectorKind
from core.ports.registry import connector_kind
from core.settings import channel_toml_path

__all__ = ["access_health", "token_health"]


def token_health(refresh_expires_at: datetime | None, now: datetime, warn_within: timedelta) -> tuple[str, bool]:
    """How an OAuth account's authorisation stands, and whether to warn (``warn_within`` before it must be renewed)."""
    if refresh_expires_at is None:
        return "not connected", False
    left = refresh_expires_at - now
    if left <= timedelta(0):
        return f"EXPIRED {local_time(refresh_expires_at)}: re-authorise", True
    if left <= warn_within:
        return f"re-authorise before {local_time(refresh_expires_at)} ({left.days} d left)", True
    return f"ok, {left.days} d left", False


def _channel_toml(channel: str) -> Mapping[str, Any] | None:
    path = channel_toml_path(channel).resolve()  # where every shipped connector reads it; absolute: a cache key
    try:
        return _read_toml(path, path.stat().st_mtime_ns)
    except (OSError, tomllib.TOMLDecodeError):
        return None


@cache
def _read_toml(path: Path, _stamp: int) -> Mapping[str, Any]:
    # Once per file and version: status asks for every shop, and tests run many commands in one process.
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _stated_warn_days(channel: str, settings: Mapping[str, Any]) -> float | None:
    """``auth.refresh_warn_days`` as the account's settings or its channel's toml state it (the account's
    wins, as in the channel config), when it is a plain number the config would take as it is; else None."""
    for source in (settings, _channel_toml(channel) or {}):
        auth = source.get("auth")
        if isinstance(auth, Mapping) and "refresh_warn_days" in auth:
            days = auth["refresh_warn_days"]
            plain = isinstance(days, int | float) and not isinstance(days, bool) and days >= 0
            return float(days) if plain else None
    return None


def _warn_within(channel: str, settings: Mapping[str, Any]) -> timedelta:
    """How long before its refresh token dies an OAuth shop is flagged: what the token job warns by.

    The token job reads it from the connector's whole config (core.scheduler.tokens.reauthorize_warning),
    which costs importing the connector and validating its config for every shop. The number is read
    from where that config takes it instead; only when it is not stated plainly there is the connector
    asked (a test checks both agree for every OAuth channel).
    """
    days = _stated_warn_days(channel, settings)
    if days is not None:
        return timedelta(days=days)
    from core.scheduler.tokens import reauthorize_warning

    fallback = timedelta(seconds=state.settings().schedule.reauthorize_warning)
    return reauthorize_warning(channel, settings, fallback=fallback)


def access_health(
    channel: str, refresh_expires_at: datetime | None, now: datetime, settings: dict[str, Any] | None = None
) -> tuple[str, bool]:
    """How chosync reaches an account, and whether to warn: only OAuth shops have an authorisation to renew.

    A floor worked by hand (upload packs) has no credentials at all; a channel with its own login (a
    password or API key from the environment) keeps its short-lived session token fresh by itself.
    """
    try:
        kind = connector_kind(channel)
    except ConfigError:
        return "unknown channel", True
    if kind is ConnectorKind.OAUTH:
        if refresh_expires_at is None or refresh_expires_at <= now:  # no warning period to look up
            return token_health(refresh_expires_at, now, timedelta(0))
        return token_health(refresh_expires_at, now, _warn_within(channel, settings or {}))
    if kind is ConnectorKind.ASSISTED:
        return "upload packs", False
    return "own login", False

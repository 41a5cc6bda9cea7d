"""Token health: keep each shop's authorisation alive between syncs, and warn before it dies.

Marketplaces that authorise by OAuth hand out a short-lived access token and a longer-lived refresh
token (Shopee: 4 hours and 30 days, the refresh token single use). Sync jobs refresh on demand, but an
account whose jobs are quiet, failing or paused for a while would let both lapse. The hourly token job
refreshes the access token *ahead* of expiry (when it would die before the next check), through the
connector's :meth:`~core.ports.Authorizing.refresh_ahead` so the refresh stays single-flight with
the jobs' own, and warns when the refresh token itself is about to die: only the shop owner can renew
that, by authorising again.

Only :class:`~core.ports.Authorizing` connectors (shops authorised by OAuth) are checked; the others
(file feeds, assisted channels, a login-based API that logs in again by itself) have nothing to check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog

from core.channels import AccountSummary, DatabaseTokenStore
from core.db import Store
from core.errors import ChosyncError
from core.models import utcnow
from core.ports import Authorizing, get_connector_class
from core.scheduler.durations import local
from core.sync.connect import build_connector

__all__ = ["TokenCheck", "check_tokens", "reauthorize_warning"]

log = structlog.get_logger(__name__)
# Refresh when the access token would die before the next check plus this margin.
_MARGIN = timedelta(minutes=10)


def reauthorize_warning(channel: str, settings: Mapping[str, Any], *, fallback: timedelta) -> timedelta:
    """How long before its refresh token dies an OAuth shop is flagged, for the token job and the CLI alike:
    the channel config's ``auth.refresh_warn_days`` (overlaid by the account's settings), else ``fallback``
    (``schedule.reauthorize_warning``)."""
    load = getattr(get_connector_class(channel), "load_config", None)
    try:
        config = load(settings) if load is not None else None
    except ChosyncError:  # a config the sync would refuse too: warn by the fallback rather than hide the shop
        config = None
    days = getattr(getattr(config, "auth", None), "refresh_warn_days", None)
    return timedelta(days=float(days)) if isinstance(days, int | float) else fallback


@dataclass(frozen=True, slots=True)
class TokenCheck:
    state: str  # ok, refreshed, not connected, no tokens
    reauthorize_by: datetime | None = None
    warning: str | None = None


async def check_tokens(
    store: Store,
    account: AccountSummary,
    http: httpx.AsyncClient,
    *,
    every: timedelta,
    warn_within: timedelta,
    now: Callable[[], datetime] = utcnow,
) -> TokenCheck:
    """Refresh ``account``'s access token if it would expire before the next check; warn about the refresh token.

    Raises what the connector raises (``ReauthorizeRequired`` when the marketplace refuses the refresh).
    """
    tokens_store = DatabaseTokenStore(store, account.id)
    tokens = await tokens_store.load()
    if tokens is None:
        return TokenCheck("not connected")
    connector = build_connector(store, account, http, now=now)
    if not isinstance(connector, Authorizing):
        return TokenCheck("no tokens")
    state = "ok"
    if tokens.access_expires_at - now() <= every + _MARGIN and tokens.refresh_expires_at > now():
        await connector.refresh_ahead(tokens.access_token)
        state = "refreshed"
        tokens = await tokens_store.load() or tokens
    warning = None
    if tokens.refresh_expires_at - now() <= warn_within:
        warning = f"the shop must be authorised again before {local(tokens.refresh_expires_at)} (Vietnam time)"
        log.warning("tokens.reauthorize_soon", reauthorize_by=tokens.refresh_expires_at.isoformat())
    return TokenCheck(state, tokens.refresh_expires_at, warning)

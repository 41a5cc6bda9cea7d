"""Building a connector for a channel account, with its tokens in the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import httpx

from core.channels import AccountSummary, DatabaseTokenStore, channel_account
from core.db import Store
from core.ports import Connector, get_connector_class

__all__ = ["build_connector"]


def build_connector(
    store: Store,
    account: AccountSummary,
    http: httpx.AsyncClient,
    *,
    now: Callable[[], datetime] | None = None,
) -> Connector:
    """The account's connector, talking through ``http`` (injected: tests pass a sandbox transport)."""
    cls = get_connector_class(account.channel)
    return cls.from_account(
        channel_account(store, account), http=http, tokens=DatabaseTokenStore(store, account.id), now=now
    )

"""A whole sync, token refresh included, logs nothing secret: not the partner key, not a token."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from connectors.base import Tokens
from core.channels import DatabaseTokenStore
from core.db import Store
from core.models import utcnow
from core.sync.apply import RetrySchedule
from core.sync.push import push_account
from tests.sync_world import PARTNER_KEY, make_world


def test_full_sync_with_a_token_refresh_logs_no_secret(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(store, tmp_path, monkeypatch, products=6, variants=2)
    account = world.account()
    token_store = DatabaseTokenStore(store, account.id)
    stale = asyncio.run(token_store.load())
    assert stale is not None
    # The access token is about to expire: the sync must refresh it (and use a new refresh token).
    soon = utcnow() + timedelta(seconds=5)
    token_store._save(
        Tokens(
            access_token=stale.access_token,
            refresh_token=stale.refresh_token,
            access_expires_at=soon,
            refresh_expires_at=stale.refresh_expires_at,
        )
    )

    async def run() -> None:
        async with world.http() as http:
            result = await push_account(
                store, account, http, trigger="test", full=True, schedule=RetrySchedule(base_s=0, max_s=0)
            )
            assert result.outcome == "ok", result.report.failures

    with capture_logs() as events:
        asyncio.run(run())
    fresh = asyncio.run(token_store.load())
    assert fresh is not None
    assert fresh.access_token != stale.access_token  # a refresh really happened
    secrets = [PARTNER_KEY, stale.access_token, stale.refresh_token, fresh.access_token, fresh.refresh_token]
    text = json.dumps(events, default=str)
    assert any(e["event"] == "sync.push" for e in events)
    assert any("token" in e["event"] for e in events)
    for secret in secrets:
        assert secret not in text
    assert len(events) > 10

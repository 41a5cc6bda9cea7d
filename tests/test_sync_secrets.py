"""A whole sync, token refresh included, logs nothing secret: not the partner key, not a token.

The first test runs the push through the core and captures structlog events; the second runs push, order
pull and reconcile through the CLI against a sandbox on a real socket and reads everything a person or a
log collector could see: stdout, stderr and the standard library's log records (httpx, httpcore).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from structlog.testing import capture_logs

from connectors.shopee.auth import REFRESH_PATH
from core.channels import DatabaseTokenStore
from core.db import Store, open_store
from core.models import CHANNEL_TOKEN, utcnow
from core.ports import Tokens
from core.sync.apply import RetrySchedule
from core.sync.push import push_account
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import SHOP_ID as SHOP
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread
from tests.sync_world import FAST_SETTINGS, JPEG, PARTNER_ID, PARTNER_KEY, make_world


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


class _Records(logging.Handler):
    """Every standard-library log record, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def stdlib_logs() -> Iterator[_Records]:
    """The transport's own loggers (httpx logs each URL, query included) turned up to DEBUG, captured."""
    records = _Records()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    root.addHandler(records)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(records)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def test_push_pull_and_reconcile_through_the_cli_with_refreshes_show_no_secret(
    run_cli: Invoke, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stdlib_logs: _Records
) -> None:
    """The whole round through the CLI, on a real socket, a token refresh before each step: neither the
    partner key nor any token ever issued appears in stdout, stderr (structlog at DEBUG, JSON lines) or
    any standard-library log record (httpx and httpcore at DEBUG)."""
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    monkeypatch.setenv("CHOSYNC_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("CHOSYNC_LOG_FORMAT", "json")
    sandbox = ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP]))
    (tmp_path / "anh.jpg").write_bytes(JPEG)
    rows = make_rows(2, 2)
    for row in rows:
        row["images"] = "anh.jpg"
    (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,100012\n", encoding="utf-8")
    output: list[str] = []

    def chosync(*args: str) -> str:
        code, out, err = run_cli(*args)
        output.extend((out, err))
        assert code == 0, f"chosync {' '.join(args)}: {out}{err}"
        return out

    def expire_access_token() -> None:
        store = open_store(sqlite_url)
        try:
            with store.engine.begin() as conn:
                conn.execute(update(CHANNEL_TOKEN).values(access_expires_at=utcnow() + timedelta(seconds=5)))
        finally:
            store.dispose()

    with serve_in_thread(sandbox) as base_url:
        chosync("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")
        chosync("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))
        chosync("categories", "map", "shopee", str(tmp_path / "map.csv"))
        chosync(
            "channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--base-url", base_url,
            "--partner-id", str(PARTNER_ID), "--shop-id", str(SHOP), "--logistics-id", "50021",
            "--set", f"retry={json.dumps(FAST_SETTINGS['retry'])}", "--set", 'listing={"tier_variation_delay_s": 0}',
        )  # fmt: skip
        chosync("channels", "connect", "shopee", "--seller", "HTX-DANTIEN")
        chosync("channels", "connect", "shopee", "--seller", "HTX-DANTIEN", "--code", sandbox.issue_code(SHOP),
                "--shop-id", str(SHOP))  # fmt: skip
        expire_access_token()
        chosync("sync")
        item, model = next((i, m) for i in sandbox.items.values() for m in i.models.values() if m.seller_stock > 0)
        sandbox.place_order(SHOP, [(item.item_id, model.model_id, 1)])
        expire_access_token()
        chosync("orders", "pull")
        expire_access_token()
        chosync("reconcile")
        chosync("channels", "list")
        chosync("status")

    refreshes = sandbox.calls(REFRESH_PATH)
    assert refreshes == 3  # one before each of sync, pull and reconcile
    assert len(sandbox.shop_orders(SHOP)) == 1 and '"sync.' in "".join(output)  # the steps really ran, logged
    assert any(line.startswith("httpx ") and "HTTP Request" in line for line in stdlib_logs.lines)
    assert any(line.startswith("httpcore.") for line in stdlib_logs.lines)
    secrets = [PARTNER_KEY, *sandbox.access_tokens, *sandbox.refresh_tokens, *sandbox.codes]
    assert len(secrets) >= 1 + 2 * (1 + refreshes)
    for name, text in (("stdout/stderr", "\n".join(output)), ("stdlib logs", "\n".join(stdlib_logs.lines))):
        leaked = sum(secret in text for secret in secrets)  # a count: the assertion must not print them
        assert leaked == 0, f"{leaked} secret(s) in {name}"

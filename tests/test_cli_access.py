"""``chosync status`` and ``channels list`` describe every account's access without loading a connector.

A connector declares its kind (OAuth, assisted, own login) beside its entry point (core.ports.kinds); these
tests hold the declarations to the classes, and the status command to importing none of the connectors.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest

from core.channels import DatabaseTokenStore, add_account, find_account
from core.cli.access import _stated_warn_days, _warn_within, access_health
from core.cli.context import state
from core.db import open_store
from core.models import utcnow
from core.ports import ConnectorKind, Tokens, available_channels, connector_kind, get_connector_class, kind_of, registry
from core.scheduler.tokens import reauthorize_warning
from core.settings import PROJECT_ROOT
from tests.catalog_files import register


def test_every_connector_declares_its_kind_and_the_declaration_is_its_class() -> None:
    connectors = registry._entry_points(registry.ENTRY_POINT_GROUP)
    kinds = registry._entry_points(registry.KIND_ENTRY_POINT_GROUP)
    assert sorted(connectors) == sorted(kinds), (
        "each chosync.connectors entry point needs a chosync.connector_kinds one"
    )
    for channel in available_channels():
        assert connector_kind(channel) is kind_of(get_connector_class(channel)), channel
    assert {connector_kind(c) for c in available_channels()} == set(ConnectorKind)


def test_a_declaration_that_is_not_its_class_is_refused_when_the_class_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry._entry_points

    def lying(group: str = registry.ENTRY_POINT_GROUP) -> dict[str, EntryPoint]:
        points = dict(real(group))
        if group == registry.KIND_ENTRY_POINT_GROUP:
            points["shopee"] = EntryPoint("shopee", "core.ports.kinds:ASSISTED", group)
        return points

    monkeypatch.setattr(registry, "_entry_points", lying)
    monkeypatch.delitem(registry._REGISTRY, "shopee", raising=False)
    assert connector_kind("shopee") is ConnectorKind.ASSISTED  # read without the class...
    with pytest.raises(TypeError, match="declared 'assisted'"):
        get_connector_class("shopee")  # ...and refused once the class shows it is not


def test_an_unknown_channel_is_shown_not_raised() -> None:
    assert access_health("nosuchmarket", None, utcnow()) == ("unknown channel", True)


# An account's settings each OAuth channel takes (what `channels add` would have checked).
_VALID: dict[str, dict[str, Any]] = {
    "shopee": {"partner_id": 1, "shop_id": 2},
    "tiktok": {"app_key": "k"},
    "lazada": {"app_key": "k"},
}


@pytest.mark.parametrize("channel", [c for c in available_channels() if connector_kind(c) is ConnectorKind.OAUTH])
@pytest.mark.parametrize(
    "auth",
    [None, {"refresh_warn_days": 1}, {"refresh_warn_days": 2.5}, {"refresh_warn_days": -1}],
    ids=["shipped", "account-int", "account-float", "account-invalid"],
)
def test_the_warning_read_without_the_connector_is_the_token_jobs(channel: str, auth: dict[str, Any] | None) -> None:
    assert channel in _VALID, f"give the settings a {channel} account takes in _VALID"
    settings = {**_VALID[channel], **({"auth": auth} if auth else {})}
    fallback = timedelta(seconds=state.settings().schedule.reauthorize_warning)
    assert _warn_within(channel, settings) == reauthorize_warning(channel, settings, fallback=fallback)
    if auth and auth["refresh_warn_days"] < 0:
        assert _stated_warn_days(channel, settings) is None  # not a value the config takes: the connector decides


def test_an_operators_channel_toml_is_read_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _stated_warn_days("shopee", {}) == 5
    (tmp_path / "config" / "channels").mkdir(parents=True)
    (tmp_path / "config" / "channels" / "shopee.toml").write_text("[auth]\nrefresh_warn_days = 10\n")
    monkeypatch.chdir(tmp_path)
    assert _stated_warn_days("shopee", {}) == 10
    assert _stated_warn_days("shopee", {"auth": {"refresh_warn_days": 1}}) == 1  # the account's wins


def _accounts_of_every_kind(url: str, folder: Path) -> None:
    store = open_store(url)
    register(store)
    add_account(store, seller="HTX-DANTIEN", channel="shopee", settings={"partner_id": 1, "shop_id": 2})
    add_account(store, seller="HTX-DANTIEN", channel="postmart",
                settings={"base_url": "https://postmart.example", "username": "dantien"})  # fmt: skip
    add_account(store, seller="HTX-DANTIEN", channel="voso", settings={"folder": str(folder / "voso")})
    shopee = find_account(store, seller="HTX-DANTIEN", channel="shopee")
    now = utcnow()
    tokens = Tokens(access_token="a" * 32, refresh_token="r" * 32, access_expires_at=now + timedelta(hours=4),
                    refresh_expires_at=now + timedelta(days=20))  # fmt: skip
    asyncio.run(DatabaseTokenStore(store, shopee.id).save(tokens))
    store.dispose()


def test_status_imports_no_connector_nor_the_sync_engine(sqlite_url: str, tmp_path: Path) -> None:
    _accounts_of_every_kind(sqlite_url, tmp_path)
    probe = (
        "import sys\n"
        "from core.cli import run\n"
        f"code = run(['--database-url', {sqlite_url!r}, 'status'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('connectors', 'httpx', 'alembic', 'PIL')"
        " or m.startswith(('core.sync.connect', 'core.sync.apply', 'core.account_removal', 'core.scheduler.tokens',"
        " 'core.cli.channels')))\n"
        "print(code, heavy)\n"
    )
    env = {**os.environ, "COLUMNS": "200"}  # the Access column whole
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
                          env=env)  # fmt: skip
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "0 []", done.stdout + done.stderr
    shown = "\n".join(lines)
    assert "ok, 19 d" in shown  # the OAuth shop's authorisation, its warning read without Shopee
    assert "own login" in shown and "upload packs" in shown

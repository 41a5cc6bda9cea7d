"""``chosync channels list`` warns as long before re-authorisation as the channel config says."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from core.channels import DatabaseTokenStore, find_account
from core.db import open_store
from core.models import utcnow
from core.ports import Tokens
from core.settings import PROJECT_ROOT
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY
from tests.conftest import Invoke


def _shop_with_refresh_token_left(run_cli: Invoke, sqlite_url: str, left: timedelta, *settings: str) -> None:
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
    code, _, err = run_cli(
        "channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--base-url", "https://partner.example",
        "--partner-id", str(DEMO_PARTNER_ID), "--shop-id", "14701711", *settings,
    )  # fmt: skip
    assert code == 0, err
    store = open_store(sqlite_url)
    account = find_account(store, seller="HTX-DANTIEN", channel="shopee")
    now = utcnow()
    tokens = Tokens(access_token="a" * 32, refresh_token="r" * 32, access_expires_at=now + timedelta(hours=4),
                    refresh_expires_at=now + left)  # fmt: skip
    asyncio.run(DatabaseTokenStore(store, account.id).save(tokens))
    store.dispose()


@pytest.fixture
def cli(run_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", DEMO_PARTNER_KEY)
    return run_cli


def test_eight_days_left_is_fine_by_the_shipped_five_day_warning(cli: Invoke, sqlite_url: str) -> None:
    _shop_with_refresh_token_left(cli, sqlite_url, timedelta(days=8, hours=1))
    code, out, err = cli("channels", "list")
    assert code == 0
    assert "ok, 8 d left" in out and "warning:" not in err


def test_a_channel_config_warning_ten_days_ahead_flags_eight_days_left(
    cli: Invoke, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = (PROJECT_ROOT / "config" / "channels" / "shopee.toml").read_text(encoding="utf-8")
    assert "refresh_warn_days = 5 " in shipped
    (tmp_path / "config" / "channels").mkdir(parents=True)
    for beside in (PROJECT_ROOT / "config" / "channels").iterdir():  # the files it names, relative to it
        if beside.is_file():
            (tmp_path / "config" / "channels" / beside.name).write_bytes(beside.read_bytes())
    (tmp_path / "config" / "channels" / "shopee.toml").write_text(
        shipped.replace("refresh_warn_days = 5 ", "refresh_warn_days = 10 "), encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)  # the operator's config/channels/shopee.toml, read from the working directory
    _shop_with_refresh_token_left(cli, sqlite_url, timedelta(days=8, hours=1))
    code, out, err = cli("channels", "list")
    assert code == 0
    assert "re-authorise before" in out
    assert "warning:" in err and "8 d left" in err


def test_one_account_may_set_its_own_warning(cli: Invoke, sqlite_url: str) -> None:
    _shop_with_refresh_token_left(cli, sqlite_url, timedelta(days=2, hours=1), "--set", 'auth={"refresh_warn_days": 1}')
    code, out, err = cli("channels", "list")
    assert code == 0
    assert "ok, 2 d left" in out and "warning:" not in err


def test_status_warns_as_the_account_says_too(cli: Invoke, sqlite_url: str) -> None:
    _shop_with_refresh_token_left(cli, sqlite_url, timedelta(days=2, hours=1), "--set", 'auth={"refresh_warn_days": 1}')
    code, out, _ = cli("status", "--json")
    assert code == 0 and '"authorisation": "ok, 2 d left"' in out
    assert '"settings"' not in out  # the account's settings stay out of status

"""Channel accounts through the CLI: add, change, authorise against a Shopee server, map categories."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from connectors.base import Tokens
from connectors.sandbox.shopee import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, ShopeeConfig, ShopeeSandbox
from core.channels import DatabaseTokenStore, find_account
from core.db import Store, open_store
from core.errors import UsageError
from core.logs import scrub
from core.models import CHANNEL_TOKEN, utcnow
from core.settings import PROJECT_ROOT
from tests.conftest import Invoke
from tests.servers import serve_in_thread

SHOP = 14701711


@pytest.fixture
def cli(run_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", DEMO_PARTNER_KEY)
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
    return run_cli


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    store = open_store(sqlite_url)
    yield store
    store.dispose()


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(ShopeeConfig(partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY}, shops=[SHOP]))


def _add(cli: Invoke, base_url: str = "https://partner.example", *extra: str) -> tuple[int, str, str]:
    return cli(
        "channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--base-url", base_url,
        "--partner-id", str(DEMO_PARTNER_ID), "--shop-id", str(SHOP), "--logistics-id", "50021", *extra,
    )  # fmt: skip


def test_add_list_and_set_an_account(cli: Invoke) -> None:
    code, out, _ = _add(cli, "https://partner.example", "--markup", "10", "--round-to", "1000")
    assert code == 0
    assert "chosync channels connect shopee --seller HTX-DANTIEN" in out
    [account] = json.loads(cli("channels", "list", "--json")[1])
    assert account["settings"] == {
        "base_url": "https://partner.example",
        "partner_id": DEMO_PARTNER_ID,
        "shop_id": SHOP,
        "logistics": [{"logistic_id": 50021, "enabled": True}],
    }
    assert account["rules"]["price_markup_percent"] == 10
    assert account["rules"]["round_to_vnd"] == 1000
    assert account["token"] == "not connected"
    assert cli("channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--stock-buffer", "2", "--disable")[0] == 0
    [account] = json.loads(cli("channels", "list", "--json")[1])
    assert (account["rules"]["stock_buffer"], account["rules"]["round_to_vnd"], account["enabled"]) == (
        2,
        1000,
        False,
    )


def test_the_partner_key_is_never_stored(cli: Invoke, sqlite_url: str) -> None:
    _add(cli)
    raw = Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    assert DEMO_PARTNER_KEY.encode() not in raw


def test_adding_twice_or_to_an_unknown_channel_or_with_bad_settings_is_refused(cli: Invoke) -> None:
    _add(cli)
    code, _, err = _add(cli)
    assert code == 1
    assert "already has a shopee account" in err
    code, _, err = cli("channels", "add", "shopeee", "--seller", "HTX-DANTIEN")
    assert code == 2
    assert "no connector for channel 'shopeee'" in err
    code, _, err = _add(cli, "https://partner.example", "--name", "second", "--set", 'limits={"images_max": "many"}')
    assert code == 2
    assert "settings are invalid" in err
    code, _, err = cli("channels", "add", "shopee", "--seller", "NOBODY", "--partner-id", "1", "--shop-id", "2")
    assert code == 1
    assert "seller 'NOBODY' is not registered" in err


def test_two_shops_on_one_channel_need_a_name(cli: Invoke, store: Store) -> None:
    _add(cli)
    _add(cli, "https://partner.example", "--name", "second")
    with pytest.raises(UsageError, match="several shopee accounts"):
        find_account(store, seller="HTX-DANTIEN", channel="shopee")
    assert find_account(store, seller="HTX-DANTIEN", channel="shopee", name="second").name == "second"


def test_connect_prints_the_authorisation_link_then_exchanges_the_code(
    cli: Invoke, store: Store, sandbox: ShopeeSandbox
) -> None:
    with serve_in_thread(sandbox) as base_url:
        _add(cli, base_url)
        code, out, _ = cli("channels", "connect", "shopee", "--seller", "HTX-DANTIEN")
        assert code == 0
        link = out.strip().splitlines()[-1]
        assert link.startswith(f"{base_url}/api/v2/shop/auth_partner?partner_id={DEMO_PARTNER_ID}&timestamp=")
        assert "&sign=" in link
        assert DEMO_PARTNER_KEY not in out
        grant = sandbox.issue_code(SHOP)
        code, out, err = cli("channels", "connect", "shopee", "--seller", "HTX-DANTIEN", "--code", grant,
                             "--shop-id", str(SHOP))  # fmt: skip
        assert (code, err) == (0, "")
        assert "Connected" in out
        # the code is single use: a second exchange is refused with the fix
        code, _, err = cli("channels", "connect", "shopee", "--seller", "HTX-DANTIEN", "--code", grant)
        assert code == 1
        assert "authorise the shop again" in err
    account = find_account(store, seller="HTX-DANTIEN", channel="shopee")
    tokens = asyncio.run(DatabaseTokenStore(store, account.id).load())
    assert tokens is not None
    assert tokens.access_token in sandbox.access_tokens
    assert scrub(f"token {tokens.refresh_token}") == "token [REDACTED]"
    [listed] = json.loads(cli("channels", "list", "--json")[1])
    assert listed["token"].startswith("ok, ")


def test_list_warns_five_days_before_reauthorisation(cli: Invoke, store: Store) -> None:
    _add(cli)
    account = find_account(store, seller="HTX-DANTIEN", channel="shopee")
    now = utcnow()
    tokens = Tokens(access_token="a" * 32, refresh_token="r" * 32, access_expires_at=now + timedelta(hours=4),
                    refresh_expires_at=now + timedelta(days=4, hours=1))  # fmt: skip
    asyncio.run(DatabaseTokenStore(store, account.id).save(tokens))
    code, out, err = cli("channels", "list")
    assert code == 0
    assert "re-authorise before" in out
    assert "warning:" in err and "4 d left" in err
    with store.engine.begin() as conn:
        conn.execute(update(CHANNEL_TOKEN).values(refresh_expires_at=now - timedelta(minutes=1)))
    assert "EXPIRED" in cli("channels", "list")[2]


def test_category_map_channel_wide_and_per_account(cli: Invoke, tmp_path: Path) -> None:
    _add(cli)
    wide = tmp_path / "wide.csv"
    wide.write_text("category,marketplace_category_id\nGạo,100111\nMật ong,100222\n", encoding="utf-8")
    assert cli("categories", "map", "shopee", str(wide))[0] == 0
    override = tmp_path / "override.csv"
    override.write_text("category,marketplace_category_id\nMật ong,100333\n", encoding="utf-8")
    assert cli("categories", "map", "shopee", str(override), "--seller", "HTX-DANTIEN")[0] == 0
    assert json.loads(cli("categories", "list", "shopee", "--json")[1]) == {
        "Gạo": "100111",
        "Mật ong": "100222",
    }
    seen = json.loads(cli("categories", "list", "shopee", "--seller", "HTX-DANTIEN", "--json")[1])
    assert seen == {"Gạo": "100111", "Mật ong": "100333"}
    bad = tmp_path / "bad.csv"
    bad.write_text("category,marketplace_category_id\nGạo,\nGạo,1\nGạo,2\n", encoding="utf-8")
    code, _, err = cli("categories", "map", "shopee", str(bad))
    assert code == 1
    assert "row 2: both columns are needed" in err and "row 4: 'Gạo' is mapped twice" in err
    assert json.loads(cli("categories", "list", "shopee", "--json")[1])["Gạo"] == "100111"


def test_sandbox_serve_names_the_known_sandboxes(cli: Invoke) -> None:
    code, _, err = cli("sandbox", "serve", "nowhere", "--port", "1")
    assert code == 2
    assert "sandboxes: postmart, provincial, shopee, voso, or all" in err


def test_accounts_declared_in_a_file_are_applied_idempotently(cli: Invoke, tmp_path: Path) -> None:
    declared = (PROJECT_ROOT / "config" / "accounts.example.toml").read_text(encoding="utf-8")
    path = tmp_path / "accounts.toml"
    path.write_text(declared, encoding="utf-8")
    code, out, err = cli("channels", "apply", str(path))
    assert (code, out.strip()) == (0, "1 added, 0 updated, 0 unchanged"), err
    assert cli("channels", "apply", str(path))[1].strip() == "0 added, 0 updated, 1 unchanged"
    path.write_text(declared.replace("stock_buffer = 2", "stock_buffer = 5"), encoding="utf-8")
    assert cli("channels", "apply", str(path))[1].strip() == "0 added, 1 updated, 0 unchanged"
    [account] = json.loads(cli("channels", "list", "--json")[1])
    assert (account["rules"]["stock_buffer"], account["rules"]["round_to_vnd"]) == (5, 1000)
    path.write_text(declared + declared.replace("HTX-DANTIEN", "HTX-NOBODY"), encoding="utf-8")
    code, _, err = cli("channels", "apply", str(path))
    assert code == 1
    assert "HTX-NOBODY" in err
    assert len(json.loads(cli("channels", "list", "--json")[1])) == 1  # nothing applied from the bad file
    path.write_text("[[account]]\nseller = 'HTX-DANTIEN'\nchannel = 'shopee'\ncolour = 'red'\n", encoding="utf-8")
    code, _, err = cli("channels", "apply", str(path))
    assert code == 1
    assert "not a valid accounts file" in err

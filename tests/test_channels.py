"""Channel accounts through the CLI: add, change, authorise against a Shopee server, map categories."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select, update

from core.channels import DatabaseTokenStore, find_account
from core.db import Store, open_store
from core.errors import UsageError
from core.logs import scrub
from core.models import CHANNEL_TOKEN, utcnow
from core.ports import Tokens
from core.settings import PROJECT_ROOT
from simulators.shopee.harness import SHOP_ID as SHOP
from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, ShopeeConfig, ShopeeSandbox
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread
from tests.sync_world import FAST_SETTINGS, JPEG


@pytest.fixture
def cli(migrated_sqlite: str, run_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Invoke:
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


CUSTOM_KEY = "custom-partner-key-7f3a9c41d2"


def _every_stored_value(store: Store) -> Iterator[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null cell of every table in the database."""
    tables = MetaData()
    tables.reflect(bind=store.engine)
    with store.engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is not None:
                        yield table.name, column, value.hex() if isinstance(value, bytes) else str(value)


def test_the_partner_key_is_never_stored(
    cli: Invoke, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Add (key in a custom variable), connect, sync, pull orders, reconcile: the key is in no table, no output."""
    monkeypatch.delenv("CHOSYNC_SHOPEE_PARTNER_KEY")  # only the variable named by --partner-key-env holds it
    monkeypatch.setenv("CUSTOM_NAME", CUSTOM_KEY)
    sandbox = ShopeeSandbox(ShopeeConfig(partners={DEMO_PARTNER_ID: CUSTOM_KEY}, shops=[SHOP]))
    (tmp_path / "anh.jpg").write_bytes(JPEG)
    rows = make_rows(2, 2)
    for row in rows:
        row["images"] = "anh.jpg"
    outputs: list[str] = []

    def ok(*args: str) -> str:
        code, out, err = cli(*args)
        outputs.extend((out, err))
        assert code == 0, f"chosync {' '.join(args)}: {out}{err}"
        return out

    with serve_in_thread(sandbox) as base_url:
        ok("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))
        (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,100012\n", encoding="utf-8")
        ok("categories", "map", "shopee", str(tmp_path / "map.csv"))
        code, out, err = _add(
            cli, base_url, "--partner-key-env", "CUSTOM_NAME",
            "--set", f"retry={json.dumps(FAST_SETTINGS['retry'])}", "--set", 'listing={"tier_variation_delay_s": 0}',
        )  # fmt: skip
        outputs.extend((out, err))
        assert code == 0, err
        link = ok("channels", "connect", "shopee", "--seller", "HTX-DANTIEN")
        assert f"partner_id={DEMO_PARTNER_ID}" in link
        ok("channels", "connect", "shopee", "--seller", "HTX-DANTIEN", "--code", sandbox.issue_code(SHOP),
           "--shop-id", str(SHOP))  # fmt: skip
        ok("sync")
        listed = [item for item in sandbox.items.values() if not item.is_deleted]
        assert len(listed) == 2
        item, model = next((i, m) for i in listed for m in i.models.values() if m.seller_stock > 0)
        sandbox.place_order(SHOP, [(item.item_id, model.model_id, 1)])
        ok("orders", "pull")
        ok("reconcile")
    assert len(json.loads(cli("orders", "list", "--json")[1])) == 1  # the pull really went through
    [account] = json.loads(ok("channels", "list", "--json"))
    assert account["settings"]["partner_key_env"] == "CUSTOM_NAME"
    scanned = list(_every_stored_value(store))
    assert any(table == "channel_account" for table, _, _ in scanned)
    assert [(table, column) for table, column, value in scanned if CUSTOM_KEY in value] == []
    assert all(CUSTOM_KEY not in text for text in outputs)


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


@pytest.mark.parametrize(
    "setting",
    [
        "partner_key=s3cr3t-VALUE-9876",
        'auth={"access_token": "s3cr3t-VALUE-9876"}',
        "app_secret=s3cr3t-VALUE-9876",
        'extra={"harmless_name": "s3cr3t-VALUE-9876"}',  # a table is never echoed: any key in it may be secret
        "sign=s3cr3t-VALUE-9876",
    ],
)
def test_a_secret_given_as_a_setting_is_refused_without_being_echoed(cli: Invoke, setting: str) -> None:
    code, out, err = _add(cli, "https://partner.example", "--set", setting)
    assert code == 2
    assert "settings are invalid" in err
    assert "not permitted" in err  # what is wrong, and where (the setting's name), is still said
    assert setting.split("=", 1)[0] in err
    assert "s3cr3t-VALUE-9876" not in out + err


def test_an_invalid_ordinary_setting_still_shows_the_value_given(cli: Invoke) -> None:
    code, _, err = _add(cli, "https://partner.example", "--set", 'limits={"images_max": "many"}')
    assert code == 2
    assert "limits.images_max" in err and "'many'" in err


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
    assert "sandboxes: lazada, postmart, provincial, shopee, tiktok, voso, or all" in err


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

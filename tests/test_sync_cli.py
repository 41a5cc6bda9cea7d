"""chosync plan / sync / failures / retry as an operator runs them, against a Shopee sandbox on loopback."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.channels import DatabaseTokenStore, find_account
from core.db import open_store
from core.models import utcnow
from core.ports import Tokens
from simulators.common.faults import Fault
from simulators.shopee.config import ShopeeConfig as SandboxConfig
from simulators.shopee.harness import SHOP_ID as SHOP
from simulators.shopee.sandbox import ShopeeSandbox
from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread
from tests.sync_world import FAST_SETTINGS, JPEG, PARTNER_ID, PARTNER_KEY


@pytest.fixture
def sandbox() -> ShopeeSandbox:
    return ShopeeSandbox(SandboxConfig(partners={PARTNER_ID: PARTNER_KEY}, shops=[SHOP]))


@pytest.fixture
def cli(
    migrated_sqlite: str,
    run_cli: Invoke,
    sqlite_url: str,
    tmp_path: Path,
    sandbox: ShopeeSandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Invoke]:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", PARTNER_KEY)
    invoke = run_cli

    (tmp_path / "anh.jpg").write_bytes(JPEG)
    rows = make_rows(3, 2)
    for r in rows:
        r["images"] = "anh.jpg"
    with serve_in_thread(sandbox) as base_url:
        assert invoke("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
        assert invoke("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))[0] == 0
        settings = [
            "--set",
            f"retry={json.dumps(FAST_SETTINGS['retry'])}",
            "--set",
            'listing={"tier_variation_delay_s": 0}',
        ]
        code, _, err = invoke(
            "channels",
            "add",
            "shopee",
            "--seller",
            "HTX-DANTIEN",
            "--base-url",
            base_url,
            "--partner-id",
            str(PARTNER_ID),
            "--shop-id",
            str(SHOP),
            "--logistics-id",
            "50021",
            *settings,
        )
        assert code == 0, err
        (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,100012\n", encoding="utf-8")
        assert invoke("categories", "map", "shopee", str(tmp_path / "map.csv"))[0] == 0
        store = open_store(sqlite_url)
        access, refresh = sandbox.authorize_shop(SHOP)
        later = utcnow().replace(year=utcnow().year + 1)
        account = find_account(store, seller="HTX-DANTIEN", channel="shopee")
        DatabaseTokenStore(store, account.id)._save(
            Tokens(access_token=access, refresh_token=refresh, access_expires_at=later, refresh_expires_at=later)
        )
        store.dispose()
        yield invoke


def test_plan_shows_operations_and_sends_nothing(cli: Invoke, sandbox: ShopeeSandbox) -> None:
    code, out, _ = cli("plan", "--json")
    assert code == 0
    [account] = json.loads(out)
    assert [(op["kind"], op["product_sku"]) for op in account["operations"]] == [
        ("create", "P000000"),
        ("create", "P000001"),
        ("create", "P000002"),
    ]
    assert sandbox.calls("/api/v2/product/add_item") == 0
    code, out, _ = cli("plan")
    assert "new listing" in out


def test_sync_then_price_change_shows_old_and_new(cli: Invoke, sandbox: ShopeeSandbox, tmp_path: Path) -> None:
    sandbox.faults.enqueue("/api/v2/product/search_item", Fault.server_error(502), times=2)
    code, out, err = cli("sync")
    assert code == 0, out + err
    assert "sync summary" in out
    row = next(line.split() for line in out.splitlines() if line.strip().startswith("HTX-DANTIEN/shopee"))
    assert row[1:7] == ["3", "0", "0", "0", "0", "2"]  # 3 created, the two 502s retried and counted
    assert "2 request(s) were sent again (0 after a rate limit)" in out
    [run] = [r for r in json.loads(cli("runs", "--json")[1]) if r["kind"] == "push"]
    assert run["counts"]["retried"] == 2
    assert len([i for i in sandbox.items.values() if not i.is_deleted]) == 3
    rows = make_rows(3, 2)
    for r in rows:
        r["images"] = "anh.jpg"
    rows[0]["price_vnd"] = "12.345"
    assert cli("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))[0] == 0
    code, out, _ = cli("plan", "--json")
    [account] = json.loads(out)
    assert account["operations"] == [
        {"kind": "price", "product_sku": "P000000", "variant_sku": "P000000-V0", "old": 10000, "new": 12345}
    ]
    assert "10.000 → 12.345" in cli("plan")[1]
    assert cli("sync")[0] == 0
    assert cli("plan", "--json")[1].count('"kind"') == 0


def test_a_rejected_listing_is_parked_with_its_reason_and_can_be_retried(
    cli: Invoke, sandbox: ShopeeSandbox, tmp_path: Path
) -> None:
    rows = make_rows(3, 2)
    for r in rows:
        r["images"] = "anh.jpg"
    for r in rows[2:4]:
        r["name"] = "Gạo hàng giả giá rẻ"  # the sandbox refuses a prohibited word, as Shopee does
    assert cli("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))[0] == 0
    code, out, _ = cli("sync")
    assert code == 1
    assert "chosync failures" in out
    [failure] = json.loads(cli("failures", "--json")[1])
    assert (failure["kind"], failure["product_sku"], failure["attempts"]) == ("create", "P000001", 1)
    assert "hàng giả" in failure["reason"] or "prohibited" in failure["reason"].lower()
    code, out, _ = cli("retry", str(failure["id"]))
    assert (code, "1 operation re-queued" in out) == (0, True)
    assert cli("sync")[0] == 1  # still refused: nothing was fixed
    code, _, err = cli("retry", "999")
    assert code == 2
    assert "not parked as failed" in err
    for r in rows[2:4]:
        r["name"] = "Gạo thơm giá rẻ"
    assert cli("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))[0] == 0
    assert cli("sync")[0] == 0  # the fixed product's new plan supersedes the parked create
    assert json.loads(cli("failures", "--json")[1]) == []
    assert len([i for i in sandbox.items.values() if not i.is_deleted]) == 3


def test_status_and_runs_after_a_sync(cli: Invoke) -> None:
    assert cli("sync")[0] == 0
    [row] = json.loads(cli("status", "--json")[1])
    assert (row["seller"], row["channel"], row["live"], row["pending_ops"], row["failed_ops"]) == (
        "HTX-DANTIEN",
        "shopee",
        3,
        0,
        0,
    )
    assert row["last_push"] is not None
    assert row["authorisation"].startswith("ok, ")
    [run_row] = json.loads(cli("runs", "--json")[1])
    assert (run_row["kind"], run_row["outcome"], run_row["counts"]["created"]) == ("push", "ok", 3)
    assert run_row["trigger"].startswith("cli:")
    code, out, _ = cli("status")
    assert code == 0
    assert "HTX-DANTIEN" in out


def live_skus(sandbox: ShopeeSandbox) -> list[str]:
    return sorted(i.item_sku for i in sandbox.items.values() if not i.is_deleted)


def test_sync_dry_run_sku_and_full(cli: Invoke, sandbox: ShopeeSandbox) -> None:
    code, out, _ = cli("sync", "--dry-run")
    assert (code, "new listing" in out, sandbox.calls()) == (0, True, 0)  # the plan, nothing sent
    code, out, err = cli("sync", "--sku", "P000001")
    assert code == 0, out + err
    assert live_skus(sandbox) == ["P000001"]
    assert cli("sync")[0] == 0
    assert live_skus(sandbox) == ["P000000", "P000001", "P000002"]
    before = sandbox.calls()
    assert cli("sync")[0] == 0
    assert sandbox.calls() == before  # nothing changed: nothing sent
    code, out, err = cli("sync", "--full")
    assert code == 0, out + err
    # The admin's manual resync: every listing's content, prices and stock go out again, once each.
    assert sandbox.calls("/api/v2/product/update_item") == 3
    assert sandbox.calls("/api/v2/product/update_price") == 3  # one call per item, both variants in it
    assert sandbox.calls("/api/v2/product/update_stock") == 3
    assert live_skus(sandbox) == ["P000000", "P000001", "P000002"]


def test_sync_exits_1_and_says_when_while_changes_wait_to_retry(cli: Invoke, sandbox: ShopeeSandbox) -> None:
    # Each create looks its SKU up first; five 502s each exhaust the transport's tries: all three wait.
    sandbox.faults.enqueue("/api/v2/product/search_item", Fault.server_error(502), times=15)
    code, out, err = cli("sync")
    assert code == 1, out + err
    assert "3 change(s) still wait: 3 to retry after a marketplace error or rate limit (next attempt at " in out
    # The first retry waits retry_base (30 s by default), counted from when that create failed.
    [wait] = re.findall(r"in (\d+) s\)", out)
    assert 0 < int(wait) <= 30, out
    assert json.loads(cli("failures", "--json")[1]) == []  # waiting, not parked
    [run] = [r for r in json.loads(cli("runs", "--json")[1]) if r["kind"] == "push"]
    assert (run["outcome"], run["counts"]["waiting"]) == ("partial", 3)


def test_failures_filters_retry_all_and_runs_limit(cli: Invoke, sandbox: ShopeeSandbox, tmp_path: Path) -> None:
    rows = make_rows(3, 2)
    for r in rows:
        r["images"] = "anh.jpg"
    for r in rows[:4]:
        r["name"] = "Gạo hàng giả giá rẻ"  # refused by the marketplace: two creates parked
    assert cli("catalog", "import", str(write_csv(tmp_path / "catalog.csv", rows)))[0] == 0
    assert cli("sync")[0] == 1
    parked = json.loads(cli("failures", "--json")[1])
    assert sorted(f["product_sku"] for f in parked) == ["P000000", "P000001"]
    assert json.loads(cli("failures", "--seller", "HTX-DANTIEN", "--channel", "shopee", "--json")[1]) == parked
    assert json.loads(cli("failures", "--seller", "htx-dantien", "--json")[1]) == parked  # codes in any case
    code, out, err = cli("failures", "--seller", "HTX-DANTEN", "--json")  # a typo is no empty list
    assert (code, out, err) == (2, "", "error: no seller HTX-DANTEN\nfix: did you mean HTX-DANTIEN? see "
                                        "'chosync sellers list'\n")  # fmt: skip
    assert json.loads(cli("failures", "--channel", "postmart", "--json")[1]) == []  # a channel with no account
    code, out, _ = cli("retry", "--all", "--channel", "postmart")
    assert (code, "0 operations re-queued" in out) == (0, True)
    code, out, _ = cli("retry", "--all", "--json")
    assert (code, json.loads(out)) == (0, {"requeued": 2})
    assert json.loads(cli("failures", "--json")[1]) == []
    assert cli("retry")[0] == 2  # neither ids nor --all: a usage error
    assert cli("sync")[0] == 1  # still refused: parked again
    assert len(json.loads(cli("failures", "--json")[1])) == 2
    runs = json.loads(cli("runs", "--json")[1])
    assert len(runs) == 2
    [latest] = json.loads(cli("runs", "--limit", "1", "--json")[1])
    assert latest["id"] == max(r["id"] for r in runs)


def test_sync_names_the_upload_pack_folder_and_the_next_step(cli: Invoke, tmp_path: Path) -> None:
    """A floor's sync says where the pack is and what the person does next, not only 'Wait 12 … ok'."""
    folder = tmp_path / "voso"
    assert cli("channels", "add", "voso", "--seller", "HTX-DANTIEN", "--set", f"folder={folder}")[0] == 0
    code, out, err = cli("sync", "--channel", "voso")
    assert code == 0, out + err
    [pack] = [p for p in (folder / "packs").iterdir() if not p.name.startswith(".")]
    lines = out.splitlines()
    assert "HTX-DANTIEN voso: upload pack 1 written (3 change(s)), in the folder" in lines
    assert f"  {pack}" in lines  # whole, on a line of its own, whatever the terminal's width
    assert any(line.startswith("  Next: upload it in the Voso seller centre") for line in lines)
    assert "  chosync assisted confirm --seller HTX-DANTIEN --channel voso" in lines
    code, out, _ = cli("sync", "--channel", "voso", "--json")  # nothing new: the same pack still waits
    [result] = json.loads(out)
    assert (code, result["outcome"], result["waiting"]) == (0, "ok", 3)
    assert result["pack"]["folder"] == str(pack) and result["pack"]["written"] is False
    assert result["pack"]["next"] == "chosync assisted confirm --seller HTX-DANTIEN --channel voso"
    assert "still waits to be uploaded" in cli("sync", "--channel", "voso")[1]
    code, out, _ = cli("assisted", "confirm", "--seller", "htx-dantien", "--channel", "voso", "--json")
    confirmed = json.loads(out)
    assert (code, confirmed["pack_id"], confirmed["state"], confirmed["confirmed"]) == (0, 1, "confirmed", 3)
    [result] = json.loads(cli("sync", "--channel", "voso", "--json")[1])
    assert (result["pack"], result["waiting"]) == (None, 0)  # nothing left to upload: no next step


def test_a_marketplace_that_refuses_the_connection_stops_the_account_and_says_so(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrong --base-url: the host named, the account's run stopped, no 'hiccups'; parked after 3 syncs."""
    monkeypatch.setenv("CHOSYNC_SCHEDULE__RETRY_UNREACHABLE", "0.001")  # each sync tries again at once
    with socket.socket() as sock:  # a port just freed: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert cli("channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--base-url", f"http://127.0.0.1:{port}")[0] == 0
    code, out, _ = cli("sync")
    assert code == 1
    text = " ".join(out.split())  # the note may wrap at the terminal's width
    assert f"stopped: could not connect to Shopee at 127.0.0.1:{port}: the connection was refused" in text
    assert "check the account's base_url" in text and "hiccups" not in text
    code, out, _ = cli("sync", "--json")
    [result] = json.loads(out)
    assert (code, result["outcome"], result["failed"]) == (1, "failed", 0)
    assert result["stopped"].startswith(f"could not connect to Shopee at 127.0.0.1:{port}")
    [result] = json.loads(cli("sync", "--json")[1])  # the third try: parked for a person
    assert result["failed"] == 3
    reasons = {f["reason"] for f in json.loads(cli("failures", "--json")[1])}
    [reason] = reasons
    assert reason.startswith(f"could not connect in 3 tries, parked for a person: could not connect to Shopee at "
                             f"127.0.0.1:{port}: the connection was refused (product/")  # fmt: skip


def test_sync_and_reconcile_report_as_json(cli: Invoke) -> None:
    code, out, _ = cli("sync", "--json")
    [result] = json.loads(out)
    assert code == 0 and (result["seller"], result["channel"], result["outcome"]) == ("HTX-DANTIEN", "shopee", "ok")
    assert (result["created"], result["pack"], result["stopped"]) == (3, None, None)
    code, out, _ = cli("reconcile", "--json")
    report = json.loads(out)
    assert code == 0
    assert [(r["seller"], r["channel"], r["outcome"], r["checked"]) for r in report["reconcile"]] == [
        ("HTX-DANTIEN", "shopee", "ok", 3)
    ]
    assert [r["outcome"] for r in report["sync"]] == ["ok"]

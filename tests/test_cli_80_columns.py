"""Every table and line the CLI prints fits an 80-column terminal, and no identifier is cut to fit.

The values are as long as real ones get: a cooperative's code, a SKU naming product, flavour, pack and
carton, a 19-digit marketplace order id, a marketplace's reason in Vietnamese of 200 characters.
Where a table needs a state that takes a marketplace to reach (a parked failure, a reconcile, the daemon's
jobs), the command's data source is replaced by real records of that state.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len

from core.channels import AccountSummary, list_accounts
from core.db import open_store
from core.models import utcnow
from core.scheduler.heartbeat import DaemonStatus
from core.scheduler.requests import JobRequestView
from core.sync.failures import Failure
from core.sync.push import PushResult
from core.sync.reconcile import ReconcileReport
from core.sync.status import RunRow
from tests.catalog_files import row, write_csv
from tests.conftest import Invoke
from tests.sync_world import JPEG

SELLER = "HTX-NONGNGHIEP-TRAVINH-01"
# Two sellers alike for their first eleven characters: cut, both read "HKD-BANHTET…".
TWINS = ("HKD-BANHTETLAGAI-CAUNGANG", "HKD-BANHTETLAGAI-CAUKE-02")
PRODUCT = "KEODUASAP-LADUA-HOP250G"
VARIANTS = ("KEODUASAP-LADUA-HOP250G-X12", "KEODUASAP-LADUA-HOP250G-X24")
ORDER = "5791234567890123456"
SHOP_NAME = "shopee-travinh-hcm"
REASON = (
    "Sàn từ chối sản phẩm: tên sản phẩm chứa từ bị cấm theo chính sách đăng bán của sàn, hình ảnh đầu tiên "
    "phải có nền trắng và kích thước tối thiểu 500×500 điểm ảnh; hãy sửa danh mục rồi đồng bộ lại sau khi duyệt"
)
IDENTIFIERS = (SELLER, *TWINS, *VARIANTS)


def fits(text: str, *identifiers: str, whole_lines: tuple[str, ...] = ()) -> None:
    """No line wider than 80 columns (but a link or a command kept whole); every identifier there, uncut."""
    for line in text.splitlines():
        assert cell_len(line) <= 80 or line.strip() in whole_lines, f"{cell_len(line)} columns: {line!r}"
    assert "…" not in text, text
    for identifier in identifiers:
        assert identifier in text, f"{identifier} is not whole in:\n{text}"


@pytest.fixture
def cli(migrated_sqlite: str, run_cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", "k")
    (tmp_path / "anh.jpg").write_bytes(JPEG)
    rows = []
    for seller in (SELLER, *TWINS):
        name = f"Hợp tác xã Nông nghiệp Dịch vụ {seller.title()} huyện Càng Long, tỉnh Trà Vinh"
        assert run_cli("sellers", "add", seller, "--name", name, "--province", "Trà Vinh")[0] == 0
        for k, variant in enumerate(VARIANTS):
            rows.append(row(seller_code=seller, product_sku=PRODUCT, variant_sku=variant, images="anh.jpg",
                            name="Kẹo dừa sáp lá dứa Cầu Kè hộp 250 g, đặc sản OCOP bốn sao Trà Vinh",
                            option1_name="Đóng gói", option1_value=f"thùng {12 * (k + 1)} hộp",
                            barcode=f"89300000000{k}1", price_vnd="1.250.000", list_price_vnd="1.490.000",
                            stock="3", description=REASON, traceability_code=f"TV-QR-{seller}"))  # fmt: skip
    code, _, err = run_cli("catalog", "import", str(write_csv(tmp_path / "c.csv", rows)))
    assert code == 0, err
    for seller in (SELLER, *TWINS):
        shopee = ("--base-url", "http://127.0.0.1:9", "--partner-id", "1", "--shop-id", "1234567890")
        assert run_cli("channels", "add", "shopee", "--seller", seller, "--name", SHOP_NAME, *shopee)[0] == 0
        code, _, err = run_cli("channels", "add", "voso", "--seller", seller, "--set", f"folder={tmp_path / seller}")
        assert code == 0, err
    monkeypatch.setenv("COLUMNS", "80")  # after the fixture's 220, as a clerk's terminal has it
    return run_cli


def accounts(sqlite_url: str) -> list[AccountSummary]:
    store = open_store(sqlite_url)
    try:
        return list_accounts(store)
    finally:
        store.dispose()


def test_sellers_catalog_and_channels(cli: Invoke, tmp_path: Path) -> None:
    fits(cli("sellers", "list")[1], SELLER, *TWINS)
    fits(cli("catalog", "list")[1], SELLER, *TWINS, PRODUCT)
    code, out, _ = cli("catalog", "show", PRODUCT, "--seller", SELLER)
    assert code == 0
    fits(out, SELLER, *VARIANTS, "8930000000001", "1.490.000 ₫")
    fits(cli("channels", "list")[1], SELLER, *TWINS, SHOP_NAME, "1234567890")
    mapping = tmp_path / "map.csv"
    mapping.write_text("category,marketplace_category_id\nKẹo dừa và bánh kẹo đặc sản địa phương Trà Vinh,"
                       "1000123456789\n", encoding="utf-8")  # fmt: skip
    assert cli("categories", "map", "shopee", str(mapping))[0] == 0
    fits(cli("categories", "list", "shopee")[1], "1000123456789")
    code, out, _ = cli("channels", "connect", "shopee", "--seller", SELLER, "--name", SHOP_NAME)
    assert code == 0
    link = out.strip().splitlines()[-1]
    fits(out, whole_lines=(link,))
    code, out, _ = cli("channels", "set", "shopee", "--seller", SELLER, "--name", SHOP_NAME, "--markup", "10")
    fits(out, SELLER, SHOP_NAME)


def test_a_rejected_import_lists_its_problems_in_80_columns(cli: Invoke, tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "bad.csv", [row(seller_code=SELLER, variant_sku=VARIANTS[0], price_vnd="một triệu")])
    code, _, err = cli("catalog", "import", str(bad))
    assert code == 1
    fits(err, "price_vnd")


def test_status_plan_sync_packs_and_orders(cli: Invoke) -> None:
    code, out, _ = cli("plan", "--channel", "voso")
    fits(out, SELLER, *TWINS, PRODUCT)
    code, out, err = cli("sync", "--channel", "voso")
    assert code == 0, out + err
    command = f"chosync assisted confirm --seller {SELLER} --channel voso"
    folders = tuple(line.strip() for line in out.splitlines() if line.startswith("  /"))
    fits(out, SELLER, *TWINS, command, whole_lines=(command, *folders))
    fits(cli("assisted", "packs", "--seller", SELLER, "--channel", "voso")[1], SELLER)
    code, out, err = cli("orders", "add", "--seller", SELLER, "--channel", "voso", "--order-id", ORDER,
                         "--line", f"{VARIANTS[0]}:5", "--line", f"{VARIANTS[1]}:1")  # fmt: skip
    assert code == 0, err
    fits(out, ORDER)
    fits(cli("orders", "list")[1], ORDER, SELLER, *VARIANTS)
    code, out, _ = cli("oversold")
    fits(out, ORDER, SELLER, VARIANTS[0])
    fits(cli("status")[1], SELLER, *TWINS, SHOP_NAME)
    code, out, _ = cli("orders", "pull", "--channel", "voso")
    fits(out, SELLER, *TWINS)


def test_failures_keep_the_reason_readable(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    since = utcnow() - timedelta(days=2)
    variants = (*VARIANTS, VARIANTS[0])
    parked = [Failure(4817 + i, seller, "shopee", SHOP_NAME, "create", PRODUCT, variant, 3, REASON, since)
              for i, (seller, variant) in enumerate(zip((SELLER, *TWINS), variants, strict=True))]  # fmt: skip
    monkeypatch.setattr("core.cli.failures.list_failures", lambda store, **_: parked)
    code, out, _ = cli("failures")
    assert code == 0
    fits(out, SELLER, *TWINS, *VARIANTS, "4817")
    words = " ".join(out.replace("│", " ").split())
    assert "hãy sửa danh mục rồi đồng bộ lại sau khi duyệt" in words  # the whole reason, wrapped


def test_runs(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    made = [RunRow(91234 + i, seller, "shopee", "reconcile", "via-daemon cli:nguyenvana@tv-sync-01", now,
                   now + timedelta(seconds=83), "partial", {"checked": 1250, "price_drift": 12, "stock_drift": 3},
                   REASON) for i, seller in enumerate((SELLER, *TWINS))]  # fmt: skip
    monkeypatch.setattr("core.cli.status.recent_runs", lambda store, **_: made)
    fits(cli("runs")[1], SELLER, *TWINS, "91234")


def _pushed(account: AccountSummary, **_: Any) -> PushResult:
    return PushResult(account, run_id=70001, seconds=12.5, error=REASON)


def test_sync_summary_and_reconcile(cli: Invoke, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    async def push(store: Any, account: AccountSummary, http: Any, **_: Any) -> PushResult:
        return _pushed(account)

    async def reconcile(store: Any, account: AccountSummary, http: Any, **_: Any) -> tuple[Any, Any]:
        if account.seller == TWINS[1]:
            return None, REASON
        return ReconcileReport(checked=1250, price_drift=12, stock_drift=3, missing=2, variant_missing=1,
                               content_drift=4, adopted=1, flagged=1, notes=[REASON]), None  # fmt: skip

    monkeypatch.setattr("core.cli.sync.push_account", push)
    code, out, _ = cli("sync", "--channel", "shopee")
    assert code == 1
    fits(out, SELLER, *TWINS, SHOP_NAME)
    monkeypatch.setattr("core.cli.reconcile.push_account", push)
    monkeypatch.setattr("core.cli.reconcile.reconcile_job", reconcile)
    code, out, _ = cli("reconcile", "--channel", "shopee")
    assert code == 1
    fits(out, SELLER, *TWINS)
    assert "1250" in out and "+1v" in out


def test_daemon_status_groups_a_hundred_jobs_by_account(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    sellers = [f"HTX-NONGNGHIEP-TRAVINH-{n:02d}" for n in range(1, 26)]
    jobs = {
        f"{kind}:{n}": {"kind": kind, "seller": seller, "channel": "shopee", "account": SHOP_NAME,
                        "every": every, "next_run": (now + timedelta(minutes=n)).isoformat(),
                        "last_outcome": "failed" if (kind, n) == ("pull", 3) else "ok",
                        "last_error": REASON if (kind, n) == ("pull", 3) else None}
        for n, seller in enumerate(sellers, start=1)
        for kind, every in (("push", "5m"), ("pull", "2m"), ("reconcile", "1d"), ("tokens", "6h"))
    }  # fmt: skip
    found = DaemonStatus(1, "tv-sync-01", 4242, "running", now - timedelta(hours=3), now, None, None, jobs)
    monkeypatch.setattr("core.cli.daemon.daemon_status", lambda store, **_: found)
    code, out, _ = cli("daemon", "status")
    assert code == 0
    fits(out, *sellers)
    assert len(out.splitlines()) < 80, out  # one line per job was ~400
    assert "failed" in out and "hãy sửa danh mục rồi đồng bộ lại" in " ".join(out.split())


def test_sync_via_the_daemon(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    now = utcnow()
    found = DaemonStatus(1, "tv-sync-01", 4242, "running", now, now, None, None, {})
    counts = {"created": 120, "updated": 35, "prices": 240, "stocks": 1250, "delisted": 3, "blocked": 2, "waiting": 17}
    results = [{"seller": seller, "channel": "shopee", "account": SHOP_NAME, "counts": counts, "seconds": 183.4,
                "outcome": "partial", "run_id": 912345, "error": REASON} for seller in (SELLER, *TWINS)]  # fmt: skip
    request = JobRequestView(7, "push", None, "shopee", None, False, "cli", now, now, now, "partial",
                             json.dumps(results))  # fmt: skip
    monkeypatch.setattr("core.cli.daemon.daemon_status", lambda store, **_: found)
    monkeypatch.setattr("core.cli.daemon.submit", lambda store, **_: 7)
    monkeypatch.setattr("core.cli.daemon.wait_for", lambda store, request_id, **_: request)
    code, out, _ = cli("sync", "--via-daemon", "--channel", "shopee")
    assert code == 1
    fits(out, SELLER, *TWINS, SHOP_NAME, "912345")

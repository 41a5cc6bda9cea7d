"""A TikTok shop through the CLI, as an operator runs it, against the simulator on a real loopback port.

channels add (the app key, never the secret) → connect (the link, then the code: the shop's cipher and
warehouse are learned and kept) → categories map → import → plan / sync (listed, reviewed, live) → a
buyer orders → orders pull → sync → a seller edits by hand → reconcile puts the catalog's values back.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from core.channels import find_account
from core.db import Store, open_store
from simulators.common.faults import ManualClock
from simulators.tiktok.fleet import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_SHOPS, demo_config
from simulators.tiktok.sandbox import TikTokSandbox
from tests.catalog_files import row, write_csv
from tests.conftest import Invoke
from tests.servers import serve_in_thread

SELLER = "HTX-DANTIEN"
SHOP = DEMO_SHOPS[0]
FAST = {"retry": {"base_delay_s": 0.001, "max_delay_s": 0.005, "rate_limited_wait_s": 0.001, "max_total_wait_s": 2}}


@pytest.fixture
def cli(migrated_sqlite: str, run_cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_TIKTOK_APP_SECRET", DEMO_APP_SECRET)
    assert run_cli("sellers", "add", SELLER, "--name", "HTX Dân Tiến")[0] == 0
    return run_cli


@pytest.fixture
def sandbox() -> TikTokSandbox:
    # TikTok's clock a little behind ours: what it stamps is always in the past of the pull that reads it
    # (a pull reads up to its own now, exclusive; the next one overlaps the last five minutes).
    return TikTokSandbox(demo_config(rate_limit_per_api=None), clock=ManualClock(time.time() - 20))


def _catalog(tmp_path: Path) -> Path:
    picture = io.BytesIO()
    Image.new("RGB", (400, 400), (200, 180, 40)).save(picture, format="JPEG")
    (tmp_path / "gao.jpg").write_bytes(picture.getvalue())
    rows: list[dict[str, Any]] = [
        row(variant_sku=f"GAO-ST25-{kg}KG", option1_value=f"{kg}kg", price_vnd=str(price), stock=str(stock),
            weight_g=str(kg * 1000 + 100), images=str(tmp_path / "gao.jpg"), barcode="")
        for kg, price, stock in ((2, 80_000, 10), (5, 175_000, 4))
    ]  # fmt: skip
    return write_csv(tmp_path / "catalog.csv", rows)


def _held(sandbox: TikTokSandbox, sku: str) -> tuple[str, int, int]:
    """(status, price, available) of the variant as TikTok shows it."""
    [product] = sandbox.products_by_seller_sku(sku, shop_id=SHOP.shop_id)
    [held] = [s for s in product.skus.values() if s.seller_sku == sku]
    return product.status, held.price, sum(held.available.values())


def test_a_tiktok_shop_from_add_to_reconcile(cli: Invoke, sqlite_url: str, sandbox: TikTokSandbox,
                                             tmp_path: Path) -> None:  # fmt: skip
    with serve_in_thread(sandbox) as url:
        code, out, err = cli("channels", "add", "tiktok", "--seller", SELLER, "--base-url", url,
                             "--set", f"auth_base_url={url}", "--set", f"app_key={DEMO_APP_KEY}",
                             "--set", "service_id=7312", "--set", f"retry={json.dumps(FAST['retry'])}")  # fmt: skip
        assert code == 0, err
        code, out, _ = cli("channels", "connect", "tiktok", "--seller", SELLER)
        assert code == 0 and "service_id=7312" in out.strip().splitlines()[-1]
        assert DEMO_APP_SECRET not in out
        grant = sandbox.authorize_shop(SHOP.shop_id)
        code, out, err = cli("channels", "connect", "tiktok", "--seller", SELLER, "--code", grant)
        assert (code, err) == (0, ""), err
        assert "Connected" in out
        [listed] = json.loads(cli("channels", "list", "--json")[1])
        assert listed["settings"]["shop_cipher"] == SHOP.cipher  # learned once, kept with the account
        assert listed["settings"]["warehouse_id"] == SHOP.warehouse_ids[0]
        assert DEMO_APP_SECRET not in json.dumps(listed)

        (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,600101\n", encoding="utf-8")
        assert cli("categories", "map", "tiktok", str(tmp_path / "map.csv"))[0] == 0
        assert cli("catalog", "import", str(_catalog(tmp_path)))[0] == 0
        code, out, _ = cli("plan", "--json")
        assert code == 0
        code, out, err = cli("sync")
        assert code == 0, out + err
        assert _held(sandbox, "GAO-ST25-2KG") == ("ACTIVATE", 80_000, 10)
        assert _held(sandbox, "GAO-ST25-5KG") == ("ACTIVATE", 175_000, 4)
        [product] = sandbox.products_by_seller_sku("GAO-ST25-5KG", shop_id=SHOP.shop_id)
        assert product.title == "Gạo ST25 Dân Tiến – Trà Vinh – OCOP 4 sao"  # the account's title template
        assert product.package_weight["value"] == "5.1"  # the heaviest bag's, so no parcel is under-declared

        order = sandbox.place_order(SHOP.shop_id, [("GAO-ST25-5KG", 3)])
        code, out, err = cli("orders", "pull", "--channel", "tiktok")
        assert code == 0, out + err
        assert cli("sync")[0] == 0
        assert _held(sandbox, "GAO-ST25-5KG")[2] == 1  # 4 on hand, 3 held by the order
        sandbox.set_order_status(order.order_id, "IN_TRANSIT")
        assert cli("orders", "pull", "--channel", "tiktok")[0] == 0
        code, out, _ = cli("catalog", "show", "GAO-ST25", "--seller", SELLER, "--json")
        assert {v["sku"]: v["stock"] for v in json.loads(out)["variants"]}["GAO-ST25-5KG"] == 1  # sold: gone
        code, out, _ = cli("orders", "pull", "--channel", "tiktok")  # a replayed pull moves nothing
        code, out, _ = cli("catalog", "show", "GAO-ST25", "--seller", SELLER, "--json")
        assert {v["sku"]: v["stock"] for v in json.loads(out)["variants"]}["GAO-ST25-5KG"] == 1

        sandbox.hand_set_price("GAO-ST25-2KG", 99_000, shop_id=SHOP.shop_id)
        code, out, err = cli("reconcile", "--channel", "tiktok")
        assert "GAO-ST25-2KG" in out, out + err
        assert _held(sandbox, "GAO-ST25-2KG")[1] == 80_000
    store: Store = open_store(sqlite_url)
    try:
        account = find_account(store, seller=SELLER, channel="tiktok")
        assert account.settings["shop_id"] == SHOP.shop_id
    finally:
        store.dispose()


def test_a_product_rejected_in_review_is_reported_with_tiktoks_reason_then_fixed_and_sent_again(
    cli: Invoke, sandbox: TikTokSandbox, tmp_path: Path
) -> None:
    with serve_in_thread(sandbox) as url:
        assert cli("channels", "add", "tiktok", "--seller", SELLER, "--base-url", url,
                   "--set", f"auth_base_url={url}", "--set", f"app_key={DEMO_APP_KEY}",
                   "--set", f"retry={json.dumps(FAST['retry'])}")[0] == 0  # fmt: skip
        assert cli("channels", "connect", "tiktok", "--seller", SELLER, "--code",
                   sandbox.authorize_shop(SHOP.shop_id))[0] == 0  # fmt: skip
        (tmp_path / "map.csv").write_text("category,marketplace_category_id\nGạo,600101\n", encoding="utf-8")
        assert cli("categories", "map", "tiktok", str(tmp_path / "map.csv"))[0] == 0
        catalog = _catalog(tmp_path)
        text = catalog.read_text(encoding="utf-8")
        catalog.write_text(text.replace("Gạo ST25 Dân Tiến", "Gạo ST25 chữa bệnh tiểu đường"), encoding="utf-8")
        assert cli("catalog", "import", str(catalog))[0] == 0
        assert cli("sync")[0] == 0  # TikTok takes the product for review...
        code, out, err = cli("reconcile", "--channel", "tiktok")  # ...and its review rejects it
        assert "rejected in review" in out and "chữa bệnh" in out, out + err
        [product] = sandbox.products_by_seller_sku("GAO-ST25-2KG", shop_id=SHOP.shop_id)
        assert product.status == "FAILED"

        catalog.write_text(text, encoding="utf-8")  # the seller fixes the name in the catalog
        assert cli("catalog", "import", str(catalog))[0] == 0
        code, out, err = cli("sync")
        assert code == 0, out + err
        [again] = sandbox.products_by_seller_sku("GAO-ST25-2KG", shop_id=SHOP.shop_id)
        assert again.product_id == product.product_id  # the same product, edited, not a second one
        assert (again.status, again.title) == ("ACTIVATE", "Gạo ST25 Dân Tiến – Trà Vinh – OCOP 4 sao")

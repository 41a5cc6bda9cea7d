"""Every sandbox at once: saved with its books and ports, started again as it was; `chosync sandbox serve all`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from core.settings import PROJECT_ROOT
from simulators.common.fleet import fresh_fleet, load_fleet, save_fleet, serve_fleet
from simulators.common.serving import free_ports
from simulators.floors.centre import CentreProduct
from simulators.floors.site import SellerCentreSite
from simulators.postmart.sandbox import PostmartSandbox
from simulators.shopee.sandbox import DEMO_SHOP_ID, ShopeeSandbox
from tests.conftest import Invoke


def test_a_saved_fleet_comes_back_with_its_books_ports_and_id_counters(tmp_path: Path) -> None:
    fleet = fresh_fleet()
    shopee, postmart = fleet.get("shopee", ShopeeSandbox), fleet.get("postmart", PostmartSandbox)
    access, refresh = shopee.authorize_shop(DEMO_SHOP_ID)
    merchant = next(iter(postmart.merchants))
    product = postmart.create_product(merchant, serial="GAO-ST25", name="Gạo ST25", gc_id=7821,
                                            skus=[("GAO-ST25-5KG", "5kg", 180_000, 7)])  # fmt: skip
    voso = fleet.get("voso", SellerCentreSite)
    voso.shop("HTX-DANTIEN").products["GAO-ST25-5KG"] = _centre_product("GAO-ST25-5KG", stock=5)
    first_order = voso.place_order("HTX-DANTIEN", [("GAO-ST25-5KG", 2)])
    with serve_fleet(fleet) as urls:
        save_fleet(fleet, urls, tmp_path / "fleet.pickle")

    again, ports = load_fleet(tmp_path / "fleet.pickle")
    assert ports == {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()}
    assert again.get("shopee", ShopeeSandbox).access_tokens.keys() == shopee.access_tokens.keys()
    assert access in again.get("shopee", ShopeeSandbox).access_tokens
    assert refresh in again.get("shopee", ShopeeSandbox).refresh_tokens
    assert again.get("postmart", PostmartSandbox).products[product.spu_id].sku("GAO-ST25-5KG").stock == 7
    assert again.get("voso", SellerCentreSite).shop("HTX-DANTIEN").products["GAO-ST25-5KG"].stock == 3
    # New ids continue after the saved ones: nothing made after a restart collides with what was there.
    newer = again.get("postmart", PostmartSandbox).create_product(merchant, serial="NEP", name="Nếp sáp", gc_id=7821,
                                          skus=[("NEP-1KG", "1kg", 40_000, 3)])  # fmt: skip
    assert newer.spu_id > product.spu_id
    assert again.get("voso", SellerCentreSite).place_order("HTX-DANTIEN", [("GAO-ST25-5KG", 1)]) != first_order


def test_a_file_that_is_not_a_snapshot_is_refused_with_the_way_out(tmp_path: Path) -> None:
    (tmp_path / "other.pickle").write_bytes(b"\x80\x04K\x01.")  # pickle of the int 1
    with pytest.raises(ValueError, match="run the demo again"):
        load_fleet(tmp_path / "other.pickle")


def test_serve_all_serves_every_marketplace_until_sigterm(tmp_path: Path) -> None:
    port = free_ports(6)
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "sandbox", "serve", "all", "--fresh", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        urls = _announced(process, 6)
        assert sorted(urls) == ["lazada", "postmart", "provincial", "shopee", "tiktok", "voso"]
        assert sorted(int(url.rsplit(":", 1)[1]) for url in urls.values()) == [port + i for i in range(6)]
        answers = _wait_for(
            [f"{urls['voso']}/", f"{urls['provincial']}/", f"{urls['postmart']}/apis/v1/merchant/categories/all",
             f"{urls['tiktok']}/authorization/202309/shops"]
        )  # fmt: skip
        assert "Voso" in answers[0].text and "Trà Vinh" in answers[1].text
        assert answers[2].json()["code"] == 401  # Postmart: no token, refused in its own envelope
        assert answers[3].json()["code"] == 36009004  # TikTok Shop: no app key, refused in its own envelope
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert process.returncode == 0, err


def test_serve_all_on_a_port_already_taken_says_so_and_exits_2(tmp_path: Path) -> None:
    port = free_ports(6)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port + 2))  # where the third marketplace of the fleet would go
        taken.listen()
        done = subprocess.run(
            [sys.executable, "-m", "core.cli", "sandbox", "serve", "all", "--fresh", "--port", str(port)],
            cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "its port is in use" in done.stderr and "another `chosync sandbox serve`" in done.stderr


def test_serve_options_for_all_only_are_refused_elsewhere(run_cli: Invoke) -> None:
    code, _, err = run_cli("sandbox", "serve", "shopee", "--fresh")
    assert code == 2 and "go with 'serve all'" in err
    code, _, err = run_cli("sandbox", "serve", "all", "--from", "missing.pickle")
    assert code == 2 and "make demo" in err
    code, _, err = run_cli("sandbox", "serve", "ebay")
    assert code == 2 and "no sandbox for 'ebay'" in err


def _announced(process: subprocess.Popen[str], count: int) -> dict[str, str]:
    """Channel → URL from the lines ``serve all`` prints as it starts (``  voso        http://…``), and
    who may sign in, on the line after them."""
    assert process.stdout is not None
    urls: dict[str, str] = {}
    while len(urls) < count:
        line = process.stdout.readline()
        assert line, f"serve all stopped before announcing its marketplaces: {urls}"
        words = line.split()
        if len(words) == 2 and words[1].startswith("http://"):
            urls[words[0]] = words[1]
    accounts = process.stdout.readline()
    assert "Shopee: partner 2001887" in accounts and "Postmart: merchant" in accounts, accounts
    return urls


def _wait_for(urls: list[str]) -> list[httpx.Response]:
    deadline = time.monotonic() + 20
    while True:
        try:
            return [httpx.get(url, timeout=2) for url in urls]
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _centre_product(sku: str, *, stock: int) -> CentreProduct:
    return CentreProduct(sku, "Gạo ST25 túi 5kg", 180_000, stock)

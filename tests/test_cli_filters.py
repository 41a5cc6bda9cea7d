"""Filters that name nothing, seller codes in any case, and marketplace addresses: refused with the value named.

An unknown ``--seller``, ``--channel`` or ``--name`` is an error (exit 2) naming it and the close matches,
never an empty table; seller codes are stored upper-case and matched in any case; ``--base-url`` and
``auth_base_url`` must be http(s) URLs with a host.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.catalog_files import make_rows, write_csv
from tests.conftest import Invoke


@pytest.fixture
def cli(migrated_sqlite: str, run_cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("CHOSYNC_SHOPEE_PARTNER_KEY", "k")
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
    assert run_cli("sellers", "add", "HKD-BAHAI", "--name", "Bà Hai")[0] == 0
    assert run_cli("catalog", "import", str(write_csv(tmp_path / "c.csv", make_rows(2, 1))))[0] == 0
    shopee = ("--base-url", "http://127.0.0.1:9", "--partner-id", "1", "--shop-id", "2")
    assert run_cli("channels", "add", "shopee", "--seller", "HTX-DANTIEN", *shopee)[0] == 0
    assert run_cli("channels", "add", "shopee", "--seller", "HTX-DANTIEN", "--name", "shop-hai", *shopee)[0] == 0
    return run_cli


FILTERED = [
    ("catalog", "list"), ("catalog", "show", "P000000"), ("catalog", "export", "out.csv"), ("failures",),
    ("retry", "--all"), ("sync",), ("plan",), ("reconcile",), ("status",), ("orders", "pull"),
    ("orders", "list"), ("oversold",), ("runs",), ("channels", "list"),
]  # fmt: skip


@pytest.mark.parametrize("command", FILTERED, ids=" ".join)
def test_an_unknown_seller_in_a_filter_is_named_with_the_close_matches(cli: Invoke, command: tuple[str, ...]) -> None:
    code, out, err = cli(*command, "--seller", "HTX-DANTEN")
    assert (code, out) == (2, "")
    assert err == "error: no seller HTX-DANTEN\nfix: did you mean HTX-DANTIEN? see 'chosync sellers list'\n"


@pytest.mark.parametrize("command", [c for c in FILTERED if c[0] in ("failures", "retry", "sync", "plan", "reconcile")]
                         + [("orders", "pull")], ids=" ".join)  # fmt: skip
def test_an_unknown_channel_in_a_filter_is_named_with_the_close_matches(cli: Invoke, command: tuple[str, ...]) -> None:
    code, _, err = cli(*command, "--channel", "shoppe")
    assert code == 2
    assert err.startswith("error: no channel shoppe\nfix: did you mean shopee? see 'chosync channels list'")


def test_nothing_close_still_says_where_to_look(cli: Invoke) -> None:
    assert cli("failures", "--seller", "ZZZZ")[2] == "error: no seller ZZZZ\nfix: see 'chosync sellers list'\n"


def test_an_unknown_account_name_is_named_with_the_close_matches(cli: Invoke) -> None:
    code, _, err = cli("channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--name", "shop-ba", "--markup", "1")
    assert code == 2
    assert "HTX-DANTIEN has no shopee account named 'shop-ba'" in err and "did you mean shop-hai or shopee?" in err


def test_a_real_seller_without_an_account_keeps_its_own_message(cli: Invoke) -> None:
    code, _, err = cli("sync", "--seller", "HKD-BAHAI")
    assert (code, err.splitlines()[0]) == (1, "error: no enabled channel account matches")


def test_seller_codes_are_one_in_any_case_and_stored_upper_case(cli: Invoke, tmp_path: Path) -> None:
    code, out, _ = cli("sellers", "add", "htx-c", "--name", "C")
    assert (code, out) == (0, "Seller HTX-C registered: C\n")
    code, _, err = cli("sellers", "add", "HTX-C", "--name", "C again")
    assert code == 1 and "seller HTX-C is already registered" in err
    assert [s["code"] for s in json.loads(cli("sellers", "list", "--json")[1])] == ["HKD-BAHAI", "HTX-C", "HTX-DANTIEN"]
    rows = make_rows(1, 1, seller="htx-c")  # a catalog file in lower case too
    rows[0]["product_sku"], rows[0]["variant_sku"] = "C1", "C1-V"
    assert cli("catalog", "import", str(write_csv(tmp_path / "c.csv", rows)))[0] == 0
    assert cli("catalog", "import", str(write_csv(tmp_path / "c.csv", rows)), "--seller", "Htx-C")[0] == 0
    [product] = json.loads(cli("catalog", "list", "--seller", "htx-c", "--json")[1])
    assert (product["seller"], product["sku"]) == ("HTX-C", "C1")
    assert [r["seller"] for r in json.loads(cli("channels", "list", "--seller", "htx-dantien", "--json")[1])] == [
        "HTX-DANTIEN", "HTX-DANTIEN"
    ]  # fmt: skip


@pytest.mark.parametrize("value", ["banana", "ftp://files.example.vn/api", "https://", "http:///path"])
def test_a_base_url_must_be_an_http_url_with_a_host(cli: Invoke, value: str, tmp_path: Path) -> None:
    fix = "fix: give the marketplace's API address"
    code, _, err = cli("channels", "add", "postmart", "--seller", "HKD-BAHAI", "--base-url", value)
    assert (code, err.splitlines()[0], err.splitlines()[1].startswith(fix)) == (
        2, f"error: base_url {value!r} is not an http(s) URL with a host", True
    )  # fmt: skip
    code, _, err = cli("channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--name", "shopee", "--base-url", value)
    assert (code, f"base_url {value!r}" in err) == (2, True)
    code, _, err = cli(
        "channels", "set", "shopee", "--seller", "HTX-DANTIEN", "--name", "shopee", "--set", f"auth_base_url={value}"
    )
    assert (code, f"auth_base_url {value!r}" in err) == (2, True)
    declared = tmp_path / "accounts.toml"
    declared.write_text(f'[[account]]\nseller = "htx-dantien"\nchannel = "shopee"\n[account.settings]\nbase_url = '
                        f'"{value}"\n', encoding="utf-8")  # fmt: skip
    code, _, err = cli("channels", "apply", str(declared))
    assert (code, f"base_url {value!r}" in err) == (2, True)
    [account, _] = json.loads(cli("channels", "list", "--json")[1])
    assert account["settings"]["base_url"] == "http://127.0.0.1:9"  # nothing was changed


def test_a_declared_account_names_its_seller_in_any_case(cli: Invoke, tmp_path: Path) -> None:
    declared = tmp_path / "accounts.toml"
    declared.write_text('[[account]]\nseller = "htx-dantien"\nchannel = "shopee"\n[account.rules]\nstock_buffer = 2\n',
                        encoding="utf-8")  # fmt: skip
    code, out, err = cli("channels", "apply", str(declared))
    assert (code, out) == (0, "0 added, 1 updated, 0 unchanged\n"), err

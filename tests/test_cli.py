"""The CLI as an operator uses it: exit codes, tables, JSON, and one clear line plus the fix on errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.catalog_files import make_rows, row, write_csv


@pytest.fixture
def cli(run_cli):  # type: ignore[no-untyped-def]
    return run_cli


def test_init_creates_the_database(cli, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("init")
    assert code == 0
    assert "Database ready" in out
    assert Path(sqlite_url.removeprefix("sqlite:///")).is_file()


def test_sellers_add_and_list(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("sellers", "add", "HTX-DANTIEN", "--name", "Hợp tác xã Dân Tiến", "--kind", "cooperative")[0] == 0
    code, _, err = cli("sellers", "add", "HTX-DANTIEN", "--name", "Again")
    assert code == 1
    assert "already registered" in err
    code, out, _ = cli("sellers", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "code": "HTX-DANTIEN",
            "name": "Hợp tác xã Dân Tiến",
            "kind": "cooperative",
            "province": None,
            "products": 0,
        }
    ]


def test_usage_errors_exit_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("sellers", "add", "HTX X", "--name", "x")[0] == 2
    assert cli("sellers", "add", "HTX-X")[0] == 2  # --name missing
    code, _, err = cli("catalog", "import", "nowhere.csv")
    assert (code, "not found" in err) == (2, True)
    pdf = tmp_path / "catalog.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    code, _, err = cli("catalog", "import", str(pdf))
    assert code == 2
    assert "cannot tell the format" in err
    assert "fix: use a .csv, .xlsx or .json file" in err


def test_import_list_show_export_round_trip(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")
    path = write_csv(tmp_path / "c.csv", make_rows(3, 2))
    code, out, _ = cli("catalog", "import", str(path))
    assert code == 0
    assert "products" in out
    code, out, _ = cli("catalog", "list", "--json")
    listed = json.loads(out)
    assert [p["sku"] for p in listed] == ["P000000", "P000001", "P000002"]
    first = listed[0]
    assert (first["seller"], first["ocop_stars"], first["name"]) == ("HTX-DANTIEN", 4, "Sản phẩm số 0")
    assert [(v["sku"], v["price_vnd"], v["stock"]) for v in first["variants"]] == [
        ("P000000-V0", 10000, 0),
        ("P000000-V1", 11000, 1),
    ]
    code, out, _ = cli("catalog", "show", "P000001", "--json")
    assert json.loads(out)["variants"][1]["price_vnd"] == 11001
    code, out, _ = cli("catalog", "list")
    assert "10.000 ₫ – 11.000 ₫" in out
    exported = tmp_path / "out.xlsx"
    assert cli("catalog", "export", str(exported))[0] == 0
    code, out, _ = cli("catalog", "import", str(exported))
    assert code == 0
    assert re.search(r"products\s*│\s*0\s*│\s*0\s*│\s*3\s*│", out)


def test_rejected_import_lists_every_problem_and_exits_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")
    rows = [row(price_vnd="12,5"), row(variant_sku="X2", option1_value="2kg", stock="ba")]
    code, _, err = cli("catalog", "import", str(write_csv(tmp_path / "c.csv", rows)))
    assert code == 1
    assert "price_vnd" in err and "stock" in err
    assert "import rejected: 2 problems found; nothing was written" in err
    assert "fix:" in err
    assert json.loads(cli("catalog", "list", "--json")[1]) == []


def test_show_unknown_sku_is_not_found(cli) -> None:  # type: ignore[no-untyped-def]
    cli("init")
    code, _, err = cli("catalog", "show", "NOPE")
    assert code == 1
    assert "no product with SKU 'NOPE'" in err


def test_a_bad_database_url_is_a_config_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CHOSYNC_DATABASE_URL", "postgresql+psycopg://u:sekrit-pass@127.0.0.1:1/x")
    code, out, err = cli("sellers", "list")
    assert code == 2
    assert "cannot open the database" in err
    assert "sekrit-pass" not in out + err

"""Orders on the assisted floors that come by hand: phone orders of several items (``orders add``) and an
export given on the command line (``orders import``) while the inbox holds someone else's bad file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.db import Store
from tests.floors_world import Floors, make_floors
from tests.test_floors import on_hand_reserved

RICE = "P000002-V1"  # 3 on hand, 11 002 đ
TEA = "P000001-V1"  # 2 on hand, 11 001 đ


@pytest.fixture
def floors(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Floors:
    from core.db import open_store

    return make_floors(open_store(sqlite_url), tmp_path, monkeypatch)


def _orders(floors: Floors, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    capsys.readouterr()
    assert floors.cli("orders", "list", "--json") == 0
    return {order["order_id"]: order for order in json.loads(capsys.readouterr().out)}


def _add(floors: Floors, order_id: str, *args: str) -> int:
    return floors.cli("orders", "add", "--seller", floors.seller, "--channel", "voso", "--order-id", order_id, *args)


def test_a_phone_order_of_several_items_is_one_order_and_moves_on_as_a_whole(
    floors: Floors, capsys: pytest.CaptureFixture[str]
) -> None:
    store: Store = floors.store
    lines = ("--line", f"{RICE}:2", "--line", f"{TEA}:1:15.000")
    assert _add(floors, "DT-010", *lines) == 0
    assert (on_hand_reserved(store, RICE), on_hand_reserved(store, TEA)) == ((3, 2), (2, 1))
    order = _orders(floors, capsys)["DT-010"]
    assert order["total_vnd"] == 2 * 11_002 + 15_000  # the catalog's price, and the one given
    assert sorted((line["sku"], line["quantity"], line["unit_price_vnd"]) for line in order["lines"]) == [
        (TEA, 1, 15_000), (RICE, 2, 11_002)
    ]  # fmt: skip

    assert _add(floors, "DT-010", *lines) == 0  # the same again: nothing moves twice
    assert (on_hand_reserved(store, RICE), on_hand_reserved(store, TEA)) == ((3, 2), (2, 1))
    assert _add(floors, "DT-010", "--status", "shipped") == 0  # the whole order, no lines needed
    assert (on_hand_reserved(store, RICE), on_hand_reserved(store, TEA)) == ((1, 0), (1, 0))
    assert _add(floors, "DT-010", "--status", "shipped") == 0
    assert (on_hand_reserved(store, RICE), on_hand_reserved(store, TEA)) == ((1, 0), (1, 0))
    order = _orders(floors, capsys)["DT-010"]
    assert order["status"] == "shipped" and order["total_vnd"] == 37_004
    assert {line["ledger_state"] for line in order["lines"]} == {"sold"}

    # Changed lines on a recorded order are refused, not silently dropped; nothing moves.
    capsys.readouterr()
    assert _add(floors, "DT-010", "--line", f"{RICE}:1", "--status", "completed") == 2
    assert "already recorded with" in capsys.readouterr().err
    assert _orders(floors, capsys)["DT-010"]["status"] == "shipped"


def test_a_cancelled_phone_order_releases_every_line(floors: Floors, capsys: pytest.CaptureFixture[str]) -> None:
    assert _add(floors, "DT-020", "--line", f"{RICE}:1", "--line", f"{TEA}:2") == 0
    assert (on_hand_reserved(floors.store, RICE), on_hand_reserved(floors.store, TEA)) == ((3, 1), (2, 2))
    assert _add(floors, "DT-020", "--status", "cancelled") == 0
    assert (on_hand_reserved(floors.store, RICE), on_hand_reserved(floors.store, TEA)) == ((3, 0), (2, 0))


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        pytest.param(("--line", f"{RICE}:1", "--line", "NOT-A-SKU:1"), 1, "'NOT-A-SKU' is not a variant SKU",
                     id="one-unknown-sku"),
        pytest.param(("--line", f"{RICE}:1", "--line", f"{RICE}:2"), 2, "given twice", id="sku-twice"),
        pytest.param(("--line", f"{RICE}:0"), 2, "not allowed", id="zero-units"),
        pytest.param(("--line", f"{RICE}"), 2, "expected SKU:QTY", id="no-quantity"),
        pytest.param(("--line", f"{RICE}:1:12,5"), 2, "ambiguous", id="ambiguous-price"),
        pytest.param(("--line", f"{RICE}:1", "--sku", TEA, "--qty", "1"), 2, "not both", id="both-forms"),
        pytest.param(("--sku", TEA), 2, "go together", id="sku-without-qty"),
        pytest.param(("--status", "shipped"), 2, "needs its lines", id="new-order-without-lines"),
    ],
)  # fmt: skip
def test_a_phone_order_that_cannot_be_taken_as_given_records_nothing(
    floors: Floors, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    capsys.readouterr()
    assert _add(floors, "DT-030", *args) == code
    assert message in capsys.readouterr().err
    assert "DT-030" not in _orders(floors, capsys)
    assert (on_hand_reserved(floors.store, RICE), on_hand_reserved(floors.store, TEA)) == ((3, 0), (2, 0))


def _flat(text: str) -> str:
    """``text`` without whitespace: the console wraps long paths anywhere."""
    return "".join(text.split())


def _provincial_export(path: Path, *rows: tuple[str, str, int]) -> Path:
    """An order export of the provincial floor: (order id, SKU, quantity) rows, all new."""
    from tests.catalog_files import write_csv

    header = ["Số đơn", "Tình trạng", "Ngày đặt", "Mã hàng", "SL", "Đơn giá"]
    values = [[order_id, "Mới", "01/06/2024 09:30", sku, str(qty), "11.002"] for order_id, sku, qty in rows]
    return write_csv(path, [dict(zip(header, v, strict=True)) for v in values], columns=header)


def test_importing_a_good_export_succeeds_though_another_file_in_the_inbox_is_refused(
    floors: Floors, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command's outcome is the given file's; the inbox's others are reported, named, beside it."""
    folder = floors.folders["provincial"]
    inbox = folder / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "cu-hong.csv").write_text("Số đơn\nTV-9\n", encoding="utf-8")  # missing columns
    _provincial_export(inbox / "cho-san.csv", ("TV-7", TEA, 1))  # good, waiting for a pull
    export = _provincial_export(tmp_path / "don-hang.csv", ("TV-1", RICE, 2))
    capsys.readouterr()
    assert floors.cli("orders", "import", str(export), "--seller", floors.seller, "--channel", "provincial") == 0
    out, err = (_flat(text) for text in capsys.readouterr())
    assert _flat(f"don-hang.csv imported (kept in {folder / 'processed' / 'don-hang.csv'})") in out
    assert _flat("Also imported from the inbox: cho-san.csv") in out
    assert _flat(f"cu-hong.csv, was rejected whole and moved to {folder / 'rejected' / 'cu-hong.csv'}") in err
    assert "error:" not in err
    assert (on_hand_reserved(floors.store, RICE), on_hand_reserved(floors.store, TEA)) == ((3, 2), (2, 1))
    assert (folder / "rejected" / "cu-hong.csv.errors.txt").is_file()
    assert not list(inbox.iterdir())

    # The same name again goes in under a free name, and a bad given file fails the command even when
    # nothing else is wrong; the bad file is named with where it went.
    bad = _provincial_export(tmp_path / "don-hang.csv", ("TV-2", "NOT-A-SKU", 0))
    assert floors.cli("orders", "import", str(bad), "--seller", floors.seller, "--channel", "provincial") == 1
    err = _flat(capsys.readouterr().err)
    assert _flat("don-hang-2.csv rejected (") in err and _flat("nothing was applied") in err
    assert _flat(f"moved to {folder / 'rejected' / 'don-hang-2.csv'}") in err
    assert _flat("another export in the inbox") not in err

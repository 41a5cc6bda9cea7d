"""Bad input and a broken environment, as an operator meets them: one ``error:`` line, one ``fix:`` line, a
documented exit code, never a traceback, and nothing half-written."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from core.catalog.columns import COLUMN_NAMES
from tests.catalog_files import make_rows, write_csv, write_xlsx

Invoke = Callable[..., tuple[int, str, str]]


def explained(result: tuple[int, str, str], exit_code: int, *phrases: str) -> str:
    """Assert the failure reads as it should; returns stderr for more checks."""
    code, out, err = result
    assert "Traceback" not in out + err
    assert code == exit_code, err
    lines = err.splitlines()
    assert any(line.startswith("error: ") for line in lines), err
    assert any(line.startswith("fix: ") for line in lines), err
    for phrase in phrases:
        assert phrase in err
    return err


@pytest.fixture(autouse=True)
def _crash_logs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOSYNC_HOME", str(tmp_path / "home"))


@pytest.fixture
def catalog(run_cli: Invoke, tmp_path: Path) -> Callable[[], str]:
    """A seller with two products imported; returns a reader of the whole catalog, to compare after a failure."""
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0
    assert run_cli("catalog", "import", str(write_csv(tmp_path / "good.csv", make_rows(2, 2))))[0] == 0

    def read() -> str:
        code, out, _ = run_cli("catalog", "list", "--json")
        assert code == 0
        return out

    assert len(json.loads(read())) == 2
    return read


def _workbook(path: Path, products: int = 200) -> Path:
    rows = make_rows(products, 2)
    return write_xlsx(path, [list(COLUMN_NAMES), *([r[c] for c in COLUMN_NAMES] for r in rows)])


def _truncated_xlsx(folder: Path) -> Path:
    whole = _workbook(folder / "whole.xlsx").read_bytes()
    path = folder / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])  # a download or a copy that stopped half-way
    return path


def _damaged_xlsx(folder: Path) -> Path:
    path = _workbook(folder / "damaged.xlsx")
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    start = sheet.header_offset + 30 + len(sheet.filename.encode()) + len(sheet.extra)
    for i in range(start + sheet.compress_size * 3 // 4, start + sheet.compress_size * 3 // 4 + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def _csv_named_xlsx(folder: Path) -> Path:
    path = folder / "catalog.xlsx"
    path.write_bytes(write_csv(folder / "real.csv", make_rows(1, 1)).read_bytes())
    return path


def _protected_xlsx(folder: Path) -> Path:
    # Excel saves a workbook with a password as an OLE2 compound file, not a zip: its signature first.
    path = folder / "locked.xlsx"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(4096))
    return path


def _xlsx_named_csv(folder: Path) -> Path:
    path = folder / "catalog.csv"
    path.write_bytes(_workbook(folder / "w.xlsx", 2).read_bytes())
    return path


def _not_utf8(folder: Path) -> Path:
    path = folder / "cp1258.csv"
    path.write_bytes("seller_code,name\nHTX-DANTIEN,Bánh tét Trà Vinh\n".encode("cp1258"))
    return path


def _text(name: str, content: str) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_text(content, encoding="utf-8")
        return path

    return write


BAD_FILES: dict[str, tuple[Callable[[Path], Path], int, tuple[str, ...]]] = {
    "truncated xlsx": (_truncated_xlsx, 1, ("cut.xlsx is not a readable .xlsx workbook", "damaged or incomplete")),
    "xlsx damaged inside": (_damaged_xlsx, 1, ("damaged.xlsx", "damaged", "save it again")),
    "csv renamed xlsx": (
        _csv_named_xlsx,
        1,
        ("catalog.xlsx is text, not an .xlsx workbook", "rename it to catalog.csv"),
    ),
    "password-protected xlsx": (_protected_xlsx, 1, ("locked.xlsx is password-protected", "remove the password")),
    "empty xlsx": (_text("empty.xlsx", ""), 1, ("empty.xlsx is empty",)),
    "xlsx renamed csv": (_xlsx_named_csv, 1, ("catalog.csv is an Excel workbook, not CSV text", "catalog.xlsx")),
    "csv not utf-8": (_not_utf8, 1, ("cp1258.csv is not UTF-8 text", "CSV UTF-8")),
    "json object": (_text("one.json", '{"seller_code": "HTX-DANTIEN"}'), 1, ("one.json holds a JSON object", "[{")),
    "json broken": (_text("cut.json", '[{"seller_code": "HTX-DANTIEN",'), 1, ("cut.json is not valid JSON", "line 1")),
    "json empty array": (_text("none.json", "[]"), 1, ("none.json has no entries",)),
    "json not utf-8": (lambda folder: _renamed(_not_utf8(folder), "cp.json"), 1, ("cp.json is not UTF-8 text",)),
    "file not found": (lambda folder: folder / "nowhere.csv", 2, ("nowhere.csv' not found", "check the name")),
    "a folder": (lambda folder: folder, 2, ("is a folder, not a catalog file",)),
    "unknown extension": (_text("catalog.pdf", "%PDF-1.4"), 2, ("cannot tell the format", ".csv, .xlsx or .json")),
}


def _renamed(path: Path, name: str) -> Path:
    return path.rename(path.with_name(name))


@pytest.mark.parametrize("case", BAD_FILES, ids=str)
def test_a_bad_catalog_file_is_refused_with_the_fix_and_nothing_is_written(
    case: str, run_cli: Invoke, catalog: Callable[[], str], tmp_path: Path
) -> None:
    make, exit_code, phrases = BAD_FILES[case]
    folder = tmp_path / "files"
    folder.mkdir()
    before = catalog()
    explained(run_cli("catalog", "import", str(make(folder)), "--seller", "HTX-DANTIEN"), exit_code, *phrases)
    assert catalog() == before


def test_a_product_not_found_says_where_to_look(run_cli: Invoke, catalog: Callable[[], str]) -> None:
    explained(run_cli("catalog", "show", "NOSKU"), 1, "no product with SKU 'NOSKU'", "chosync catalog list")
    explained(run_cli("catalog", "show", "NOSKU", "--seller", "HTX-DANTIEN"), 1, "catalog list --seller HTX-DANTIEN")


def _store_file(run_cli: Invoke, sqlite_url: str) -> Path:
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "Dân Tiến")[0] == 0  # closes the store: WAL folded in
    return Path(sqlite_url.removeprefix("sqlite:///"))


def test_a_file_that_is_not_a_database(run_cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list\n" * 100)
    err = explained(run_cli("--database-url", f"sqlite:///{path}", "status"), 2, f"{path} is not a chosync database")
    assert "CHOSYNC_DATABASE_URL" in err
    assert path.read_text() == "shopping list\n" * 100


def test_a_damaged_database(run_cli: Invoke, sqlite_url: str) -> None:
    path = _store_file(run_cli, sqlite_url)
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x55" * (len(data) - 4096)  # the schema page is whole; every table's pages are not
    path.write_bytes(bytes(data))
    explained(run_cli("sellers", "list"), 74, f"the database {path} is damaged", "restore it from a backup")


def test_a_read_only_database_refuses_the_write_and_keeps_what_it_holds(run_cli: Invoke, sqlite_url: str) -> None:
    path = _store_file(run_cli, sqlite_url)
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = run_cli("--database-url", read_only, "sellers", "add", "HTX-MOI", "--name", "Mới")
    explained(result, 74, f"the database {path} is read-only", "write permission")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT code FROM seller").fetchall() == [("HTX-DANTIEN",)]


@pytest.mark.parametrize(
    ("url", "exit_code", "phrases"),
    [
        ("mysql://chosync@localhost/chosync", 2, ("cannot keep its data in a 'mysql' database", "postgresql+psycopg")),
        ("oracle+cx_oracle://u@h/db", 2, ("'oracle' database",)),
        ("postgresql+pg8000://u@localhost/db", 2, ("driver 'postgresql+pg8000' is not installed",)),
        ("not a url", 2, ("is not a database URL",)),
        # Port 1: nothing listens there, the connection is refused at once.
        ("postgresql+psycopg://chosync:hunter22@127.0.0.1:1/chosync", 2, ("cannot open the database", "server")),
    ],
)
def test_a_database_url_that_cannot_work(run_cli: Invoke, url: str, exit_code: int, phrases: tuple[str, ...]) -> None:
    err = explained(run_cli("--database-url", url, "status"), exit_code, *phrases)
    assert "hunter22" not in err


def test_a_database_in_a_folder_that_does_not_exist_is_not_created(run_cli: Invoke, tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "data"
    result = run_cli("--database-url", f"sqlite:///{missing / 'chosync.db'}", "init")
    explained(result, 2, f"the folder '{missing}'", f"mkdir -p {missing}")
    assert not (tmp_path / "typo").exists()


def test_a_folder_named_as_the_database_file(run_cli: Invoke, tmp_path: Path) -> None:
    explained(
        run_cli("--database-url", f"sqlite:///{tmp_path}", "status"), 74, f"cannot open the database file {tmp_path}"
    )


def test_a_database_from_a_newer_chosync(run_cli: Invoke, sqlite_url: str) -> None:
    path = _store_file(run_cli, sqlite_url)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    conn.close()
    explained(run_cli("status"), 2, "has a schema this chosync does not know", "upgrade chosync")


@pytest.mark.parametrize(
    ("env", "content", "phrases"),
    [
        ({"CHOSYNC_LOG_FORMAT": "xml"}, None, ("the setting log_format is wrong", "CHOSYNC_LOG_FORMAT")),
        ({}, "database_url = \n", ("is not valid TOML", "line 1")),
        ({}, '[schedule]\npush_every = "soon"\n', ("schedule.push_every", "'soon' is not a duration")),
        ({"CHOSYNC_CONFIG": "/nowhere/chosync.toml"}, None, ("/nowhere/chosync.toml (named by CHOSYNC_CONFIG)",)),
    ],
)
def test_settings_that_cannot_be_read(
    run_cli: Invoke,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    content: str | None,
    phrases: tuple[str, ...],
) -> None:
    if content is not None:
        config = tmp_path / "chosync.toml"
        config.write_text(content, encoding="utf-8")
        monkeypatch.setenv("CHOSYNC_CONFIG", str(config))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    explained(run_cli("status"), 2, *phrases)

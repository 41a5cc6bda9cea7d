"""Images a seller may name: public web hosts, and files under the catalog's folder or the image folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from core.catalog import values as v
from core.catalog.image_sources import ImageSources
from core.catalog.importer import ImportRejected, import_catalog
from core.catalog.queries import iter_products
from core.db import Store
from core.errors import ConfigError
from core.settings import load_settings, settings_error
from tests.catalog_files import register, row, write_csv, write_json
from tests.conftest import Invoke

JPEG = b"\xff\xd8\xff\xe0 a photo"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A catalog's folder, with its images beside it; elsewhere on the machine, a file it must not name."""
    catalog = tmp_path / "htx" / "catalog"
    (catalog / "images").mkdir(parents=True)
    (catalog / "images" / "gao.jpg").write_bytes(JPEG)
    (tmp_path / "secret.jpg").write_bytes(JPEG)
    return catalog


FOLDERS = "or add its folder to the setting images.folders"
HOSTS = "or allow the host in the setting images.allowed_hosts"


@pytest.mark.parametrize(
    ("image", "says", "fix"),
    [
        ("../../../etc/passwd", "is outside the catalog file's folder", FOLDERS),
        ("/etc/shadow", "is outside the catalog file's folder", FOLDERS),
        ("../../secret.jpg", "is outside the catalog file's folder", FOLDERS),
        ("http://169.254.169.254/latest/meta-data/iam", "its host 169.254.169.254 is not a public address", HOSTS),
        ("http://localhost:8000/a.jpg", "its host localhost (127.0.0.1) is not a public address", HOSTS),
        ("https://2130706433/a.jpg", "its host 2130706433 (127.0.0.1) is not a public address", HOSTS),
        ("http://[::ffff:10.0.0.7]/a.jpg", "is not a public address", HOSTS),
        ("http://192.168.1.20/a.jpg", "its host 192.168.1.20 is not a public address", HOSTS),
        ("file:///etc/passwd", "file addresses are not taken", "write the file's path from the catalog's folder"),
        ("ftp://anh.example/a.jpg", "is not a web address", "it must start with https:// or http://"),
    ],
)
def test_images_from_outside_the_catalog_or_from_private_hosts_are_refused(
    folder: Path, image: str, says: str, fix: str
) -> None:
    with pytest.raises(v.CellError) as refused:
        v.parse_images(f"images/gao.jpg|{image}", base_dir=folder)
    assert says in str(refused.value) and fix in str(refused.value)


def test_a_link_in_the_catalog_folder_is_judged_by_where_it_leads(folder: Path) -> None:
    (folder / "images" / "anh-moi.jpg").symlink_to(folder.parent.parent / "secret.jpg")
    with pytest.raises(v.CellError, match="is outside the catalog file's folder"):
        v.parse_images("images/anh-moi.jpg", base_dir=folder)


def test_files_under_the_catalog_folder_and_public_addresses_are_taken(folder: Path) -> None:
    (folder / "images" / "xoai.jpg").write_bytes(JPEG)
    images = v.parse_images(
        f"images/gao.jpg | {folder / 'images' / 'xoai.jpg'} | https://cdn.example/gao.jpg"
        " | http://93.184.216.34/a.jpg | https://anh.htx.vn/a.jpg",
        base_dir=folder,
    )
    # A name is not looked up at import: the fetcher checks the addresses it resolves to when it downloads.
    assert images == (
        str((folder / "images" / "gao.jpg").resolve()), str((folder / "images" / "xoai.jpg").resolve()),
        "https://cdn.example/gao.jpg", "http://93.184.216.34/a.jpg", "https://anh.htx.vn/a.jpg",
    )  # fmt: skip


def test_the_settings_allow_an_image_folder_and_a_host_of_ones_own(folder: Path, tmp_path: Path) -> None:
    shared = tmp_path / "anh-chung"
    shared.mkdir()
    (shared / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    sources = ImageSources.of(folder, folders=[shared], allowed_hosts=["anh.noibo", "192.168.1.20"])
    taken = v.parse_images(f"{shared / 'logo.png'}|http://ANH.NOIBO./a.jpg|http://192.168.1.20/a.jpg", sources=sources)
    assert taken == (str((shared / "logo.png").resolve()), "http://ANH.NOIBO./a.jpg", "http://192.168.1.20/a.jpg")
    with pytest.raises(v.CellError, match=r"outside the catalog file's folder .* and the image folders"):
        v.parse_images("/etc/shadow", sources=sources)
    with pytest.raises(v.CellError, match="not a public address"):
        v.parse_images("http://192.168.1.21/a.jpg", sources=sources)


def test_an_import_naming_a_forbidden_image_writes_nothing_and_names_the_rows(store: Store, folder: Path) -> None:
    register(store)
    rows = [
        row(images="images/gao.jpg"),
        row(product_sku="MAT-ONG", variant_sku="MAT-ONG-1", name="Mật ong", images="../../../etc/passwd"),
        row(product_sku="TRA", variant_sku="TRA-1", name="Trà", images="https://cdn.example/tra.jpg"),
        row(product_sku="KEO", variant_sku="KEO-1", name="Kẹo", images="http://169.254.169.254/latest/meta-data"),
        row(product_sku="MAM", variant_sku="MAM-1", name="Mắm", images="/etc/shadow|file:///etc/passwd"),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_catalog(store, write_csv(folder / "catalog.csv", rows))
    problems = [(p.row, p.column) for p in caught.value.report.problems]
    assert problems == [(3, "images"), (5, "images"), (6, "images")]
    with store.engine.connect() as conn:
        assert list(iter_products(conn)) == [], "all or nothing"


def test_json_image_lists_follow_the_same_rule(store: Store, folder: Path) -> None:
    register(store)
    entry = {k: val for k, val in row().items() if val != ""}
    path = write_json(folder / "catalog.json", [{**entry, "images": ["images/gao.jpg", "/etc/passwd"]}])
    with pytest.raises(ImportRejected) as caught:
        import_catalog(store, path)
    [problem] = caught.value.report.problems
    assert (problem.row, problem.column) == (1, "images") and "'/etc/passwd' is outside" in problem.reason


def test_the_cli_takes_the_image_folders_and_hosts_from_the_settings(
    run_cli: Invoke, folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "anh-chung"
    shared.mkdir()
    (shared / "logo.jpg").write_bytes(JPEG)
    assert run_cli("sellers", "add", "HTX-DANTIEN", "--name", "HTX Dân Tiến")[0] == 0
    catalog = write_csv(folder / "catalog.csv", [row(images=f"{shared / 'logo.jpg'}|http://anh.noibo/gao.jpg")])
    code, _, err = run_cli("catalog", "import", str(catalog))
    assert code == 1 and "is outside the catalog file's folder" in err
    monkeypatch.setenv("CHOSYNC_IMAGES__FOLDERS", json.dumps([str(shared)]))
    monkeypatch.setenv("CHOSYNC_IMAGES__ALLOWED_HOSTS", '["anh.noibo"]')
    code, out, err = run_cli("catalog", "import", str(catalog))
    assert code == 0, out + err


def test_an_image_folder_must_be_a_full_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHOSYNC_IMAGES__FOLDERS", '["anh"]')
    with pytest.raises(ValidationError) as caught:
        load_settings()
    error = settings_error(caught.value)
    assert isinstance(error, ConfigError) and "'anh' is not a full path" in error.message

"""Cell parsing: every way a Vietnamese seller writes a price, and everything that must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.catalog import values as v
from core.catalog.rows import RowParser
from tests.catalog_files import row


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("125000", 125000, id="plain"),
        pytest.param("125.000", 125000, id="dot-groups"),
        pytest.param("125,000", 125000, id="comma-groups"),
        pytest.param("125.000 đ", 125000, id="dong-sign-spaced"),
        pytest.param("125.000đ", 125000, id="dong-sign"),
        pytest.param("125.000₫", 125000, id="currency-sign"),
        pytest.param("125.000 ₫", 125000, id="currency-sign-spaced"),
        pytest.param("1.250.000 VND", 1250000, id="vnd-suffix"),
        pytest.param("1.250.000 vnđ", 1250000, id="vnd-lower"),
        pytest.param("125 000", 125000, id="space-groups"),
        pytest.param("125\u00a0000", 125000, id="nbsp-groups"),
        pytest.param("  35000 ", 35000, id="padded"),
        pytest.param(125000, 125000, id="xlsx-int"),
        pytest.param(125000.0, 125000, id="xlsx-integral-float"),
    ],
)
def test_prices_as_sellers_write_them(text: object, expected: int) -> None:
    assert v.parse_price_vnd(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("125.5", "ambiguous", id="one-decimal"),
        pytest.param("12,50", "ambiguous", id="comma-decimal"),
        pytest.param("125000.00", "ambiguous", id="cents"),
        pytest.param("1.250,000", "not a number", id="mixed-separators"),
        pytest.param("1.25.000", "not a number", id="bad-groups"),
        pytest.param("0", "not a positive price", id="zero"),
        pytest.param("-5000", "not a positive price", id="negative"),
        pytest.param("125k", "not a number", id="k-suffix"),
        pytest.param("abc", "not a number", id="words"),
        pytest.param("đ", "has no amount", id="sign-only"),
        pytest.param(125000.5, "not a whole number", id="xlsx-fraction"),
        pytest.param(True, "true/false", id="boolean"),
        pytest.param("99999999999", "beyond any plausible price", id="absurd"),
        pytest.param("", "required", id="empty"),
    ],
)
def test_prices_that_are_refused_say_why(text: object, reason: str) -> None:
    with pytest.raises(v.CellError, match=reason):
        v.parse_price_vnd(text)


@given(
    st.integers(min_value=1, max_value=v.MAX_PRICE_VND),
    st.sampled_from([".", ",", " "]),
    st.sampled_from(["", " đ", "₫", " VND"]),
)
def test_any_grouped_price_parses_back_to_its_value(amount: int, separator: str, suffix: str) -> None:
    written = f"{amount:,}".replace(",", separator) + suffix
    assert v.parse_price_vnd(written) == amount


@given(st.text(max_size=20))
def test_price_parsing_never_crashes_and_never_returns_a_non_positive(text: str) -> None:
    try:
        price = v.parse_price_vnd(text)
    except v.CellError:
        return
    assert isinstance(price, int) and 0 < price <= v.MAX_PRICE_VND


def test_text_is_normalised_to_nfc() -> None:
    decomposed = "Ga\u0323o"  # "ạ" as a + combining dot below, as some keyboards type it
    composed = "G\u1ea1o"
    assert decomposed != composed
    assert v.parse_text(decomposed) == composed


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3), ("4 sao", 4), ("★★★★★", 5), (5, 5), (4.0, 4), ("", None), (None, None)],
)
def test_ocop_stars(value: object, expected: int | None) -> None:
    assert v.parse_ocop_stars(value) == expected


@pytest.mark.parametrize("value", ["2", "6", "bốn", "4.5"])
def test_ocop_stars_outside_three_to_five_are_refused(value: str) -> None:
    with pytest.raises(v.CellError, match="3, 4 or 5"):
        v.parse_ocop_stars(value)


@pytest.mark.parametrize(
    ("value", "expected"), [("12,5", 12.5), ("12.5", 12.5), ("30", 30.0), ("30 cm", 30.0), (7, 7.0)]
)
def test_dimensions_accept_decimal_comma(value: object, expected: float) -> None:
    assert v.parse_dimension_cm(value) == expected


def test_counts_allow_thousand_groups_but_not_negatives() -> None:
    assert v.parse_count("1.200", what="units") == 1200
    assert v.parse_count(None, what="units") is None
    with pytest.raises(v.CellError, match="at least 0"):
        v.parse_count("-1", what="units")
    with pytest.raises(v.CellError, match="above 0"):
        v.parse_count("0", what="grams", positive=True)


def test_sku_refuses_spaces_and_accents() -> None:
    assert v.parse_sku(" GAO-ST25_5KG ") == "GAO-ST25_5KG"
    for bad in ("GẠO-5KG", "GAO 5KG", "-GAO"):
        with pytest.raises(v.CellError, match="not a valid SKU"):
            v.parse_sku(bad)


def test_images_urls_and_local_files(tmp_path: Path) -> None:
    (tmp_path / "anh.jpg").write_bytes(b"\xff\xd8")
    images = v.parse_images("https://cdn.example/a.jpg | anh.jpg", base_dir=tmp_path)
    assert images == ("https://cdn.example/a.jpg", str((tmp_path / "anh.jpg").resolve()))
    with pytest.raises(v.CellError, match="was not found"):
        v.parse_images("missing.jpg", base_dir=tmp_path)
    with pytest.raises(v.CellError, match="same image twice"):
        v.parse_images("https://x.example/a.jpg|https://x.example/a.jpg", base_dir=None)


def test_attributes_pairs_and_errors() -> None:
    assert v.parse_attributes("Hạn sử dụng: 12 tháng|Bảo quản: Nơi khô ráo") == {
        "Hạn sử dụng": "12 tháng",
        "Bảo quản": "Nơi khô ráo",
    }
    assert v.parse_attributes({"Xuất xứ": "Trà Vinh"}) == {"Xuất xứ": "Trà Vinh"}
    with pytest.raises(v.CellError, match="name: value"):
        v.parse_attributes("just words")
    with pytest.raises(v.CellError, match="given twice"):
        v.parse_attributes("A: 1|A: 2")


def test_urls_must_be_web_addresses() -> None:
    assert v.parse_url("https://truyxuat.example/tv/1") == "https://truyxuat.example/tv/1"
    with pytest.raises(v.CellError, match="web address"):
        v.parse_url("truyxuat.example/tv/1")


def test_a_text_repeated_down_a_column_is_parsed_once_and_refused_on_every_row() -> None:
    parser = RowParser(base_dir=None, default_seller=None)
    good = [parser.parse(n, row(variant_sku=f"V{n}", price_vnd="175.000 đ")) for n in (2, 3)]
    bad = [parser.parse(n, row(variant_sku=f"V{n}", price_vnd="175k")) for n in (4, 5)]
    assert [p.variant["price_vnd"] for p in good if not isinstance(p, list)] == [175000, 175000]
    assert [[(p.row, p.column) for p in problems] for problems in bad if isinstance(problems, list)] == [
        [(4, "price_vnd")],
        [(5, "price_vnd")],
    ]

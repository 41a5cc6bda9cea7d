"""The TikTok mapper: Vietnam's rules found before any request, each problem worded for the seller."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from connectors.tiktok.mapper import map_product, render_title
from connectors.tiktok.payload import TikTokProduct
from core.catalog.records import OptionValue, VariantRecord
from core.ports import AccountRules, MappedListing, Problem
from tests.connectors.conftest import product
from tests.connectors.tiktok_fixtures import make_config


def _map(**overrides: Any) -> MappedListing[TikTokProduct] | list[Problem]:
    config_overrides = overrides.pop("config", {})
    return map_product(product(**overrides), AccountRules(), make_config(**config_overrides))


def _problems(**overrides: Any) -> dict[str, str]:
    mapped = _map(**overrides)
    assert isinstance(mapped, list), "expected problems"
    return {p.field: p.message for p in mapped}


def test_a_product_maps_with_the_title_template() -> None:
    mapped = _map(name="Bưởi da xanh Hưng Hòa", origin_province="Bến Tre", ocop_stars=4)
    assert isinstance(mapped, MappedListing)
    content = mapped.content
    assert content.title == "Bưởi da xanh Hưng Hòa – Bến Tre – OCOP 4 sao"
    assert content.description.startswith("<p>Sản phẩm OCOP 4 sao")
    assert (content.category_id, content.weight_kg, content.dimensions_cm) == ("600151", "0.55", (20, 11, 5))
    assert [s.sales_attributes[0].value_name for s in content.skus] == ["200g", "500g"]
    assert mapped.prices == {"TRA-TC-200": 120_000, "TRA-TC-500": 280_000}
    assert {a.id: a.values for a in content.attributes} == {"100001": ("HTX Tân Cương",), "100198": ("Bến Tre",)}


def test_an_empty_part_of_the_title_goes_with_its_separator() -> None:
    tea = product(name="Trà xanh", origin_province=None, ocop_stars=3)
    assert render_title("{name} – {origin_province} – OCOP {ocop_stars} sao", tea) == "Trà xanh – OCOP 3 sao"


def test_a_title_still_too_short_names_the_product() -> None:
    problems = _problems(name="Muối tôm", origin_province=None, ocop_stars=None)
    assert "Muối tôm" in problems["name"] and "25" in problems["name"]


def test_a_title_too_long_is_never_cut() -> None:
    assert "at most 255" in _problems(name="Trà " * 80)["name"]


def test_a_seller_sku_with_a_space_or_too_long_is_refused() -> None:
    variants = (VariantRecord(sku="TRA TC", price_vnd=1000), VariantRecord(sku="T" * 51, price_vnd=1000))
    assert "without spaces" in _problems(variants=variants)["sku"]


def test_ten_images_are_too_many() -> None:
    assert "1 to 9 images" in _problems(images=tuple(f"https://img.test/{i}.jpg" for i in range(10)))["images"]


def test_a_required_attribute_nothing_gives_is_a_problem() -> None:
    rows = [
        {
            "category_id": "600151",
            "attribute_id": "100198",
            "name": "Xuất xứ",
            "source": "origin_province",
            "required": True,
        }
    ]
    problems = _problems(origin_province=None, config={"attributes": rows})
    assert "Xuất xứ" in problems["attributes"] and "origin_province" in problems["attributes"]


def test_the_heaviest_variant_is_declared_with_a_warning() -> None:
    variants = (
        VariantRecord(sku="GAO-2", options=(OptionValue(name="Túi", value="2kg"),), price_vnd=60_000, weight_g=2100),
        VariantRecord(
            sku="GAO-10", options=(OptionValue(name="Túi", value="10kg"),), price_vnd=250_000, weight_g=10300
        ),
    )
    mapped = map_product(
        product(variants=variants).model_copy(update={"variants": variants}), AccountRules(), make_config()
    )
    assert isinstance(mapped, MappedListing)
    assert mapped.content.weight_kg == "10.3"
    assert [w.field for w in mapped.warnings] == ["weight_g"]
    assert "10300 g" in mapped.warnings[0].message


def test_prices_outside_tiktoks_range_and_unmapped_categories() -> None:
    variants = (VariantRecord(sku="VANG-1", price_vnd=200_000_000),)
    problems = _problems(variants=variants, category="Vàng")
    assert "180,000,000" in problems["price"]
    assert "categories map tiktok" in problems["category"]


def test_more_than_three_option_names_are_refused() -> None:
    options = tuple(OptionValue(name=n, value=v) for n, v in zip("ABCD", "1234", strict=True))
    variants = (
        VariantRecord(sku="X-1", options=options, price_vnd=1000),
        VariantRecord(sku="X-2", options=(*options[:3], OptionValue(name="D", value="5")), price_vnd=1000),
    )
    assert "at most 3 option names" in _problems(variants=variants)["variants"]


@given(text=st.text(min_size=1, max_size=20_000))
def test_the_description_never_passes_the_limit(text: str) -> None:
    mapped = _map(description=text)
    if isinstance(mapped, MappedListing):
        assert len(mapped.content.description) <= 10_000

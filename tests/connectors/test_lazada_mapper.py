"""The Lazada mapper: every problem found before a request (images, packages per SKU, required attributes,
variants), the brand map or "No Brand", a renamed SellerSku said in the plan, and properties of packages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.lazada.mapper import html_description, map_product
from connectors.lazada.payload import LazadaProduct
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.ports import AccountRules, MappedListing, Problem, VariantStatus, payload_hash
from tests.connectors.conftest import product
from tests.connectors.lazada_fixtures import make_config

CONFIG = make_config()


def _variant(sku: str, value: str, **fields: Any) -> VariantRecord:
    fields.setdefault("price_vnd", 100_000)
    return VariantRecord(sku=sku, options=(OptionValue(name="Khối lượng", value=value),), **fields)


def _mapped(record: ProductRecord, **overrides: Any) -> MappedListing[LazadaProduct]:
    mapped = map_product(record, AccountRules(), make_config(**overrides) if overrides else CONFIG)
    assert not isinstance(mapped, list), mapped
    return mapped


def _problems(record: ProductRecord, **overrides: Any) -> list[Problem]:
    mapped = map_product(record, AccountRules(), make_config(**overrides) if overrides else CONFIG)
    assert isinstance(mapped, list), "expected problems"
    return mapped


def test_each_sku_declares_its_own_package_rounded_up_to_two_decimals() -> None:
    small = _variant("TRA-200", "200g", weight_g=203, length_cm=10.001, width_cm=8, height_cm=3)
    bag = _variant("TRA-5KG", "5kg", weight_g=5000, length_cm=40, width_cm=30, height_cm=12.5)
    skus = _mapped(product().model_copy(update={"variants": (small, bag)})).content.skus
    assert [(s.seller_sku, s.package_weight, s.package_length, s.package_width, s.package_height) for s in skus] == [
        ("TRA-200", "0.21", "10.01", "8", "3"),
        ("TRA-5KG", "5", "40", "30", "12.5"),
    ]
    assert [s.sale_props[0].model_dump() for s in skus] == [
        {"name": "variation", "value": "200g"},
        {"name": "variation", "value": "5kg"},
    ]


def test_a_variant_without_a_package_ships_as_the_product_does() -> None:
    boxed = _variant("TRA-200", "200g", weight_g=300, length_cm=20, width_cm=10, height_cm=5)
    bare = _variant("TRA-100", "100g")
    skus = _mapped(product().model_copy(update={"variants": (boxed, bare)})).content.skus
    assert (skus[1].package_weight, skus[1].package_length) == ("0.3", "20")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        pytest.param({"weight_g": 40_001}, "weight_g", "at most 40 kg", id="over-40-kg"),
        pytest.param({"length_cm": 150, "width_cm": 100, "height_cm": 51}, "dimensions", "at most 300 cm", id="sides"),
        pytest.param({"height_cm": None}, "dimensions", "length, width and height", id="two-sides-only"),
    ],
)
def test_a_package_lazada_would_refuse_is_a_problem_naming_the_sku(
    fields: dict[str, Any], field: str, words: str
) -> None:
    record = product()
    variants = (record.variants[0].model_copy(update=fields), record.variants[1])
    problems = _problems(record.model_copy(update={"variants": variants}))
    assert [(p.field, words in p.message, "TRA-TC-200" in p.message) for p in problems] == [(field, True, True)]


def test_a_product_whose_variants_give_no_weight_is_a_problem_per_sku() -> None:
    record = product(weight_g=None)
    problems = _problems(record)
    assert [(p.field, p.message) for p in problems] == [
        ("weight_g", "TRA-TC-200: Lazada needs each SKU's package weight"),
        ("weight_g", "TRA-TC-500: Lazada needs each SKU's package weight"),
    ]


@pytest.mark.parametrize(("count", "ok"), [(0, False), (1, True), (8, True), (9, False)])
def test_one_to_eight_images(count: int, ok: bool) -> None:
    record = product(images=tuple(f"https://img.test/{n}.jpg" for n in range(count)))
    mapped = map_product(record, AccountRules(), CONFIG)
    assert isinstance(mapped, list) is not ok
    if not ok:
        assert isinstance(mapped, list) and mapped[0].field == "images" and "1 to 8" in mapped[0].message


def test_the_brand_map_gives_the_brand_id_else_no_brand() -> None:
    record = product(brand="HTX Tân Cương")
    assert _mapped(record).content.brand_id == "20000001"
    assert _mapped(record, brand_ids={"HTX Tân Cương": 20000002}).content.brand_id == "20000002"
    assert _mapped(record, listing={"no_brand_id": "777"}).content.brand_id == "777"


def test_a_required_attribute_is_filled_from_the_catalog_or_the_maps_fixed_value() -> None:
    fruit = product(category="Trái cây")
    assert [a.model_dump() for a in _mapped(fruit).content.attributes] == [
        {"name": "country_origin", "value": "Việt Nam"}
    ]
    imported = fruit.model_copy(update={"attributes": {"Xuất xứ quốc gia": "Nhập khẩu"}})
    assert _mapped(imported).content.attributes[0].value == "Nhập khẩu"


def test_a_required_attribute_nothing_fills_is_a_problem_before_any_request() -> None:
    rows = [{"category_id": "10000151", "attribute": "shelf_life", "label": "Hạn sử dụng",
             "source": "attribute:Hạn sử dụng", "required": True}]  # fmt: skip
    problems = _problems(product(), attributes=rows)
    assert [(p.field, p.message) for p in problems] == [
        ("attributes", "Lazada requires 'Hạn sử dụng' for category 10000151; give the product's Hạn sử dụng")
    ]


def test_a_category_without_a_lazada_leaf_is_a_problem() -> None:
    problems = _problems(product(category="Gốm"))
    assert problems[0].field == "category" and "chosync categories map lazada" in problems[0].message


def test_variants_must_differ_and_share_their_option_names() -> None:
    twins = (_variant("A-1", "1kg", weight_g=1000), _variant("A-2", "1kg", weight_g=1000))
    assert "same options" in _problems(product().model_copy(update={"variants": twins}))[0].message
    boxed = VariantRecord(sku="A-2", options=(OptionValue(name="Loại", value="hộp"),), price_vnd=1, weight_g=1)
    odd = (_variant("A-1", "1kg", weight_g=1000), boxed)
    assert "same option names" in _problems(product().model_copy(update={"variants": odd}))[0].message


def test_a_seller_sku_with_a_space_is_a_problem() -> None:
    record = product()
    variants = (record.variants[0].model_copy(update={"sku": "TRA TC 200"}), record.variants[1])
    assert _problems(record.model_copy(update={"variants": variants}))[0].field == "sku"


def test_a_renamed_seller_sku_is_said_to_be_a_removal_and_a_new_sku() -> None:
    record = product()
    old, large = record.variants
    renamed = old.model_copy(update={"sku": "TRA-TC-0200"})
    archived = old.model_copy(update={"status": VariantStatus.ARCHIVED})
    mapped = _mapped(record.model_copy(update={"variants": (archived, renamed, large)}))
    assert [s.seller_sku for s in mapped.content.skus] == ["TRA-TC-0200", "TRA-TC-500"]
    [warning] = mapped.warnings
    assert warning.field == "sku"
    assert (
        "cannot rename a SellerSku: TRA-TC-200 → TRA-TC-0200" in warning.message
        and "delist plus create" in warning.message
    )


def test_the_description_is_escaped_rich_text_within_lazadas_length() -> None:
    record = product(description="Trà <ngon> & thơm\n" + "lá " * 20_000)
    text = _mapped(record).content.description
    assert len(text) <= 25_000
    assert "Trà &lt;ngon&gt; &amp; thơm<br/>" in text
    assert html_description("a\nb") == "a<br/>b"


@settings(max_examples=60)
@given(grams=st.integers(min_value=1, max_value=40_000), side=st.floats(min_value=0.001, max_value=99.0))
def test_a_package_is_never_declared_lighter_or_smaller_than_it_is(grams: int, side: float) -> None:
    variant = _variant("P-1", "x", weight_g=grams, length_cm=side, width_cm=side, height_cm=side)
    [sku] = _mapped(product().model_copy(update={"variants": (variant,)})).content.skus
    assert Decimal(sku.package_weight) >= Decimal(grams) / 1000
    assert Decimal(sku.package_weight) - Decimal(grams) / 1000 < Decimal("0.01")
    assert Decimal(sku.package_length or "0") >= Decimal(str(side))
    for text in (sku.package_weight, sku.package_length or ""):
        assert len(text.partition(".")[2]) <= 2


@settings(max_examples=40)
@given(prices=st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=5, unique=True))
def test_mapping_is_pure_and_prices_stay_whole_dong(prices: list[int]) -> None:
    box = {"weight_g": 1000, "length_cm": 10, "width_cm": 10, "height_cm": 10}
    variants = tuple(_variant(f"P-{n}", f"{n}kg", price_vnd=p, **box) for n, p in enumerate(prices))
    record = product().model_copy(update={"variants": variants})
    first, second = _mapped(record), _mapped(record)
    assert payload_hash(first.content) == payload_hash(second.content)
    assert first.prices == {f"P-{n}": p for n, p in enumerate(prices)}

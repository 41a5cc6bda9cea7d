"""The Shopee mapper: limits checked before any request, problems in plain words, prices exact."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.shopee.config import ShopeeConfig
from connectors.shopee.mapper import map_item
from connectors.shopee.payload import ShopeeItem, add_item_body, init_tier_variation_body, update_item_body
from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.models import VariantStatus
from core.ports import AccountRules, MappedListing, Problem, payload_hash
from tests.connectors.conftest import make_config, product


def _mapped(
    p: ProductRecord, config: ShopeeConfig | None = None, rules: AccountRules | None = None
) -> MappedListing[ShopeeItem]:
    result = map_item(p, rules or AccountRules(), config or make_config())
    assert not isinstance(result, list), result
    return result


def _problems(p: ProductRecord, config: ShopeeConfig | None = None, rules: AccountRules | None = None) -> list[Problem]:
    result = map_item(p, rules or AccountRules(), config or make_config())
    assert isinstance(result, list), "expected problems"
    return result


def _variant(sku: str, price: int = 100_000, /, **options: str) -> VariantRecord:
    return VariantRecord(
        sku=sku,
        price_vnd=price,
        stock=5,
        options=tuple(OptionValue(name=k, value=v) for k, v in options.items()),
    )


def test_a_product_with_variants_maps_to_tiers_and_models() -> None:
    listing = _mapped(product())
    item = listing.content
    assert item.item_sku == "TRA-TC"
    assert item.category_id == 100123
    assert item.weight_kg == 0.55
    assert item.dimension is not None
    assert (item.dimension.package_length, item.dimension.package_width, item.dimension.package_height) == (
        20,
        11,
        5,
    )
    assert [t.name for t in item.tiers] == ["Khối lượng"]
    assert item.tiers[0].options == ("200g", "500g")
    assert [(m.model_sku, m.tier_index) for m in item.models] == [("TRA-TC-200", (0,)), ("TRA-TC-500", (1,))]
    assert listing.prices == {"TRA-TC-200": 120_000, "TRA-TC-500": 280_000}
    assert listing.stocks == {"TRA-TC-200": 30, "TRA-TC-500": 12}
    assert item.brand is not None
    assert (item.brand.brand_id, item.brand.original_brand_name) == (0, "HTX Tân Cương")


def test_the_description_carries_the_ocop_facts_from_the_template() -> None:
    description = _mapped(product()).content.description
    assert description.startswith("Sản phẩm OCOP 4 sao ★★★★\nGiấy chứng nhận OCOP số: OCOP-TN-2023-0042\n")
    assert "Xuất xứ: Tân Cương, Thái Nguyên" in description
    assert "Truy xuất nguồn gốc tại: https://truyxuat.test/TRA-TC" in description
    assert "Năm được công nhận" not in description  # no ocop_year: the line is dropped
    assert "Mã truy xuất" not in description
    assert description.endswith("Trà búp non hái tay, sao thủ công trên chảo gang.")


def test_a_long_seller_description_is_shortened_but_the_facts_are_kept() -> None:
    listing = _mapped(product(description="Chè ngon. " * 500))
    description = listing.content.description
    assert len(description) <= 2000
    assert "OCOP-TN-2023-0042" in description
    assert "https://truyxuat.test/TRA-TC" in description
    assert description.endswith("…")


def test_account_rules_apply_to_prices_and_stock() -> None:
    rules = AccountRules(price_markup_percent=10, round_to_vnd=1000, stock_buffer=2, stock_share_percent=50)
    listing = _mapped(product(), rules=rules)
    assert listing.prices == {"TRA-TC-200": 132_000, "TRA-TC-500": 308_000}
    assert listing.stocks == {"TRA-TC-200": 14, "TRA-TC-500": 5}


def test_a_single_variant_without_options_has_no_models() -> None:
    listing = _mapped(product(variants=(VariantRecord(sku="MO-1", price_vnd=150_000, stock=3),)))
    assert listing.content.tiers == ()
    assert listing.content.models == ()
    body = add_item_body(listing, ["img-1"])
    assert body["original_price"] == 150_000
    assert body["seller_stock"] == [{"stock": 3}]


def test_two_option_names_become_two_tiers() -> None:
    variants = (
        _variant("A-S-R", **{"Cỡ": "S", "Màu": "Đỏ"}),
        _variant("A-S-B", **{"Cỡ": "S", "Màu": "Xanh"}),
        _variant("A-M-R", **{"Cỡ": "M", "Màu": "Đỏ"}),
    )
    item = _mapped(product(variants=variants)).content
    assert [(t.name, t.options) for t in item.tiers] == [("Cỡ", ("S", "M")), ("Màu", ("Đỏ", "Xanh"))]
    assert [m.tier_index for m in item.models] == [(0, 0), (0, 1), (1, 0)]


def test_archived_variants_are_left_out() -> None:
    archived = VariantRecord(
        sku="TRA-TC-1KG",
        price_vnd=500_000,
        options=(OptionValue(name="Khối lượng", value="1kg"),),
        status=VariantStatus.ARCHIVED,
    )
    listing = _mapped(product(variants=(*product().variants, archived)))
    assert "TRA-TC-1KG" not in listing.prices


PROBLEMS: list[Any] = [
    pytest.param({"name": "Trà " + "ngon " * 30}, "name", "Shopee allows at most 100", id="title-too-long"),
    pytest.param({"name": "Trà"}, "name", "too short", id="title-too-short"),
    pytest.param({"images": ()}, "images", "at least 1 image", id="no-image"),
    pytest.param(
        {"images": tuple(f"https://i.test/{i}.jpg" for i in range(12))},
        "images",
        "at most 9",
        id="too-many-images",
    ),
    pytest.param({"images": ("https://i.test/a.webp",)}, "images", "JPG and PNG", id="webp"),
    pytest.param(
        {"category": "Gốm"},
        "category",
        "category Gốm has no Shopee category mapped; run chosync categories map shopee FILE",
        id="unmapped-category",
    ),
    pytest.param({"weight_g": None}, "weight_g", "weight", id="no-weight"),
    pytest.param({"height_cm": None}, "dimensions", "all three", id="partial-dimensions"),
    pytest.param(
        {"variants": (_variant("A", 10_000, Cỡ="S"), _variant("B", 60_000, Cỡ="M"))},
        "price",
        "at most 5 times",
        id="price-ratio",
    ),
    pytest.param(
        {"variants": (_variant("A", Cỡ="S"), _variant("B", Cỡ="S"))},
        "variants",
        "same options",
        id="duplicate-options",
    ),
    pytest.param(
        {"variants": (_variant("A"), _variant("B"))},
        "variants",
        "tell them apart",
        id="variants-without-options",
    ),
    pytest.param(
        {"variants": (_variant("A", **{"Cỡ": "S"}), _variant("B", **{"Màu": "Đỏ"}))},
        "variants",
        "same option names",
        id="mixed-option-names",
    ),
    pytest.param(
        {"variants": (_variant("A", a="1", b="1", c="1"), _variant("B", a="2", b="1", c="1"))},
        "variants",
        "at most 2 option names",
        id="three-tiers",
    ),
    pytest.param(
        {
            "variants": (
                _variant("A", **{"Khối lượng tịnh x": "1"}),
                _variant("B", **{"Khối lượng tịnh x": "2"}),
            )
        },
        "variants",
        "option name",
        id="tier-name-too-long",
    ),
    pytest.param(
        {"variants": (_variant("A", Cỡ="rất rất rất rất lớn nhất"), _variant("B", Cỡ="S"))},
        "variants",
        "option value",
        id="option-too-long",
    ),
    pytest.param(
        {"variants": tuple(_variant(f"V{i}", Cỡ=str(i)) for i in range(51))},
        "variants",
        "at most 50",
        id="too-many-models",
    ),
    pytest.param({"variants": ()}, "variants", "no active variant", id="no-variants"),
    pytest.param(
        {
            "description": "#a " * 19,
            "ocop_stars": None,
            "ocop_certificate": None,
            "origin_province": None,
            "origin_district": None,
            "traceability_url": None,
        },
        "description",
        "hashtags",
        id="too-many-hashtags",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), PROBLEMS)
def test_limits_are_problems_before_any_request(changes: dict[str, Any], field: str, message: str) -> None:
    problems = _problems(product(**changes))
    assert any(p.field == field and message in p.message for p in problems), problems
    assert all(p.sku == "TRA-TC" for p in problems)


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(product(name="Trà", images=(), category="Gốm", weight_g=None))
    assert {p.field for p in problems} >= {"name", "images", "category", "weight_g"}


def test_price_limits_from_config() -> None:
    config = make_config(limits={"price_min_vnd": 1000, "price_max_vnd": 200_000})
    problems = _problems(product(), config=config)
    assert [p.message for p in problems] == ["TRA-TC-500 costs 280.000 đ; Shopee's maximum is 200.000 đ"]


def test_no_shipping_channel_is_a_problem() -> None:
    problems = _problems(product(), config=make_config(logistics=[]))
    assert [p.field for p in problems] == ["logistics"]


def test_required_dimensions_when_the_shop_ships_by_size() -> None:
    config = make_config(listing={"dimension_required": True})
    problems = _problems(product(length_cm=None, width_cm=None, height_cm=None), config=config)
    assert [p.field for p in problems] == ["dimensions"]


def test_attributes_fill_from_the_older_flat_attribute_map() -> None:
    config = make_config(
        attribute_map_file=None,  # only the flat settings (per-category rules: test_shopee_attributes.py)
        attribute_map={"brand": 100001, "origin": 100002, "Hạn sử dụng": 100003},
        required_attributes={"100123": [100002, 100003]},
    )
    item = _mapped(product(attributes={"Hạn sử dụng": "12 tháng"}), config=config).content
    values = {a.attribute_id: a.attribute_value_list[0].original_value_name for a in item.attribute_list}
    assert values == {100001: "HTX Tân Cương", 100002: "Tân Cương, Thái Nguyên", 100003: "12 tháng"}
    assert all(a.attribute_value_list[0].value_id == 0 for a in item.attribute_list)


def test_a_required_attribute_of_the_older_flat_map_without_mapping_or_value_is_a_problem() -> None:
    config = make_config(
        attribute_map_file=None, attribute_map={"Hạn sử dụng": 100003}, required_attributes={"*": [100003, 100009]}
    )
    messages = [p.message for p in _problems(product(), config=config)]
    assert any("requires attribute 100003" in m and "Hạn sử dụng" in m for m in messages)
    assert any("attribute 100009" in m and "attribute map" in m for m in messages)


def test_registered_brands_use_their_id_and_brand_can_be_left_out() -> None:
    item = _mapped(product(), config=make_config(brand={"brand_ids": {"HTX Tân Cương": 777}})).content
    assert item.brand is not None
    assert item.brand.brand_id == 777
    assert _mapped(product(brand=None)).content.brand is not None
    assert _mapped(product(), config=make_config(brand={"send": False})).content.brand is None


def test_request_bodies() -> None:
    listing = _mapped(product())
    add = add_item_body(listing, ["i1", "i2"])
    assert add["image"] == {"image_id_list": ["i1", "i2"]}
    assert add["weight"] == 0.55
    assert add["original_price"] == 120_000
    assert add["logistic_info"] == [{"logistic_id": 50021, "enabled": True, "is_free": False}]
    assert add["item_status"] == "NORMAL"
    tiers = init_tier_variation_body(42, listing, location_id="VNZ")
    assert tiers["tier_variation"] == [{"name": "Khối lượng", "option_list": [{"option": "200g"}, {"option": "500g"}]}]
    assert tiers["model"][1] == {
        "tier_index": [1],
        "original_price": 280_000,
        "model_sku": "TRA-TC-500",
        "seller_stock": [{"location_id": "VNZ", "stock": 12}],
    }
    update = update_item_body(42, listing, ["i1"])
    assert update["item_id"] == 42
    assert "original_price" not in update
    # An update puts the item on sale: a delisted product that is active again comes back this way.
    assert update["item_status"] == "NORMAL"
    assert "item_status" not in update_item_body(42, listing, ["i1"], item_status=None)


def test_the_mapper_is_pure_and_its_hash_stable() -> None:
    assert payload_hash(_mapped(product()).content) == payload_hash(_mapped(product()).content)
    changed = _mapped(
        product(variants=(product().variants[0].model_copy(update={"price_vnd": 125_000}), product().variants[1]))
    )
    assert payload_hash(changed.content) == payload_hash(_mapped(product()).content)  # price is not content


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=140)
_option = st.text(alphabet="abcdefghịêơư0123456789 ", min_size=1, max_size=24)


@st.composite
def _products(draw: st.DrawFn) -> ProductRecord:
    tiers = draw(st.integers(min_value=0, max_value=3))
    names = [f"Tùy chọn {i}" for i in range(tiers)] if draw(st.booleans()) else [f"Opt{i}" * 3 for i in range(tiers)]
    count = draw(st.integers(min_value=1, max_value=60)) if tiers else 1
    variants = tuple(
        VariantRecord(
            sku=f"V-{i}",
            price_vnd=draw(st.integers(min_value=1, max_value=10**9)),
            stock=draw(st.integers(min_value=0, max_value=20_000_000)),
            options=tuple(OptionValue(name=name, value=draw(_option)) for name in names),
        )
        for i in range(count)
    )
    return product(
        name=draw(_text),
        description=draw(st.text(max_size=4000)),
        images=tuple(
            draw(
                st.lists(
                    st.sampled_from(["https://i.test/a.jpg", "/tmp/b.png", "https://i.test/c.gif"]),
                    max_size=12,
                )
            )
        ),
        category=draw(st.sampled_from(["Trà", "Mật ong", "Gốm"])),
        weight_g=draw(st.one_of(st.none(), st.integers(min_value=1, max_value=50_000))),
        ocop_certificate=draw(st.one_of(st.none(), _text)),
        variants=variants,
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(p=_products(), markup=st.integers(min_value=0, max_value=5000), step=st.sampled_from([0, 100, 1000]))
def test_mapper_property_payload_within_limits_or_problems(p: ProductRecord, markup: int, step: int) -> None:
    config = make_config()
    limits = config.limits
    result = map_item(p, AccountRules(price_markup_percent=markup / 100, round_to_vnd=step), config)
    if isinstance(result, list):
        assert result
        assert all(problem.sku == p.sku and problem.message for problem in result)
        return
    item = result.content
    assert limits.name_min_chars <= len(item.item_name) <= limits.name_max_chars
    assert limits.description_min_chars <= len(item.description) <= limits.description_max_chars
    assert limits.images_min <= len(item.images) <= limits.images_max
    assert len(item.tiers) <= limits.tiers_max
    assert len(item.models) <= limits.models_max
    assert all(len(t.name) <= limits.tier_name_max_chars for t in item.tiers)
    assert all(len(o) <= limits.option_max_chars for t in item.tiers for o in t.options)
    assert all(type(price) is int and price > 0 for price in result.prices.values())
    assert all(type(stock) is int and 0 <= stock <= limits.stock_max for stock in result.stocks.values())
    assert max(result.prices.values()) <= limits.variant_price_ratio_max * min(result.prices.values())
    assert set(result.prices) == set(result.stocks) == ({m.model_sku for m in item.models} or {p.variants[0].sku})

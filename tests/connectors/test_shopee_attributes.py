"""Shopee attributes per category: the shipped map, value ids, units, length limits, problems before any request."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.shopee.attributes import AttributeRule, AttributeValue, attribute_value, load_attribute_rules
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.mapper import map_item
from connectors.shopee.payload import ShopeeAttribute
from core.catalog.importer import import_catalog
from core.catalog.queries import iter_products
from core.catalog.records import ProductRecord
from core.db import open_store
from core.errors import ConfigError
from core.ports import AccountRules, Problem
from core.sellers import add_seller
from tests.connectors.conftest import make_config, product
from tests.connectors.sandbox_fixtures import honey, shopee_world

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo"
RICE = {"Gạo": 100012, "Trà": 100123}


def _config(**overrides: Any) -> ShopeeConfig:
    return make_config(**{"category_map": RICE, **overrides})


def rice(**attributes: str) -> ProductRecord:
    return product(category="Gạo", origin_province="Trà Vinh", ocop_stars=4, attributes=attributes)


def _attributes(p: ProductRecord, config: ShopeeConfig | None = None) -> dict[int, ShopeeAttribute]:
    result = map_item(p, AccountRules(), config or _config())
    assert not isinstance(result, list), result
    return {a.attribute_id: a for a in result.content.attribute_list}


def _problems(p: ProductRecord, config: ShopeeConfig | None = None) -> list[str]:
    result = map_item(p, AccountRules(), config or _config())
    assert isinstance(result, list), "expected problems"
    assert all(isinstance(problem, Problem) for problem in result)
    return [problem.message for problem in result if problem.field == "attributes"]


def test_the_shipped_map_gives_value_ids_units_and_free_text_per_category() -> None:
    found = _attributes(rice(**{"Hạn sử dụng": "12 tháng", "Tiêu chuẩn": "vietgap", "Chứng nhận": "Hữu cơ"}))
    values = {attribute_id: a.attribute_value_list[0] for attribute_id, a in found.items()}
    assert values == {
        100010: AttributeValue(value_id=1084),  # Xuất xứ: Trà Vinh, a drop-down value (every category)
        100011: AttributeValue(value_id=3004),  # Chứng nhận OCOP: 4 stars
        100101: AttributeValue(original_value_name="12", value_unit="tháng"),  # a number with its unit
        100102: AttributeValue(value_id=2001),  # Tiêu chuẩn: VietGAP, case ignored
        100103: AttributeValue(original_value_name="Hữu cơ"),  # free text
    }


def test_a_category_without_own_rows_gets_only_the_every_category_rows() -> None:
    found = _attributes(product(attributes={"Hạn sử dụng": "12 tháng"}))  # Trà → 100123: no rows of its own
    assert set(found) == {100010, 100011}
    assert found[100010].attribute_value_list[0] == AttributeValue(original_value_name="Thái Nguyên")  # not listed


def test_a_mandatory_attribute_the_product_lacks_is_a_problem_before_any_request() -> None:
    [message] = _problems(rice())
    assert "'Hạn sử dụng' (100101)" in message
    assert "give the product's Hạn sử dụng" in message


def test_a_mandatory_attribute_nothing_is_mapped_to_is_a_problem_naming_the_map() -> None:
    config = _config(attributes=[{"category_id": 100012, "attribute_id": 100199, "name": "Nhà sản xuất",
                                  "required": True}])  # fmt: skip
    messages = _problems(rice(**{"Hạn sử dụng": "12 tháng"}), config)
    assert messages == [
        "Shopee requires 'Nhà sản xuất' (100199) for category 100012 and no product field is mapped to it; "
        "add a row for it to the Shopee attribute map (config/channels/shopee-attributes.csv)"
    ]


def test_a_value_not_in_a_drop_down_is_a_problem_naming_the_values() -> None:
    [message] = _problems(rice(**{"Hạn sử dụng": "12 tháng", "Tiêu chuẩn": "ISO 22000"}))
    assert "'ISO 22000'" in message
    assert "VietGAP, GlobalGAP, Hữu cơ" in message


@pytest.mark.parametrize(
    ("given_text", "sent"),
    [("12 tháng", ("12", "tháng")), ("10 ngày", ("10", "ngày")), ("18", ("18", "tháng")), ("1,5 Năm", ("1.5", "năm"))],
)
def test_a_number_with_a_unit_is_split_and_the_unit_checked(given_text: str, sent: tuple[str, str]) -> None:
    value = _attributes(rice(**{"Hạn sử dụng": given_text}))[100101].attribute_value_list[0]
    assert (value.value_id, value.original_value_name, value.value_unit) == (0, *sent)


@pytest.mark.parametrize("given_text", ["một năm", "12 tuần", "tháng 12"])
def test_a_value_that_is_not_a_number_of_an_accepted_unit_is_a_problem(given_text: str) -> None:
    [message] = _problems(rice(**{"Hạn sử dụng": given_text}))
    assert "as a number of tháng or ngày or năm" in message
    assert given_text in message


def test_a_value_longer_than_the_limit_is_a_problem_not_a_cut() -> None:
    long = "Hữu cơ " * 10  # 69 characters once spaces are tidied; the Chứng nhận row allows 60
    [message] = _problems(rice(**{"Hạn sử dụng": "12 tháng", "Chứng nhận": long}))
    assert "at most 60 characters for 'Chứng nhận' (100103)" in message
    # Without a max_chars of its own a row has the channel's limit.
    config = _config(limits={"attribute_value_max_chars": 5})
    [message] = _problems(product(origin_province="Thái Nguyên"), config)
    assert "at most 5 characters for 'Xuất xứ' (100010)" in message


def test_rows_are_tried_in_order_and_an_account_row_replaces_the_files() -> None:
    fruit = product(category="Trái cây", origin_province="Trà Vinh", attributes={"Xuất xứ": "Xã Hòa Tân, Cầu Kè"})
    config = _config(category_map={"Trái cây": 100015})
    assert _attributes(fruit, config)[100010].attribute_value_list[0].original_value_name == "Xã Hòa Tân, Cầu Kè"
    assert _attributes(fruit.model_copy(update={"attributes": {}}), config)[100010].attribute_value_list[0] == (
        AttributeValue(value_id=1084)
    )
    row = {"category_id": 100015, "attribute_id": 100010, "source": "origin_district"}
    own = _config(category_map={"Trái cây": 100015}, attributes=[row])
    district = fruit.model_copy(update={"origin_district": "Cầu Kè"})
    assert _attributes(district, own)[100010].attribute_value_list[0].original_value_name == "Cầu Kè"


def test_the_request_body_carries_value_ids_and_units_without_empty_fields() -> None:
    from connectors.shopee.payload import add_item_body

    result = map_item(rice(**{"Hạn sử dụng": "12 tháng"}), AccountRules(), _config())
    assert not isinstance(result, list)
    body = {a["attribute_id"]: list(a["attribute_value_list"]) for a in add_item_body(result, ["i"])["attribute_list"]}
    assert body[100010] == [{"value_id": 1084}]
    assert body[100101] == [{"value_id": 0, "original_value_name": "12", "value_unit": "tháng"}]


def test_every_demo_product_maps_without_an_attribute_problem(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        with (DEMO / "sellers.csv").open(encoding="utf-8") as handle:
            for seller in csv.DictReader(handle):
                add_seller(store, seller["code"], name=seller["name"])
        import_catalog(store, DEMO / "catalog.csv")
        with (DEMO / "shopee-categories.csv").open(encoding="utf-8") as handle:
            categories = {r["category"]: int(r["marketplace_category_id"]) for r in csv.DictReader(handle)}
        config = make_config(category_map=categories)
        with store.engine.connect() as conn:
            products = list(iter_products(conn))
    finally:
        store.dispose()
    assert len(products) > 20
    sent = 0
    for p in products:
        result = map_item(p, AccountRules(), config)
        problems = [x for x in result if x.field == "attributes"] if isinstance(result, list) else []
        assert not problems, (p.sku, problems)
        sent += 0 if isinstance(result, list) else len(result.content.attribute_list)
    assert sent > 2 * len(products)


# --- the file --------------------------------------------------------------------------------------


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "attributes.csv"
    header = "category_id,attribute_id,name,source,required,input,units,max_chars,value_ids"
    path.write_text("\n".join((header, *rows)) + "\n", encoding="utf-8")
    return path


def test_the_file_loads_with_comments_and_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "# a comment", "", "*,7,Xuất xứ,origin,,text,,,", "5,8,,,yes,,,,",
                  '5,9,HSD,attribute:Hạn dùng,1,select,tháng|ngày,,"12 tháng=1|6 tháng=2"')  # fmt: skip
    every, required, select = load_attribute_rules(path)
    assert (every.category_id, every.attribute_id, every.source, every.required) == (None, 7, "origin", False)
    assert (required.category_id, required.source, required.required) == (5, "", True)
    assert (select.units, select.value_ids, select.input) == (
        ("tháng", "ngày"),
        {"12 tháng": 1, "6 tháng": 2},
        "select",
    )


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ("*,7,,origin_country,,,,,", "not a catalog field"),
        ("*,7,,attribute:,,,,,", "free attribute's name"),
        ("*,7,,,no,,,,", "mandatory attribute"),
        ("*,7,,origin,,select,,,", "needs value_ids"),
        ("*,7,,origin,maybe,,,,", "yes or no"),
        ("*,7,,origin,,,,,Trà Vinh", "text=id"),
        ("*,x,,origin,,,,,", "attribute_id"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(tmp_path: Path, row: str, why: str) -> None:
    with pytest.raises(ConfigError, match="line 3") as caught:
        load_attribute_rules(_write(tmp_path, "*,1,,brand,,,,,", row))
    assert why in str(caught.value)


def test_a_file_without_the_header_or_missing_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("category,attribute\n1,2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="should start with the header"):
        load_attribute_rules(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        make_config(attribute_map_file=str(tmp_path / "nowhere.csv"))


def test_an_account_names_its_own_map_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "100123,42,Vùng,origin_district,,,,,")
    found = _attributes(product(), make_config(attribute_map_file=str(path)))
    value = AttributeValue(original_value_name="Tân Cương")
    assert found == {42: ShopeeAttribute(attribute_id=42, attribute_value_list=(value,))}


# --- properties ------------------------------------------------------------------------------------

_words = st.text(alphabet="abcđêơư ÁẢ0123456789,.-", max_size=80)


@st.composite
def _rules(draw: st.DrawFn) -> AttributeRule:
    values = draw(st.dictionaries(_words.filter(str.strip), st.integers(1, 10**6), max_size=4))
    select = bool(values) and draw(st.booleans())
    return AttributeRule(
        attribute_id=1,
        source="origin",
        input="select" if select else "text",
        units=tuple(draw(st.lists(st.sampled_from(["tháng", "ngày", "kg", "g"]), unique=True, max_size=3))),
        max_chars=draw(st.one_of(st.none(), st.integers(1, 60))),
        value_ids=values,
    )


@settings(max_examples=300)
@given(rule=_rules(), text=_words, default_max=st.integers(1, 60))
def test_property_a_value_is_what_shopee_takes_or_a_problem(rule: AttributeRule, text: str, default_max: int) -> None:
    result = attribute_value(rule, text, max_chars=default_max)
    if isinstance(result, str):
        assert result  # a sentence for the seller
        return
    tidy = " ".join(text.split())
    mapped = rule.mapped_id(tidy)
    if mapped is not None:
        assert (result.value_id, result.original_value_name) == (mapped, None)
    else:
        assert rule.input == "text"
        assert result.value_id == 0
        assert result.original_value_name is not None
        assert 0 < len(result.original_value_name) <= (rule.max_chars or default_max) or not tidy
    if rule.units:
        assert result.value_unit in rule.units
        if result.original_value_name is not None:
            float(result.original_value_name)  # a plain number
    else:
        assert result.value_unit is None


# --- against the sandbox ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_the_attributes_arrive_on_the_sandbox_item() -> None:
    async with shopee_world() as w:  # Mật ong → 100113 in the sandbox's tree
        ref = await w.shopee.create_listing(
            honey(origin_province="Trà Vinh", ocop_stars=5, attributes={"Hạn sử dụng": "24 tháng"})
        )
        item = w.sandbox.item(int(ref.item_id))
        assert sorted(item.attribute_list, key=lambda a: a["attribute_id"]) == [
            {"attribute_id": 100010, "attribute_value_list": [{"value_id": 1084}]},
            {"attribute_id": 100011, "attribute_value_list": [{"value_id": 3005}]},
            {
                "attribute_id": 100101,
                "attribute_value_list": [{"value_id": 0, "original_value_name": "24", "value_unit": "tháng"}],
            },
        ]

"""What every marketplace's read side shares: whole đồng, data errors that name the marketplace, our cursor."""

from __future__ import annotations

import pytest

from connectors.kit.normalize import decode_cursor, encode_cursor, whole_vnd
from core.errors import PermanentError


@pytest.mark.parametrize("marketplace", ["Shopee", "Postmart"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(175000.0, 175000, id="float"),
        pytest.param("175000.00", 175000, id="decimal-text"),
        pytest.param(" 175000 ", 175000, id="spaced-text"),
        pytest.param(0, 0, id="zero"),
    ],
)
def test_whole_dong_is_read_from_any_number_shape(marketplace: str, value: object, expected: int) -> None:
    assert whole_vnd(value, what="price", marketplace=marketplace) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        pytest.param("175000.50", "non_whole_vnd", "not a whole number of đồng", id="fraction-never-rounded"),
        pytest.param(-1, "non_whole_vnd", "not a whole number of đồng", id="negative"),
        pytest.param("abc", "postmart_data", "which is not an amount", id="text"),
        pytest.param(True, "postmart_data", "which is not an amount", id="bool"),
    ],
)
def test_other_amounts_are_data_errors_naming_the_marketplace(value: object, code: str, message: str) -> None:
    with pytest.raises(PermanentError, match=f"Postmart sent price = .*{message}") as raised:
        whole_vnd(value, what="price", marketplace="Postmart")
    assert raised.value.code == code and raised.value.field == "price"


def test_cursors_round_trip_and_foreign_ones_are_refused_for_every_marketplace() -> None:
    assert decode_cursor(encode_cursor(1717200000), default=0, marketplace="Postmart") == 1717200000
    assert decode_cursor(None, default=42, marketplace="Postmart") == 42
    foreign = [
        "not json",
        "[1]",
        '{"cursor": "abc"}',
        '{"v": 2, "update_time_from": 1}',
        '{"v": 1, "update_time_from": "1"}',
    ]
    for cursor in foreign:
        with pytest.raises(PermanentError, match="the stored Postmart order cursor") as raised:
            decode_cursor(cursor, default=0, marketplace="Postmart")
        assert raised.value.field == "cursor" and raised.value.hint is not None

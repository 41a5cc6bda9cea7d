"""Description templates: empty facts vanish, only the seller's text is ever shortened."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.kit.description import DescriptionTemplate, shorten_at_word
from core.errors import ConfigError

TEMPLATE = DescriptionTemplate.parse(
    "Sản phẩm OCOP {ocop_stars} sao\nXuất xứ: {origin}\nTruy xuất: {traceability_url}\n\n{description}\n\nCảm ơn!"
)


def test_lines_with_only_empty_placeholders_are_dropped() -> None:
    text = TEMPLATE.render({"ocop_stars": "", "origin": "Thái Nguyên", "description": "Trà ngon."}, limit=2000)
    assert text == "Xuất xứ: Thái Nguyên\n\nTrà ngon.\n\nCảm ơn!"


def test_blank_lines_collapse_when_the_description_is_empty() -> None:
    assert TEMPLATE.render({"origin": "Huế"}, limit=2000) == "Xuất xứ: Huế\n\nCảm ơn!"


def test_only_the_description_is_shortened_to_fit() -> None:
    facts = {"ocop_stars": "5", "origin": "Thái Nguyên", "traceability_url": "https://tx.test/1"}
    long_text = " ".join(["chè"] * 400)
    text = TEMPLATE.render({**facts, "description": long_text}, limit=300)
    assert text is not None
    assert len(text) <= 300
    assert "Sản phẩm OCOP 5 sao" in text
    assert "Truy xuất: https://tx.test/1" in text
    assert text.endswith("…\n\nCảm ơn!")


def test_facts_that_do_not_fit_alone_give_none() -> None:
    assert TEMPLATE.render({"traceability_url": "https://tx.test/" + "x" * 100}, limit=50) is None


def test_unknown_placeholders_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ocop_star"):
        DescriptionTemplate.parse("OCOP {ocop_star}", allowed={"ocop_stars"})


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("ngắn", 10, "ngắn", id="fits"),
        pytest.param("một hai ba bốn năm", 12, "một hai ba…", id="word-boundary"),
        pytest.param("Mộthaibabốnnăm", 6, "Mộthai"[:5] + "…", id="no-space-hard-cut"),
        pytest.param("abc", 1, "", id="no-room"),
    ],
)
def test_shorten_at_word(text: str, limit: int, expected: str) -> None:
    assert shorten_at_word(text, limit) == expected


@given(
    description=st.text(min_size=0, max_size=3000),
    origin=st.text(max_size=60),
    limit=st.integers(min_value=0, max_value=2500),
)
def test_rendering_never_exceeds_the_limit_and_never_cuts_facts(description: str, origin: str, limit: int) -> None:
    text = TEMPLATE.render({"description": description, "origin": origin}, limit=limit)
    if text is not None:
        assert len(text) <= limit
        if origin.strip():
            assert f"Xuất xứ: {origin.strip()}" in text

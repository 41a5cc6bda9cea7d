"""A table's rows read two ways: as dicts by column name, and as the cells of chosen columns."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from core.catalog.readers import Table

NAMES = ["sku", "name", "price", "stock", "note"]
cell = st.one_of(st.none(), st.sampled_from(["", " ", "x", "125.000 đ"]), st.integers(0, 9))


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[tuple[int, list[Any]]], list[str]]:
    header = draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))
    width = len(header)
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=width + 3), max_size=8))
    wanted = draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))
    return header, [(n + 2, r) for n, r in enumerate(rows)], wanted


@given(tables())
def test_picked_cells_are_the_dict_rows_values(case: tuple[list[str], list[tuple[int, list[Any]]], list[str]]) -> None:
    header, rows, wanted = case
    as_dicts = [(r.number, r.values) for r in Table(header, iter(rows)).rows()]
    picked = list(Table(header, iter(rows)).picked(wanted))
    assert [(n, tuple(values.get(w) for w in wanted), "\x00extra" in values) for n, values in as_dicts] == picked


def test_a_short_row_reads_as_empty_cells_and_a_long_one_is_flagged_only_when_the_extra_cells_hold_text() -> None:
    rows = [(2, ["A"]), (3, ["B", "b", "", " "]), (4, ["C", "c", "x"])]
    assert list(Table(["sku", "name"], iter(rows)).picked(["name", "sku", "price"])) == [
        (2, (None, "A", None), False),
        (3, ("b", "B", None), False),
        (4, ("c", "C", None), True),
    ]

"""Honesty about what is known: every value of the new channels' tomls says whether it is CONFIRMED,
ASSUMED or OURS: on its line, in the comment just above it, or for a whole table on the table's header
(or the comment just above that)."""

from __future__ import annotations

import re

import pytest

from core.settings import PROJECT_ROOT

MARK = re.compile(r"\b(CONFIRMED|ASSUMED|OURS)\b")
ASSIGNMENT = re.compile(r"^\s*(\"[^\"]*\"|[A-Za-z0-9_{]).*=")


@pytest.mark.parametrize("channel", ["postmart", "voso", "provincial"])
def test_every_value_is_marked_confirmed_assumed_or_ours(channel: str) -> None:
    lines = (PROJECT_ROOT / "config" / "channels" / f"{channel}.toml").read_text(encoding="utf-8").splitlines()
    unmarked = []
    table_marked = False
    comments_above: list[str] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            comments_above.append(stripped)
            continue
        if stripped.startswith("["):
            table_marked = bool(MARK.search(line)) or any(MARK.search(c) for c in comments_above)
        elif ASSIGNMENT.match(line) and not (
            MARK.search(line) or table_marked or any(MARK.search(c) for c in comments_above)
        ):
            unmarked.append(f"{number}: {stripped}")
        if stripped:
            comments_above = []
    assert unmarked == []


def test_postmart_marks_exactly_what_was_read_as_confirmed() -> None:
    """Only the categories call, its fields and the envelope are confirmed (shared/marketplaces/vn-floors.md)."""
    text = (PROJECT_ROOT / "config" / "channels" / "postmart.toml").read_text(encoding="utf-8")
    confirmed = [line.split("=")[0].strip() for line in text.splitlines() if "# CONFIRMED" in line and "=" in line]
    envelope = ["code", "message", "result", "request_method", "success_code"]
    assert confirmed == [*envelope, "categories", "parent_id", "visible", "category"]

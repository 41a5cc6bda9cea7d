"""Listing descriptions rendered from a per-channel text template.

A template is plain text with ``{placeholders}``, one fact a line (``Xuất xứ: {origin}``). Rendering
fills the placeholders; a line whose placeholders are all empty is dropped (a product with no OCOP
rating gets no OCOP line, not ``OCOP  sao``); runs of blank lines collapse into one.

The marketplace limits a description's length. When the rendered text is too long, only the seller's
own free text (the *shortenable* placeholder, ``{description}``) is shortened, at a word boundary and
marked with ``…``: the OCOP, origin and traceability lines are facts a buyer and an inspector rely
on and are never cut. When even the facts alone do not fit, rendering says so (None) and the mapper
reports a problem instead of sending a cut fact.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from core.catalog.records import ProductRecord
from core.errors import ConfigError

__all__ = [
    "TEMPLATE_PLACEHOLDERS",
    "DescriptionTemplate",
    "description_values",
    "origin_of",
    "shorten_at_word",
]

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_ELLIPSIS = "…"
# Cutting back to a space is only worth it if it loses less than this share of the room left.
_WORD_BOUNDARY_SLACK = 0.2


def shorten_at_word(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut at a word boundary and ended with ``…``."""
    if len(text) <= limit:
        return text
    if limit <= len(_ELLIPSIS):
        return ""
    room = limit - len(_ELLIPSIS)
    cut = text[:room]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= room * (1 - _WORD_BOUNDARY_SLACK):
        cut = cut[:space]
    cut = cut.rstrip(" \n\t,;:.-–")
    return f"{cut}{_ELLIPSIS}" if cut else ""


@dataclass(frozen=True, slots=True)
class DescriptionTemplate:
    """A parsed template: its lines and the placeholders each uses."""

    lines: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, *, allowed: Collection[str] | None = None) -> Self:
        """Parse template text; ConfigError names any placeholder the renderer would not know."""
        lines = tuple(unicodedata.normalize("NFC", text).splitlines())
        if allowed is not None:
            unknown = sorted({name for line in lines for name in _PLACEHOLDER.findall(line)} - set(allowed))
            if unknown:
                raise ConfigError(
                    f"description template uses unknown placeholders: {', '.join(unknown)}",
                    hint=f"known placeholders: {', '.join(sorted(allowed))}",
                )
        return cls(lines)

    @classmethod
    def from_file(cls, path: Path, *, allowed: Collection[str] | None = None) -> Self:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read description template {path}: {exc.strerror}") from exc
        return cls.parse(text, allowed=allowed)

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(name for line in self.lines for name in _PLACEHOLDER.findall(line))

    def render(self, values: Mapping[str, str], *, limit: int, shortenable: str = "description") -> str | None:
        """The description within ``limit`` characters, or None when the fixed facts alone exceed it."""
        clean = {name: value.strip() for name, value in values.items()}
        text = self._fill(clean)
        if len(text) <= limit:
            return text
        free = clean.get(shortenable, "")
        # Each pass shortens the free text by exactly the overflow; blank-line collapsing can change the
        # total by a character or two, so a few passes settle it.
        while free:
            overflow = len(text) - limit
            free = shorten_at_word(free, max(0, len(free) - overflow))
            text = self._fill({**clean, shortenable: free})
            if len(text) <= limit:
                return text
        return None

    def _fill(self, values: Mapping[str, str]) -> str:
        out: list[str] = []
        for line in self.lines:
            names = _PLACEHOLDER.findall(line)
            if names and not any(values.get(name) for name in names):
                continue
            filled = _PLACEHOLDER.sub(lambda m: values.get(m[1], ""), line).rstrip()
            if not filled and out and not out[-1]:
                continue  # blank lines collapse
            out.append(filled)
        return "\n".join(out).strip("\n")


# The facts a template may name; every connector's mapper fills them the same way.
TEMPLATE_PLACEHOLDERS = frozenset(
    {
        "name",
        "brand",
        "description",
        "ocop_stars",
        "ocop_stars_symbols",
        "ocop_certificate",
        "ocop_year",
        "origin",
        "traceability_code",
        "traceability_url",
    }
)


def origin_of(product: ProductRecord) -> str:
    """ "Càng Long, Trà Vinh": district then province, whichever are known."""
    return ", ".join(part for part in (product.origin_district, product.origin_province) if part)


def description_values(product: ProductRecord) -> dict[str, str]:
    """The template's placeholders filled from a product (empty text for what it does not give)."""
    stars = product.ocop_stars
    return {
        "name": product.name,
        "brand": product.brand or "",
        "description": product.description,
        "ocop_stars": str(stars) if stars else "",
        "ocop_stars_symbols": "★" * stars if stars else "",
        "ocop_certificate": product.ocop_certificate or "",
        "ocop_year": str(product.ocop_year) if product.ocop_year else "",
        "origin": origin_of(product),
        "traceability_code": product.traceability_code or "",
        "traceability_url": product.traceability_url or "",
    }

"""The TikTok attribute map: which catalog fact fills which product attribute of which category.

TikTok's product attributes are per category (``GET /product/{v}/categories/{id}/attributes``: id, name,
``is_requried``); the map is a CSV in `config/channels/` (``attribute_map_file``), one row per category and
attribute: ``category_id`` (a leaf id, or ``*`` for every category), ``attribute_id``, ``name`` (for
messages), ``source`` (a catalog field such as ``origin_province``, or ``attribute:<name>`` for one of the
product's free attributes; empty for a mandatory attribute nothing of ours fills) and ``required``
(``yes`` when TikTok marks it required). Values are sent by name: TikTok takes ``values[{name}]`` for a
customisable attribute, and a value id is not something our catalog knows.
"""

from __future__ import annotations

import csv
from pathlib import Path

from pydantic import ValidationError

from connectors.tiktok.config import TikTokAttributeRule
from core.catalog.records import ProductRecord
from core.errors import ConfigError

__all__ = ["CATALOG_SOURCES", "catalog_value", "read_attribute_file"]

CATALOG_SOURCES = (
    "brand",
    "origin_province",
    "origin_district",
    "ocop_stars",
    "ocop_certificate",
    "ocop_year",
    "traceability_code",
)
_YES = {"yes", "y", "true", "1", "có"}


def read_attribute_file(path: Path) -> tuple[TikTokAttributeRule, ...]:
    """The rows of the CSV at ``path`` (lines starting with ``#`` skipped); ConfigError naming a bad line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the TikTok attribute map {path}: {exc.strerror}") from exc
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    rules: list[TikTokAttributeRule] = []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        source = (row.get("source") or "").strip()
        if source and source not in CATALOG_SOURCES and not source.startswith("attribute:"):
            raise ConfigError(f"the TikTok attribute map {path}, row {number}: unknown source {source!r}")
        try:
            rules.append(
                TikTokAttributeRule(
                    category_id=(row.get("category_id") or "").strip(),
                    attribute_id=(row.get("attribute_id") or "").strip(),
                    name=(row.get("name") or "").strip(),
                    source=source,
                    required=(row.get("required") or "").strip().casefold() in _YES,
                )
            )
        except ValidationError as exc:
            raise ConfigError(f"the TikTok attribute map {path}, row {number}, is invalid: {exc}") from None
    return tuple(rules)


def catalog_value(product: ProductRecord, source: str) -> str | None:
    """The text ``source`` names in ``product``; None when the product does not give it."""
    if source.startswith("attribute:"):
        value: object = product.attributes.get(source.removeprefix("attribute:").strip())
    else:
        value = getattr(product, source, None)
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None

"""The Lazada attribute map: which catalog fact (or fixed value) fills which attribute of which category.

Lazada's category attributes (``GET /category/attributes/get``: ``name``, ``label``, ``is_mandatory``) are
sent by name in the payload's ``Attributes``. The map is a CSV in `config/channels/` (``attribute_map_file``),
one row per category and attribute, lines starting with ``#`` skipped:

``category_id``  a leaf category id, or ``*`` for every category (a category's own rows for an attribute
                 replace the ``*`` rows for it)
``attribute``    Lazada's attribute name (``country_origin``)
``label``        its label, for messages to the seller
``source``       a catalog field (``origin_province``, ``brand``...) or ``attribute:<name>`` for one of the
                 product's free attributes; several rows for one attribute are tried in order
``value``        a fixed value, sent when the source gives nothing (``Việt Nam`` for every OCOP product)
``required``     ``yes`` when Lazada marks it mandatory: a product that fills it with nothing is reported
                 before any request
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import ValidationError

from connectors.lazada.config import LazadaAttributeRule
from core.catalog.records import ProductRecord
from core.errors import ConfigError

__all__ = ["CATALOG_FIELDS", "attribute_value", "read_attribute_map"]

CATALOG_FIELDS = frozenset(
    {"brand", "origin_province", "origin_district", "ocop_stars", "ocop_certificate", "ocop_year", "traceability_code"}
)
_TRUE = frozenset({"yes", "y", "true", "1", "có", "x"})
_COLUMNS = ("category_id", "attribute", "label", "source", "value", "required")


def _data_lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def read_attribute_map(path: Path) -> tuple[LazadaAttributeRule, ...]:
    """The rows of the map at ``path``; ConfigError naming the file and line of anything wrong."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"cannot read the Lazada attribute map {path}: {exc.strerror}") from exc
    lines = list(_data_lines(text))
    if not lines:
        return ()
    header = [name.strip() for name in next(csv.reader([lines[0][1]]))]
    missing = [name for name in ("category_id", "attribute") if name not in header]
    if missing:
        raise ConfigError(f"the Lazada attribute map {path} has no {', '.join(missing)} column")
    rules = []
    for number, line in lines[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        row = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)}
        source = row.get("source", "")
        if source and source not in CATALOG_FIELDS and not source.startswith("attribute:"):
            raise ConfigError(f"the Lazada attribute map {path}, line {number}: unknown source {source!r}")
        fields = {name: row.get(name, "") for name in _COLUMNS if name != "required"}
        try:
            rules.append(LazadaAttributeRule(**fields, required=row.get("required", "").casefold() in _TRUE))
        except ValidationError as exc:
            raise ConfigError(f"the Lazada attribute map {path}, line {number}, is invalid: {exc}") from None
    return tuple(rules)


def _catalog_text(product: ProductRecord, source: str) -> str | None:
    if source.startswith("attribute:"):
        found: object = product.attributes.get(source.partition(":")[2].strip())
    elif source in CATALOG_FIELDS:
        found = getattr(product, source)
    else:
        return None
    text = "" if found is None else " ".join(str(found).split())
    return text or None


def attribute_value(product: ProductRecord, rules: Sequence[LazadaAttributeRule]) -> str | None:
    """What ``rules`` (one attribute's rows, in order) give for ``product``: the first source that has a
    value, else the first fixed value; None when nothing fills it."""
    for rule in rules:
        if rule.source and (text := _catalog_text(product, rule.source)) is not None:
            return text
    return next((rule.value for rule in rules if rule.value), None)

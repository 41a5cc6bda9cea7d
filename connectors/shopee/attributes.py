"""Shopee item attributes: which catalog fact fills which attribute of which category, and how.

Shopee's attributes are per category (product/get_attribute_tree): an attribute id means something
only within its category, some are mandatory, some take a value from a drop-down list (a ``value_id``)
and some a number with a unit (``value_unit``). The rules live in a CSV in `config/channels/` (default
`shopee-attributes.csv`, named by ``attribute_map_file`` in the channel toml), one row per category and
attribute:

``category_id``  a Shopee leaf category id, or ``*`` for every category (a category's own rows for an
                 attribute replace the ``*`` rows for it)
``attribute_id`` Shopee's attribute id
``name``         Shopee's name for it (only for messages to the seller)
``source``       the catalog fact that fills it: ``brand``, ``origin``, ``origin_province``,
                 ``origin_district``, ``ocop_stars``, ``ocop_certificate``, ``ocop_year``,
                 ``traceability_code``, or ``attribute:<name>`` for one of the product's free attributes;
                 empty when nothing in our catalog can fill a mandatory attribute (every product of the
                 category is then reported, before any request). Several rows for one attribute are
                 tried in order: the first that gives a value wins.
``required``     ``yes`` when Shopee marks the attribute mandatory for the category
``input``        ``text`` (free text, or a value id when one is mapped) or ``select`` (drop-down only: a
                 value with no mapped id is a problem)
``units``        for numbers with a unit (Shopee format_type 2): the units Shopee accepts, ``|``-separated,
                 the first being the one a bare number is given in ("12 tháng" → 12 + tháng)
``max_chars``    the longest value Shopee takes (default: ``limits.attribute_value_max_chars``)
``value_ids``    our text → Shopee value id, ``|``-separated ``text=id`` pairs (case and spacing ignored)

Everything here is pure: the rules are read once with the config; :func:`attribute_value` turns a
catalog value into Shopee's value or the problem a seller must fix.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveInt, ValidationError, field_validator, model_validator

from connectors.kit.config import ChannelTable
from core.errors import ConfigError

__all__ = [
    "CATALOG_FIELDS",
    "AttributeRule",
    "AttributeValue",
    "attribute_value",
    "legacy_rules",
    "load_attribute_rules",
    "merge_rules",
    "rules_for",
]

CATALOG_FIELDS = frozenset(
    {
        "brand",
        "origin",
        "origin_province",
        "origin_district",
        "ocop_stars",
        "ocop_certificate",
        "ocop_year",
        "traceability_code",
    }
)
FREE_ATTRIBUTE = "attribute:"
COLUMNS = ("category_id", "attribute_id", "name", "source", "required", "input", "units", "max_chars", "value_ids")
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(.*)$")


def _key(text: str) -> str:
    """How our text is compared with a mapped value: case and spacing ignored."""
    return " ".join(text.split()).casefold()


class AttributeRule(ChannelTable):
    """One row of the attribute map."""

    category_id: int | None = None  # None: every category ("*")
    attribute_id: PositiveInt
    name: str = ""
    source: str = ""
    required: bool = False
    input: Literal["text", "select"] = "text"
    units: tuple[str, ...] = ()
    max_chars: PositiveInt | None = None
    value_ids: dict[str, int] = Field(default_factory=dict)

    @field_validator("category_id", mode="before")
    @classmethod
    def _every_category(cls, value: Any) -> Any:
        return None if value in ("*", "", None) else value

    @field_validator("units", mode="before")
    @classmethod
    def _split_units(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(unit.strip() for unit in value.split("|") if unit.strip())
        return value

    @field_validator("value_ids", mode="before")
    @classmethod
    def _split_value_ids(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        pairs: dict[str, str] = {}
        for pair in value.split("|"):
            if not pair.strip():
                continue
            text, sep, value_id = pair.rpartition("=")
            if not sep or not text.strip():
                raise ValueError(f"value_ids entry {pair!r} should be text=id")
            pairs[text.strip()] = value_id.strip()
        return pairs

    @model_validator(mode="after")
    def _consistent(self) -> AttributeRule:
        source = self.source
        if source.startswith(FREE_ATTRIBUTE):
            if not source[len(FREE_ATTRIBUTE) :].strip():
                raise ValueError("source attribute: needs the free attribute's name (attribute:Hạn sử dụng)")
        elif source and source not in CATALOG_FIELDS:
            raise ValueError(
                f"source {source!r} is not a catalog field ({', '.join(sorted(CATALOG_FIELDS))}) nor attribute:<name>"
            )
        if not source and not self.required:
            raise ValueError("a row with no source only makes sense for a mandatory attribute (required = yes)")
        if self.input == "select" and not self.value_ids:
            raise ValueError("a select attribute needs value_ids (text=id|text=id)")
        return self

    @property
    def label(self) -> str:
        return f"'{self.name}' ({self.attribute_id})" if self.name else f"attribute {self.attribute_id}"

    def mapped_id(self, text: str) -> int | None:
        wanted = _key(text)
        return next((value_id for known, value_id in self.value_ids.items() if _key(known) == wanted), None)


def _flag(value: str) -> bool:
    text = value.strip().casefold()
    if text in ("yes", "y", "true", "1", "có"):
        return True
    if text in ("", "no", "n", "false", "0", "không"):
        return False
    raise ValueError(f"required should be yes or no, not {value!r}")


def load_attribute_rules(path: Path) -> tuple[AttributeRule, ...]:
    """The rules in the CSV at ``path``; ConfigError naming the file and line of the first bad row.

    Rows whose first cell starts with ``#`` and blank rows are skipped."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as exc:
        raise ConfigError(f"cannot read the Shopee attribute map {path}: {exc.strerror}") from exc
    if not rows or [cell.strip() for cell in rows[0]][:2] != list(COLUMNS[:2]):
        raise ConfigError(f"the Shopee attribute map {path} should start with the header {','.join(COLUMNS)}")
    header = [cell.strip() for cell in rows[0]]
    unknown = set(header) - set(COLUMNS)
    if unknown:
        raise ConfigError(f"the Shopee attribute map {path} has unknown columns: {', '.join(sorted(unknown))}")
    rules: list[AttributeRule] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        try:
            rules.append(
                AttributeRule.model_validate(
                    {
                        **{k: v for k, v in cells.items() if v and k != "required"},
                        "required": _flag(cells.get("required", "")),
                    }
                )
            )
        except (ValidationError, ValueError) as exc:
            raise ConfigError(f"the Shopee attribute map {path}, line {line}, is invalid: {exc}") from exc
    return tuple(rules)


def merge_rules(base: Sequence[AttributeRule], override: Sequence[AttributeRule]) -> tuple[AttributeRule, ...]:
    """``base`` with ``override`` laid over it: override rows replace base rows of the same category and
    attribute (an account's own rows over the channel's file)."""
    replaced = {(rule.category_id, rule.attribute_id) for rule in override}
    return (*(r for r in base if (r.category_id, r.attribute_id) not in replaced), *override)


def rules_for(rules: Iterable[AttributeRule], category_id: int) -> dict[int, list[AttributeRule]]:
    """Attribute id → its rules (in file order) for ``category_id``: the category's own rows where it has
    any for that attribute, else the ``*`` rows."""
    own: dict[int, list[AttributeRule]] = {}
    every: dict[int, list[AttributeRule]] = {}
    for rule in rules:
        if rule.category_id == category_id:
            own.setdefault(rule.attribute_id, []).append(rule)
        elif rule.category_id is None:
            every.setdefault(rule.attribute_id, []).append(rule)
    return {**every, **own}


def legacy_rules(attribute_map: Mapping[str, int], required: Mapping[str, Sequence[int]]) -> tuple[AttributeRule, ...]:
    """The old flat settings (``attribute_map`` source → id, ``required_attributes`` category or ``*`` →
    ids) as rules, so accounts set up before the per-category file keep working."""

    def source(name: str) -> str:
        return name if name in CATALOG_FIELDS or name.startswith(FREE_ATTRIBUTE) else FREE_ATTRIBUTE + name

    sources: dict[int, list[str]] = {}
    for name, attribute_id in sorted(attribute_map.items()):
        sources.setdefault(attribute_id, []).append(source(name))
    rules = [
        AttributeRule(attribute_id=attribute_id, source=name)
        for attribute_id, names in sources.items()
        for name in names
    ]
    for category, attribute_ids in sorted(required.items()):
        for attribute_id in attribute_ids:
            rules += [
                AttributeRule(category_id=category, attribute_id=attribute_id, source=name, required=True)
                for name in sources.get(attribute_id, [""])
            ]
    return tuple(rules)


class AttributeValue(ChannelTable):
    """One value as Shopee takes it: a value id, or free text (value id 0), with a unit if any."""

    value_id: int = 0
    original_value_name: str | None = None
    value_unit: str | None = None


def attribute_value(rule: AttributeRule, text: str, *, max_chars: int) -> AttributeValue | str:
    """Shopee's value for our ``text`` under ``rule``, or the problem (a sentence for the seller)."""
    text = " ".join(text.split())
    unit: str | None = None
    sent = text
    if rule.units:
        match = _NUMBER.match(text)
        given = match.group(2).strip() if match else ""
        unit = next((u for u in rule.units if _key(u) == _key(given)), None) if given else rule.units[0]
        if match is None or unit is None:
            return f"Shopee takes {rule.label} as a number of {' or '.join(rule.units)}; the product gives '{text}'"
        sent = match.group(1).replace(",", ".")
    value_id = rule.mapped_id(text)
    if value_id is not None:
        return AttributeValue(value_id=value_id, value_unit=unit)  # Shopee's own name goes with its id
    if rule.input == "select":
        allowed = ", ".join(rule.value_ids)
        return f"'{text}' is not one of the values Shopee offers for {rule.label}: {allowed}"
    limit = rule.max_chars or max_chars
    if len(sent) > limit:
        return f"Shopee takes at most {limit} characters for {rule.label}; '{sent}' has {len(sent)}"
    return AttributeValue(original_value_name=sent, value_unit=unit)

"""Building catalog records in tests: a product's package given once, for all its variants."""

from __future__ import annotations

from typing import Any

from core.catalog.records import ProductRecord

__all__ = ["PACKAGE_FIELDS", "product_record"]

PACKAGE_FIELDS = ("weight_g", "length_cm", "width_cm", "height_cm")


def product_record(**fields: Any) -> ProductRecord:
    """``ProductRecord(**fields)``, where a package field given for the product (``weight_g=550``, or
    ``height_cm=None``) is set on every variant: the package is the variant's since variants may differ."""
    package = {name: fields.pop(name) for name in PACKAGE_FIELDS if name in fields}
    variants = tuple(v.model_copy(update=package) for v in fields.get("variants", ()))
    return ProductRecord(**{**fields, "variants": variants})

"""Whether a product or a variant is for sale: what a mapper reads of the catalog besides its records."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ProductStatus", "VariantStatus"]


class ProductStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class VariantStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"

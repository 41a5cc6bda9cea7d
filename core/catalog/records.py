"""The canonical product as plain data, detached from the database.

This is what the rest of chosync reads: the importer produces it, the exporter writes it back, and
every marketplace mapper turns it into that marketplace's payload. Text is Unicode NFC (Vietnamese
diacritics typed on different keyboards compare equal); prices are whole đồng.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.ports.statuses import ProductStatus, VariantStatus

__all__ = ["OptionValue", "ProductRecord", "VariantRecord"]

_N = TypeVar("_N", int, float)


class OptionValue(BaseModel):
    """One option of a variant, e.g. name "Khối lượng", value "5kg"."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str


class VariantRecord(BaseModel):
    """A sellable SKU."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: str
    options: tuple[OptionValue, ...] = ()
    price_vnd: int = Field(gt=0)
    list_price_vnd: int | None = Field(default=None, gt=0)
    barcode: str | None = None
    # The package this variant ships in (a 10 kg bag is not a 2 kg one).
    weight_g: int | None = None
    length_cm: float | None = None
    width_cm: float | None = None
    height_cm: float | None = None
    # On hand as the store keeps it. Below zero after an oversell (a marketplace sold what was not there:
    # the goods did leave), so a reader must not assume it is positive; a channel is never shown less
    # than 0 (the plan gives mappers what is available, max(0, on hand − reserved)).
    stock: int = 0
    status: VariantStatus = VariantStatus.ACTIVE


class ProductRecord(BaseModel):
    """A product with its variants, as the seller described it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seller_code: str
    sku: str
    name: str
    description: str = ""
    category: str
    brand: str | None = None
    images: tuple[str, ...] = ()
    attributes: dict[str, str] = Field(default_factory=dict)
    status: ProductStatus = ProductStatus.ACTIVE
    ocop_stars: int | None = Field(default=None, ge=3, le=5)
    ocop_certificate: str | None = None
    ocop_year: int | None = None
    origin_province: str | None = None
    origin_district: str | None = None
    traceability_code: str | None = None
    traceability_url: str | None = None
    variants: tuple[VariantRecord, ...] = ()

    # --- the package, for a marketplace that takes one per product ------------------------------------
    # Each is the largest among the active variants (the heaviest weight, the longest side...), so a
    # parcel declared once for the whole product is never under-declared; None when no variant gives it.

    @property
    def weight_g(self) -> int | None:
        return _largest(v.weight_g for v in self._shipping())

    @property
    def length_cm(self) -> float | None:
        return _largest(v.length_cm for v in self._shipping())

    @property
    def width_cm(self) -> float | None:
        return _largest(v.width_cm for v in self._shipping())

    @property
    def height_cm(self) -> float | None:
        return _largest(v.height_cm for v in self._shipping())

    @property
    def packages_differ(self) -> bool:
        """Whether the active variants ship in different packages (one per product loses that). A variant
        that gives no figure at all is not a different package: it ships as the product does."""
        packages = {(v.weight_g, v.length_cm, v.width_cm, v.height_cm) for v in self._shipping()}
        return len(packages - {(None, None, None, None)}) > 1

    def _shipping(self) -> tuple[VariantRecord, ...]:
        active = tuple(v for v in self.variants if v.status is VariantStatus.ACTIVE)
        return active or self.variants


def _largest(values: Iterable[_N | None]) -> _N | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None

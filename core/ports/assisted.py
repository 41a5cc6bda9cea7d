"""What the core and an assisted connector (a floor worked by a person) exchange about upload packs.

The core plans a push as for any channel, then hands the assisted connector the rows of its upload
sheet (:class:`UploadLine`); a person uploads the pack, and the floor's product export, read back by the
connector (:class:`ExportedVariant`), shows what it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ExportedVariant", "UploadLine"]


@dataclass(frozen=True, slots=True)
class UploadLine:
    """One row of an upload sheet: a variant, the changes it carries, and its values now.

    ``action`` is one of new, update, price, stock, delist, or several joined by ``+`` (price+stock).
    ``listing`` is the listing as the connector's mapper made it (its own payload type); None for a
    delisting whose product no longer maps: only its SKU and name matter then.
    """

    action: str
    product_sku: str
    variant_sku: str
    name: str
    listing: Any
    price: int | None
    stock: int | None
    image_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExportedVariant:
    """One variant as the floor's product export shows it."""

    sku: str
    price: int | None
    stock: int | None
    name: str | None = None
    hidden: bool = False

"""The TikTok product payload: the listing as the mapper wants it, and the request bodies built from it.

:class:`TikTokProduct` is what the core hashes: content only, with our image references (TikTok's image
uris exist only once uploaded), because price and stock travel by their own endpoints. The body
builders add what a request needs at send time (uris, the warehouse, prices and stock, SKU ids) in
TikTok's field names. A full edit replaces the product's SKU list: a live SKU left out is DELETED, so
:func:`edit_body` gives every SKU TikTok holds that we keep its id, and new ones none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from connectors.tiktok.config import TikTokConfig
from core.ports import MappedListing, payload_hash

__all__ = [
    "SalesAttribute",
    "TikTokAttribute",
    "TikTokProduct",
    "TikTokSku",
    "create_body",
    "edit_body",
    "idempotency_key",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SalesAttribute(BaseModel):
    model_config = _FROZEN

    name: str
    value_name: str


class TikTokSku(BaseModel):
    model_config = _FROZEN

    seller_sku: str
    sales_attributes: tuple[SalesAttribute, ...] = ()


class TikTokAttribute(BaseModel):
    model_config = _FROZEN

    id: str
    values: tuple[str, ...]


class TikTokProduct(BaseModel):
    """A TikTok product as we want it, minus price and stock. ``product_sku`` is ours (never sent)."""

    model_config = _FROZEN

    product_sku: str
    title: str
    description: str
    category_id: str
    brand_id: str | None
    images: tuple[str, ...]
    skus: tuple[TikTokSku, ...]
    weight_kg: str
    dimensions_cm: tuple[int, int, int] | None
    attributes: tuple[TikTokAttribute, ...]


def _sku_entry(
    sku: TikTokSku, listing: MappedListing[TikTokProduct], warehouse_id: str, config: TikTokConfig
) -> dict[str, Any]:
    quantity = min(listing.stocks[sku.seller_sku], config.limits.quantity_max)
    entry: dict[str, Any] = {
        "seller_sku": sku.seller_sku,
        "price": {"amount": str(listing.prices[sku.seller_sku]), "currency": config.listing.currency},
        "inventory": [{"warehouse_id": warehouse_id, "quantity": quantity}],
    }
    if sku.sales_attributes:
        entry["sales_attributes"] = [attribute.model_dump() for attribute in sku.sales_attributes]
    return entry


def _content(listing: MappedListing[TikTokProduct], image_uris: Sequence[str], config: TikTokConfig) -> dict[str, Any]:
    product = listing.content
    body: dict[str, Any] = {
        "title": product.title,
        "description": product.description,
        "category_id": product.category_id,
        "main_images": [{"uri": uri} for uri in image_uris],
        "package_weight": {"value": product.weight_kg, "unit": "KILOGRAM"},
        "product_attributes": [
            {"id": attribute.id, "values": [{"name": value} for value in attribute.values]}
            for attribute in product.attributes
        ],
        "save_mode": config.listing.save_mode,
    }
    if product.brand_id is not None:
        body["brand_id"] = product.brand_id
    if product.dimensions_cm is not None:
        length, width, height = product.dimensions_cm
        body["package_dimensions"] = {
            "length": str(length),
            "width": str(width),
            "height": str(height),
            "unit": "CENTIMETER",
        }
    return body


def idempotency_key(listing: MappedListing[TikTokProduct], shop: str, config: TikTokConfig) -> str:
    """The same for every attempt at creating this product with this content in this shop, so TikTok
    answers a repeated create with the first product instead of making a second."""
    digest = hashlib.sha256(f"{shop}|{listing.sku}|{payload_hash(listing.content)}".encode()).hexdigest()
    return f"{config.listing.idempotency_prefix}-{digest}"[: config.limits.idempotency_key_max_chars]


def create_body(
    listing: MappedListing[TikTokProduct],
    image_uris: Sequence[str],
    *,
    warehouse_id: str,
    key: str,
    config: TikTokConfig,
) -> dict[str, Any]:
    skus = [_sku_entry(sku, listing, warehouse_id, config) for sku in listing.content.skus]
    return {**_content(listing, image_uris, config), "skus": skus, "idempotency_key": key}


def edit_body(
    listing: MappedListing[TikTokProduct],
    image_uris: Sequence[str],
    *,
    warehouse_id: str,
    live: Mapping[str, str],
    config: TikTokConfig,
) -> dict[str, Any]:
    """The full edit. ``live``: our variant SKU → TikTok SKU id of the SKUs the product holds now."""
    skus = []
    for sku in listing.content.skus:
        entry = _sku_entry(sku, listing, warehouse_id, config)
        if sku.seller_sku in live:
            entry = {"id": live[sku.seller_sku], **entry}
        skus.append(entry)
    return {**_content(listing, image_uris, config), "skus": skus}

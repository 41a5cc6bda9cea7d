"""The Lazada product payload: the listing as the mapper wants it, and the request parameters built from it.

:class:`LazadaProduct` is what the core hashes: content only, with our image references (Lazada's URLs
exist only once uploaded) and every SKU with its sale properties and its own package, because price and
stock travel by ``price_quantity/update``. The builders add what a request needs at send time, in
Lazada's field names: the ``payload`` parameter of create and update is the JSON text of
``{"Request": {"Product": {...}}}`` (the XML form is not needed); an update names the item and every SKU
Lazada already holds by its ``SkuId`` (SKUs without one are added); deactivation takes its XML
``apiRequestBody``; removal ids are ``SkuId_<item>_<sku>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

from pydantic import BaseModel, ConfigDict

from core.ports import MappedListing

__all__ = [
    "LazadaAttribute",
    "LazadaProduct",
    "LazadaSku",
    "SaleProp",
    "create_payload",
    "deactivate_body",
    "price_quantity_payload",
    "removal_ids",
    "update_payload",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SaleProp(BaseModel):
    model_config = _FROZEN

    name: str
    value: str


class LazadaSku(BaseModel):
    """One SKU: our variant SKU as SellerSku, its sale properties, and the package it ships in (kg, cm)."""

    model_config = _FROZEN

    seller_sku: str
    sale_props: tuple[SaleProp, ...] = ()
    package_weight: str
    package_length: str | None = None
    package_width: str | None = None
    package_height: str | None = None

    def fields(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"SellerSku": self.seller_sku, "package_weight": self.package_weight}
        for side in ("package_length", "package_width", "package_height"):
            if getattr(self, side) is not None:
                entry[side] = getattr(self, side)
        if self.sale_props:
            entry["saleProp"] = {prop.name: prop.value for prop in self.sale_props}
        return entry


class LazadaAttribute(BaseModel):
    model_config = _FROZEN

    name: str
    value: str


class LazadaProduct(BaseModel):
    """A Lazada product as we want it, minus prices and stock. ``product_sku`` is ours (never sent)."""

    model_config = _FROZEN

    product_sku: str
    name: str
    description: str
    category_id: str
    brand_id: str
    images: tuple[str, ...]
    attributes: tuple[LazadaAttribute, ...]
    skus: tuple[LazadaSku, ...]


def _text(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def _product(listing: MappedListing[LazadaProduct], image_urls: Sequence[str]) -> dict[str, Any]:
    product = listing.content
    attributes = {"name": product.name, "description": product.description, "brand_id": product.brand_id}
    attributes.update({attribute.name: attribute.value for attribute in product.attributes})
    return {"PrimaryCategory": product.category_id, "Images": {"Image": list(image_urls)}, "Attributes": attributes}


def _new_sku(sku: LazadaSku, listing: MappedListing[LazadaProduct]) -> dict[str, Any]:
    return {**sku.fields(), "price": str(listing.prices[sku.seller_sku]), "quantity": listing.stocks[sku.seller_sku]}


def create_payload(listing: MappedListing[LazadaProduct], image_urls: Sequence[str]) -> str:
    """Every SKU with its sale properties, package, price and quantity."""
    skus = [_new_sku(sku, listing) for sku in listing.content.skus]
    return _text({"Request": {"Product": {**_product(listing, image_urls), "Skus": {"Sku": skus}}}})


def update_payload(
    listing: MappedListing[LazadaProduct],
    image_urls: Sequence[str],
    *,
    item_id: str,
    live: Mapping[str, str],
    status: str,
) -> str:
    """The update: SKUs Lazada holds (``live``: SellerSku → SkuId) by their SkuId, without price and stock
    (they go by price_quantity/update); new SKUs without one, with theirs. ``status`` (per SKU) when given."""
    skus = []
    for sku in listing.content.skus:
        sku_id = live.get(sku.seller_sku)
        entry = _new_sku(sku, listing) if sku_id is None else {"SkuId": sku_id, **sku.fields()}
        if status:
            entry["Status"] = status
        skus.append(entry)
    product = {"ItemId": item_id, **_product(listing, image_urls), "Skus": {"Sku": skus}}
    return _text({"Request": {"Product": product}})


def price_quantity_payload(entries: Iterable[Mapping[str, Any]]) -> str:
    """``entries``: one table per SKU ({ItemId, SkuId, SellerSku, Price and/or Quantity}), any products."""
    return _text({"Request": {"Product": {"Skus": {"Sku": [dict(entry) for entry in entries]}}}})


def deactivate_body(item_id: str, sku_ids: Sequence[str]) -> str:
    """The XML of product/deactivate: the item, and its SKUs when given (none: the whole item)."""
    skus = "".join(f"<SkuId>{escape(sku_id)}</SkuId>" for sku_id in sku_ids)
    inner = f"<ItemId>{escape(item_id)}</ItemId>" + (f"<Skus>{skus}</Skus>" if skus else "")
    return f"<Request><Product>{inner}</Product></Request>"


def removal_ids(item_id: str, sku_ids: Iterable[str]) -> list[str]:
    return [f"SkuId_{item_id}_{sku_id}" for sku_id in sku_ids]

"""The Shopee payload: the item as the mapper wants it, and the request bodies built from it.

:class:`ShopeeItem` is what :func:`connectors.shopee.mapper.map_item` produces and the core hashes:
listing content only, with our image references (URLs or files), because price and stock travel by
their own endpoints and image ids exist only once uploaded. The ``*_body`` functions add what a request
needs at send time (image ids, prices, stock) and speak Shopee's field names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, SerializerFunctionWrapHandler, model_serializer

from connectors.shopee.attributes import AttributeValue as ShopeeAttributeValue  # value_id 0 = free text
from connectors.shopee.config import ShopeeLogistic
from core.ports import MappedListing

__all__ = [
    "ShopeeAttribute",
    "ShopeeAttributeValue",
    "ShopeeBrand",
    "ShopeeDimension",
    "ShopeeItem",
    "ShopeeModel",
    "ShopeeTier",
    "add_item_body",
    "add_model_body",
    "init_tier_variation_body",
    "update_item_body",
    "update_tier_variation_body",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ShopeeDimension(BaseModel):
    model_config = _FROZEN

    package_length: int
    package_width: int
    package_height: int


class ShopeeAttribute(BaseModel):
    model_config = _FROZEN

    attribute_id: int
    attribute_value_list: tuple[ShopeeAttributeValue, ...]


class ShopeeBrand(BaseModel):
    model_config = _FROZEN

    brand_id: int
    original_brand_name: str


class ShopeeTier(BaseModel):
    model_config = _FROZEN

    name: str
    options: tuple[str, ...]


class ShopeeModel(BaseModel):
    """One model. Its own package (weight in kg, dimension in whole cm) is set only when the product's
    variants ship in different packages; unset, the model ships as its item says, and the field is left
    out of the serialized form, so a single-package item hashes as it always did."""

    model_config = _FROZEN

    model_sku: str
    tier_index: tuple[int, ...]
    weight_kg: float | None = None
    dimension: ShopeeDimension | None = None

    @model_serializer(mode="wrap")
    def _package_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("weight_kg", "dimension"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    def package(self) -> dict[str, Any]:
        """The model's own package as Shopee's model entries spell it (empty when it has none)."""
        if self.weight_kg is None:
            return {}
        package: dict[str, Any] = {"weight": self.weight_kg}
        if self.dimension is not None:  # Shopee: a model that sets its dimension sets its weight too
            package["dimension"] = self.dimension.model_dump()
        return package


class ShopeeItem(BaseModel):
    """A Shopee item as we want it, minus price and stock (which travel by their own endpoints)."""

    model_config = _FROZEN

    item_sku: str
    item_name: str
    description: str
    category_id: int
    weight_kg: float
    dimension: ShopeeDimension | None
    images: tuple[str, ...]
    logistic_info: tuple[ShopeeLogistic, ...]
    attribute_list: tuple[ShopeeAttribute, ...]
    brand: ShopeeBrand | None
    condition: str
    item_status: str
    tiers: tuple[ShopeeTier, ...]
    models: tuple[ShopeeModel, ...]


def _seller_stock(stock: int, location_id: str | None) -> list[dict[str, Any]]:
    return [{"stock": stock} if location_id is None else {"location_id": location_id, "stock": stock}]


def _content_fields(item: ShopeeItem, image_ids: list[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_name": item.item_name,
        "description": item.description,
        "item_sku": item.item_sku,
        "category_id": item.category_id,
        "weight": item.weight_kg,
        "image": {"image_id_list": image_ids},
        "logistic_info": [channel.model_dump(exclude_none=True) for channel in item.logistic_info],
        "condition": item.condition,
    }
    if item.dimension is not None:
        body["dimension"] = item.dimension.model_dump()
    if item.attribute_list:
        body["attribute_list"] = [attribute.model_dump(exclude_none=True) for attribute in item.attribute_list]
    if item.brand is not None:
        body["brand"] = item.brand.model_dump()
    return body


def add_item_body(
    listing: MappedListing[ShopeeItem], image_ids: list[str], *, location_id: str | None = None
) -> dict[str, Any]:
    """product/add_item. With variations the item price is the cheapest model's (Shopee requires one)."""
    item = listing.content
    body = _content_fields(item, image_ids)
    body["item_status"] = item.item_status
    body["description_type"] = "normal"
    body["original_price"] = min(listing.prices.values())
    body["seller_stock"] = _seller_stock(sum(listing.stocks.values()), location_id)
    return body


def update_item_body(
    item_id: int, listing: MappedListing[ShopeeItem], image_ids: list[str], *, item_status: str | None = "NORMAL"
) -> dict[str, Any]:
    """product/update_item: the content (price, stock and models have their own calls) and the status.

    The core updates only listings of products it sells, and records them live afterwards, so an update
    puts the item on sale (``NORMAL``): that is how a delisted product that is active again comes back
    (update_item takes item_status, shopee.md). ``None`` leaves the status as it is on Shopee.
    """
    body = {"item_id": item_id, **_content_fields(listing.content, image_ids)}
    if item_status is not None:
        body["item_status"] = item_status
    return body


def _tier_entries(tiers: Sequence[ShopeeTier]) -> list[dict[str, Any]]:
    return [{"name": tier.name, "option_list": [{"option": option} for option in tier.options]} for tier in tiers]


def _model_entries(
    models: Sequence[ShopeeModel], listing: MappedListing[ShopeeItem], location_id: str | None
) -> list[dict[str, Any]]:
    return [
        {
            "tier_index": list(model.tier_index),
            "original_price": listing.prices[model.model_sku],
            "model_sku": model.model_sku,
            "seller_stock": _seller_stock(listing.stocks[model.model_sku], location_id),
            **model.package(),
        }
        for model in models
    ]


def init_tier_variation_body(
    item_id: int, listing: MappedListing[ShopeeItem], *, location_id: str | None = None
) -> dict[str, Any]:
    item = listing.content
    return {
        "item_id": item_id,
        "tier_variation": _tier_entries(item.tiers),
        "model": _model_entries(item.models, listing, location_id),
    }


def update_tier_variation_body(
    item_id: int, tiers: Sequence[ShopeeTier], placed: Sequence[tuple[int, tuple[int, ...]]]
) -> dict[str, Any]:
    """product/update_tier_variation: the whole tiers, and where each model the item keeps sits in them
    (``placed``: model id, tier index). Without ``model_list`` Shopee may not keep the models."""
    return {
        "item_id": item_id,
        "tier_variation": _tier_entries(tiers),
        "model_list": [{"tier_index": list(index), "model_id": model_id} for model_id, index in placed],
    }


def add_model_body(
    item_id: int,
    models: Sequence[ShopeeModel],
    listing: MappedListing[ShopeeItem],
    *,
    location_id: str | None = None,
) -> dict[str, Any]:
    """product/add_model: new models with their price and stock (from the mapped listing, after the rules)."""
    return {"item_id": item_id, "model_list": _model_entries(models, listing, location_id)}

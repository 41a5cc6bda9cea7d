"""Reading a Lazada product ``payload`` (JSON): the category, images, attributes and SKUs, with their rules.

``{"Request": {"Product": {"PrimaryCategory", "Images": {"Image": [...]}, "Attributes": {...}, "Skus":
{"Sku": [...]}}}}``; numbers may come as JSON numbers or strings. Each reader refuses with Lazada's own
code for the rule broken (see :mod:`simulators.lazada.wire`) and, where Lazada points at a field or SKU,
a ``detail`` entry ``{"field", "message", "seller_sku"}``. Package weight and dimensions are per SKU: a
weight over 40 kg is 4164, length + width + height over 300 cm is 4165. The readers return drafts; the
endpoints (:mod:`simulators.lazada.products`) decide what a draft means for a create or an update.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from simulators.lazada.wire import (
    BRAND_INVALID,
    CATEGORY_INVALID,
    EXTERNAL_IMAGE,
    MAIN_IMAGE_REQUIRED,
    MISSING_ATTRIBUTE,
    PACKAGE_TOO_LARGE,
    PRICE_PRECISION,
    PRICE_ZERO,
    SPECIAL_PRICE,
    TOO_MANY,
    TOO_MANY_IMAGES,
    WEIGHT_TOO_HEAVY,
    JsonObject,
    LazadaCall,
    LazadaError,
    as_object,
    decimal,
    listed,
)

__all__ = [
    "PACKAGE_FIELDS",
    "SkuDraft",
    "check_attributes",
    "check_package",
    "missing",
    "read_attributes",
    "read_category",
    "read_images",
    "read_price",
    "read_quantity",
    "read_skus",
]

PACKAGE_FIELDS = ("package_weight", "package_length", "package_width", "package_height")
_KNOWN_SKU_FIELDS = {"SkuId", "SellerSku", "price", "special_price", "quantity", "saleProp", "Status", *PACKAGE_FIELDS}


@dataclass
class SkuDraft:
    """One ``Sku`` of a payload: only what it carries (None: not given)."""

    where: str
    sku_id: int | None
    seller_sku: str | None
    price: int | None
    special_price: int | None
    quantity: int | None
    package: dict[str, str]  # the package_* fields given, as decimal strings
    sale_prop: dict[str, str] | None
    status: str | None
    extra: JsonObject = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.seller_sku or (str(self.sku_id) if self.sku_id is not None else self.where)


def missing(name: str, seller_sku: str = "") -> LazadaError:
    """E030: a required attribute (or SKU field) is not given; the detail names it."""
    entry = {"field": name, "message": f"{name} is required", **({"seller_sku": seller_sku} if seller_sku else {})}
    return LazadaError(MISSING_ATTRIBUTE, f"E030: Required attribute {name} is missing", detail=[entry])


def read_category(call: LazadaCall, product: JsonObject, *, required: bool) -> str | None:
    raw = product.get("PrimaryCategory")
    if raw is None and not required:
        return None
    category = str(raw or "")
    if not call.config.is_leaf(category):
        raise LazadaError(CATEGORY_INVALID, f"PrimaryCategory {category!r} is missing or not a leaf category")
    return category


def read_images(call: LazadaCall, product: JsonObject, *, required: bool) -> list[str] | None:
    """The product's picture URLs: 1-8, each uploaded to the simulator (4139, 4169, 4138)."""
    if "Images" not in product and not required:
        return None
    urls = [u for u in listed(product.get("Images"), "Image") if u]
    if not urls:
        raise LazadaError(MAIN_IMAGE_REQUIRED, "The main image is required")
    if len(urls) > call.config.images_max:
        raise LazadaError(TOO_MANY_IMAGES, f"{len(urls)} images: a product takes at most {call.config.images_max}")
    foreign = [u for u in urls if not isinstance(u, str) or u not in call.office.images]
    if foreign:
        raise LazadaError(EXTERNAL_IMAGE, f"Image {foreign[0]!r} is not hosted by Lazada: upload it first",
                          detail=[{"field": "Images", "message": "external image url"}])  # fmt: skip
    return [str(u) for u in urls]


def read_attributes(call: LazadaCall, product: JsonObject) -> JsonObject | None:
    if "Attributes" not in product:
        return None
    return dict(as_object(call, product["Attributes"], "Attributes"))


def check_attributes(call: LazadaCall, category_id: str, attributes: JsonObject) -> None:
    """Every mandatory attribute of the category has a value (E030); brand_id is a known brand (4142)."""
    for attribute in call.config.attributes_of(category_id):
        value = attributes.get(attribute.name)
        if attribute.mandatory and (value is None or str(value).strip() == ""):
            raise missing(attribute.name)
        if attribute.options and value is not None and str(value) not in attribute.options:
            options = ", ".join(attribute.options)
            raise LazadaError(MISSING_ATTRIBUTE, f"E030: {attribute.name} must be one of {options}",
                              detail=[{"field": attribute.name, "message": f"one of {options}"}])  # fmt: skip
    brand = str(attributes.get("brand_id", ""))
    if call.config.check_brand and call.config.brand(brand) is None:
        raise LazadaError(BRAND_INVALID, f"brand_id {brand!r} is not a valid brand of this category",
                          detail=[{"field": "brand_id", "message": "invalid brand"}])  # fmt: skip


def read_price(value: Any, name: str, seller_sku: str) -> int:
    """Whole đồng above zero: zero (or less) is 4118, decimals 4104."""
    number = decimal(value)
    detail = [{"field": name, "message": f"invalid {name}", "seller_sku": seller_sku}]
    if number is None or number <= 0:
        raise LazadaError(PRICE_ZERO, f"{name} of {seller_sku} must be greater than zero", detail=detail)
    if number != number.to_integral_value():
        raise LazadaError(PRICE_PRECISION, f"BIZ_CHECK_PRICE_PRECISION_INVALID: {name} of {seller_sku} has decimals",
                          detail=detail)  # fmt: skip
    return int(number)


def read_quantity(call: LazadaCall, value: Any, seller_sku: str) -> int:
    number = decimal(value)
    if number is None or number < 0 or number != number.to_integral_value():
        raise call.bad(f"quantity of {seller_sku} must be a whole number, 0 or more", field="quantity",
                       seller_sku=seller_sku)  # fmt: skip
    return int(number)


def _package_value(call: LazadaCall, value: Any, name: str, seller_sku: str) -> str:
    """A package weight (kg) or side (cm): above zero, at most 2 decimals; as a plain decimal string."""
    number = decimal(value)
    if number is None or not 0 < number < 1_000_000 or number != number.quantize(Decimal("0.01")):
        raise call.bad(f"{name} of {seller_sku} must be a number above 0 with at most 2 decimals", field=name,
                       seller_sku=seller_sku)  # fmt: skip
    return format(number.normalize(), "f")


def check_package(seller_sku: str, package: dict[str, str], limits: tuple[float, float]) -> None:
    """Per SKU: weight <= 40 kg (4164), length + width + height <= 300 cm (4165)."""
    weight_max, sides_max = limits
    detail = [{"field": "package_weight", "message": "too heavy", "seller_sku": seller_sku}]
    if Decimal(package["package_weight"]) > Decimal(str(weight_max)):
        raise LazadaError(WEIGHT_TOO_HEAVY, f"package_weight of {seller_sku} is over {weight_max:g} kg", detail=detail)
    sides = sum(Decimal(package[k]) for k in ("package_length", "package_width", "package_height"))
    if sides > Decimal(str(sides_max)):
        detail = [{"field": "package_length", "message": "too large", "seller_sku": seller_sku}]
        message = f"package length + width + height of {seller_sku} is over {sides_max:g} cm"
        raise LazadaError(PACKAGE_TOO_LARGE, message, detail=detail)


def _sale_prop(call: LazadaCall, value: Any, where: str) -> dict[str, str] | None:
    if value is None:
        return None
    props = as_object(call, value, f"{where}.saleProp")
    if not all(isinstance(k, str) and isinstance(v, str | int | float) for k, v in props.items()):
        raise call.bad(f"{where}.saleProp must map names to values", field="saleProp")
    return {k: str(v) for k, v in props.items()}


def _read_sku(call: LazadaCall, raw: Any, where: str) -> SkuDraft:
    entry = as_object(call, raw, where)
    seller_sku = entry.get("SellerSku")
    if seller_sku is not None and (not isinstance(seller_sku, str | int) or str(seller_sku).strip() == ""):
        raise call.bad(f"{where}.SellerSku must be a non-empty string", field="SellerSku")
    seller_sku = None if seller_sku is None else str(seller_sku)
    raw_id = entry.get("SkuId")
    if raw_id is not None and not str(raw_id).strip().isdigit():
        raise call.bad(f"{where}.SkuId must be a number", field="SkuId")
    label = seller_sku or str(raw_id or where)
    price = None if entry.get("price") is None else read_price(entry["price"], "price", label)
    special = entry.get("special_price")
    special_price = None if special in (None, "", 0, "0") else read_price(special, "special_price", label)
    if special_price is not None and price is not None and special_price >= price:
        raise LazadaError(SPECIAL_PRICE, f"special_price of {label} must be below its price")
    quantity = None if entry.get("quantity") is None else read_quantity(call, entry["quantity"], label)
    package = {k: _package_value(call, entry[k], k, label) for k in PACKAGE_FIELDS if entry.get(k) is not None}
    status = entry.get("Status")
    if status is not None and status not in ("active", "inactive", "deleted"):
        raise call.bad(f"{where}.Status must be active, inactive or deleted", field="Status", seller_sku=label)
    return SkuDraft(
        where,
        None if raw_id is None else int(str(raw_id).strip()),
        seller_sku,
        price,
        special_price,
        quantity,
        package,
        _sale_prop(call, entry.get("saleProp"), where),
        status,
        {k: v for k, v in entry.items() if k not in _KNOWN_SKU_FIELDS},
    )


def read_skus(call: LazadaCall, product: JsonObject) -> list[SkuDraft]:
    """The payload's SKUs: at most ``skus_max`` (4171)."""
    entries = listed(product.get("Skus"), "Sku")
    if len(entries) > call.config.skus_max:
        raise LazadaError(TOO_MANY, f"{len(entries)} SKUs: a product takes at most {call.config.skus_max}")
    return [_read_sku(call, raw, f"Skus.Sku[{n}]") for n, raw in enumerate(entries)]

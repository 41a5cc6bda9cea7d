"""The Lazada mapper: a canonical product in, a Lazada product (or every problem) out. Pure.

Lazada's rules are checked here, before any request: the name within its length, the description (HTML,
from the channel's template) within 25,000 characters, 1–8 JPG/PNG images, a mapped leaf category, the
category's required attributes (the attribute map), at most 50 SKUs whose SellerSku has no spaces, the
same option names on every variant and no two variants alike. Lazada takes a package **per SKU**: each
variant declares its own weight and sides (a variant that gives none ships as the product does), in kg
and cm with at most two decimals, rounded up so no parcel is under-declared, within 40 kg and 300 cm for
length + width + height. The brand is the account's brand map entry for the product's brand, else the
shop's "No Brand".

A SellerSku cannot change once made: a variant renamed in the catalog (archived, and a new SKU with the
same options) becomes a removal of the old SKU and a new SKU on Lazada, and the plan says so (a warning).
"""

from __future__ import annotations

import html
import math
from decimal import Decimal
from typing import TYPE_CHECKING

from connectors.kit.description import TEMPLATE_PLACEHOLDERS, DescriptionTemplate, description_values
from connectors.kit.listing_checks import ListingChecks
from connectors.lazada.attributes import attribute_value
from connectors.lazada.config import LazadaConfig, LazadaLimits
from connectors.lazada.payload import LazadaAttribute, LazadaProduct, LazadaSku, SaleProp
from core.catalog.records import ProductRecord, VariantRecord
from core.ports import AccountRules, ListingContent, MappedListing, Mapper, Problem, VariantStatus

__all__ = ["html_description", "map_product"]


def html_description(text: str) -> str:
    """Plain description text as Lazada's rich text: each line escaped, lines joined by line breaks."""
    return "<br/>".join(html.escape(line.strip()) for line in text.strip().split("\n"))


def _up(value: Decimal, decimals: int) -> str:
    """``value`` rounded up to ``decimals`` places, written without trailing zeros."""
    step = Decimal(10) ** decimals
    rounded = Decimal(math.ceil(value * step)) / step
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Checks(ListingChecks):
    def __init__(self, product: ProductRecord, config: LazadaConfig) -> None:
        super().__init__(product, config.limits, channel="Lazada", template=config.description_template)
        self.config = config
        self.limits: LazadaLimits = config.limits

    def rich_description(self) -> str:
        limit = self.limits.description_max_chars
        template = DescriptionTemplate.parse(self.template, allowed=TEMPLATE_PLACEHOLDERS)
        values = description_values(self.product)
        room = limit
        for _ in range(3):  # the markup counts too: render the free text shorter until it fits
            text = template.render(values, limit=max(room, 0))
            if text is None:
                break
            body = html_description(text)
            if len(body) <= limit:
                return body
            room -= len(body) - limit
        self.problem("description", f"the OCOP and origin lines alone pass Lazada's {limit} characters")
        return ""

    def category(self) -> str:
        mapped = str(self.config.category_map.get(self.product.category, "")).strip()
        if not mapped.isdigit():
            self.problem(
                "category",
                f"category {self.product.category} has no Lazada leaf category mapped; "
                "run chosync categories map lazada FILE",
            )
        return mapped

    def brand(self) -> str:
        return self.config.brand_ids.get((self.product.brand or "").strip()) or self.config.listing.no_brand_id

    def attributes(self, category_id: str) -> tuple[LazadaAttribute, ...]:
        found = []
        for name, rules in sorted(self.config.attribute_rules(category_id).items()):
            value = attribute_value(self.product, rules)
            if value is not None:
                found.append(LazadaAttribute(name=name, value=value))
            elif any(rule.required for rule in rules):
                label = next((rule.label for rule in rules if rule.label), name)
                sources = [rule.source.removeprefix("attribute:") for rule in rules if rule.source]
                how = (
                    f"give the product's {' or '.join(sources)}"
                    if sources
                    else "nothing of the catalog fills it: give it a value in config/channels/lazada-attributes.csv"
                )
                self.problem("attributes", f"Lazada requires '{label}' for category {category_id}; {how}")
        return tuple(found)

    def sale_props(self, variant: VariantRecord) -> tuple[SaleProp, ...]:
        listing = self.config.listing
        grouped: dict[str, list[str]] = {}
        for option in variant.options:
            grouped.setdefault(listing.sale_props.get(option.name, listing.sale_prop_default), []).append(option.value)
        return tuple(
            SaleProp(name=name, value=listing.sale_prop_joiner.join(values)) for name, values in grouped.items()
        )

    def variants(self, active: list[VariantRecord]) -> None:
        if not active:
            self.problem("variants", "the product has no active variant to sell")
            return
        if len(active) > self.limits.skus_max:
            self.problem(
                "variants", f"Lazada takes at most {self.limits.skus_max} SKUs a product; this has {len(active)}"
            )
        high = self.limits.sku_max_chars
        for variant in active:
            if len(variant.sku) > high or any(c.isspace() for c in variant.sku):
                self.problem("sku", f"SellerSku '{variant.sku}' must be at most {high} characters, without spaces")
        if len(active) > 1:
            names = [[option.name for option in v.options] for v in active]
            if not names[0] or any(n != names[0] for n in names):
                self.problem("variants", "variants need the same option names (such as Khối lượng), in the same order")
            combos = {tuple(option.value for option in v.options) for v in active}
            if len(combos) < len(active):
                self.problem("variants", "two variants have the same options: Lazada cannot tell them apart")

    def renames(self, active: list[VariantRecord]) -> None:
        """A warning per archived variant whose options an active one now carries under another SKU."""
        archived = [v for v in self.product.variants if v.status is not VariantStatus.ACTIVE]
        for old in archived:
            new = next((v for v in active if v.options == old.options and v.sku != old.sku), None)
            if new is not None:
                self.warn(
                    "sku",
                    f"Lazada cannot rename a SellerSku: {old.sku} → {new.sku} is sent as a removal of {old.sku} "
                    f"and a new SKU {new.sku} (delist plus create; its sales history stays with {old.sku})",
                )

    def package(self, variant: VariantRecord) -> LazadaSku | None:
        product, limits, decimals = self.product, self.limits, self.limits.package_decimals
        grams = variant.weight_g if variant.weight_g is not None else product.weight_g
        if grams is None or grams <= 0:
            self.problem("weight_g", f"{variant.sku}: Lazada needs each SKU's package weight")
            return None
        if grams > limits.package_weight_max_g:
            self.problem("weight_g", f"{variant.sku} weighs {grams:,} g; Lazada takes at most "
                         f"{limits.package_weight_max_g / 1000:g} kg a package")  # fmt: skip
        sides = (variant.length_cm, variant.width_cm, variant.height_cm)
        if all(side is None for side in sides):  # it ships as the product does
            sides = (product.length_cm, product.width_cm, product.height_cm)
        weight = _up(Decimal(grams) / 1000, decimals)
        if all(side is None for side in sides) and not self.config.listing.dimensions_required:
            return LazadaSku(seller_sku=variant.sku, sale_props=self.sale_props(variant), package_weight=weight)
        if any(side is None or side <= 0 for side in sides):
            self.problem("dimensions", f"{variant.sku}: Lazada needs the package length, width and height in cm")
            return None
        length, width, height = (_up(Decimal(str(side)), decimals) for side in sides)
        total = Decimal(length) + Decimal(width) + Decimal(height)
        if total > limits.package_sides_max_cm:
            self.problem("dimensions", f"{variant.sku}: length + width + height is {total:f} cm; Lazada takes at most "
                         f"{limits.package_sides_max_cm} cm")  # fmt: skip
        return LazadaSku(
            seller_sku=variant.sku,
            sale_props=self.sale_props(variant),
            package_weight=weight,
            package_length=length,
            package_width=width,
            package_height=height,
        )


def map_product(
    product: ProductRecord, rules: AccountRules, config: LazadaConfig, /
) -> MappedListing[LazadaProduct] | list[Problem]:
    """The Lazada listing for ``product``, or every problem that stops it."""
    run = _Checks(product, config)
    name, description, images, category_id = run.name(), run.rich_description(), run.image_count(), run.category()
    run.image_formats()
    attributes = run.attributes(category_id) if category_id.isdigit() else ()
    active = [v for v in product.variants if v.status is VariantStatus.ACTIVE]
    run.variants(active)
    run.renames(active)
    skus = tuple(sku for sku in (run.package(variant) for variant in active) if sku is not None)
    if run.problems:
        return run.problems
    content = LazadaProduct(
        product_sku=product.sku,
        name=name,
        description=description,
        category_id=category_id,
        brand_id=run.brand(),
        images=images,
        attributes=attributes,
        skus=skus,
    )
    summary = ListingContent(name=name, description=description, category=category_id, images=len(images))
    return MappedListing[LazadaProduct](
        sku=product.sku,
        content=content,
        prices={v.sku: rules.price_for(v.price_vnd) for v in active},
        stocks={v.sku: rules.stock_for(v.stock) for v in active},
        summary=summary,
        warnings=tuple(run.warnings),
    )


if TYPE_CHECKING:
    _shape: Mapper[LazadaConfig, LazadaProduct] = map_product

"""The Shopee mapper: a canonical product, an account's rules and the channel config in, the Shopee
listing (or every problem a seller must fix) out. Pure: no request, no clock, no randomness.

Shopee's limits are checked here, before any request, from :class:`~connectors.shopee.config.ShopeeLimits`:
name length, description length and hashtags, 1..9 images in JPG/PNG, at most 2 variation tiers with
short option names and values, at most 50 models, and Shopee Vietnam's rule that the dearest variant
costs at most 5 times the cheapest; a shipping channel that prices by package size (fee type
SIZE_INPUT, from the channel settings) needs the package's length, width and height. Nothing is cut
silently: a name too long is a problem for the seller to fix, not a truncation. The one exception is
the seller's free description, which is shortened at a word boundary to make room for the OCOP, origin
and traceability lines (see :mod:`connectors.kit.description`): those facts are never cut.

The payload (:class:`~connectors.shopee.payload.ShopeeItem`) keeps our image references (URLs or
files); the connector uploads them and swaps in Shopee's image ids when it sends.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from connectors.kit.description import origin_of
from connectors.kit.listing_checks import IMAGE_SUFFIXES, ListingChecks, image_suffix
from connectors.shopee.attributes import FREE_ATTRIBUTE, AttributeRule, attribute_value, rules_for
from connectors.shopee.config import ShopeeConfig, ShopeeLimits, ShopeeLogistic
from connectors.shopee.payload import (
    ShopeeAttribute,
    ShopeeBrand,
    ShopeeDimension,
    ShopeeItem,
    ShopeeModel,
    ShopeeTier,
)
from core.catalog.records import ProductRecord, VariantRecord
from core.ports import AccountRules, ListingContent, MappedListing, Mapper, Problem, VariantStatus

__all__ = ["map_item"]

_HASHTAG = re.compile(r"#\w+")


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


def _catalog_value(product: ProductRecord, rule: AttributeRule) -> str:
    """The product fact a rule's source names: a catalog field, or a free attribute (``attribute:<name>``)."""
    source = rule.source
    if source.startswith(FREE_ATTRIBUTE):
        value: object = product.attributes.get(source.removeprefix(FREE_ATTRIBUTE).strip())
        return "" if value is None else str(value).strip()
    fields: dict[str, object] = {
        "brand": product.brand,
        "origin": origin_of(product),
        "origin_province": product.origin_province,
        "origin_district": product.origin_district,
        "ocop_stars": product.ocop_stars,
        "ocop_certificate": product.ocop_certificate,
        "ocop_year": product.ocop_year,
        "traceability_code": product.traceability_code,
    }
    value = fields.get(source)
    return "" if value is None else str(value).strip()


class _Mapping(ListingChecks):
    """One mapping run: collects problems instead of stopping at the first (in Shopee's own words)."""

    def __init__(self, product: ProductRecord, rules: AccountRules, config: ShopeeConfig) -> None:
        super().__init__(product, config.limits, channel="Shopee", template=config.description_template)
        self.rules = rules
        self.config = config
        self.limits: ShopeeLimits = config.limits

    def name(self) -> str:
        name = " ".join(self.product.name.split())
        if len(name) < self.limits.name_min_chars:
            self.problem("name", f"the name is too short for Shopee: at least {self.limits.name_min_chars} letters")
        if len(name) > self.limits.name_max_chars:
            self.problem(
                "name",
                f"the name has {len(name)} characters; Shopee allows at most {self.limits.name_max_chars}. "
                "Shorten it (chosync never cuts a name by itself)",
            )
        return name

    def description(self) -> str:
        limit = self.limits.description_max_chars
        text = self.rendered_description()
        if text is None:
            self.problem(
                "description",
                f"the OCOP, origin and traceability lines alone are longer than Shopee's {limit} characters",
            )
            return ""
        if len(text) < self.limits.description_min_chars:
            self.problem(
                "description",
                f"the description is too short for Shopee: at least {self.limits.description_min_chars} characters",
            )
        hashtags = len(_HASHTAG.findall(text))
        if hashtags > self.limits.description_max_hashtags:
            self.problem(
                "description",
                f"the description has {hashtags} hashtags; Shopee allows {self.limits.description_max_hashtags}",
            )
        return text

    def images(self) -> tuple[str, ...]:
        images = self.product.images
        if len(images) < self.limits.images_min:
            self.problem("images", f"Shopee needs at least {self.limits.images_min} image; this product has none")
        if len(images) > self.limits.images_max:
            self.problem(
                "images",
                f"Shopee accepts at most {self.limits.images_max} images; this product has {len(images)}. "
                f"Choose which {self.limits.images_max} to keep",
            )
        for image in images:
            suffix = image_suffix(image)
            if suffix and suffix not in IMAGE_SUFFIXES:
                self.problem("images", f"Shopee accepts JPG and PNG images only, not {suffix}: {image}")
        return images

    def category(self) -> int:
        mapped = self.config.category_map.get(self.product.category)
        if mapped is None:
            self.problem(
                "category",
                f"category {self.product.category} has no Shopee category mapped; "
                "run chosync categories map shopee FILE",
            )
            return 0
        try:
            return int(mapped)
        except ValueError:
            self.problem("category", f"the Shopee category mapped to {self.product.category} is not a number")
            return 0

    def weight(self) -> float:
        grams = self.product.weight_g
        if grams is None or grams <= 0:
            self.problem("weight_g", "Shopee needs the package weight in grams")
            return 0.0
        return grams / 1000

    def dimension(self) -> ShopeeDimension | None:
        p = self.product
        sizes = (p.length_cm, p.width_cm, p.height_cm)
        if all(size is None for size in sizes):
            if self.config.listing.dimension_required:
                self.problem("dimensions", "this shop's shipping channels need the package length, width and height")
            return None
        if any(size is None or size <= 0 for size in sizes):
            self.problem("dimensions", "give all three package sizes (length, width, height in cm), or none")
            return None
        return _whole_cm(sizes)

    def model_package(self, variant: VariantRecord) -> tuple[float | None, ShopeeDimension | None]:
        """A model's own weight (kg) and dimension when the product's variants ship in different packages
        (Shopee takes them per model since 2024-05-29); (None, None) otherwise: it ships as its item."""
        if not self.product.packages_differ:
            return None, None
        grams = variant.weight_g if variant.weight_g is not None else self.product.weight_g
        weight = None if grams is None else grams / 1000
        sizes = (variant.length_cm, variant.width_cm, variant.height_cm)
        if all(size is None for size in sizes):
            return weight, None
        if any(size is None or size <= 0 for size in sizes):
            self.problem("dimensions", f"{variant.sku}: give all three package sizes (length, width, height in cm), "
                         "or none")  # fmt: skip
            return weight, None
        return weight, _whole_cm(sizes)

    def logistics(self) -> tuple[ShopeeLogistic, ...]:
        channels = tuple(channel for channel in self.config.logistics if channel.enabled)
        if not channels:
            self.problem(
                "logistics",
                "no Shopee shipping channel is set up for this shop; add logistics ids to the channel settings",
            )
        return channels

    def size_for(self, channels: tuple[ShopeeLogistic, ...], dimension: ShopeeDimension | None) -> None:
        """A problem when a channel prices by package size (SIZE_INPUT) and the product gives none:
        Shopee refuses such an add_item or update_item ("dimension is required by logistics channel N")."""
        sized = [str(c.logistic_id) for c in channels if self.config.fee_type(c) == "SIZE_INPUT"]
        if not sized or dimension is not None or any(p.field == "dimensions" for p in self.problems):
            return  # sized, not needed, or already reported by dimension()
        which = f"channel {sized[0]}" if len(sized) == 1 else f"channels {', '.join(sized)}"
        self.problem(
            "dimensions",
            f"Shopee's shipping {which} charges by package size (fee type SIZE_INPUT) and needs the package "
            "length, width and height: give length_cm, width_cm and height_cm",
        )

    def brand(self) -> ShopeeBrand | None:
        rules = self.config.brand
        if not rules.send:
            return None
        name = (self.product.brand or "").strip()
        return ShopeeBrand(brand_id=rules.brand_ids.get(name, 0), original_brand_name=name or rules.no_brand_name)

    def attributes(self, category_id: int) -> tuple[ShopeeAttribute, ...]:
        """The category's attributes the catalog fills, by the attribute map (value ids, units, lengths);
        a problem for a mandatory one nothing fills and for every value Shopee would refuse."""
        found: list[ShopeeAttribute] = []
        for attribute_id, rules in sorted(rules_for(self.config.attribute_rules(), category_id).items()):
            required = any(rule.required for rule in rules)
            given = [(rule, value) for rule in rules if rule.source and (value := _catalog_value(self.product, rule))]
            if not given:
                if required:
                    self._missing(category_id, rules)
                continue
            rule, text = given[0]
            sent = attribute_value(rule, text, max_chars=self.limits.attribute_value_max_chars)
            if isinstance(sent, str):
                self.problem("attributes", sent)
                continue
            found.append(ShopeeAttribute(attribute_id=attribute_id, attribute_value_list=(sent,)))
        return tuple(found)

    def _missing(self, category_id: int, rules: list[AttributeRule]) -> None:
        label = rules[0].label
        sources = [rule.source for rule in rules if rule.source]
        if not sources:
            self.problem(
                "attributes",
                f"Shopee requires {label} for category {category_id} and no product field is mapped to it; "
                "add a row for it to the Shopee attribute map (config/channels/shopee-attributes.csv)",
            )
            return
        wanted = " or ".join(s.removeprefix("attribute:") for s in sources)
        self.problem("attributes", f"Shopee requires {label} for this category; give the product's {wanted}")

    def variants(self) -> tuple[list[VariantRecord], tuple[ShopeeTier, ...], tuple[ShopeeModel, ...]]:
        """The active variants, and the tiers and models that tell them apart (none for a lone variant)."""
        active = [v for v in self.product.variants if v.status is VariantStatus.ACTIVE]
        limits = self.limits
        if not active:
            self.problem("variants", "the product has no active variant to sell")
            return active, (), ()
        for variant in active:
            if len(variant.sku) > limits.sku_max_chars:
                self.problem("sku", f"variant SKU {variant.sku} is longer than {limits.sku_max_chars} characters")
        if len(active) == 1 and not active[0].options:
            return active, (), ()
        if len(active) > limits.models_max:
            self.problem("variants", f"Shopee allows at most {limits.models_max} variants; this has {len(active)}")
        names = self._tier_names(active)
        if not names:
            return active, (), ()
        options: list[list[str]] = [[] for _ in names]
        for variant in active:
            for position, option in enumerate(variant.options):
                if option.value not in options[position]:
                    options[position].append(option.value)
        self._check_option_lengths(names, options)
        models: list[ShopeeModel] = []
        seen: set[tuple[int, ...]] = set()
        for variant in active:
            index = tuple(options[i].index(option.value) for i, option in enumerate(variant.options))
            if index in seen:
                self.problem("variants", f"two variants have the same options as {variant.sku}")
            seen.add(index)
            weight, dimension = self.model_package(variant)
            models.append(ShopeeModel(model_sku=variant.sku, tier_index=index, weight_kg=weight, dimension=dimension))
        tiers = tuple(ShopeeTier(name=name, options=tuple(values)) for name, values in zip(names, options, strict=True))
        return active, tiers, tuple(models)

    def _tier_names(self, active: list[VariantRecord]) -> tuple[str, ...]:
        """The option names every variant shares, in order; () (with a problem) when they do not."""
        names = tuple(option.name for option in active[0].options)
        if not names:
            self.problem("variants", "variants need options (such as Khối lượng: 500g) that tell them apart")
            return ()
        if any(tuple(option.name for option in v.options) != names for v in active):
            self.problem("variants", "all variants must have the same option names, in the same order")
            return ()
        if len(names) > self.limits.tiers_max:
            self.problem(
                "variants",
                f"Shopee allows at most {self.limits.tiers_max} option names; this has {len(names)}",
            )
            return ()
        return names

    def _check_option_lengths(self, names: tuple[str, ...], options: list[list[str]]) -> None:
        limits = self.limits
        for name in names:
            if len(name) > limits.tier_name_max_chars:
                self.problem(
                    "variants",
                    f"option name '{name}' is longer than Shopee's {limits.tier_name_max_chars} characters",
                )
        for values in options:
            for value in values:
                if len(value) > limits.option_max_chars:
                    self.problem(
                        "variants",
                        f"option value '{value}' is longer than Shopee's {limits.option_max_chars} characters",
                    )

    def prices(self, variants: list[VariantRecord]) -> dict[str, int]:
        prices = {v.sku: self.rules.price_for(v.price_vnd) for v in variants}
        low, high = self.limits.price_min_vnd, self.limits.price_max_vnd
        for sku, price in prices.items():
            if low is not None and price < low:
                self.problem("price", f"{sku} costs {_vnd(price)}; Shopee's minimum is {_vnd(low)}")
            if high is not None and price > high:
                self.problem("price", f"{sku} costs {_vnd(price)}; Shopee's maximum is {_vnd(high)}")
        if len(prices) > 1:
            cheapest, dearest = min(prices.values()), max(prices.values())
            if dearest > cheapest * self.limits.variant_price_ratio_max:
                self.problem(
                    "price",
                    "on Shopee Vietnam the dearest variant may cost at most "
                    f"{self.limits.variant_price_ratio_max:g} times the cheapest; "
                    f"here {_vnd(dearest)} and {_vnd(cheapest)}",
                )
        return prices

    def stocks(self, variants: list[VariantRecord]) -> dict[str, int]:
        stocks = {v.sku: self.rules.stock_for(v.stock) for v in variants}
        for sku, stock in stocks.items():
            if stock > self.limits.stock_max:
                self.problem("stock", f"{sku} has {stock} in stock; Shopee allows at most {self.limits.stock_max}")
        return stocks


def _whole_cm(sizes: tuple[float | None, ...]) -> ShopeeDimension:
    # Whole centimetres, rounded up: the package must fit the size declared to the carrier.
    length, width, height = (max(1, math.ceil(size or 0)) for size in sizes)
    return ShopeeDimension(package_length=length, package_width=width, package_height=height)


def map_item(
    product: ProductRecord, rules: AccountRules, config: ShopeeConfig, /
) -> MappedListing[ShopeeItem] | list[Problem]:
    """The Shopee listing for ``product``, or the problems that stop it (all of them, at once)."""
    run = _Mapping(product, rules, config)
    if len(product.sku) > config.limits.sku_max_chars:
        run.problem("sku", f"the SKU is longer than Shopee's {config.limits.sku_max_chars} characters")
    name = run.name()
    description = run.description()
    images = run.images()
    category_id = run.category()
    weight = run.weight()
    dimension = run.dimension()
    logistics = run.logistics()
    run.size_for(logistics, dimension)
    attributes = run.attributes(category_id) if category_id else ()
    variants, tiers, models = run.variants()
    prices = run.prices(variants)
    stocks = run.stocks(variants)
    if run.problems:
        return run.problems
    item = ShopeeItem(
        item_sku=product.sku,
        item_name=name,
        description=description,
        category_id=category_id,
        weight_kg=weight,
        dimension=dimension,
        images=images,
        logistic_info=logistics,
        attribute_list=attributes,
        brand=run.brand(),
        condition=config.listing.condition,
        item_status=config.listing.item_status_on_create,
        tiers=tiers,
        models=models,
    )
    summary = ListingContent(name=name, description=description, category=str(category_id), images=len(images))
    return MappedListing[ShopeeItem](sku=product.sku, content=item, prices=prices, stocks=stocks, summary=summary)


if TYPE_CHECKING:
    # mypy proves the mapper keeps the Mapper shape the core relies on.
    _shape: Mapper[ShopeeConfig, ShopeeItem] = map_item

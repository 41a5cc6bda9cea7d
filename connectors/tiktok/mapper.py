"""The TikTok mapper: a canonical product in, a TikTok product (or every problem) out. Pure.

The Vietnam rules are checked here, before any request: the title (the account's ``title_template``
applied first: our OCOP names are often shorter than TikTok's 25 characters) within 25–255 characters,
the HTML description within 10,000, 1–9 JPG/PNG images, seller SKUs of 1–50 characters without spaces,
at most three sales attribute names, prices in whole đồng within 1–180,000,000, a mapped leaf category,
the category's required attributes (the attribute map), and a package weight. TikTok takes one package
per product: when variants ship in different ones, the heaviest weight and the largest sides are
declared, with a warning (:meth:`~connectors.kit.listing_checks.ListingChecks.one_package`).
"""

from __future__ import annotations

import html
import math
import re
from typing import TYPE_CHECKING

from connectors.kit.description import TEMPLATE_PLACEHOLDERS, DescriptionTemplate, description_values
from connectors.kit.listing_checks import ListingChecks
from connectors.tiktok.attributes import catalog_value
from connectors.tiktok.config import TikTokConfig, TikTokLimits
from connectors.tiktok.payload import SalesAttribute, TikTokAttribute, TikTokProduct, TikTokSku
from core.catalog.records import ProductRecord, VariantRecord
from core.ports import AccountRules, ListingContent, MappedListing, Mapper, Problem, VariantStatus

__all__ = ["TITLE_PLACEHOLDERS", "description_html", "map_product", "render_title"]

TITLE_PLACEHOLDERS = frozenset({"name", "brand", "origin_province", "origin_district", "ocop_stars", "category"})
# A title template is parts joined by separators; a part whose placeholder is empty goes with its separator.
_SEPARATOR = re.compile(r"(\s+[–—\-|·/]\s+|,\s+)")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def render_title(template: str, product: ProductRecord) -> str | None:
    """The title ``template`` gives for ``product``; None when it names a placeholder we do not know."""
    values = {
        "name": product.name,
        "brand": product.brand,
        "origin_province": product.origin_province,
        "origin_district": product.origin_district,
        "ocop_stars": product.ocop_stars,
        "category": product.category,
    }
    if not set(_PLACEHOLDER.findall(template)) <= TITLE_PLACEHOLDERS:
        return None
    pieces = _SEPARATOR.split(template)  # part, separator, part, ...
    kept: list[str] = []
    for index in range(0, len(pieces), 2):
        part = pieces[index]
        names = _PLACEHOLDER.findall(part)
        if any(values[name] in (None, "") for name in names):
            continue
        text = _PLACEHOLDER.sub(lambda m: " ".join(str(values[m.group(1)]).split()), part)
        if kept and text.strip():
            kept.append(pieces[index - 1])
        if text.strip():
            kept.append(text)
    return " ".join("".join(kept).split())


def description_html(text: str) -> str:
    """Plain description text as TikTok's HTML: one paragraph a line, escaped."""
    return "".join(f"<p>{html.escape(line.strip())}</p>" for line in text.split("\n") if line.strip())


class _Checks(ListingChecks):
    def __init__(self, product: ProductRecord, config: TikTokConfig) -> None:
        super().__init__(product, config.limits, channel="TikTok Shop", template=config.description_template)
        self.config = config
        self.limits: TikTokLimits = config.limits

    def title(self) -> str:
        title = render_title(self.config.title_template, self.product)
        if title is None:
            self.problem(
                "name",
                f"the account's title_template names a placeholder chosync does not know; "
                f"use {', '.join(sorted(TITLE_PLACEHOLDERS))}",
            )
            return ""
        low, high = self.limits.name_min_chars, self.limits.name_max_chars
        if not low <= len(title) <= high:
            self.problem(
                "name",
                f"the TikTok title of '{self.product.name}' is '{title}' ({len(title)} characters); "
                f"TikTok takes {low} to {high}. Lengthen the name or fill what the title template "
                "uses (origin province, OCOP stars)"
                if len(title) < low
                else f"the TikTok title of '{self.product.name}' has {len(title)} characters; TikTok takes "
                f"at most {high}. Shorten the name (chosync never cuts it)",
            )
        return title

    def html_description(self) -> str:
        limit = self.limits.description_max_chars
        text = self.rendered_description()
        body = description_html(text or "")
        for _ in range(3):  # the markup counts too: leave it room, then render the free text shorter
            if text is None or len(body) <= limit:
                break
            text = self.renders_within(limit - (len(body) - len(text)))
            body = description_html(text or "")
        if text is None or len(body) > limit:
            self.problem("description", f"the OCOP and origin lines alone pass TikTok's {limit} characters")
            return ""
        return body

    def renders_within(self, limit: int) -> str | None:
        template = DescriptionTemplate.parse(self.template, allowed=TEMPLATE_PLACEHOLDERS)
        return template.render(description_values(self.product), limit=max(limit, 0))

    def images(self) -> tuple[str, ...]:
        images = self.image_count()
        self.image_formats()
        return images

    def category(self) -> str:
        mapped = self.config.category_map.get(self.product.category)
        if mapped is None or not str(mapped).strip().isdigit():
            self.problem(
                "category",
                f"category {self.product.category} has no TikTok leaf category mapped; "
                "run chosync categories map tiktok FILE",
            )
            return ""
        return str(mapped).strip()

    def attributes(self, category_id: str) -> tuple[TikTokAttribute, ...]:
        found: list[TikTokAttribute] = []
        for attribute_id, rules in sorted(self.config.rules_for(category_id).items()):
            value = next((v for rule in rules if rule.source and (v := catalog_value(self.product, rule.source))), None)
            if value is not None:
                found.append(TikTokAttribute(id=attribute_id, values=(value,)))
            elif any(rule.required for rule in rules):
                label = rules[0].name or attribute_id
                sources = [r.source.removeprefix("attribute:") for r in rules if r.source]
                self.problem(
                    "attributes",
                    f"TikTok requires '{label}' for category {category_id}; "
                    + (
                        f"give the product's {' or '.join(sources)}"
                        if sources
                        else "no product field is mapped to it in config/channels/tiktok-attributes.csv"
                    ),
                )
        return tuple(found)

    def skus(self, active: list[VariantRecord]) -> tuple[TikTokSku, ...]:
        if not active:
            self.problem("variants", "the product has no active variant to sell")
            return ()
        if len(active) > self.limits.skus_max:
            self.problem("variants", f"TikTok takes at most {self.limits.skus_max} SKUs; this has {len(active)}")
        high = self.limits.sku_max_chars
        for variant in active:
            if not 1 <= len(variant.sku) <= high or any(c.isspace() for c in variant.sku):
                self.problem("sku", f"seller SKU '{variant.sku}' must be 1 to {high} characters without spaces")
        if len(active) == 1:
            return (TikTokSku(seller_sku=active[0].sku),)
        names = [o.name for o in active[0].options]
        if not names or any([o.name for o in v.options] != names for v in active):
            self.problem("variants", "variants need the same option names (such as Khối lượng), in the same order")
        elif len(names) > self.limits.sales_attributes_max:
            self.problem(
                "variants",
                f"TikTok takes at most {self.limits.sales_attributes_max} option names; this has {len(names)}",
            )
        if len({tuple(o.value for o in v.options) for v in active}) < len(active):
            self.problem("variants", "two variants have the same options")
        return tuple(
            TikTokSku(
                seller_sku=v.sku,
                sales_attributes=tuple(SalesAttribute(name=o.name, value_name=o.value) for o in v.options),
            )
            for v in active
        )

    def prices(self, prices: dict[str, int]) -> None:
        low, high = self.limits.price_min_vnd, self.limits.price_max_vnd
        for sku, price in prices.items():
            if not low <= price <= high:
                self.problem("price", f"{sku} costs {price:,} đồng; TikTok takes {low:,} to {high:,}")

    def package(self) -> tuple[str, tuple[int, int, int] | None]:
        grams = self.one_package()
        if grams is None or grams <= 0:
            self.problem("weight_g", "TikTok needs the package weight")
            weight = "0"
        else:
            weight = f"{grams / 1000:.{self.limits.weight_max_decimals}f}".rstrip("0").rstrip(".")
        p = self.product
        sizes = (p.length_cm, p.width_cm, p.height_cm)
        if all(size is None for size in sizes):
            return weight, None
        if any(size is None or size <= 0 for size in sizes):
            self.problem("dimensions", "give all three package sizes (length, width, height in cm), or none")
            return weight, None
        # Whole centimetres, rounded up: the parcel must fit what is declared.
        length, width, height = (max(1, math.ceil(size or 0)) for size in sizes)
        return weight, (length, width, height)


def map_product(
    product: ProductRecord, rules: AccountRules, config: TikTokConfig, /
) -> MappedListing[TikTokProduct] | list[Problem]:
    """The TikTok listing for ``product``, or every problem that stops it."""
    run = _Checks(product, config)
    title, description, images, category_id = run.title(), run.html_description(), run.images(), run.category()
    attributes = run.attributes(category_id) if category_id else ()
    active = [v for v in product.variants if v.status is VariantStatus.ACTIVE]
    skus = run.skus(active)
    prices = {v.sku: rules.price_for(v.price_vnd) for v in active}
    stocks = {v.sku: rules.stock_for(v.stock) for v in active}
    run.prices(prices)
    weight, dimensions = run.package()
    if run.problems:
        return run.problems
    brand_id = config.brand_ids.get((product.brand or "").strip())
    content = TikTokProduct(
        product_sku=product.sku,
        title=title,
        description=description,
        category_id=category_id,
        brand_id=brand_id,
        images=images,
        skus=skus,
        weight_kg=weight,
        dimensions_cm=dimensions,
        attributes=attributes,
    )
    summary = ListingContent(name=title, description=description, category=category_id, images=len(images))
    return MappedListing[TikTokProduct](
        sku=product.sku, content=content, prices=prices, stocks=stocks, summary=summary, warnings=tuple(run.warnings)
    )


if TYPE_CHECKING:
    _shape: Mapper[TikTokConfig, TikTokProduct] = map_product

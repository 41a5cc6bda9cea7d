"""The Postmart mapper and payload: a canonical product in, a Postmart product (or every problem) out.

Pure: no request, no clock. Postmart's limits come from ``[limits]`` of `config/channels/postmart.toml`
(mostly ASSUMED, see there): name length, description length, 1..5 JPG/PNG images, SKU and option text
length, stock bound, and a mapped category (a Postmart ``gc_id``). Nothing is cut silently except the
seller's free description, shortened at a word boundary to leave the OCOP, origin and traceability lines
whole (:mod:`connectors.kit.description`).

Postmart (following DSMall, ASSUMED) has a product ("goodscommon") holding SKUs ("goods"), each with
its own serial (our variant SKU), price and stock, so even a single-variant product has one SKU row.
:class:`PostmartProduct` is the listing content the core hashes, without price and stock (they travel
by their own calls); :func:`create_body` and :func:`update_body` speak the wire names from the toml.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from connectors.kit.listing_checks import ListingChecks
from connectors.postmart.config import PostmartConfig, PostmartLimits
from core.catalog.records import ProductRecord, VariantRecord
from core.ports import AccountRules, ListingContent, MappedListing, Mapper, Problem, VariantStatus

__all__ = ["PostmartProduct", "PostmartSku", "create_body", "map_product", "update_body", "wire_id"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class PostmartSku(BaseModel):
    model_config = _FROZEN

    serial: str
    spec: str


class PostmartProduct(BaseModel):
    """A Postmart product as we want it, minus prices and stock."""

    model_config = _FROZEN

    serial: str
    name: str
    category_id: int
    description: str
    images: tuple[str, ...]
    weight_g: int | None
    skus: tuple[PostmartSku, ...]


class _Checks(ListingChecks):
    """One mapping run: collects every problem instead of stopping at the first."""

    def __init__(self, product: ProductRecord, config: PostmartConfig) -> None:
        super().__init__(product, config.limits, channel="Postmart", template=config.description_template)
        self.config = config
        self.limits: PostmartLimits = config.limits

    def name(self) -> str:
        name = super().name()
        if len(self.product.sku) > self.limits.sku_max_chars:
            self.problem("sku", f"the SKU is longer than Postmart's {self.limits.sku_max_chars} characters")
        return name

    def images(self) -> tuple[str, ...]:
        images = self.image_count()
        self.image_formats()
        return images

    def category(self) -> int:
        category = self.config.category_map.get(self.product.category)
        if category is None:
            self.problem("category", f"category {self.product.category} has no Postmart category mapped; "
                         "run chosync categories map postmart FILE")  # fmt: skip
            return 0
        if not str(category).isdigit():
            self.problem("category", f"the Postmart category mapped to {self.product.category} is not a gc_id")
            return 0
        return int(category)

    def skus(self, active: list[VariantRecord]) -> tuple[PostmartSku, ...]:
        if not active:
            self.problem("variants", "the product has no active variant to sell")
        skus: list[PostmartSku] = []
        for variant in active:
            spec = ", ".join(f"{o.name}: {o.value}" for o in variant.options)
            if len(variant.sku) > self.limits.sku_max_chars:
                self.problem("sku", f"variant SKU {variant.sku} is longer than Postmart's "
                             f"{self.limits.sku_max_chars} characters")  # fmt: skip
            if len(spec) > self.limits.spec_max_chars:
                self.problem("variants", f"the options of {variant.sku} pass Postmart's "
                             f"{self.limits.spec_max_chars} characters")  # fmt: skip
            skus.append(PostmartSku(serial=variant.sku, spec=spec))
        return tuple(skus)

    def stocks(self, stocks: dict[str, int]) -> None:
        for sku, stock in stocks.items():
            if stock > self.limits.stock_max:
                self.problem("stock", f"{sku} has {stock} in stock; Postmart takes at most {self.limits.stock_max}")


def map_product(
    product: ProductRecord, rules: AccountRules, config: PostmartConfig, /
) -> MappedListing[PostmartProduct] | list[Problem]:
    """The Postmart listing for ``product``, or every problem that stops it."""
    run = _Checks(product, config)
    name, description, images, category_id = run.name(), run.description(), run.images(), run.category()
    active = [v for v in product.variants if v.status is VariantStatus.ACTIVE]
    skus = run.skus(active)
    prices = {v.sku: rules.price_for(v.price_vnd) for v in active}
    stocks = {v.sku: rules.stock_for(v.stock) for v in active}
    run.stocks(stocks)
    weight = run.one_package()  # ASSUMED: one weight per product (goods_weight), no SKU-level weight
    if run.problems:
        return run.problems
    content = PostmartProduct(serial=product.sku, name=name, category_id=category_id, description=description,
                              images=images, weight_g=weight, skus=skus)  # fmt: skip
    summary = ListingContent(name=name, description=description, category=str(category_id), images=len(images))
    return MappedListing[PostmartProduct](sku=product.sku, content=content, prices=prices, stocks=stocks,
                                          summary=summary, warnings=tuple(run.warnings))  # fmt: skip


def _content(listing: MappedListing[PostmartProduct], image_names: list[str], config: PostmartConfig) -> dict[str, Any]:
    f = config.fields.product
    item = listing.content
    body: dict[str, Any] = {
        f.serial: item.serial,
        f.name: item.name,
        f.category: item.category_id,
        f.description: item.description,
        f.image: image_names[0] if image_names else "",
        f.images: image_names[1:],
        # Every push wants the product on sale: an update after a delisting must put it back (ASSUMED:
        # product_create and product_update take goods_state, see the toml).
        f.state: config.listing.on_value,
    }
    if item.weight_g is not None:
        body[f.weight] = item.weight_g
    return body


def create_body(
    listing: MappedListing[PostmartProduct], image_names: list[str], config: PostmartConfig
) -> dict[str, Any]:
    """product_create: the content, and every SKU with its price and stock."""
    s = config.fields.sku
    body = _content(listing, image_names, config)
    body[config.fields.product.skus] = [
        {s.serial: sku.serial, s.spec: sku.spec, s.price: listing.prices[sku.serial],
         s.stock: listing.stocks[sku.serial]}
        for sku in listing.content.skus
    ]  # fmt: skip
    return body


def update_body(
    spu_id: str,
    listing: MappedListing[PostmartProduct],
    image_names: list[str],
    config: PostmartConfig,
    current: Mapping[str, str],
) -> dict[str, Any]:
    """product_update: the content, the on-sale state and the product's whole SKU list.

    ASSUMED (see the toml): the list replaces the product's SKUs, as the ShopNC / DSMall seller centre's
    edit does: an entry with the id of a SKU the product has (``current``: our variant SKU → Postmart
    id) updates that SKU (its serial and option text), an entry without an id is a new SKU and carries
    its price and stock, and a SKU left out is removed. The prices and stock of the SKUs that stay have
    their own calls.
    """
    s = config.fields.sku
    body = {config.fields.product.spu_id: wire_id(spu_id), **_content(listing, image_names, config)}
    entries: list[dict[str, Any]] = []
    for sku in listing.content.skus:
        sku_id = current.get(sku.serial)
        if sku_id is not None:
            entries.append({s.sku_id: wire_id(sku_id), s.serial: sku.serial, s.spec: sku.spec})
        else:
            entries.append({s.serial: sku.serial, s.spec: sku.spec, s.price: listing.prices[sku.serial],
                            s.stock: listing.stocks[sku.serial]})  # fmt: skip
    body[config.fields.product.skus] = entries
    return body


def wire_id(value: str) -> int | str:
    # DSMall ids are integers; keep a non-numeric id (another backend) as text rather than guess.
    return int(value) if value.isdigit() else value


if TYPE_CHECKING:
    _shape: Mapper[PostmartConfig, PostmartProduct] = map_product

"""Lazada channel configuration: `config/channels/lazada.toml` merged with one account's settings.

The toml holds what is the same for every Lazada shop (hosts, limits, batch sizes, the validation codes,
the product and order status tables, rates); an account adds what is its own: ``app_key``, the redirect
URI registered with the app, its brand map, and what the connector learns on connecting (``seller_id``,
``country``, from the token answer). Every fact the facts file or the wire contract marks uncertain
lives in the toml, marked, so a better-known value is a config change and not a code change.

The app secret is never in this model: it names the environment variable (or secrets file) holding it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Self

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from connectors.kit.config import (
    ApiChannelConfig,
    ChannelTable,
    ListingLimits,
    channel_toml_path,
    load_channel_config,
    read_secret,
)
from connectors.kit.errors import Resolution
from core.ports import ListingStatus, OrderStatus

__all__ = [
    "LazadaAttributeRule",
    "LazadaAuthSettings",
    "LazadaCodeRule",
    "LazadaConfig",
    "LazadaLimits",
    "LazadaListingSettings",
    "LazadaOrderSettings",
    "LazadaReadSettings",
    "load_lazada_config",
]


def _as_text(value: Any) -> Any:
    # Lazada ids are numbers sent as text; `--set app_key=123456` arrives as an int.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class LazadaLimits(ListingLimits):
    """What Lazada takes of a listing and of a call, every value from the toml's ``[limits]``."""

    image_min_px: PositiveInt
    image_max_px: PositiveInt
    skus_max: PositiveInt
    package_weight_max_g: PositiveInt
    package_sides_max_cm: PositiveInt
    package_decimals: NonNegativeInt
    price_quantity_batch: PositiveInt
    price_quantity_batch_max: PositiveInt
    sku_lookup_max: PositiveInt
    products_page_size: PositiveInt
    products_offset_max: PositiveInt
    remove_batch: PositiveInt
    orders_page_size: PositiveInt
    orders_offset_max: PositiveInt
    order_items_batch: PositiveInt

    @model_validator(mode="after")
    def _batch_within_the_maximum(self) -> Self:
        if self.price_quantity_batch > self.price_quantity_batch_max:
            most = self.price_quantity_batch_max
            raise ValueError(f"price_quantity_batch {self.price_quantity_batch} is above Lazada's {most} SKUs a call")
        return self


class LazadaAuthSettings(ChannelTable):
    refresh_margin_s: float = Field(default=1800.0, ge=0)
    refresh_warn_days: float = Field(default=14.0, ge=0)
    # False: the refresh token sent stays valid after a refresh, so a refresh whose answer was lost is sent again.
    refresh_token_single_use: bool = False
    access_fallback_days: float = Field(default=7.0, gt=0)


class LazadaCodeRule(ChannelTable):
    """One Lazada error code: what to do about it, and what to tell the seller."""

    resolution: Resolution
    message: str
    field: str | None = None


class LazadaAttributeRule(ChannelTable):
    """One row of the attribute map (`lazada-attributes.csv`): what fills one attribute of a category."""

    category_id: str  # "*" = every category
    attribute: str  # Lazada's attribute name, the key in the payload's Attributes
    label: str = ""
    source: str = ""  # a ProductRecord field, or attribute:<name>; empty with a fixed value
    value: str = ""  # sent as it is when source gives nothing
    required: bool = False

    _ids = field_validator("category_id", mode="before")(_as_text)


class LazadaListingSettings(ChannelTable):
    no_brand_id: str
    # Our option name -> Lazada's sale property name; options not named go to sale_prop_default, and
    # several options on one property are joined with sale_prop_joiner.
    sale_props: dict[str, str] = Field(default_factory=dict)
    sale_prop_default: str = "variation"
    sale_prop_joiner: str = " - "
    dimensions_required: bool = True
    update_sku_status: str = "active"
    duplicate_sku_codes: tuple[str, ...] = ("4126",)
    gone_codes: tuple[str, ...] = ("SkuNotFound",)
    split_codes: tuple[str, ...] = ("ServiceTimeout", "513")
    below_occupied_codes: tuple[str, ...] = ("QuantityBelowOccupied",)

    _brand = field_validator("no_brand_id", mode="before")(_as_text)


class LazadaReadSettings(ChannelTable):
    product_statuses: dict[str, ListingStatus]
    reject_reason_field: str = "reject_reason"
    withheld_field: str = "withhold_quantity"
    occupied_field: str = "occupy_quantity"
    include_deleted: bool = True

    def status_of(self, raw: str) -> ListingStatus | None:
        wanted = raw.strip().casefold()
        return next((status for name, status in self.product_statuses.items() if name.casefold() == wanted), None)


class LazadaOrderSettings(ChannelTable):
    initial_lookback_days: float = Field(default=15.0, gt=0)
    overlap_s: int = Field(default=300, ge=0)
    utc_offset: str = Field(default="+07:00", pattern=r"^[+-]\d\d:\d\d$")
    slide_back_s: int = Field(default=1, ge=0)
    statuses: dict[str, OrderStatus]
    # When an order's items differ: the first of these that an item not cancelled has is the order's.
    fold_order: tuple[OrderStatus, ...] = (
        OrderStatus.PENDING,
        OrderStatus.READY,
        OrderStatus.SHIPPED,
        OrderStatus.COMPLETED,
        OrderStatus.RETURNED,
    )


class LazadaConfig(ApiChannelConfig):
    """Everything the Lazada connector and mapper need for one channel account."""

    auth_base_url: str
    authorize_url: str
    redirect_uri: str | None = None
    app_key: str
    app_secret_env: str = "CHOSYNC_LAZADA_APP_SECRET"  # noqa: S105 (a variable's name)
    app_secret_file: Path | None = None
    seller_id: str | None = None
    country: str = "vn"
    brand_ids: dict[str, str] = Field(default_factory=dict)
    attribute_map_file: Path | None = None
    attributes: tuple[LazadaAttributeRule, ...] = ()
    limits: LazadaLimits
    auth: LazadaAuthSettings = Field(default_factory=LazadaAuthSettings)
    listing: LazadaListingSettings
    reads: LazadaReadSettings
    orders: LazadaOrderSettings
    codes: dict[str, LazadaCodeRule] = Field(default_factory=dict)

    _ids = field_validator("app_key", "seller_id", mode="before")(_as_text)

    @field_validator("brand_ids", mode="before")
    @classmethod
    def _brand_ids_as_text(cls, value: Any) -> Any:
        return {k: _as_text(v) for k, v in value.items()} if isinstance(value, Mapping) else value

    def load_app_secret(self, environ: Mapping[str, str] | None = None) -> str:
        return read_secret(
            "the Lazada app secret",
            file=self.app_secret_file,
            env_var=self.app_secret_env,
            environ=environ,
            hint=f"set {self.app_secret_env}, or app_secret_file in the channel settings",
        )

    def attribute_rules(self, category_id: str) -> dict[str, list[LazadaAttributeRule]]:
        """Attribute name → its rows for ``category_id``: the category's own rows replace the ``*`` rows."""
        chosen: dict[str, list[LazadaAttributeRule]] = {}
        for wanted in ("*", category_id):
            own: dict[str, list[LazadaAttributeRule]] = {}
            for rule in self.attributes:
                if rule.category_id == wanted:
                    own.setdefault(rule.attribute, []).append(rule)
            chosen.update(own)
        return chosen


def load_lazada_config(path: Path | None = None, /, **account: Any) -> LazadaConfig:
    """The channel toml (default `config/channels/lazada.toml`) overlaid with one account's settings, with
    the attribute map file (relative to the toml) read in after the account's own ``attributes`` rows."""
    toml = path or channel_toml_path("lazada")
    config = load_channel_config(LazadaConfig, "lazada", toml, account, what="Lazada")
    if config.attribute_map_file is None:
        return config
    from connectors.lazada.attributes import read_attribute_map  # the reader needs the model above

    rows = read_attribute_map(toml.parent / config.attribute_map_file)
    return config.model_copy(update={"attributes": (*config.attributes, *rows)})

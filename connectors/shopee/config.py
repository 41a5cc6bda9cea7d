"""Shopee channel configuration: `config/channels/shopee.toml` merged with one account's settings.

The toml holds what is the same for every shop (host, limits, rate limits, retry policy, the
description template); a channel account adds what is its own (shop id, category map, shipping
channels, attribute ids). Limits that Shopee documents only as examples, or not at all, live here and
not in code, each marked documented or UNCERTAIN in the toml, so a better-known value is a config
change (see `shared/marketplaces/shopee.md`).

The partner key is never in this model: the model names the environment variable (or secrets file)
that holds it, and :meth:`ShopeeConfig.load_partner_key` reads it and registers it as a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field, NonNegativeInt, PositiveInt

from connectors.kit.config import (
    ApiChannelConfig,
    ChannelTable,
    ListingLimits,
    channel_toml_path,
    load_channel_config,
    read_secret,
)
from connectors.shopee.attributes import AttributeRule, legacy_rules, load_attribute_rules, merge_rules

__all__ = [
    "FeeType",
    "ShopeeAuthSettings",
    "ShopeeBrandRules",
    "ShopeeConfig",
    "ShopeeLimits",
    "ShopeeListingSettings",
    "ShopeeLogistic",
    "ShopeeOrderSettings",
    "load_shopee_config",
]

ItemStatus = Literal["NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE"]
# How a logistics channel charges shipping (logistics/get_channel_list's fee_type): SIZE_INPUT channels
# price by the package's declared size, so add_item must carry its dimension.
FeeType = Literal["SIZE_SELECTION", "SIZE_INPUT", "FIXED_DEFAULT_PRICE", "CUSTOM_PRICE"]


class ShopeeLimits(ListingLimits):
    """Shopee's listing limits: every value from the toml's ``[limits]`` (prices are unchecked unless set)."""

    description_min_chars: NonNegativeInt
    description_max_hashtags: NonNegativeInt
    price_min_vnd: int | None = None
    price_max_vnd: int | None = None
    stock_max: NonNegativeInt
    tiers_max: NonNegativeInt
    tier_name_max_chars: PositiveInt
    option_max_chars: PositiveInt
    models_max: PositiveInt
    variant_price_ratio_max: float = Field(ge=1)
    batch_max: PositiveInt
    item_base_info_batch: PositiveInt
    item_list_page_size: PositiveInt
    search_page_size: PositiveInt
    attribute_value_max_chars: PositiveInt = 40


class ShopeeLogistic(ChannelTable):
    """One shipping channel enabled on new listings (ids from logistics/get_channel_list).

    ``fee_type`` is what get_channel_list says of the channel, given in the settings so that the mapper
    knows without a request which facts the channel needs; it is ours, never sent in ``logistic_info``
    (so it changes no listing's content hash either).
    """

    logistic_id: int
    enabled: bool = True
    is_free: bool = False
    size_id: int | None = None
    shipping_fee: int | None = None
    fee_type: FeeType | None = Field(default=None, exclude=True)


class ShopeeBrandRules(ChannelTable):
    """How our brand text becomes Shopee's brand: a registered id when known, else brand_id 0 + name."""

    send: bool = True
    no_brand_name: str = "NoBrand"
    brand_ids: dict[str, int] = Field(default_factory=dict)


class ShopeeAuthSettings(ChannelTable):
    refresh_margin_s: float = Field(default=600.0, ge=0)
    refresh_token_ttl_days: float = Field(default=30.0, gt=0)
    refresh_warn_days: float = Field(default=5.0, ge=0)
    push_max_age_s: float = Field(default=900.0, gt=0)
    push_future_skew_s: float = Field(default=300.0, ge=0)


class ShopeeListingSettings(ChannelTable):
    item_statuses: tuple[ItemStatus, ...] = get_args(ItemStatus)  # every one
    lookup_statuses: tuple[ItemStatus, ...] = ("NORMAL", "BANNED", "UNLIST", "REVIEWING")
    tier_variation_delay_s: float = Field(default=5.0, ge=0)
    item_status_on_create: Literal["NORMAL", "UNLIST"] = "NORMAL"
    condition: Literal["NEW", "USED"] = "NEW"
    dimension_required: bool = False
    stock_location_id: str | None = None
    image_upload_shop_signed: bool = False


class ShopeeOrderSettings(ChannelTable):
    window_days: float = Field(default=15.0, gt=0, le=15.0)
    initial_lookback_days: float = Field(default=15.0, gt=0)
    overlap_s: int = Field(default=300, ge=0)
    page_size: int = Field(default=100, ge=1, le=100)
    detail_batch: int = Field(default=50, ge=1, le=50)


class ShopeeConfig(ApiChannelConfig):
    """Everything the Shopee connector and mapper need for one channel account (``base_url``, the category
    map, the rate, retry, HTTP, error and image tables are every API channel's: :class:`ApiChannelConfig`)."""

    partner_id: int
    partner_key_env: str = "CHOSYNC_SHOPEE_PARTNER_KEY"
    partner_key_file: Path | None = None
    shop_id: int
    logistics: tuple[ShopeeLogistic, ...] = ()
    # Logistics channel id → its fee type, for every shop of the region; a channel's own ``fee_type``
    # wins. A channel in neither is not known to need anything beyond the weight.
    logistics_fee_types: dict[int, FeeType] = Field(default_factory=dict)
    # The per-category attribute rules (see connectors.shopee.attributes): the CSV named here, relative to
    # the channel toml, with an account's own ``attributes`` rows laid over it.
    attribute_map_file: Path | None = None
    attributes: tuple[AttributeRule, ...] = ()
    # Older flat settings (one source → attribute id map for every category), still honoured.
    attribute_map: dict[str, int] = Field(default_factory=dict)
    required_attributes: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    brand: ShopeeBrandRules = Field(default_factory=ShopeeBrandRules)
    limits: ShopeeLimits
    auth: ShopeeAuthSettings = Field(default_factory=ShopeeAuthSettings)
    listing: ShopeeListingSettings = Field(default_factory=ShopeeListingSettings)
    orders: ShopeeOrderSettings = Field(default_factory=ShopeeOrderSettings)

    def load_partner_key(self, environ: Mapping[str, str] | None = None) -> str:
        """The partner key from the secrets file if one is named, else from the environment variable."""
        return read_secret(
            "the Shopee partner key",
            file=self.partner_key_file,
            env_var=self.partner_key_env,
            environ=environ,
            hint=f"set {self.partner_key_env} or partner_key_file in the channel settings",
        )

    def fee_type(self, channel: ShopeeLogistic) -> FeeType | None:
        """How ``channel`` charges shipping, as the account or the channel toml says (None: not known)."""
        return channel.fee_type or self.logistics_fee_types.get(channel.logistic_id)

    def attribute_rules(self) -> tuple[AttributeRule, ...]:
        """Every attribute rule: the file's and the account's (``attributes``), then the older flat ones."""
        return (*self.attributes, *legacy_rules(self.attribute_map, self.required_attributes))


def load_shopee_config(path: Path | None = None, /, **account: Any) -> ShopeeConfig:
    """The channel toml (default `config/channels/shopee.toml`) overlaid with one account's settings.

    The toml's ``description_template_file`` is read relative to the toml and becomes
    ``description_template``; an account may give its own ``description_template`` text. The attribute
    map file (``attribute_map_file``, relative to the toml unless absolute) is read here too, and the
    account's own ``attributes`` rows replace its rows for the same category and attribute.
    """
    toml = path or channel_toml_path("shopee")
    config = load_channel_config(ShopeeConfig, "shopee", toml, account, what="Shopee")
    if config.attribute_map_file is None:
        return config
    from_file = load_attribute_rules(toml.parent / config.attribute_map_file)  # an absolute path stays absolute
    return config.model_copy(update={"attributes": merge_rules(from_file, config.attributes)})

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

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.channel_config import channel_toml_path, read_channel_toml
from connectors.ratelimit import RateLimits
from connectors.retry import RetrySettings
from core.errors import ConfigError
from core.logs import register_secret

__all__ = [
    "ShopeeAuthSettings",
    "ShopeeBrandRules",
    "ShopeeConfig",
    "ShopeeHttpSettings",
    "ShopeeLimits",
    "ShopeeListingSettings",
    "ShopeeLogistic",
    "ShopeeOrderSettings",
    "load_shopee_config",
]

_STRICT = ConfigDict(frozen=True, extra="forbid")

ItemStatus = Literal["NORMAL", "BANNED", "UNLIST", "REVIEWING", "SELLER_DELETE", "SHOPEE_DELETE"]


class ShopeeLimits(BaseModel):
    model_config = _STRICT

    name_min_chars: int = 5
    name_max_chars: int = 100
    description_min_chars: int = 10
    description_max_chars: int = 2000
    description_max_hashtags: int = 18
    images_min: int = 1
    images_max: int = 9
    image_max_bytes: int = 10 * 1024 * 1024
    price_min_vnd: int | None = None
    price_max_vnd: int | None = None
    stock_max: int = 10_000_000
    tiers_max: int = 2
    tier_name_max_chars: int = 14
    option_max_chars: int = 20
    models_max: int = 50
    variant_price_ratio_max: float = 5.0
    sku_max_chars: int = 100
    batch_max: int = Field(default=50, ge=1)
    item_base_info_batch: int = Field(default=50, ge=1)
    item_list_page_size: int = Field(default=100, ge=1)
    search_page_size: int = Field(default=100, ge=1)


class ShopeeLogistic(BaseModel):
    """One shipping channel enabled on new listings (ids from logistics/get_channel_list)."""

    model_config = _STRICT

    logistic_id: int
    enabled: bool = True
    is_free: bool = False
    size_id: int | None = None
    shipping_fee: int | None = None


class ShopeeBrandRules(BaseModel):
    """How our brand text becomes Shopee's brand: a registered id when known, else brand_id 0 + name."""

    model_config = _STRICT

    send: bool = True
    no_brand_name: str = "NoBrand"
    brand_ids: dict[str, int] = Field(default_factory=dict)


class ShopeeHttpSettings(BaseModel):
    model_config = _STRICT

    timeout_s: float = Field(default=20.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)


class ShopeeAuthSettings(BaseModel):
    model_config = _STRICT

    refresh_margin_s: float = Field(default=600.0, ge=0)
    refresh_token_ttl_days: float = Field(default=30.0, gt=0)
    refresh_warn_days: float = Field(default=5.0, ge=0)
    push_max_age_s: float = Field(default=900.0, gt=0)
    push_future_skew_s: float = Field(default=300.0, ge=0)


class ShopeeListingSettings(BaseModel):
    model_config = _STRICT

    item_statuses: tuple[ItemStatus, ...] = (
        "NORMAL",
        "BANNED",
        "UNLIST",
        "REVIEWING",
        "SELLER_DELETE",
        "SHOPEE_DELETE",
    )
    lookup_statuses: tuple[ItemStatus, ...] = ("NORMAL", "BANNED", "UNLIST", "REVIEWING")
    tier_variation_delay_s: float = Field(default=5.0, ge=0)
    item_status_on_create: Literal["NORMAL", "UNLIST"] = "NORMAL"
    condition: Literal["NEW", "USED"] = "NEW"
    dimension_required: bool = False
    stock_location_id: str | None = None
    image_upload_shop_signed: bool = False


class ShopeeOrderSettings(BaseModel):
    model_config = _STRICT

    window_days: float = Field(default=15.0, gt=0, le=15.0)
    initial_lookback_days: float = Field(default=15.0, gt=0)
    overlap_s: int = Field(default=300, ge=0)
    page_size: int = Field(default=100, ge=1, le=100)
    detail_batch: int = Field(default=50, ge=1, le=50)


class ShopeeConfig(BaseModel):
    """Everything the Shopee connector and mapper need for one channel account."""

    model_config = _STRICT

    base_url: str = "https://partner.shopeemobile.com"
    partner_id: int
    partner_key_env: str = "CHOSYNC_SHOPEE_PARTNER_KEY"
    partner_key_file: Path | None = None
    shop_id: int
    logistics: tuple[ShopeeLogistic, ...] = ()
    category_map: dict[str, int | str] = Field(default_factory=dict)
    attribute_map: dict[str, int] = Field(default_factory=dict)
    required_attributes: dict[str, tuple[int, ...]] = Field(default_factory=dict)
    brand: ShopeeBrandRules = Field(default_factory=ShopeeBrandRules)
    description_template: str = "{description}"
    limits: ShopeeLimits = Field(default_factory=ShopeeLimits)
    rate: RateLimits = Field(default_factory=RateLimits)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    http: ShopeeHttpSettings = Field(default_factory=ShopeeHttpSettings)
    auth: ShopeeAuthSettings = Field(default_factory=ShopeeAuthSettings)
    listing: ShopeeListingSettings = Field(default_factory=ShopeeListingSettings)
    orders: ShopeeOrderSettings = Field(default_factory=ShopeeOrderSettings)

    def load_partner_key(self, environ: Mapping[str, str] | None = None) -> str:
        """The partner key from the secrets file if one is named, else from the environment variable."""
        if self.partner_key_file is not None:
            try:
                key = self.partner_key_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the Shopee partner key file {self.partner_key_file}: {exc.strerror}"
                ) from exc
        else:
            key = (os.environ if environ is None else environ).get(self.partner_key_env, "").strip()
        if not key:
            raise ConfigError(
                "the Shopee partner key is not set",
                hint=f"set {self.partner_key_env} or partner_key_file in the channel settings",
            )
        register_secret(key)
        return key


def load_shopee_config(path: Path | None = None, /, **account: Any) -> ShopeeConfig:
    """The channel toml (default `config/channels/shopee.toml`) overlaid with one account's settings.

    The toml's ``description_template_file`` is read relative to the toml and becomes
    ``description_template``; an account may give its own ``description_template`` text.
    """
    data = read_channel_toml(path or channel_toml_path("shopee"), account, what="Shopee")
    try:
        return ShopeeConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"Shopee channel settings are invalid: {exc}") from exc

"""TikTok Shop channel configuration: `config/channels/tiktok.toml` merged with one account's settings.

The toml holds what is the same for every shop (hosts, API versions, limits, the title template, the
product error codes, the order status mapping, rates); an account adds what is its own (``app_key``, and
what the connector learns on connecting: ``shop_id``, ``shop_cipher``, ``warehouse_id``). Every fact
the facts file marks uncertain lives in the toml, marked, so a better-known value is a config change.

The app secret is never in this model: it names the environment variable (or secrets file) that holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator

from connectors.kit.config import (
    ApiChannelConfig,
    ChannelTable,
    ListingLimits,
    channel_toml_path,
    load_channel_config,
    read_secret,
)
from connectors.kit.errors import Resolution
from core.ports import OrderStatus

__all__ = [
    "TikTokApiVersions",
    "TikTokAttributeRule",
    "TikTokAuthSettings",
    "TikTokCodeRule",
    "TikTokConfig",
    "TikTokLimits",
    "TikTokListingSettings",
    "TikTokOrderSettings",
    "load_tiktok_config",
]

ZeroStock = Literal["send_zero", "deactivate"]


def _text_id(value: Any) -> Any:
    # TikTok ids are 19-digit numbers sent as strings; `--set shop_id=7494...` arrives as an int.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class TikTokLimits(ListingLimits):
    """TikTok's listing limits for Vietnam, every value from the toml's ``[limits]``."""

    price_min_vnd: PositiveInt
    price_max_vnd: PositiveInt
    quantity_max: PositiveInt
    skus_max: PositiveInt
    sales_attributes_max: PositiveInt
    weight_max_decimals: NonNegativeInt
    image_min_px: PositiveInt
    price_batch: PositiveInt
    inventory_batch: PositiveInt
    status_batch: PositiveInt
    search_page_size: PositiveInt
    seller_skus_per_search: PositiveInt
    inventory_search_products: PositiveInt
    idempotency_key_max_chars: PositiveInt


class TikTokApiVersions(ChannelTable):
    """The version of each API family (TikTok versions per endpoint and retires old ones with notice)."""

    authorization: str = "202309"
    logistics: str = "202309"
    product: str = "202309"
    product_search: str = "202502"
    orders: str = "202309"


class TikTokAuthSettings(ChannelTable):
    refresh_margin_s: float = Field(default=86_400.0, ge=0)
    refresh_warn_days: float = Field(default=14.0, ge=0)
    refresh_token_single_use: bool = True


class TikTokCodeRule(ChannelTable):
    """One TikTok business code: what to do about it, and what to tell the seller."""

    resolution: Resolution
    message: str
    field: str | None = None


class TikTokAttributeRule(ChannelTable):
    """One product attribute of a category (`tiktok-attributes.csv`): which catalog fact fills it."""

    category_id: str  # "*" = every category
    attribute_id: str
    name: str = ""
    source: str = ""  # a ProductRecord field (origin_province...) or attribute:<name>
    required: bool = False

    _ids = field_validator("category_id", "attribute_id", mode="before")(_text_id)


class TikTokListingSettings(ChannelTable):
    save_mode: Literal["LISTING", "AS_DRAFT"] = "LISTING"
    zero_stock: ZeroStock = "send_zero"
    image_use_case: str = "MAIN_IMAGE"
    currency: str = "VND"
    locale: str = "vi-VN"
    category_version: str = "v1"
    idempotency_prefix: str = "chosync"


class TikTokOrderSettings(ChannelTable):
    initial_lookback_days: float = Field(default=15.0, gt=0)
    overlap_s: int = Field(default=300, ge=0)
    page_size: int = Field(default=100, ge=1, le=100)
    statuses: dict[str, OrderStatus]


class TikTokConfig(ApiChannelConfig):
    """Everything the TikTok connector and mapper need for one channel account."""

    auth_base_url: str
    authorize_url: str
    service_id: str | None = None
    app_key: str
    app_secret_env: str = "CHOSYNC_TIKTOK_APP_SECRET"  # noqa: S105 (a variable's name)
    app_secret_file: Path | None = None
    shop_id: str | None = None
    shop_cipher: str | None = None
    warehouse_id: str | None = None
    title_template: str
    brand_ids: dict[str, str] = Field(default_factory=dict)
    attribute_map_file: Path | None = None
    attributes: tuple[TikTokAttributeRule, ...] = ()
    limits: TikTokLimits
    api: TikTokApiVersions = Field(default_factory=TikTokApiVersions)
    auth: TikTokAuthSettings = Field(default_factory=TikTokAuthSettings)
    listing: TikTokListingSettings = Field(default_factory=TikTokListingSettings)
    orders: TikTokOrderSettings
    codes: dict[str, TikTokCodeRule] = Field(default_factory=dict)

    _ids = field_validator("app_key", "shop_id", "shop_cipher", "warehouse_id", "service_id", mode="before")(_text_id)

    def load_app_secret(self, environ: Mapping[str, str] | None = None) -> str:
        return read_secret(
            "the TikTok Shop app secret",
            file=self.app_secret_file,
            env_var=self.app_secret_env,
            environ=environ,
            hint=f"set {self.app_secret_env}, or app_secret_file in the channel settings",
        )

    def rules_for(self, category_id: str) -> dict[str, list[TikTokAttributeRule]]:
        """Attribute id → its rules for ``category_id``: the category's own rows, else the ``*`` rows."""
        own: dict[str, list[TikTokAttributeRule]] = {}
        every: dict[str, list[TikTokAttributeRule]] = {}
        for rule in self.attributes:
            target = own if rule.category_id == category_id else every if rule.category_id == "*" else None
            if target is not None:
                target.setdefault(rule.attribute_id, []).append(rule)
        return {**every, **own}


def load_tiktok_config(path: Path | None = None, /, **account: Any) -> TikTokConfig:
    """The channel toml (default `config/channels/tiktok.toml`) overlaid with one account's settings; the
    attribute map file (relative to the toml) read in, the account's own ``attributes`` rows first (the first
    row that gives a value wins)."""
    toml = path or channel_toml_path("tiktok")
    config = load_channel_config(TikTokConfig, "tiktok", toml, account, what="TikTok Shop")
    if config.attribute_map_file is None:
        return config
    from connectors.tiktok.attributes import read_attribute_file  # the CSV reader needs the model above

    rows = read_attribute_file(toml.parent / config.attribute_map_file)
    return config.model_copy(update={"attributes": (*config.attributes, *rows)})

"""Postmart channel configuration: the API contract of `config/channels/postmart.toml`, one account's settings.

Postmart publishes one readable page of its merchant API (the categories call and the envelope), so
this model holds the whole contract as data: every endpoint's method and path, the auth scheme, the
envelope keys, every field name of products, SKUs, orders, areas and images, the status codes, limits
and paging. The toml marks each value CONFIRMED, ASSUMED or OURS. The connector and the sandbox
(:mod:`connectors.sandbox.postmart`) are both built from this model, so they cannot drift apart:
fixing a name in the toml fixes both. Nothing here is secret: the password (or API key) is read from the
environment variable (or file) the model names, by :meth:`PostmartConfig.load_secret`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from connectors.base import OrderStatus
from connectors.channel_config import channel_toml_path, read_channel_toml
from connectors.ratelimit import RateLimits
from connectors.retry import RetrySettings
from core.errors import ConfigError
from core.logs import register_secret

__all__ = [
    "CodeResolution",
    "Endpoint",
    "PostmartAuth",
    "PostmartConfig",
    "PostmartEndpoints",
    "PostmartEnvelope",
    "PostmartFields",
    "PostmartLimits",
    "load_postmart_config",
    "load_postmart_contract",
]

_STRICT = ConfigDict(frozen=True, extra="forbid")
CodeResolution = Literal["retry", "rate_limited", "auth", "permanent", "unsafe"]


class Endpoint(BaseModel):
    model_config = _STRICT

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str

    @field_validator("path")
    @classmethod
    def _relative(cls, value: str) -> str:
        return value.strip().strip("/")

    def url_path(self, **ids: str) -> str:
        """The path with a leading slash and its ``{placeholders}`` filled."""
        try:
            return "/" + self.path.format(**ids)
        except (KeyError, IndexError) as exc:
            raise ConfigError(f"Postmart endpoint path {self.path!r} names an unknown placeholder {exc}") from exc


class PostmartEndpoints(BaseModel):
    model_config = _STRICT

    categories: Endpoint
    login: Endpoint
    areas: Endpoint
    image_upload: Endpoint
    product_create: Endpoint
    product_update: Endpoint
    product_price: Endpoint
    product_stock: Endpoint
    product_state: Endpoint
    product_delete: Endpoint
    product_list: Endpoint
    orders: Endpoint


class PostmartEnvelope(BaseModel):
    model_config = _STRICT

    code: str = "code"
    message: str = "message"
    result: str = "result"
    request_method: str = "requestMethod"
    success_code: int = 200
    codes: dict[str, CodeResolution] = Field(default_factory=dict)


class PostmartAuth(BaseModel):
    model_config = _STRICT

    mode: Literal["login", "api_key"] = "login"
    header: str = "Authorization"
    scheme: str = "Bearer"
    username_field: str = "username"
    password_field: str = "password"  # noqa: S105 (a field name, not a password)
    token_field: str = "token"  # noqa: S105 (a field name, not a token)
    expires_in_field: str = "expires_in"
    token_ttl_s: float = Field(default=3600.0, gt=0)
    refresh_margin_s: float = Field(default=60.0, ge=0)
    password_env: str = "CHOSYNC_POSTMART_PASSWORD"  # noqa: S105 (a variable name, not a password)
    api_key_env: str = "CHOSYNC_POSTMART_API_KEY"


class PostmartPaging(BaseModel):
    model_config = _STRICT

    page_param: str = "page"
    size_param: str = "limit"
    items_field: str = "data"
    total_field: str = "total"
    page_size: int = Field(default=50, ge=1)


class CategoryFields(BaseModel):
    model_config = _STRICT
    id: str = "gc_id"
    name: str = "gc_name"
    parent_id: str = "gc_parent_id"
    visible: str = "gc_show"
    children: str = "children"


class AreaFields(BaseModel):
    model_config = _STRICT
    id: str = "area_id"
    name: str = "area_name"
    parent_id: str = "area_parent_id"
    depth: str = "area_deep"
    parent_param: str = "area_parent_id"


class ImageFields(BaseModel):
    model_config = _STRICT
    file: str = "file"
    name: str = "file_name"


class ProductFields(BaseModel):
    model_config = _STRICT
    spu_id: str = "goods_commonid"
    serial: str = "goods_serial"
    name: str = "goods_name"
    category: str = "gc_id"
    description: str = "goods_body"
    image: str = "goods_image"
    images: str = "goods_images"
    weight: str = "goods_weight"
    state: str = "goods_state"
    verify: str = "goods_verify"
    skus: str = "goods_list"
    serial_param: str = "goods_serial"
    ids: str = "goods_commonids"


class SkuFields(BaseModel):
    model_config = _STRICT
    sku_id: str = "goods_id"
    serial: str = "goods_serial"
    price: str = "goods_price"
    stock: str = "goods_storage"
    spec: str = "goods_spec"
    list: str = "goods"
    failed: str = "failed"
    reason: str = "reason"


class OrderFields(BaseModel):
    model_config = _STRICT
    order_id: str = "order_sn"
    state: str = "order_state"
    created: str = "add_time"
    updated: str = "update_time"
    total: str = "order_amount"
    lines: str = "order_goods"
    since_param: str = "update_time_from"


class OrderLineFields(BaseModel):
    model_config = _STRICT
    line_id: str = "rec_id"
    sku_id: str = "goods_id"
    spu_id: str = "goods_commonid"
    serial: str = "goods_serial"
    quantity: str = "goods_num"
    price: str = "goods_price"


class PostmartFields(BaseModel):
    model_config = _STRICT

    category: CategoryFields = Field(default_factory=CategoryFields)
    area: AreaFields = Field(default_factory=AreaFields)
    image: ImageFields = Field(default_factory=ImageFields)
    product: ProductFields = Field(default_factory=ProductFields)
    sku: SkuFields = Field(default_factory=SkuFields)
    order: OrderFields = Field(default_factory=OrderFields)
    order_line: OrderLineFields = Field(default_factory=OrderLineFields)


class PostmartOrders(BaseModel):
    model_config = _STRICT

    status_map: dict[str, OrderStatus] = Field(default_factory=dict)
    initial_lookback_days: float = Field(default=30.0, gt=0)
    overlap_s: int = Field(default=300, ge=0)


class PostmartListing(BaseModel):
    model_config = _STRICT

    on_value: int = 1
    off_value: int = 0
    banned_value: int = 10
    verify_ok: int = 1
    verify_rejected: int = 0
    verify_waiting: int = 10


class PostmartLimits(BaseModel):
    model_config = _STRICT

    name_min_chars: int = Field(default=5, ge=1)
    name_max_chars: int = Field(default=120, ge=1)
    description_max_chars: int = Field(default=5000, ge=1)
    images_min: int = Field(default=1, ge=0)
    images_max: int = Field(default=5, ge=1)
    image_max_bytes: int = Field(default=2 * 1024 * 1024, ge=1)
    sku_max_chars: int = Field(default=50, ge=1)
    spec_max_chars: int = Field(default=100, ge=1)
    stock_max: int = Field(default=10_000_000, ge=0)
    batch_max: int = Field(default=50, ge=1)


class PostmartHttp(BaseModel):
    model_config = _STRICT

    timeout_s: float = Field(default=20.0, gt=0)
    connect_timeout_s: float = Field(default=5.0, gt=0)


class PostmartConfig(BaseModel):
    """Everything the Postmart connector, mapper and sandbox need, for one channel account."""

    model_config = _STRICT

    base_url: str = "https://open.postmart.com.vn"
    username: str | None = None
    password_file: Path | None = None
    category_map: dict[str, int | str] = Field(default_factory=dict)
    description_template: str = "{description}"
    envelope: PostmartEnvelope = Field(default_factory=PostmartEnvelope)
    auth: PostmartAuth = Field(default_factory=PostmartAuth)
    endpoints: PostmartEndpoints
    paging: PostmartPaging = Field(default_factory=PostmartPaging)
    fields: PostmartFields = Field(default_factory=PostmartFields)
    orders: PostmartOrders = Field(default_factory=PostmartOrders)
    listing: PostmartListing = Field(default_factory=PostmartListing)
    limits: PostmartLimits = Field(default_factory=PostmartLimits)
    rate: RateLimits = Field(default_factory=RateLimits)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    http: PostmartHttp = Field(default_factory=PostmartHttp)

    def load_secret(self, environ: Mapping[str, str] | None = None) -> str:
        """The password (login mode) or API key (api_key mode), registered as a secret once read."""
        env = os.environ if environ is None else environ
        if self.auth.mode == "api_key":
            key = env.get(self.auth.api_key_env, "").strip()
            where = self.auth.api_key_env
        elif self.password_file is not None:
            try:
                key = self.password_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the Postmart password file {self.password_file}: {exc.strerror}"
                ) from exc
            where = str(self.password_file)
        else:
            key = env.get(self.auth.password_env, "").strip()
            where = self.auth.password_env
        if not key:
            raise ConfigError(
                f"the Postmart {'API key' if self.auth.mode == 'api_key' else 'password'} is not set",
                hint=f"set {where} (it is never stored in the database)",
            )
        register_secret(key)
        return key


def load_postmart_contract(path: Path | None = None, /, **account: Any) -> PostmartConfig:
    """The toml (default `config/channels/postmart.toml`) overlaid with ``account``, checked as a contract
    only: what the sandbox reads (it serves every merchant, so it needs no username)."""
    data = read_channel_toml(path or channel_toml_path("postmart"), account, what="Postmart")
    try:
        return PostmartConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"Postmart channel settings are invalid: {exc}") from exc


def load_postmart_config(path: Path | None = None, /, **account: Any) -> PostmartConfig:
    """The channel toml (default `config/channels/postmart.toml`) overlaid with one account's settings."""
    config = load_postmart_contract(path, **account)
    if config.auth.mode == "login" and not config.username:
        raise ConfigError(
            "a Postmart account needs the merchant's username",
            hint="add it with --set username=NAME (the password comes from the environment)",
        )
    return config

"""Postmart channel configuration: the API contract of `config/channels/postmart.toml`, one account's settings.

Postmart publishes one readable page of its merchant API (the categories call and the envelope), so
this model holds the whole contract as data: every endpoint's method and path, the auth scheme, the
envelope keys, every field name of products, SKUs, orders, areas and images, the status codes, limits
and paging. The toml marks each value CONFIRMED, ASSUMED or OURS, and is the only place a contract value
is written: the model declares names, types and bounds, with no second, unmarked copy of the values, so
a contract key missing from the toml is an error naming it, not a silent guess from code. The connector
and the sandbox (:mod:`simulators.postmart.sandbox`) are both built from this model, so they cannot
drift apart: fixing a name in the toml fixes both. Nothing here is secret: the password (or API key) is read from the
environment variable (or file) the model names, by :meth:`PostmartConfig.load_secret`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, field_validator

from connectors.kit.config import ApiChannelConfig, ChannelTable, ListingLimits, load_channel_config, read_secret
from core.errors import ConfigError
from core.ports import OrderStatus

__all__ = [
    "CodeResolution",
    "CodeRule",
    "Endpoint",
    "PostmartAuth",
    "PostmartConfig",
    "PostmartEndpoints",
    "PostmartEnvelope",
    "PostmartFields",
    "PostmartLimits",
    "PostmartWire",
    "load_postmart_config",
    "load_postmart_contract",
    "read_time",
    "wire_time",
]

CodeResolution = Literal["retry", "rate_limited", "auth", "permanent", "unsafe"]
TimeFormat = Literal["unix_s", "unix_ms", "iso8601"]
# How an ISO 8601 time without an offset is read, and the offset ISO times are sent with (ASSUMED with
# the format: a Vietnamese floor's clock).
_VIETNAM = timezone(timedelta(hours=7))


def wire_time(moment: datetime, time_format: TimeFormat) -> int | str:
    """``moment`` as the contract's ``time_format`` writes it (query parameters, and the sandbox's answers)."""
    if time_format == "unix_s":
        return int(moment.timestamp())
    if time_format == "unix_ms":
        return int(moment.timestamp() * 1000)
    return moment.astimezone(_VIETNAM).isoformat(timespec="seconds")


def read_time(value: object, time_format: TimeFormat) -> datetime | None:
    """A time written in ``time_format``, in UTC; None when it is not one."""
    if time_format == "iso8601":
        if not isinstance(value, str):
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=_VIETNAM)).astimezone(UTC)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int):
        return None
    return datetime.fromtimestamp(value / 1000 if time_format == "unix_ms" else value, UTC)


class Endpoint(ChannelTable):
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


class PostmartEndpoints(ChannelTable):
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


class CodeRule(ChannelTable):
    """What one body code (or class of codes, "4xx") means: how to react, and what to tell the seller."""

    resolution: CodeResolution
    message: str = "Postmart refused the request"
    field: str | None = None
    hint: str | None = None


class PostmartEnvelope(ChannelTable):
    code: str
    message: str
    result: str
    request_method: str
    success_code: int
    not_found_code: int
    codes: dict[str, CodeRule]

    @field_validator("codes", mode="before")
    @classmethod
    def _bare_resolutions(cls, value: object) -> object:
        # An account may override a code with its resolution alone: "409" = "retry".
        if isinstance(value, Mapping):
            return {str(k): {"resolution": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    def rule_for(self, code: int) -> CodeRule | None:
        """The table's rule for a body code: its own entry, else its class ("4xx"), else None."""
        return self.codes.get(str(code)) or self.codes.get(f"{code // 100}xx")


class PostmartAuth(ChannelTable):
    mode: Literal["login", "api_key"]
    header: str
    scheme: str
    username_field: str
    password_field: str
    token_field: str
    expires_in_field: str
    token_ttl_s: PositiveFloat
    refresh_margin_s: NonNegativeFloat
    password_env: str
    api_key_env: str


class PostmartPaging(ChannelTable):
    first_page: NonNegativeInt
    page_param: str
    size_param: str
    items_field: str
    total_field: str
    page_size: PositiveInt


class CategoryFields(ChannelTable):
    id: str
    name: str
    parent_id: str
    visible: str
    children: str


class AreaFields(ChannelTable):
    id: str
    name: str
    parent_id: str
    depth: str
    parent_param: str


class ImageFields(ChannelTable):
    file: str
    filename: str
    name: str


class PostmartWire(ChannelTable):
    """How requests are encoded: POST bodies as JSON or as a PHP-style form, images as a multipart file or
    as base64 text in an ordinary body."""

    body: Literal["json", "form"]
    upload: Literal["multipart", "base64"]


class ProductFields(ChannelTable):
    spu_id: str
    serial: str
    name: str
    category: str
    description: str
    image: str
    images: str
    weight: str
    state: str
    verify: str
    skus: str
    serial_param: str
    ids: str


class SkuFields(ChannelTable):
    sku_id: str
    serial: str
    price: str
    stock: str
    spec: str
    list: str
    failed: str
    reason: str


class OrderFields(ChannelTable):
    order_id: str
    state: str
    created: str
    updated: str
    total: str
    lines: str
    since_param: str
    time_format: TimeFormat


class OrderLineFields(ChannelTable):
    line_id: str
    sku_id: str
    spu_id: str
    serial: str
    quantity: str
    price: str


class PostmartFields(ChannelTable):
    category: CategoryFields
    area: AreaFields
    image: ImageFields
    product: ProductFields
    sku: SkuFields
    order: OrderFields
    order_line: OrderLineFields


class PostmartOrders(ChannelTable):
    status_map: dict[str, OrderStatus]
    initial_lookback_days: PositiveFloat
    overlap_s: NonNegativeInt


class PostmartListing(ChannelTable):
    on_value: int
    off_value: int
    banned_value: int
    verify_ok: int
    verify_rejected: int
    verify_waiting: int


class PostmartLimits(ListingLimits):
    spec_max_chars: PositiveInt
    stock_max: NonNegativeInt
    batch_max: PositiveInt


class PostmartConfig(ApiChannelConfig):
    """Everything the Postmart connector, mapper and sandbox need, for one channel account (``base_url``, the
    category map, the rate, retry, HTTP, error and image tables are every API channel's: :class:`ApiChannelConfig`)."""

    username: str | None = None
    password_file: Path | None = None
    envelope: PostmartEnvelope
    auth: PostmartAuth
    endpoints: PostmartEndpoints
    paging: PostmartPaging
    wire: PostmartWire
    fields: PostmartFields
    orders: PostmartOrders
    listing: PostmartListing
    limits: PostmartLimits

    def load_secret(self, environ: Mapping[str, str] | None = None) -> str:
        """The password (login mode) or API key (api_key mode), registered as a secret once read."""
        api_key = self.auth.mode == "api_key"
        file = None if api_key else self.password_file
        env_var = self.auth.api_key_env if api_key else self.auth.password_env
        return read_secret(
            f"the Postmart {'API key' if api_key else 'password'}",
            file=file,
            env_var=env_var,
            environ=environ,
            hint=f"set {file or env_var} (it is never stored in the database)",
        )


def load_postmart_contract(path: Path | None = None, /, **account: Any) -> PostmartConfig:
    """The toml (default `config/channels/postmart.toml`) overlaid with ``account``, checked as a contract
    only: what the sandbox reads (it serves every merchant, so it needs no username)."""
    return load_channel_config(PostmartConfig, "postmart", path, account, what="Postmart")


def load_postmart_config(path: Path | None = None, /, **account: Any) -> PostmartConfig:
    """The channel toml (default `config/channels/postmart.toml`) overlaid with one account's settings."""
    config = load_postmart_contract(path, **account)
    if config.auth.mode == "login" and not config.username:
        raise ConfigError(
            "a Postmart account needs the merchant's username",
            hint="add it with --set username=NAME (the password comes from the environment)",
        )
    return config

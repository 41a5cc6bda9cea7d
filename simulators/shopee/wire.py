"""The Shopee wire format as the sandbox reads and writes it: signing, refusals, parameters, money.

Everything an endpoint needs to read a request the way Shopee does lives here: the HMAC signature
(implemented independently of any connector, checked against ``marketplaces/test-vectors.md``), the
:class:`ShopeeError` an endpoint raises to refuse a call, the :class:`ShopeeCall` it receives, and readers
for query and JSON parameters that refuse bad input with Shopee's own wording ("Wrong parameters,
detail: …"), multipart bodies (:mod:`simulators.common.multipart`) among them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulators.common import multipart as common_multipart
from simulators.common.multipart import FilePart, MultipartError
from simulators.shopee.config import ShopeeConfig
from simulators.shopee.records import Shop
from simulators.shopee.state import ShopeeBackOffice

__all__ = [
    "FilePart",
    "JsonObject",
    "ShopeeCall",
    "ShopeeError",
    "as_bool",
    "as_int",
    "as_list",
    "as_object",
    "as_str",
    "batch",
    "build_push",
    "param_error",
    "parse_json_body",
    "parse_multipart",
    "push_authorization",
    "query_csv_ints",
    "query_int",
    "require",
    "shopee_sign",
    "sign_base",
    "whole_dong",
]

JsonObject = dict[str, Any]


def shopee_sign(partner_key: str, base: str) -> str:
    """HMAC-SHA256 keyed with the partner key as UTF-8 text (not hex-decoded), as lowercase hex."""
    return hmac.new(partner_key.encode(), base.encode(), hashlib.sha256).hexdigest()


def sign_base(partner_id: int, path: str, timestamp: int, access_token: str = "", shop_id: int | None = None) -> str:
    """partner_id + path + timestamp, then + access_token + shop_id for shop APIs; no separators."""
    base = f"{partner_id}{path}{timestamp}"
    return base if shop_id is None else f"{base}{access_token}{shop_id}"


def push_authorization(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """The Authorization header of a push: hex HMAC-SHA256 of ``callback_url|raw_body``."""
    return hmac.new(partner_key.encode(), callback_url.encode() + b"|" + raw_body, hashlib.sha256).hexdigest()


def build_push(partner_key: str, callback_url: str, payload: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """A push (webhook) request as Shopee would POST it: the raw body and its signed headers."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "Authorization": push_authorization(partner_key, callback_url, raw),
    }
    return raw, headers


class ShopeeError(Exception):
    """A refusal, rendered as the envelope ``{"error": code, "message": message}``.

    ``http_status`` 200 is Shopee's habit for business errors (success is ``error == ""``, never the
    status); the gateway's own refusals set theirs from ``ShopeeConfig.gateway_status``.
    """

    def __init__(self, error: str, message: str, *, http_status: int = 200) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error
        self.message = message
        self.http_status = http_status


def param_error(detail: str) -> ShopeeError:
    return ShopeeError("error_param", f"Wrong parameters, detail: {detail}.")


@dataclass
class ShopeeCall:
    """One authenticated request, as an endpoint handler sees it."""

    office: ShopeeBackOffice
    path: str
    partner_id: int
    shop: Shop | None  # None for public calls
    query: Mapping[str, Sequence[str]]  # every value of every query parameter, in order
    body: JsonObject = field(default_factory=dict)
    parts: list[FilePart] = field(default_factory=list)

    @property
    def config(self) -> ShopeeConfig:
        return self.office.config

    @property
    def shop_id(self) -> int:
        if self.shop is None:
            raise param_error("shop_id is required")
        return self.shop.shop_id

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def args(self, name: str) -> list[str]:
        return list(self.query.get(name, ()))

    def money(self, amount: int) -> int | float:
        """A price on the wire: Shopee types prices as float, so by default 12500 goes out as 12500.0."""
        return float(amount) if self.config.price_as_float else amount


def require(body: JsonObject, name: str) -> Any:
    if body.get(name) is None:
        raise param_error(f"{name} is required")
    return body[name]


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise param_error(f"{name} should be an integer")
    return value


def as_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise param_error(f"{name} should be a string")
    return value


def as_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise param_error(f"{name} should be a boolean")
    return value


def as_list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise param_error(f"{name} should be a list")
    return value


def as_object(value: Any, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise param_error(f"{name} should be an object")
    return value


def whole_dong(value: Any, name: str) -> int:
    """A VND amount: a JSON number with no fractional part (12500 or 12500.0, never 12500.5)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise param_error(f"{name} should be a number")
    if isinstance(value, float) and not value.is_integer():
        raise param_error(f"{name} must be an integer for VN, got {value}")
    return int(value)


def batch(value: Any, name: str, limit: int) -> list[Any]:
    items = as_list(value, name)
    if not 1 <= len(items) <= limit:
        raise param_error(f"{name} length should be between 1 and {limit}")
    return items


def query_int(call: ShopeeCall, name: str, *, default: int | None = None) -> int:
    raw = call.arg(name)
    if raw is None or raw == "":
        if default is None:
            raise param_error(f"{name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise param_error(f"{name} should be an integer") from None


def query_csv_ints(call: ShopeeCall, name: str, limit: int) -> list[int]:
    """A comma list such as ``item_id_list=1,2,3`` (1..limit entries)."""
    raw = call.arg(name)
    if not raw:
        raise param_error(f"{name} is required")
    try:
        values = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise param_error(f"{name} should be a comma separated list of integers") from None
    if not 1 <= len(values) <= limit:
        raise param_error(f"{name} length should be between 1 and {limit}")
    return values


def parse_multipart(content_type: str, body: bytes) -> list[FilePart]:
    """The parts of a ``multipart/form-data`` body (RFC 7578), files and plain fields alike."""
    try:
        return common_multipart.parse_multipart(content_type, body)
    except MultipartError:
        raise param_error("the request should be multipart/form-data") from None


def parse_json_body(raw: bytes) -> JsonObject:
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise param_error("the request body is not valid JSON") from None
    return as_object(body, "request body")

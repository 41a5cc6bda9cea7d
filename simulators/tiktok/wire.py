"""The TikTok Shop wire format as the sandbox reads and writes it: signing, refusals, the call, readers.

Everything an endpoint needs to read a request the way TikTok Shop does lives here: the HMAC signature
(implemented independently of any connector, checked against ``marketplaces/test-vectors.md``), the
error codes the sandbox answers with, the :class:`TikTokError` an endpoint raises to refuse a call, the
:class:`TikTokCall` it receives, and readers for JSON fields that refuse bad input in one sentence naming
the field. Every answer is the envelope ``{code, message, request_id, data}``: ``code`` 0 is success,
business errors come with HTTP 200, the gateway's own refusals with 401 / 404 / 405 / 429.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulators.common.multipart import FilePart
from simulators.tiktok.config import TikTokConfig
from simulators.tiktok.records import AccessToken, App, Shop
from simulators.tiktok.state import TikTokBackOffice

__all__ = [
    "BAD_ATTRIBUTE",
    "BAD_CATEGORY",
    "BAD_DESCRIPTION",
    "BAD_IMAGE",
    "BAD_PACKAGE",
    "BAD_PRICE",
    "BAD_QUANTITY",
    "BAD_SELLER_SKU",
    "BAD_SIGN",
    "BAD_TITLE",
    "BATCH_TOO_LARGE",
    "CIPHER_MISSING",
    "FILE_TOO_LARGE",
    "INVALID_AUTH",
    "INVALID_GRANT",
    "NOT_FOUND",
    "PRICE_LOCKED",
    "QUANTITY_LOCKED",
    "RATE_LIMITED",
    "STATUS_REFUSES",
    "TOKEN_EXPIRED",
    "JsonObject",
    "TikTokCall",
    "TikTokError",
    "as_list",
    "as_object",
    "as_str",
    "id_list",
    "param_error",
    "require",
    "sign_payload",
    "tiktok_sign",
]

JsonObject = dict[str, Any]

# Gateway (HTTP 401 unless said otherwise).
INVALID_AUTH = 36009004  # bad app_key, timestamp, token, or shop_cipher of another shop
BAD_SIGN = 106001
TOKEN_EXPIRED = 105002
CIPHER_MISSING = 106013
RATE_LIMITED = 36009002  # HTTP 429
FILE_TOO_LARGE = 36009021
INVALID_GRANT = 36004004  # token host: bad or spent auth_code / refresh_token (HTTP 200)
# Products (HTTP 200); codes beyond the facts file are the shared contract's (UNC).
BAD_CATEGORY = 12019001
BAD_ATTRIBUTE = 12019002
BAD_TITLE = 12019003
BAD_SELLER_SKU = 12019004
BAD_PRICE = 12019005
BAD_IMAGE = 12019006
BAD_DESCRIPTION = 12019007
BAD_PACKAGE = 12019008
BATCH_TOO_LARGE = 12019120  # "product ids exceed limit", used for every list over its limit
STATUS_REFUSES = 12052003
PRICE_LOCKED = 12052038
QUANTITY_LOCKED = 12052146
BAD_QUANTITY = 12052147
NOT_FOUND = 12052404


def sign_payload(secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> bytes:
    """What is signed: secret + path + sorted ``key+value`` (not sign, not access_token) + body + secret."""
    params = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in ("sign", "access_token"))
    return secret.encode() + path.encode() + params.encode() + body + secret.encode()


def tiktok_sign(secret: str, path: str, query: Mapping[str, str], body: bytes = b"") -> str:
    """Lowercase hex HMAC-SHA256 keyed with the app secret; ``body`` empty for multipart requests."""
    return hmac.new(secret.encode(), sign_payload(secret, path, query, body), hashlib.sha256).hexdigest()


class TikTokError(Exception):
    """A refusal, rendered as the envelope ``{"code": code, "message": message, "data": null}``."""

    def __init__(self, code: int, message: str, *, http_status: int = 200, retry_after: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after


def param_error(config: TikTokConfig, detail: str) -> TikTokError:
    return TikTokError(config.param_error_code, f"Invalid params: {detail}")


@dataclass
class TikTokCall:
    """One authenticated request, as an endpoint handler sees it."""

    office: TikTokBackOffice
    path: str
    app: App
    query: Mapping[str, str]  # the first value of every query parameter
    ids: Mapping[str, str] = field(default_factory=dict)  # from the path, e.g. product_id
    token: AccessToken | None = None
    shop: Shop | None = None  # the shop of shop_cipher, on shop APIs
    body: JsonObject = field(default_factory=dict)
    parts: list[FilePart] = field(default_factory=list)

    @property
    def config(self) -> TikTokConfig:
        return self.office.config

    @property
    def shop_id(self) -> str:
        if self.shop is None:
            raise TikTokError(CIPHER_MISSING, "shop_cipher is required", http_status=401)
        return self.shop.shop_id

    def bad(self, detail: str) -> TikTokError:
        return param_error(self.config, detail)

    def page_size(self) -> int:
        raw = self.query.get("page_size", "")
        if not raw.isdigit() or not 1 <= int(raw) <= self.config.page_size:
            raise self.bad(f"page_size must be an integer between 1 and {self.config.page_size}")
        return int(raw)


def require(call: TikTokCall, body: JsonObject, name: str) -> Any:
    if body.get(name) is None:
        raise call.bad(f"{name} is required")
    return body[name]


def as_str(call: TikTokCall, value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise call.bad(f"{name} must be a string")
    return value


def as_list(call: TikTokCall, value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise call.bad(f"{name} must be a list")
    return value


def as_object(call: TikTokCall, value: Any, name: str) -> JsonObject:
    if not isinstance(value, dict):
        raise call.bad(f"{name} must be an object")
    return value


def id_list(call: TikTokCall, value: Any, name: str, limit: int) -> list[str]:
    """A list of 1..limit string ids; over the limit is TikTok's "exceed limit" refusal."""
    ids = as_list(call, value, name)
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise call.bad(f"{name} must be a non-empty list of strings")
    if len(ids) > limit:
        raise TikTokError(BATCH_TOO_LARGE, f"{name} exceed limit: at most {limit}")
    return ids

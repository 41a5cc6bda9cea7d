"""The Lazada wire format as the simulator reads and writes it: signing, refusals, the call, readers.

Everything an endpoint needs to read a request the way Lazada does lives here: the HMAC-SHA256 signature
(implemented independently of any connector, checked against the official worked example and
``test-vectors.md``), the error codes the simulator answers with, the :class:`LazadaError` an endpoint
raises to refuse a call, the :class:`LazadaCall` it receives (every parameter, system and business, as
one flat mapping, as Lazada reads a query or a form body alike), and readers for parameters and the JSON
``payload`` that refuse bad input in one sentence naming the field. Answers are ``{"code": "0", "data",
"request_id"}``; refusals ``{"type", "code", "message", "request_id"}`` (plus ``detail``), HTTP 200 unless
the gateway says otherwise (404 unknown path, 500 internal error, throttling as configured).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from simulators.lazada.config import LazadaConfig
from simulators.lazada.records import AccessToken, App, Seller
from simulators.lazada.state import LazadaBackOffice

__all__ = [
    "API_CALL_LIMIT",
    "BAD_DATE",
    "BRAND_INVALID",
    "CATEGORY_INVALID",
    "DUPLICATE_SELLER_SKU",
    "DUPLICATE_VARIATION",
    "EXTERNAL_IMAGE",
    "ILLEGAL_ACCESS_TOKEN",
    "ILLEGAL_REFRESH_TOKEN",
    "INCOMPLETE_SIGNATURE",
    "INTERNAL_ERROR",
    "INVALID_API_PATH",
    "INVALID_APP_KEY",
    "INVALID_CODE",
    "INVALID_TIMESTAMP",
    "MAIN_IMAGE_REQUIRED",
    "MISSING_ATTRIBUTE",
    "MISSING_PARAMETER",
    "PACKAGE_TOO_LARGE",
    "PRICE_PRECISION",
    "PRICE_ZERO",
    "SELLER_SKU_NOT_SUPPORTED",
    "SERVICE_TIMEOUT",
    "SKU_ID_MANDATORY",
    "SPECIAL_PRICE",
    "TOO_MANY",
    "TOO_MANY_IMAGES",
    "WEIGHT_TOO_HEAVY",
    "JsonObject",
    "LazadaCall",
    "LazadaError",
    "as_list",
    "as_object",
    "decimal",
    "envelope",
    "lazada_sign",
    "listed",
    "sign_base",
]

JsonObject = dict[str, Any]

# Gateway and token host (HTTP 200 unless said otherwise).
INVALID_API_PATH = "InvalidApiPath"  # HTTP 404
INVALID_APP_KEY = "InvalidAppKey"
INVALID_TIMESTAMP = "InvalidTimestamp"
INCOMPLETE_SIGNATURE = "IncompleteSignature"
ILLEGAL_ACCESS_TOKEN = "IllegalAccessToken"  # noqa: S105 (an error code, not a secret)
MISSING_PARAMETER = "MissingParameter"
INVALID_CODE = "InvalidCode"
ILLEGAL_REFRESH_TOKEN = "IllegalRefreshToken"  # noqa: S105 (an error code, not a secret)
API_CALL_LIMIT = "ApiCallLimit"
INTERNAL_ERROR = "InternalError"  # HTTP 500
SERVICE_TIMEOUT = "ServiceTimeout"
# Products (DOC codes; the UNC ones are in LazadaConfig).
PRICE_PRECISION = "4104"
DUPLICATE_VARIATION = "4112"
PRICE_ZERO = "4118"
DUPLICATE_SELLER_SKU = "4126"
EXTERNAL_IMAGE = "4138"
MAIN_IMAGE_REQUIRED = "4139"
BRAND_INVALID = "4142"
SPECIAL_PRICE = "4157"
WEIGHT_TOO_HEAVY = "4164"
PACKAGE_TOO_LARGE = "4165"
TOO_MANY_IMAGES = "4169"
TOO_MANY = "4171"  # "> 50 SKUs"; the simulator answers it for every list over its limit (OURS)
SELLER_SKU_NOT_SUPPORTED = "4193"
SKU_ID_MANDATORY = "4216"
CATEGORY_INVALID = "4227"
MISSING_ATTRIBUTE = "E030"
BAD_DATE = "E017"


def sign_base(api_path: str, params: Mapping[str, str]) -> str:
    """What is signed: the API path, then ``key + value`` of every parameter but ``sign``, sorted by key."""
    return api_path + "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")


def lazada_sign(secret: str, api_path: str, params: Mapping[str, str]) -> str:
    """Upper-case hex HMAC-SHA256 keyed with the app secret (file parameters are never in ``params``)."""
    return hmac.new(secret.encode(), sign_base(api_path, params).encode(), hashlib.sha256).hexdigest().upper()


class LazadaError(Exception):
    """A refusal, rendered as ``{"type", "code", "message", "request_id"}`` plus ``detail`` when given."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        kind: str = "ISV",
        http_status: int = 200,
        detail: list[JsonObject] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.kind = kind
        self.http_status = http_status
        self.detail = detail

    def body(self, request_id: str) -> JsonObject:
        answer: JsonObject = {"type": self.kind, "code": self.code, "message": self.message, "request_id": request_id}
        if self.detail:
            answer["detail"] = self.detail
        return answer


def envelope(data: Any, request_id: str) -> JsonObject:
    return {"code": "0", "data": data, "request_id": request_id}


@dataclass
class LazadaCall:
    """One authenticated request, as an endpoint handler sees it."""

    office: LazadaBackOffice
    api_path: str  # after /rest
    app: App
    params: Mapping[str, str]  # every parameter but files, system ones included
    token: AccessToken | None = None
    seller: Seller | None = None
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def config(self) -> LazadaConfig:
        return self.office.config

    @property
    def seller_id(self) -> str:
        assert self.seller is not None, "a seller API without a seller: the gateway let it through"
        return self.seller.seller_id

    def bad(self, message: str, **detail: str) -> LazadaError:
        """The payload is not what Lazada reads (config ``bad_payload_code``)."""
        return LazadaError(self.config.bad_payload_code, message, detail=[detail] if detail else None)

    def require(self, name: str) -> str:
        value = self.params.get(name, "")
        if not value:
            raise LazadaError(MISSING_PARAMETER, f"The input parameter '{name}' that is mandatory for processing "
                              "this request is not supplied")  # fmt: skip
        return value

    def integer(self, name: str, default: int, *, low: int = 0, high: int | None = None) -> int:
        raw = self.params.get(name)
        if raw is None:
            return default
        if not raw.strip().isdigit() or int(raw) < low or (high is not None and int(raw) > high):
            limit = f" and {high}" if high is not None else ""
            raise self.bad(f"{name} must be an integer between {low}{limit}", field=name)
        return int(raw)

    def json_param(self, name: str) -> Any:
        raw = self.require(name)
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise self.bad(f"{name} is not valid JSON", field=name) from None

    def string_list(self, name: str, limit: int) -> list[str]:
        """A JSON array of strings (or numbers) of at most ``limit`` entries."""
        value = self.json_param(name)
        if not isinstance(value, list) or not value or not all(isinstance(v, str | int) for v in value):
            raise self.bad(f"{name} must be a non-empty JSON array", field=name)
        if len(value) > limit:
            raise LazadaError(TOO_MANY, f"{name} has {len(value)} entries: at most {limit}")
        return [str(v) for v in value]

    def time_param(self, name: str) -> float | None:
        """An ISO 8601 time with its offset (``2024-01-01T00:00:00+07:00``) as Unix seconds."""
        raw = self.params.get(name)
        if raw is None:
            return None
        try:
            when = datetime.fromisoformat(raw.strip())
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            raise LazadaError(BAD_DATE, f"E017: {name} must be YYYY-MM-DDTHH:mm:ss±HH:MM, not {raw!r}")
        return when.timestamp()

    def payload(self, name: str = "payload") -> JsonObject:
        """``{"Request": {"Product": {...}}}``: the Product object."""
        body = self.json_param(name)
        request = body.get("Request") if isinstance(body, dict) else None
        product = request.get("Product") if isinstance(request, dict) else None
        if not isinstance(product, dict):
            raise self.bad(f'{name} must be {{"Request": {{"Product": {{...}}}}}}', field=name)
        return product


def listed(value: Any, inner: str) -> list[Any]:
    """``{"Sku": [...]}`` as its list; a lone object or string (as XML converters write one) as a list of one."""
    if value is None:
        return []
    entries = value.get(inner) if isinstance(value, dict) else value
    if entries is None:
        return []
    return entries if isinstance(entries, list) else [entries]


def as_object(call: LazadaCall, value: Any, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise call.bad(f"{where} must be an object", field=where)
    return value


def as_list(call: LazadaCall, value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise call.bad(f"{where} must be a list", field=where)
    return value


def decimal(value: Any) -> Decimal | None:
    """A number given as a JSON number or a string ("50000", "0.5"); None when it is neither."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None

"""The Lazada error boundary: its envelope and its error codes, on the kit's shared reading order.

A success is ``{"code": "0", "data": …, "request_id"}`` (the token calls answer flat, with ``code`` "0"
beside the tokens); an error is ``{"type": "ISV"|"ISP"|"SYSTEM", "code", "message", "request_id"}``,
usually with HTTP 200, and may name the SKUs at fault in ``detail: [{"field", "message", "seller_sku"}]``.
The system, auth and throttling codes are documented (lazada.md §2, §4) and live here; the validation
codes come from the toml's ``[codes]`` (a better-known code is a config change). A code in neither is a
permanent refusal carrying Lazada's own message and the SKUs its detail names.

Throttling (``901``, ``ApiCallLimit``, ``SYS_REQUEST_TOO_FAST``) is a rate limit: waited out (as long as
"this ban will last N seconds" says), spending no attempt. ``ServiceTimeout`` and ``513`` come when a call
carries too many SKUs: on a call the connector can cut (:meth:`LazadaEnvelope.splitting`) they are a
:class:`LazadaRefusal` with their code, and the batch is sent again in halves; elsewhere a server error
that may have been applied.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from connectors.kit.errors import BodyError, ErrorRule, HttpRules, Resolution, Unreadable, http_rules
from connectors.lazada.config import LazadaCodeRule
from core.errors import PermanentError
from core.logs import scrub

__all__ = [
    "LAZADA_CODES",
    "LAZADA_HTTP",
    "REAUTHORIZE_HINT",
    "LazadaEnvelope",
    "LazadaRefusal",
    "ban_seconds",
    "detail_skus",
]

_R = Resolution
COMMAND = "chosync channels connect lazada --seller <SELLER>"
REAUTHORIZE_HINT = (
    f"the seller must authorise the shop again: run '{COMMAND}', open the link it prints, then "
    f"'{COMMAND} --code <CODE>' with the code the redirect carries"
)
_BAN = re.compile(r"last\s+(\d+(?:\.\d+)?)\s*second", re.IGNORECASE)

LAZADA_CODES: Mapping[str, ErrorRule] = {
    "901": ErrorRule(_R.RATE_LIMITED, "Lazada asked us to slow down (E901)"),
    "ApiCallLimit": ErrorRule(_R.RATE_LIMITED, "Lazada asked us to slow down (ApiCallLimit)"),
    "SYS_REQUEST_TOO_FAST": ErrorRule(_R.RATE_LIMITED, "Lazada asked us to slow down"),
    "4154": ErrorRule(_R.RATE_LIMITED, "Lazada asked us to slow down (4154)"),
    # Whether the write was applied before an internal error or a timeout is not said.
    "InternalError": ErrorRule(_R.UNSAFE, "Lazada had an internal error"),
    "ServiceTimeout": ErrorRule(_R.UNSAFE, "Lazada timed out"),
    "513": ErrorRule(_R.UNSAFE, "Lazada timed out (513)"),
    "IllegalAccessToken": ErrorRule(_R.AUTH, "Lazada refused the access token"),
    "IllegalRefreshToken": ErrorRule(_R.REAUTHORIZE, "Lazada refused the refresh token", hint=REAUTHORIZE_HINT),
    "InvalidCode": ErrorRule(
        _R.REAUTHORIZE,
        "Lazada refused the authorisation code",
        hint="the code is single use and valid 30 minutes: authorise again",
    ),
    "AUTH_TYPE_UNSUPPORTED": ErrorRule(
        _R.REAUTHORIZE, "Lazada does not let this app refresh its tokens", hint=REAUTHORIZE_HINT
    ),
    "IncompleteSignature": ErrorRule(
        _R.PERMANENT, "Lazada says our request signature is wrong", hint="check the app secret"
    ),
    "InvalidAppKey": ErrorRule(_R.PERMANENT, "Lazada does not know our app key", hint="check the account's app_key"),
    "InvalidTimestamp": ErrorRule(
        _R.PERMANENT, "Lazada refused the request's time", hint="check this server's clock (NTP)"
    ),
    "InvalidApiPath": ErrorRule(_R.PERMANENT, "Lazada does not know this API path", hint="check base_url"),
    "MissingParameter": ErrorRule(_R.PERMANENT, "Lazada says a parameter is missing"),
    "SellerNotActive": ErrorRule(_R.PERMANENT, "the Lazada seller account is not active"),
    "SellerNotVerified": ErrorRule(_R.PERMANENT, "the Lazada seller account is not verified yet"),
}

LAZADA_HTTP: HttpRules = http_rules("Lazada")


def ban_seconds(message: str) -> float | None:
    """How long a throttle says its ban lasts ("this ban will last 1 seconds"); None when it does not say."""
    found = _BAN.search(message)
    return float(found.group(1)) if found else None


def detail_skus(body: Any) -> tuple[str, ...]:
    """The seller SKUs an error's ``detail`` names, in order, each once."""
    entries = body.get("detail") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        return ()
    named = (str(e.get("seller_sku") or "").strip() for e in entries if isinstance(e, dict))
    return tuple(dict.fromkeys(sku for sku in named if sku))


def _details(body: dict[str, Any]) -> str:
    parts = []
    for entry in body.get("detail") or []:
        if not isinstance(entry, dict):
            continue
        where = ": ".join(str(entry[k]) for k in ("seller_sku", "field") if entry.get(k))
        said = str(entry.get("message") or "").strip()
        parts.append(f"{where}: {said}" if where and said else where or said)
    return "; ".join(part for part in parts if part)


class LazadaRefusal(PermanentError):
    """A permanent refusal, with the seller SKUs Lazada named as the cause (its ``detail``)."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        field: str | None = None,
        code: str | None = None,
        skus: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint, field=field, code=code)
        self.skus = skus

    @classmethod
    def naming(cls, error: PermanentError, skus: tuple[str, ...]) -> LazadaRefusal:
        return cls(error.message, hint=error.hint, field=error.field, code=error.code, skus=skus)


class LazadaEnvelope:
    """Reads Lazada's envelope with the toml's codes (``[codes]``) over the documented ones; ``split``: the
    codes that mean "too many SKUs in this call", refused as such on a call that can be cut."""

    def __init__(self, codes: Mapping[str, LazadaCodeRule], *, split: Collection[str] = ()) -> None:
        own = {code: ErrorRule(rule.resolution, rule.message, rule.field) for code, rule in codes.items()}
        self._codes = {**LAZADA_CODES, **own}
        self._split = frozenset(split)

    def splitting(self) -> LazadaEnvelope:
        """This envelope for a batch the caller cuts in halves when Lazada says it is too big."""
        copy = LazadaEnvelope({}, split=self._split)
        copy._codes = {
            **self._codes,
            **{code: ErrorRule(_R.PERMANENT, "Lazada timed out on a batch this size") for code in self._split},
        }
        return copy

    def rule(self, code: str) -> ErrorRule:
        return self._codes.get(code) or ErrorRule(_R.PERMANENT, "Lazada refused the request")

    def error(self, body: Any) -> BodyError | None:
        if not isinstance(body, dict):
            return None
        code = body.get("code")
        if code is None or str(code) == "0":
            return None
        key = str(code)
        message = str(body.get("message") or key)
        details = _details(body)
        detail = f"{message} ({details})" if details and details not in message else message
        return BodyError(self.rule(key), key=key, code=key, detail=scrub(detail))

    def result(self, body: Any) -> dict[str, Any] | Unreadable:
        if not isinstance(body, dict) or str(body.get("code")) != "0":
            return Unreadable("Lazada sent an answer that is not its envelope")
        return body

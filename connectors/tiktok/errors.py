"""The TikTok Shop error boundary: its envelope and its error codes, on the kit's shared reading order.

Every answer is ``{"code", "message", "request_id", "data"}``; ``code`` 0 is success. The general and
auth codes are documented (tiktok-shop.md §4) and live here; the product business codes are not all
documented (wire contract: UNCERTAIN), so they come from the toml's ``[codes]`` table. A code in neither
is a permanent refusal carrying TikTok's own message, which is what a person needs to fix it.

Auth codes arrive with HTTP 401: the body's code is read before the status, so 105002 (access token
expired) refreshes once while 106001 (bad signature) is reported, not refreshed in a loop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.kit.errors import BodyError, ErrorRule, HttpRules, Resolution, Unreadable, http_rules
from connectors.tiktok.config import TikTokCodeRule

__all__ = ["NOT_FOUND", "TIKTOK_CODES", "TIKTOK_HTTP", "TikTokEnvelope"]

_R = Resolution
NOT_FOUND = "12052404"
_REAUTH = "authorise the shop again: chosync channels connect tiktok --seller <SELLER>"

TIKTOK_CODES: Mapping[str, ErrorRule] = {
    "36009002": ErrorRule(_R.RATE_LIMITED, "TikTok Shop asked us to slow down"),
    # An internal error or a gateway timeout does not say whether a write was applied before it.
    "36009003": ErrorRule(_R.UNSAFE, "TikTok Shop had an internal error"),
    "36009007": ErrorRule(_R.UNSAFE, "TikTok Shop timed out"),
    "36009009": ErrorRule(_R.PERMANENT, "TikTok Shop does not know this API path", hint="check [api] versions"),
    "36009010": ErrorRule(_R.PERMANENT, "TikTok Shop refused the HTTP method"),
    "36009014": ErrorRule(_R.PERMANENT, "TikTok Shop refused the API version", hint="check [api] versions"),
    "36009021": ErrorRule(_R.PERMANENT, "the image is larger than TikTok Shop accepts", field="images"),
    "36009022": ErrorRule(_R.PERMANENT, "TikTok Shop refused the content type"),
    "36009023": ErrorRule(_R.PERMANENT, "TikTok Shop refused the content type"),
    "36009033": ErrorRule(
        _R.PERMANENT,
        "TikTok Shop refused our IP address",
        hint="add this server's address to the app's allow-list in Partner Center",
    ),
    "105002": ErrorRule(_R.AUTH, "TikTok Shop says the access token expired"),
    "101000": ErrorRule(_R.AUTH, "TikTok Shop refused the access token"),
    # Also sent for a bad app_key, timestamp or shop cipher: a refresh is tried once, then it is reported.
    "36009004": ErrorRule(
        _R.AUTH,
        "TikTok Shop refused the request's credentials",
        hint="check app_key, the server clock and the shop cipher",
    ),
    "106001": ErrorRule(
        _R.PERMANENT,
        "TikTok Shop says our request signature is wrong",
        hint="check the app secret and the server clock",
    ),
    "106013": ErrorRule(_R.PERMANENT, "TikTok Shop wants the shop cipher", hint="connect the shop again"),
    "105005": ErrorRule(
        _R.PERMANENT,
        "our TikTok Shop app lacks the permission (scope) for this call",
        hint="grant the scope to the app, then " + _REAUTH,
    ),
    "36004004": ErrorRule(_R.REAUTHORIZE, "TikTok Shop refused the authorisation code or refresh token", hint=_REAUTH),
}

TIKTOK_HTTP: HttpRules = http_rules("TikTok Shop")


class TikTokEnvelope:
    """Reads TikTok's envelope with the account's product codes (``[codes]``) over the documented ones."""

    def __init__(self, codes: Mapping[str, TikTokCodeRule]) -> None:
        own = {code: ErrorRule(rule.resolution, rule.message, rule.field) for code, rule in codes.items()}
        self._rules = {**TIKTOK_CODES, **own}

    def rule(self, code: str) -> ErrorRule:
        return self._rules.get(code) or ErrorRule(_R.PERMANENT, "TikTok Shop refused the request")

    def error(self, body: Any) -> BodyError | None:
        if not isinstance(body, dict):
            return None
        code = body.get("code")
        if code in (0, "0", None):
            return None
        key = str(code)
        message = body.get("message")
        return BodyError(self.rule(key), key=key, code=key, detail=str(message or key))

    def result(self, body: Any) -> dict[str, Any] | Unreadable:
        if not isinstance(body, dict) or body.get("code") != 0:
            return Unreadable("TikTok Shop sent an answer that is not its envelope")
        data = body.get("data")
        return {"request_id": body.get("request_id"), "data": data if isinstance(data, dict) else {}}

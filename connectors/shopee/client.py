"""The Shopee adapter's wire: how a Shopee call is signed, checked and logged, on the kit's send loop.

:class:`ShopeeClient` is the only code that touches httpx for Shopee, through the one send loop every API
client shares (:mod:`connectors.kit.client`: throttle slot, sign, request, translate, check, log, retry).
Its hooks: each request is signed with the current timestamp (inside the throttle's slot, so a retried
request is re-signed, never replayed stale); answers go through Shopee's envelope
(:mod:`connectors.shopee.errors`); each is logged as one ``shopee.request`` event with the call path,
HTTP status, elapsed time, Shopee's request id and error code and the shop, never the URL (its query
holds the access token and the signature), and a ``warning`` Shopee sends with an answer is logged too.
Shop calls carry the access token kept fresh by the :class:`~connectors.shopee.auth.ShopeeAuthorizer`,
refreshed once (single-flight per shop) when Shopee refuses it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, ClassVar

import httpx
import structlog

from connectors.kit.client import ApiClient, Call, Files, RequestLog
from connectors.kit.errors import HttpRules
from connectors.shopee.auth import ShopeeAuthorizer, signed_query
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.errors import SHOPEE_HTTP, check_envelope
from core.errors import ChosyncError
from core.logs import scrub

__all__ = ["API_PREFIX", "Param", "ShopeeClient"]

API_PREFIX = "/api/v2/"
Param = str | int | Sequence[str]
Envelope = dict[str, Any]

_log = structlog.get_logger("chosync.connectors.shopee")


class ShopeeClient(ApiClient[ShopeeConfig, Envelope]):
    """Signed, throttled, retried calls to one Shopee shop; ``secret`` is the partner key."""

    rules: ClassVar[HttpRules] = SHOPEE_HTTP
    log: ClassVar[RequestLog] = _log
    request_event: ClassVar[str] = "shopee.request"
    call_field: ClassVar[str] = "path"

    @cached_property
    def authorizer(self) -> ShopeeAuthorizer:
        """The shop's tokens: refreshed ahead of expiry or when refused, single-flight per shop."""
        return ShopeeAuthorizer(
            partner_id=self.config.partner_id,
            shop_id=self.config.shop_id,
            tokens=self._tokens,
            public_post=self.public_post,
            settings=self.config.auth,
            now=self._now,
        )

    # --- public (partner-signed) calls -----------------------------------------------------------

    async def public_post(self, path: str, body: Mapping[str, Any]) -> Envelope:
        """A partner-signed POST (the token calls). Not retried here: its caller's policy decides.

        Sent as *not* idempotent: each token call spends what it carries (the single-use code or
        refresh token), so a lost answer is :class:`~core.errors.OutcomeUnknown`, never a plain
        retryable error that a retry loop would answer by sending the spent token again.
        """
        call = Call(path.removeprefix(API_PREFIX), "POST", path, idempotent=False, json=dict(body))
        return await self.attempt(call, credential=None)

    # --- shop calls ------------------------------------------------------------------------------

    async def get(self, call: str, params: Mapping[str, Param] | None = None) -> Envelope:
        """A shop-signed GET of ``/api/v2/<call>``; returns the envelope's ``response``."""
        return _response_of(await self.send(Call(call, "GET", f"{API_PREFIX}{call}", idempotent=True, params=params)))

    async def post(self, call: str, body: Mapping[str, Any], *, idempotent: bool) -> Envelope:
        """A shop-signed POST; ``idempotent=False`` turns a lost answer into OutcomeUnknown."""
        request = Call(call, "POST", f"{API_PREFIX}{call}", idempotent=idempotent, json=dict(body))
        return _response_of(await self.send(request))

    async def upload_image(self, filename: str, content: bytes, content_type: str) -> Envelope:
        """POST media_space/upload_image (multipart). A repeated upload only orphans an image: safe."""
        files: Files = {"image": (filename, content, content_type)}
        name = "media_space/upload_image"
        call = Call(name, "POST", f"{API_PREFIX}{name}", idempotent=True, files=files)
        return _response_of(await self.send(call, authorised=self.config.listing.image_upload_shop_signed))

    # --- the kit's hooks -------------------------------------------------------------------------

    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        common = signed_query(
            partner_id=self.config.partner_id,
            partner_key=self._secret,
            path=call.path,
            timestamp=int(self._now().timestamp()),
            access_token=credential,
            shop_id=self.config.shop_id if credential is not None else None,
        )
        return self._request(call, params={**(call.params or {}), **common}, json=call.json, files=call.files)

    def _check(self, response: httpx.Response, call: Call) -> Envelope:
        return check_envelope(
            response, call=call.name, idempotent=call.idempotent, now=self._now(), errors=self.config.errors
        )

    async def _credential(self) -> str:
        return await self.authorizer.access_token()

    async def _renew(self, rejected: str | None) -> None:
        await self.authorizer.refresh_rejected(rejected)

    def _event_fields(self) -> dict[str, object]:
        return {"request_id": None, "shop_id": self.config.shop_id}

    def _answer_fields(self, answer: Envelope) -> dict[str, object]:
        return {"request_id": answer.get("request_id")}

    def _failure_fields(self, error: ChosyncError, response: httpx.Response) -> dict[str, object]:
        """Shopee's error code (else our class name) and request id of a refused answer."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return {"error": type(error).__name__}
        code = body.get("error")
        error_code = code if isinstance(code, str) and code else type(error).__name__
        return {"error": error_code, "request_id": body.get("request_id")}

    async def attempt(self, call: Call, *, credential: str | None) -> Envelope:
        envelope = await super().attempt(call, credential=credential)
        warning = envelope.get("warning")
        if warning:
            _log.warning("shopee.warning", path=call.name, warning=scrub(str(warning)))
        return envelope


def _response_of(envelope: Mapping[str, Any]) -> Envelope:
    response = envelope.get("response")
    return response if isinstance(response, dict) else {}

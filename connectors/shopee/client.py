"""The Shopee adapter's wire: one place where every request is signed, throttled, sent, logged,
translated and retried.

:class:`ShopeeClient` is the only code that touches httpx for Shopee. Each request takes a slot from
the account's :class:`~connectors.kit.ratelimit.Throttle`, is signed with the current timestamp (so a
retried request is re-signed, never replayed stale), and is logged as one ``shopee.request`` event
with the call path, HTTP status, elapsed time, Shopee's request id and error code, never the URL
(its query holds the access token and the signature). Answers go through the error boundary
(:mod:`connectors.shopee.errors`); shop calls run under the :class:`~connectors.kit.retry.RetryPolicy`
with the token kept fresh by the :class:`~connectors.shopee.auth.ShopeeAuthorizer`.

What it is given (the ``httpx.AsyncClient``, injected: tests give it a respx mock or an ASGI transport;
the throttle, retry policy, clock) is held as every API client holds it (:mod:`connectors.kit.client`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any

import httpx
import structlog

from connectors.kit.client import ApiClient
from connectors.shopee.auth import ShopeeAuthorizer, signed_query
from connectors.shopee.config import ShopeeConfig
from connectors.shopee.errors import check_envelope, translate_transport
from core.errors import AuthError, ChosyncError

__all__ = ["API_PREFIX", "Param", "ShopeeClient"]

API_PREFIX = "/api/v2/"
Param = str | int | Sequence[str]

_log = structlog.get_logger("chosync.connectors.shopee")


class ShopeeClient(ApiClient[ShopeeConfig]):
    """Signed, throttled, retried calls to one Shopee shop; ``secret`` is the partner key."""

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

    async def public_post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """A partner-signed POST (the token calls). Not retried here: its caller's policy decides.

        Sent as *not* idempotent: each token call spends what it carries (the single-use code or
        refresh token), so a lost answer is :class:`~core.errors.OutcomeUnknown`, never a plain
        retryable error that a retry loop would answer by sending the spent token again.
        """
        return await self._send("POST", path, access_token=None, json=dict(body), idempotent=False)

    # --- shop calls ------------------------------------------------------------------------------

    async def get(self, call: str, params: Mapping[str, Param] | None = None) -> dict[str, Any]:
        """A shop-signed GET of ``/api/v2/<call>``; returns the envelope's ``response``."""
        return await self._shop_call("GET", call, params=params, idempotent=True)

    async def post(self, call: str, body: Mapping[str, Any], *, idempotent: bool) -> dict[str, Any]:
        """A shop-signed POST; ``idempotent=False`` turns a lost answer into OutcomeUnknown."""
        return await self._shop_call("POST", call, json=dict(body), idempotent=idempotent)

    async def upload_image(self, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
        """POST media_space/upload_image (multipart). A repeated upload only orphans an image: safe."""
        files = {"image": (filename, content, content_type)}
        path = f"{API_PREFIX}media_space/upload_image"
        if self.config.listing.image_upload_shop_signed:
            return await self._shop_call("POST", "media_space/upload_image", files=files, idempotent=True)
        envelope = await self._retry.call(
            lambda: self._send("POST", path, access_token=None, files=files, idempotent=True)
        )
        return _response_of(envelope)

    async def _shop_call(
        self,
        method: str,
        call: str,
        *,
        params: Mapping[str, Param] | None = None,
        json: dict[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotent: bool,
    ) -> dict[str, Any]:
        used_token: str | None = None

        async def attempt() -> dict[str, Any]:
            nonlocal used_token
            used_token = await self.authorizer.access_token()
            envelope = await self._send(
                method,
                f"{API_PREFIX}{call}",
                access_token=used_token,
                params=params,
                json=json,
                files=files,
                idempotent=idempotent,
            )
            return _response_of(envelope)

        async def refresh(_rejection: AuthError) -> None:
            await self.authorizer.refresh_rejected(used_token)

        return await self._retry.call(attempt, refresh_auth=refresh)

    # --- the wire --------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        access_token: str | None,
        params: Mapping[str, Param] | None = None,
        json: dict[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        idempotent: bool,
    ) -> dict[str, Any]:
        call = path.removeprefix(API_PREFIX)
        async with self._throttle.slot():
            # Signed inside the slot: a wait for the rate limit must not age the timestamp.
            common = signed_query(
                partner_id=self.config.partner_id,
                partner_key=self._secret,
                path=path,
                timestamp=int(self._now().timestamp()),
                access_token=access_token,
                shop_id=self.config.shop_id if access_token is not None else None,
            )
            query: dict[str, Any] = {**(params or {}), **common}
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    method,
                    f"{self.config.base_url.rstrip('/')}{path}",
                    params=query,
                    json=json,
                    files=files,
                    timeout=self._timeout,
                )
            except httpx.RequestError as exc:
                self._log_request(method, call, started, status=None, error=type(exc).__name__)
                raise translate_transport(exc, call=call, idempotent=idempotent) from exc
        try:
            envelope = check_envelope(
                response, call=call, idempotent=idempotent, now=self._now(), errors=self.config.errors
            )
        except ChosyncError as exc:
            code, request_id = _failure_of(exc, response)
            self._log_request(method, call, started, status=response.status_code, request_id=request_id, error=code)
            raise
        self._log_request(method, call, started, status=response.status_code, request_id=envelope.get("request_id"))
        warning = envelope.get("warning")
        if warning:
            _log.warning("shopee.warning", path=call, warning=str(warning))
        return envelope

    def _log_request(
        self,
        method: str,
        call: str,
        started: float,
        *,
        status: int | None,
        request_id: object = None,
        error: str | None = None,
    ) -> None:
        fields = {
            "method": method,
            "path": call,
            "status": status,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
            "request_id": request_id,
            "shop_id": self.config.shop_id,
        }
        if error is None:
            _log.info("shopee.request", **fields)
        else:
            _log.warning("shopee.request", error=error, **fields)


def _response_of(envelope: Mapping[str, Any]) -> dict[str, Any]:
    response = envelope.get("response")
    return response if isinstance(response, dict) else {}


def _failure_of(error: ChosyncError, response: httpx.Response) -> tuple[str, object]:
    """The Shopee error code (else our class name) and request id of a failed answer, for the log."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return type(error).__name__, None
    code = body.get("error")
    return (code if isinstance(code, str) and code else type(error).__name__), body.get("request_id")

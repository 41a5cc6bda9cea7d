"""The Lazada wire: how a call is signed, sent, checked and logged, on the kit's send loop.

:class:`LazadaClient` fills in the kit's hooks (:mod:`connectors.kit.client`). Every request carries the
system parameters (``app_key``, a fresh millisecond ``timestamp`` per attempt, ``sign_method=sha256``, and
``access_token`` on seller calls) and its ``sign`` (:mod:`connectors.lazada.signing`), computed inside the
throttle's slot so a wait never ages it. A GET carries every parameter in its query; a POST carries them
all form-encoded in its body, as the official Python SDK sends them (so no token reaches a URL); the image
upload is multipart, its file part unsigned and every other parameter in the query. Token calls go to the
token host, with no access token.

Answers go through Lazada's envelope (:mod:`connectors.lazada.errors`); a throttle waits as long as its
"ban will last N seconds" says; a permanent refusal carries the SKUs Lazada's ``detail`` names. Each
request is one ``lazada.request`` event (the API path, method, status, elapsed time, Lazada's request id
and code), never a URL, a query or a body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import httpx
import structlog

from connectors.kit.client import ApiClient, Call, Files, RequestLog
from connectors.kit.errors import HttpRules, check_answer
from connectors.lazada.auth import LazadaAuthorizer
from connectors.lazada.config import LazadaConfig
from connectors.lazada.errors import LAZADA_HTTP, LazadaEnvelope, LazadaRefusal, ban_seconds, detail_skus
from connectors.lazada.signing import SIGN_METHOD, sign, wire_params
from core.errors import ChosyncError, PermanentError, RateLimited

__all__ = ["Answer", "LazadaCall", "LazadaClient"]

Answer = dict[str, Any]  # the whole envelope: {"code": "0", "data": ..., "request_id": ...} or a flat token answer

_log = structlog.get_logger("chosync.connectors.lazada")


@dataclass(frozen=True, slots=True)
class LazadaCall(Call):
    """A call with what Lazada adds: the token host, and whether the caller halves it when it is too big."""

    token_host: bool = False
    splittable: bool = False


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class LazadaClient(ApiClient[LazadaConfig, Answer]):
    """Signed, throttled, retried calls for one Lazada seller; ``secret`` is the app secret."""

    rules: ClassVar[HttpRules] = LAZADA_HTTP
    log: ClassVar[RequestLog] = _log
    request_event: ClassVar[str] = "lazada.request"
    call_field: ClassVar[str] = "path"

    @cached_property
    def authorizer(self) -> LazadaAuthorizer:
        return LazadaAuthorizer(config=self.config, tokens=self._tokens, post=self.token_post, now=self._now)

    @cached_property
    def _envelope(self) -> LazadaEnvelope:
        return LazadaEnvelope(self.config.codes, split=self.config.listing.split_codes)

    @cached_property
    def _splitting(self) -> LazadaEnvelope:
        return self._envelope.splitting()

    # --- calls -------------------------------------------------------------------------------------

    async def token_post(self, path: str, params: Mapping[str, str]) -> Answer:
        """A token-host call: one try, not idempotent (it spends a code, or a refresh token)."""
        call = LazadaCall(path, "POST", path, idempotent=False, params=dict(params), token_host=True)
        return await self.attempt(call, credential=None)

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """An authorised GET; returns the envelope's ``data``."""
        answer = await self.send(LazadaCall(path, "GET", path, idempotent=True, params=params))
        return answer.get("data")

    async def post(self, path: str, params: Mapping[str, Any], *, idempotent: bool, splittable: bool = False) -> Any:
        """An authorised write; ``idempotent=False`` turns a lost answer into OutcomeUnknown, ``splittable``
        a "too many SKUs" timeout into a refusal the caller answers by halving the batch."""
        call = LazadaCall(path, "POST", path, idempotent=idempotent, params=params, splittable=splittable)
        answer = await self.send(call)
        return answer.get("data")

    async def upload(self, filename: str, content: bytes, content_type: str) -> Any:
        """One image through the image API. Sending it twice only hosts it twice: safe to repeat."""
        files: Files = {"image": (filename, content, content_type)}
        answer = await self.send(LazadaCall("/image/upload", "POST", "/image/upload", idempotent=True, files=files))
        return answer.get("data")

    # --- the kit's hooks -------------------------------------------------------------------------------

    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        system: dict[str, Any] = {
            "app_key": self.config.app_key,
            "timestamp": int(self._now().timestamp() * 1000),
            "sign_method": SIGN_METHOD,
            "access_token": credential,
        }
        params = wire_params({**(call.params or {}), **system})
        params["sign"] = sign(self._secret, call.path, params)
        if isinstance(call, LazadaCall) and call.token_host:
            url = f"{self.config.auth_base_url.rstrip('/')}{call.path}"
            return self._http.build_request("POST", url, data=params, timeout=self._timeout)
        if call.files is not None:
            return self._request(call, params=params, files=call.files)
        if call.method == "GET":
            return self._request(call, params=params)
        return self._request(call, data=params)

    def _check(self, response: httpx.Response, call: Call) -> Answer:
        splittable = isinstance(call, LazadaCall) and call.splittable
        try:
            return check_answer(
                response,
                self.rules,
                self._splitting if splittable else self._envelope,
                call=call.name,
                idempotent=call.idempotent,
                now=self._now(),
                errors=self.config.errors,
            )
        except RateLimited as exc:
            if exc.retry_after is None:
                exc.retry_after = ban_seconds(exc.message)
            raise
        except PermanentError as exc:
            if isinstance(exc, LazadaRefusal):
                raise
            raise LazadaRefusal.naming(exc, detail_skus(_body(response))) from exc

    async def _credential(self) -> str:
        return await self.authorizer.access_token()

    async def _renew(self, rejected: str | None) -> None:
        await self.authorizer.refresh_rejected(rejected)

    def _event_fields(self) -> dict[str, object]:
        return {"request_id": None, "seller_id": self.config.seller_id or self.authorizer.learned.get("seller_id")}

    def _answer_fields(self, answer: Answer) -> dict[str, object]:
        return {"request_id": answer.get("request_id")}

    def _failure_fields(self, error: ChosyncError, response: httpx.Response) -> dict[str, object]:
        body = _body(response)
        if not isinstance(body, dict):
            return {"error": type(error).__name__}
        return {"error": str(body.get("code") or type(error).__name__), "request_id": body.get("request_id")}

"""The Postmart adapter's wire: one place where every call is authorised, throttled, sent, logged,
translated and retried.

:class:`PostmartClient` is the only code that touches httpx for Postmart (what it is given, it holds as
every API client does: :mod:`connectors.kit.client`). A call is named by its endpoint key in the toml
(``product_create``, ``orders`` ...): method and path come from the config, never from code, and so does
the body's encoding (``[wire] body``: JSON or a PHP-style form, ASSUMED). Each
request takes a slot from the account's :class:`~connectors.kit.ratelimit.Throttle`, carries the auth
header, and is logged as one ``postmart.request`` event (endpoint key, method, HTTP status, elapsed
time, the envelope code), never with its headers or body. Answers go through the error boundary
(:mod:`connectors.postmart.errors`) and calls run under the one :class:`~connectors.kit.retry.RetryPolicy`.

Auth is ASSUMED (Postmart's About and User pages were not retrieved), and configurable:
``mode = "login"`` posts the merchant's username and password to the login endpoint and sends the
token it returns; the token is kept in the account's token store, renewed ahead of expiry and, when a
call is refused with 401, renewed once (single-flight: one lock per client, and the store is read again
under it, so concurrent calls log in once). ``mode = "api_key"`` sends a fixed key. A refused login is
:class:`~core.ports.ReauthorizeRequired`: only a person can fix a password.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

import httpx
import structlog

from connectors.kit.client import ApiClient
from connectors.postmart.config import PostmartConfig
from connectors.postmart.errors import check_envelope, translate_transport
from core.errors import AuthError, ChosyncError, PermanentError
from core.logs import register_secret
from core.ports import ReauthorizeRequired, Tokens

__all__ = ["PostmartClient", "form_fields"]

_log = structlog.get_logger("chosync.connectors.postmart")
Files = Mapping[str, tuple[str, bytes, str]]


def form_fields(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """A body as form fields, nested PHP-style: ``{"goods": [{"goods_id": 1}]}`` → ``goods[0][goods_id]=1``
    (``[wire] body = "form"``, ASSUMED in the toml). None values are left out, as a form cannot say null."""
    fields: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            fields += form_fields(value, name)
        elif isinstance(value, list | tuple):
            fields += form_fields({str(index): item for index, item in enumerate(value)}, name)
        elif value is not None:
            fields.append((name, str(value)))
    return fields


class PostmartClient(ApiClient[PostmartConfig]):
    """Authorised, throttled, retried calls to one Postmart merchant; ``secret`` is its password or API key."""

    @cached_property
    def _login_lock(self) -> asyncio.Lock:
        # One login at a time for this account (single-flight), whoever asks first creates it.
        return asyncio.Lock()

    # --- calls -----------------------------------------------------------------------------------

    async def call(
        self,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        files: Files | None = None,
        ids: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> Any:
        """Call the endpoint named ``endpoint`` in the toml; returns the envelope's ``result``."""
        used: str | None = None

        async def attempt() -> Any:
            nonlocal used
            used = await self._credential()
            return await self._send(endpoint, params=params, json=json, files=files, ids=ids,
                                    credential=used, idempotent=idempotent)  # fmt: skip

        async def refresh(_rejection: AuthError) -> None:
            await self._login(rejected=used)

        renew = refresh if self.config.auth.mode == "login" else None
        return await self._retry.call(attempt, refresh_auth=renew)

    # --- auth ------------------------------------------------------------------------------------

    async def _credential(self) -> str:
        if self.config.auth.mode == "api_key":
            return self._secret
        tokens = await self._tokens.load()
        margin = timedelta(seconds=self.config.auth.refresh_margin_s)
        if tokens is not None and tokens.access_expires_at - margin > self._now():
            register_secret(tokens.access_token)
            return tokens.access_token
        return await self._login(rejected=tokens.access_token if tokens else None)

    async def _login(self, *, rejected: str | None) -> str:
        auth = self.config.auth
        async with self._login_lock:
            # Another call may have logged in while this one waited for the lock: use its token.
            stored = await self._tokens.load()
            margin = timedelta(seconds=auth.refresh_margin_s)
            fresh = stored is not None and stored.access_expires_at - margin > self._now()
            if stored is not None and fresh and stored.access_token != rejected:
                return stored.access_token
            body = {auth.username_field: self.config.username or "", auth.password_field: self._secret}
            try:
                result = await self._retry.call(
                    lambda: self._send("login", json=body, credential=None, idempotent=True)
                )
            except AuthError as exc:
                raise ReauthorizeRequired(
                    "Postmart refused the merchant's username or password",
                    hint="check the username setting and the password in the environment",
                ) from exc
            token = result.get(auth.token_field) if isinstance(result, dict) else None
            if not isinstance(token, str) or not token:
                raise PermanentError("Postmart's login answer carries no token", code="postmart_data")
            register_secret(token)
            expires_in = result.get(auth.expires_in_field) if isinstance(result, dict) else None
            ttl = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else auth.token_ttl_s
            expires = self._now() + timedelta(seconds=ttl)
            await self._tokens.save(
                Tokens(access_token=token, refresh_token="", access_expires_at=expires, refresh_expires_at=expires)
            )
            _log.info("postmart.logged_in", username=self.config.username)
            return token

    # --- the wire --------------------------------------------------------------------------------

    async def _send(
        self,
        endpoint: str,
        *,
        credential: str | None,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        files: Files | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> Any:
        spec = getattr(self.config.endpoints, endpoint)
        url = f"{self.config.base_url.rstrip('/')}{spec.url_path(**(ids or {}))}"
        headers: dict[str, str] = {}
        if credential is not None:
            scheme = self.config.auth.scheme.strip()
            headers[self.config.auth.header] = f"{scheme} {credential}" if scheme else credential
        body: dict[str, Any] = {}
        if files is not None:
            body = {"files": files, "data": dict(form_fields(json or {}))}
        elif json is not None and self.config.wire.body == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = {"content": urlencode(form_fields(json)).encode()}
        elif json is not None:
            body = {"json": dict(json)}
        async with self._throttle.slot():
            started = time.perf_counter()
            try:
                response = await self._http.request(
                    spec.method,
                    url,
                    params=dict(params) if params else None,
                    headers=headers,
                    timeout=self._timeout,
                    **body,
                )
            except httpx.RequestError as exc:
                self._log(endpoint, spec.method, started, status=None, error=type(exc).__name__)
                raise translate_transport(exc, call=endpoint, idempotent=idempotent) from exc
        try:
            result = check_envelope(
                response,
                self.config.envelope,
                call=endpoint,
                idempotent=idempotent,
                now=self._now(),
                errors=self.config.errors,
            )
        except ChosyncError as exc:
            self._log(endpoint, spec.method, started, status=response.status_code,
                      error=getattr(exc, "code", None) or type(exc).__name__)  # fmt: skip
            raise
        self._log(endpoint, spec.method, started, status=response.status_code)
        return result

    def _log(self, endpoint: str, method: str, started: float, *, status: int | None, error: str | None = None) -> None:
        fields = {
            "endpoint": endpoint,
            "method": method,
            "status": status,
            "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if error is None:
            _log.info("postmart.request", **fields)
        else:
            _log.warning("postmart.request", error=error, **fields)

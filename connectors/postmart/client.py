"""The Postmart adapter's wire: how a Postmart call is authorised, encoded, checked and logged, on the
kit's send loop.

:class:`PostmartClient` is the only code that touches httpx for Postmart, through the one send loop every
API client shares (:mod:`connectors.kit.client`: throttle slot, sign, request, translate, check, log,
retry). A call is named by its endpoint key in the toml (``product_create``, ``orders`` ...): method and
path come from the config, never from code, and so does the body's encoding (``[wire] body``: JSON or a
PHP-style form, ASSUMED). Its hooks: each request carries the auth header; answers go through Postmart's
envelope (:mod:`connectors.postmart.errors`); each is logged as one ``postmart.request`` event (endpoint
key, method, HTTP status, elapsed time, the envelope code), never with its headers or body.

Auth is ASSUMED (Postmart's About and User pages were not retrieved), and configurable:
``mode = "login"`` posts the merchant's username and password to the login endpoint and sends the
token it returns; the token is kept in the account's token store, renewed ahead of expiry and, when a
call is refused with 401, renewed once (single-flight: one lock per client, and the store is read again
under it, so concurrent calls log in once). ``mode = "api_key"`` sends a fixed key. A refused login is
:class:`~core.ports.ReauthorizeRequired`: only a person can fix a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlencode

import httpx
import structlog

from connectors.kit.client import ApiClient, Call, Files, RequestLog
from connectors.kit.errors import HttpRules
from connectors.postmart.config import PostmartConfig
from connectors.postmart.errors import POSTMART_HTTP, check_envelope
from core.errors import AuthError, PermanentError
from core.logs import register_secret
from core.ports import ReauthorizeRequired, Tokens

__all__ = ["PostmartClient", "form_fields"]

_log = structlog.get_logger("chosync.connectors.postmart")


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


class PostmartClient(ApiClient[PostmartConfig, Any]):
    """Authorised, throttled, retried calls to one Postmart merchant; ``secret`` is its password or API key."""

    rules: ClassVar[HttpRules] = POSTMART_HTTP
    log: ClassVar[RequestLog] = _log
    request_event: ClassVar[str] = "postmart.request"
    call_field: ClassVar[str] = "endpoint"

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
        request = self._call(endpoint, params=params, json=json, files=files, ids=ids, idempotent=idempotent)
        return await self.send(request)

    def _call(
        self,
        endpoint: str,
        *,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        files: Files | None = None,
        ids: Mapping[str, str] | None = None,
    ) -> Call:
        """The call of the endpoint named ``endpoint``: its method and path (ids filled in) from the toml."""
        spec = getattr(self.config.endpoints, endpoint)
        path = spec.url_path(**(ids or {}))
        return Call(endpoint, spec.method, path, idempotent=idempotent, params=params, json=json, files=files)

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
                result = await self.send(self._call("login", json=body, idempotent=True), authorised=False)
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

    # --- the kit's hooks -------------------------------------------------------------------------

    @property
    def _renews(self) -> bool:
        return self.config.auth.mode == "login"

    async def _renew(self, rejected: str | None) -> None:
        await self._login(rejected=rejected)

    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        headers: dict[str, str] = {}
        if credential is not None:
            scheme = self.config.auth.scheme.strip()
            headers[self.config.auth.header] = f"{scheme} {credential}" if scheme else credential
        body: dict[str, Any] = {}
        if call.files is not None:
            body = {"files": call.files, "data": dict(form_fields(call.json or {}))}
        elif call.json is not None and self.config.wire.body == "form":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = {"content": urlencode(form_fields(call.json)).encode()}
        elif call.json is not None:
            body = {"json": dict(call.json)}
        return self._request(call, params=call.params, headers=headers, **body)

    def _check(self, response: httpx.Response, call: Call) -> Any:
        return check_envelope(
            response,
            self.config.envelope,
            call=call.name,
            idempotent=call.idempotent,
            now=self._now(),
            errors=self.config.errors,
        )

"""The TikTok Shop wire: how a call is signed, checked and logged, on the kit's send loop; and the shop
context every shop call needs (its cipher, its warehouse), learned from TikTok when the account lacks it.

:class:`TikTokClient` fills in the kit's hooks (:mod:`connectors.kit.client`): each open-API request is
signed inside its throttle slot (a fresh timestamp per attempt) with the body as sent, carries the access
token in ``x-tts-access-token`` and, for shop calls, the shop cipher; token-host calls carry the app key
and secret in their query and no signature. Answers go through TikTok's envelope
(:mod:`connectors.tiktok.errors`). Each request is one ``tiktok.request`` event (call name, method,
status, elapsed time, TikTok's request id and code), never a URL: the token calls' query holds the secret.

The shop cipher comes from the authorised-shops call (the shop named by ``shop_id``, or the grant's only
shop; several and none named is a ConfigError listing them), the warehouse from the warehouses call (the
default sales warehouse), each read once per client when the account's settings lack it; what was read
is :attr:`TikTokClient.learned`, which the core stores with the account.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import httpx
import structlog

from connectors.kit.client import ApiClient, Call, RequestLog
from connectors.kit.errors import HttpRules, check_answer
from connectors.tiktok.auth import TikTokAuthorizer
from connectors.tiktok.config import TikTokConfig
from connectors.tiktok.errors import TIKTOK_HTTP, TikTokEnvelope
from connectors.tiktok.signing import json_body, sign
from core.errors import ChosyncError, ConfigError, PermanentError

__all__ = ["Answer", "TikTokCall", "TikTokClient"]

Answer = dict[str, Any]  # {"request_id", "data"}

_log = structlog.get_logger("chosync.connectors.tiktok")


@dataclass(frozen=True, slots=True)
class TikTokCall(Call):
    """A call with what TikTok adds: the token host, form fields of an upload, the shop cipher."""

    token_host: bool = False
    form: Mapping[str, str] | None = None
    shop: bool = False


class TikTokClient(ApiClient[TikTokConfig, Answer]):
    """Signed, throttled, retried calls for one TikTok shop; ``secret`` is the app secret."""

    rules: ClassVar[HttpRules] = TIKTOK_HTTP
    log: ClassVar[RequestLog] = _log
    request_event: ClassVar[str] = "tiktok.request"
    call_field: ClassVar[str] = "path"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.learned: dict[str, str] = {}

    @cached_property
    def authorizer(self) -> TikTokAuthorizer:
        return TikTokAuthorizer(
            config=self.config, app_secret=self._secret, tokens=self._tokens, token_get=self.token_get, now=self._now
        )

    @cached_property
    def _envelope(self) -> TikTokEnvelope:
        return TikTokEnvelope(self.config.codes)

    @cached_property
    def _context_lock(self) -> asyncio.Lock:
        return asyncio.Lock()

    # --- calls -------------------------------------------------------------------------------------

    async def token_get(self, path: str, query: Mapping[str, str]) -> Answer:
        """A token-host GET: not retried here, and not idempotent (it spends a code or refresh token)."""
        call = TikTokCall(path, "GET", path, idempotent=False, params=dict(query), token_host=True)
        return await self.attempt(call, credential=None)

    async def get(self, path: str, params: Mapping[str, Any] | None = None, *, shop: bool = True) -> dict[str, Any]:
        """An authorised GET; returns the envelope's ``data``."""
        call = TikTokCall(path, "GET", path, idempotent=True, params=params, shop=shop)
        return _data(await self.send(call))

    async def post(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        idempotent: bool,
        params: Mapping[str, Any] | None = None,
        method: str = "POST",
        name: str | None = None,
    ) -> dict[str, Any]:
        """An authorised shop write (or search); ``idempotent=False`` turns a lost answer into OutcomeUnknown."""
        call = TikTokCall(name or path, method, path, idempotent=idempotent, params=params, json=body, shop=True)
        return _data(await self.send(call))

    async def upload(self, filename: str, content: bytes, content_type: str) -> dict[str, Any]:
        """The image upload (multipart, no shop cipher). A repeated upload only orphans an image: safe."""
        path = f"/product/{self.config.api.product}/images/upload"
        call = TikTokCall(
            path,
            "POST",
            path,
            idempotent=True,
            files={"data": (filename, content, content_type)},
            form={"use_case": self.config.listing.image_use_case},
        )
        return _data(await self.send(call))

    # --- the shop context ----------------------------------------------------------------------------

    async def shop_cipher(self) -> str:
        if self.config.shop_cipher:
            return self.config.shop_cipher
        if "shop_cipher" not in self.learned:
            async with self._context_lock:
                if "shop_cipher" not in self.learned:
                    await self._learn_shop()
        return self.learned["shop_cipher"]

    async def warehouse_id(self) -> str:
        if self.config.warehouse_id:
            return self.config.warehouse_id
        if "warehouse_id" not in self.learned:
            await self.shop_cipher()  # the warehouses call is a shop call: the cipher first
            async with self._context_lock:
                if "warehouse_id" not in self.learned:
                    await self._learn_warehouse()
        return self.learned["warehouse_id"]

    async def _learn_shop(self) -> None:
        data = await self.get(f"/authorization/{self.config.api.authorization}/shops", shop=False)
        shops = [s for s in data.get("shops") or [] if isinstance(s, dict) and s.get("cipher")]
        wanted = self.config.shop_id
        chosen = [s for s in shops if str(s.get("id")) == wanted] if wanted else shops
        listed = ", ".join(f"{s.get('id')} ({s.get('name') or '?'}, {s.get('region') or '?'})" for s in shops)
        if not shops:
            raise ConfigError(
                "TikTok Shop says this authorisation covers no shop", hint="authorise again as the shop owner"
            )
        if wanted and not chosen:
            raise ConfigError(
                f"TikTok shop {wanted} is not among the shops this authorisation covers: {listed}",
                hint="choose one of them: chosync channels set tiktok --seller <SELLER> --set shop_id=<SHOP_ID>",
            )
        if len(chosen) > 1:
            raise ConfigError(
                f"this TikTok authorisation covers several shops: {listed}",
                hint="choose one: chosync channels set tiktok --seller <SELLER> --set shop_id=<SHOP_ID> "
                "(the authorisation is kept: no need to authorise again)",
            )
        shop = chosen[0]
        self.learned.update(shop_id=str(shop.get("id")), shop_cipher=str(shop["cipher"]))
        _log.info("tiktok.shop_learned", shop_id=self.learned["shop_id"], region=shop.get("region"))

    async def _learn_warehouse(self) -> None:
        data = await self.get(f"/logistics/{self.config.api.logistics}/warehouses")
        usable = [
            w
            for w in data.get("warehouses") or []
            if isinstance(w, dict)
            and w.get("id") is not None
            and w.get("effect_status", "ENABLED") == "ENABLED"
            and w.get("type", "SALES_WAREHOUSE") == "SALES_WAREHOUSE"
        ]
        if not usable:
            raise PermanentError(
                "the TikTok shop has no enabled sales warehouse",
                field="warehouse_id",
                hint="add one in TikTok Seller Center, or set warehouse_id",
            )
        chosen = next((w for w in usable if w.get("is_default")), usable[0])
        self.learned["warehouse_id"] = str(chosen["id"])
        _log.info("tiktok.warehouse_learned", warehouse_id=self.learned["warehouse_id"], shop_id=self._shop_label())

    def _shop_label(self) -> str | None:
        return self.config.shop_id or self.learned.get("shop_id")

    # --- the kit's hooks -------------------------------------------------------------------------------

    async def send(self, call: Call, *, authorised: bool = True) -> Answer:
        if isinstance(call, TikTokCall) and call.shop:
            cipher = await self.shop_cipher()
            call = TikTokCall(
                call.name,
                call.method,
                call.path,
                call.idempotent,
                params={**(call.params or {}), "shop_cipher": cipher},
                json=call.json,
                shop=False,
            )
        return await super().send(call, authorised=authorised)

    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        extra = call if isinstance(call, TikTokCall) else TikTokCall(call.name, call.method, call.path, call.idempotent)
        if extra.token_host:
            token_query = {"app_key": self.config.app_key, "app_secret": self._secret, **(call.params or {})}
            url = f"{self.config.auth_base_url.rstrip('/')}{call.path}"
            return self._http.build_request("GET", url, params=token_query, timeout=self._timeout)
        query: dict[str, Any] = {
            **(call.params or {}),
            "app_key": self.config.app_key,
            "timestamp": int(self._now().timestamp()),
        }
        headers = {"x-tts-access-token": credential} if credential is not None else {}
        if call.files is not None:
            query["sign"] = sign(self._secret, call.path, query)  # multipart: the body is not signed
            return self._request(call, params=query, headers=headers, files=call.files, data=dict(extra.form or {}))
        body = json_body(call.json) if call.json is not None else ""
        query["sign"] = sign(self._secret, call.path, query, body)
        if call.json is None:
            return self._request(call, params=query, headers=headers)
        headers["content-type"] = "application/json"
        return self._request(call, params=query, headers=headers, content=body.encode("utf-8"))

    def _check(self, response: httpx.Response, call: Call) -> Answer:
        return check_answer(
            response,
            self.rules,
            self._envelope,
            call=call.name,
            idempotent=call.idempotent,
            now=self._now(),
            errors=self.config.errors,
        )

    async def _credential(self) -> str:
        return await self.authorizer.access_token()

    async def _renew(self, rejected: str | None) -> None:
        await self.authorizer.refresh_rejected(rejected)

    def _event_fields(self) -> dict[str, object]:
        return {"request_id": None, "shop_id": self._shop_label()}

    def _answer_fields(self, answer: Answer) -> dict[str, object]:
        return {"request_id": answer.get("request_id")}

    def _failure_fields(self, error: ChosyncError, response: httpx.Response) -> dict[str, object]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return {"error": type(error).__name__}
        return {"error": str(body.get("code") or type(error).__name__), "request_id": body.get("request_id")}


def _data(answer: Answer) -> dict[str, Any]:
    data = answer.get("data")
    return data if isinstance(data, dict) else {}

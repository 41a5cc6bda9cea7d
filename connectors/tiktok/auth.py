"""TikTok Shop authorisation: the code exchange and keeping one shop's access token valid.

A seller opens the authorisation link (:func:`authorization_url`), TikTok redirects with a one-time
``code`` (30 minutes) that :meth:`TikTokAuthorizer.exchange_code` trades on the token host for an access
token (about 7 days) and a refresh token; both expiries come back as absolute Unix times. The access
token is refreshed ``auth.refresh_margin_s`` before it ends, and once when TikTok refuses it, under one
lock per app and grant, reading the store again inside the lock, so concurrent jobs refresh once
(:class:`~connectors.kit.oauth.GrantKeeper`).

Both token calls spend what they carry (the single-use code, a refresh token that may rotate), so they
are sent as not idempotent. Whether a refresh token is single use is UNCERTAIN (the toml's
``auth.refresh_token_single_use``): when it is, a refresh whose answer was lost is never sent again, the
stored refresh token is marked spent and the seller is asked to authorise the shop again; when it is not,
the refresh is simply retried. A refused exchange or refresh (36004004) means the grant is gone:
:class:`~core.ports.ReauthorizeRequired`, with the command to run. Every token is registered as a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import structlog

from connectors.kit.oauth import GrantKeeper
from connectors.tiktok.config import TikTokConfig
from core.errors import AuthError, ConfigError, OutcomeUnknown, PermanentError, RetryableError
from core.logs import register_secret
from core.ports import ReauthorizeRequired, RefreshOutcomeUnknown, Tokens, TokenStore

__all__ = ["REFRESH_PATH", "TOKEN_PATH", "TikTokAuthorizer", "authorization_url"]

TOKEN_PATH = "/api/v2/token/get"  # noqa: S105 (a URL path)
REFRESH_PATH = "/api/v2/token/refresh"
_COMMAND = "chosync channels connect tiktok --seller <SELLER>"
_REAUTHORIZE = (
    f"the seller must authorise the shop again: run '{_COMMAND}', open the link it prints, then "
    f"'{_COMMAND} --code <CODE>' with the code the redirect carries"
)
# Before this, an expiry is a duration in seconds rather than a Unix time (defensive: the docs say absolute).
_UNIX_TIME_FLOOR = 1_000_000_000

_log = structlog.get_logger("chosync.connectors.tiktok")

TokenGet = Callable[[str, Mapping[str, str]], Awaitable[Mapping[str, Any]]]


def authorization_url(config: TikTokConfig, state: str | None = None) -> str:
    """The link a shop owner opens; TikTok redirects to the app's registered redirect URL with the code."""
    if not config.service_id:
        raise ConfigError(
            "the TikTok Shop account has no service_id",
            hint="set it: chosync channels add tiktok ... --set service_id=ID (Partner Center)",
        )
    query = {"service_id": config.service_id, "state": state or secrets.token_urlsafe(12)}
    return f"{config.authorize_url}?{urlencode(query)}"


class TikTokAuthorizer(GrantKeeper):
    """One grant's tokens: exchange, refresh ahead of expiry, refresh after a refusal (single flight)."""

    def __init__(
        self,
        *,
        config: TikTokConfig,
        app_secret: str,
        tokens: TokenStore,
        token_get: TokenGet,
        now: Callable[[], datetime],
    ) -> None:
        key = f"tiktok:{config.app_key}:{config.shop_id or config.shop_cipher or '-'}"
        super().__init__(key=key, tokens=tokens, now=now, refresh_margin_s=config.auth.refresh_margin_s)
        self._config = config
        self._secret = app_secret
        self._get = token_get

    async def exchange_code(self, code: str) -> Tokens:
        register_secret(code)
        query = {"auth_code": code, "grant_type": "authorized_code"}

        async def send() -> Tokens:
            return self._tokens_from(await self._get(TOKEN_PATH, query))

        try:
            tokens = await self._sent_twice(
                send, lambda error: _log.warning("tiktok.token_exchange_retried", error=error)
            )
        except (AuthError, PermanentError) as exc:
            raise ReauthorizeRequired(
                f"TikTok Shop refused the authorisation code: {exc.message}",
                hint="the code is single use and valid 30 minutes: authorise again",
            ) from exc
        except OutcomeUnknown as exc:
            raise RefreshOutcomeUnknown(
                f"the answer to the authorisation code exchange was lost ({exc.message})",
                hint="the code is single use: authorise the shop again",
            ) from exc
        await self._save_granted(tokens)
        _log.info("tiktok.token_exchanged", app_key=self._config.app_key)
        return tokens

    def _not_authorised(self) -> ReauthorizeRequired:
        return ReauthorizeRequired("the TikTok shop is not authorised yet", hint=_REAUTHORIZE)

    async def _refresh(self, tokens: Tokens) -> Tokens:
        if tokens.refresh_expires_at <= self._now():
            raise ReauthorizeRequired(
                "the TikTok shop's authorisation ended (its refresh token expired or was "
                "spent by a refresh whose answer was lost)",
                hint=_REAUTHORIZE,
            )
        query = {"refresh_token": tokens.refresh_token, "grant_type": "refresh_token"}
        try:
            fresh = self._tokens_from(await self._get(REFRESH_PATH, query))
        except OutcomeUnknown as exc:
            if not self._config.auth.refresh_token_single_use:
                raise RetryableError(f"the TikTok token refresh got no answer ({exc.message})") from exc
            await self._mark_spent(tokens)
            _log.error("tiktok.refresh_answer_lost", app_key=self._config.app_key, command=_COMMAND)
            raise RefreshOutcomeUnknown(
                f"the TikTok access token refresh was sent and its answer lost ({exc.message}); the refresh "
                "token may be spent, so chosync will not send it again",
                hint=_REAUTHORIZE,
            ) from exc
        except (AuthError, PermanentError) as exc:
            raise ReauthorizeRequired(
                f"TikTok Shop refused to refresh the access token: {exc.message}", hint=_REAUTHORIZE
            ) from exc
        await self._store.save(fresh)
        _log.info("tiktok.token_refreshed", app_key=self._config.app_key, access_expires_at=fresh.access_expires_at)
        return fresh

    def _tokens_from(self, answer: Mapping[str, Any]) -> Tokens:
        data = answer.get("data")
        data = data if isinstance(data, Mapping) else {}
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise OutcomeUnknown("TikTok Shop answered the token request without tokens")
        register_secret(access)
        register_secret(refresh)
        now = self._now()
        return Tokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=self._expiry(data.get("access_token_expire_in"), now, timedelta(days=7)),
            refresh_expires_at=self._expiry(data.get("refresh_token_expire_in"), now, timedelta(days=365)),
        )

    @staticmethod
    def _expiry(value: object, now: datetime, fallback: timedelta) -> datetime:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            return now + fallback
        if value < _UNIX_TIME_FLOOR:
            return now + timedelta(seconds=value)
        return datetime.fromtimestamp(value, UTC)

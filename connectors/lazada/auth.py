"""Lazada authorisation: the code exchange, and keeping one seller's access token valid.

A seller opens the authorisation link (:func:`authorization_url`); Lazada redirects to the app's registered
URI with a one-time ``code`` (30 minutes) that :meth:`LazadaAuthorizer.exchange_code` trades on the token
host (``/auth/token/create``) for an access token (30 days for an online app) and a refresh token (180
days). Both answers are flat JSON, lifetimes in seconds; the seller's id and country come in
``country_user_info`` (``country_user_info_list`` in a refresh answer: both are read) and are learned,
for the core to keep with the account.

A refresh resets the access token's life, never the refresh token's: the newest refresh token is stored
each time with the end the old one had (the token job warns ``auth.refresh_warn_days`` before it, when
only the seller can renew it by authorising again). The access token is refreshed
``auth.refresh_margin_s`` before it ends and once when Lazada refuses it (``IllegalAccessToken``), under one
lock per app and seller with the store read again inside it, so concurrent jobs refresh once
(:class:`~connectors.kit.oauth.GrantKeeper`).
``IllegalRefreshToken`` means the grant is gone: :class:`~core.ports.ReauthorizeRequired`, with the
command to run. Lazada keeps a refresh token valid after using it (UNCERTAIN: ``auth.refresh_token_single_use``
false), so a refresh whose answer was lost is sent again; were it single use, the stored token would be
marked spent and the seller asked to authorise again. Every token is registered as a secret.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import structlog

from connectors.kit.oauth import GrantKeeper
from connectors.lazada.config import LazadaConfig
from connectors.lazada.errors import REAUTHORIZE_HINT
from core.errors import AuthError, OutcomeUnknown, PermanentError, RetryableError
from core.logs import register_secret
from core.ports import ReauthorizeRequired, RefreshOutcomeUnknown, Tokens, TokenStore

__all__ = ["CREATE_PATH", "REFRESH_PATH", "LazadaAuthorizer", "TokenPost", "authorization_url"]

CREATE_PATH = "/auth/token/create"
REFRESH_PATH = "/auth/token/refresh"

_log = structlog.get_logger("chosync.connectors.lazada")

TokenPost = Callable[[str, Mapping[str, str]], Awaitable[Mapping[str, Any]]]


def authorization_url(config: LazadaConfig, redirect_url: str, state: str | None = None) -> str:
    """The link a seller opens; ``redirect_uri`` is the account's registered one, else ``redirect_url``."""
    query = {
        "response_type": "code",
        "force_auth": "true",
        "redirect_uri": config.redirect_uri or redirect_url,
        "client_id": config.app_key,
        "state": state or secrets.token_urlsafe(12),
    }
    return f"{config.authorize_url}?{urlencode(query)}"


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]  # text or number, as Lazada sends it
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None


class LazadaAuthorizer(GrantKeeper):
    """One seller's grant: exchange, refresh ahead of expiry, refresh after a refusal (single flight)."""

    def __init__(self, *, config: LazadaConfig, tokens: TokenStore, post: TokenPost, now: Callable[[], datetime]):
        key = f"lazada:{config.app_key}:{config.seller_id or '-'}"
        super().__init__(key=key, tokens=tokens, now=now, refresh_margin_s=config.auth.refresh_margin_s)
        self._config = config
        self._post = post
        self.learned: dict[str, str] = {}

    async def exchange_code(self, code: str) -> Tokens:
        register_secret(code)
        try:
            answer = await self._sent_twice(
                lambda: self._post(CREATE_PATH, {"code": code}),
                lambda error: _log.warning("lazada.token_exchange_retried", error=error),
            )
        except (AuthError, PermanentError) as exc:
            raise ReauthorizeRequired(
                f"Lazada refused the authorisation code: {exc.message}",
                hint="the code is single use and valid 30 minutes: authorise again",
            ) from exc
        except OutcomeUnknown as exc:
            raise RefreshOutcomeUnknown(
                f"the answer to the authorisation code exchange was lost ({exc.message})",
                hint="the code is single use: authorise the shop again",
            ) from exc
        tokens = self._tokens_from(answer, previous=None)
        self._learn(answer)
        await self._save_granted(tokens)
        _log.info(
            "lazada.token_exchanged", seller_id=self.learned.get("seller_id"), country=self.learned.get("country")
        )
        return tokens

    def _not_authorised(self) -> ReauthorizeRequired:
        return ReauthorizeRequired("the Lazada shop is not authorised yet", hint=REAUTHORIZE_HINT)

    async def _refresh(self, tokens: Tokens) -> Tokens:
        if tokens.refresh_expires_at <= self._now():
            raise ReauthorizeRequired(
                "the Lazada shop's authorisation ended (its refresh token expired, or was spent by a refresh "
                "whose answer was lost)",
                hint=REAUTHORIZE_HINT,
            )
        try:
            answer = await self._post(REFRESH_PATH, {"refresh_token": tokens.refresh_token})
        except OutcomeUnknown as exc:
            if not self._config.auth.refresh_token_single_use:
                raise RetryableError(f"the Lazada token refresh got no answer ({exc.message})") from exc
            await self._mark_spent(tokens)
            _log.error("lazada.refresh_answer_lost", app_key=self._config.app_key)
            raise RefreshOutcomeUnknown(
                f"the Lazada token refresh was sent and its answer lost ({exc.message}); the refresh token may "
                "be spent, so chosync will not send it again",
                hint=REAUTHORIZE_HINT,
            ) from exc
        except (AuthError, PermanentError) as exc:
            raise ReauthorizeRequired(
                f"Lazada refused to refresh the access token: {exc.message}", hint=REAUTHORIZE_HINT
            ) from exc
        fresh = self._tokens_from(answer, previous=tokens)
        self._learn(answer)
        await self._store.save(fresh)
        _log.info(
            "lazada.token_refreshed",
            seller_id=self.learned.get("seller_id") or self._config.seller_id,
            access_expires_at=fresh.access_expires_at.isoformat(),
            refresh_expires_at=fresh.refresh_expires_at.isoformat(),
        )
        return fresh

    def _tokens_from(self, answer: Mapping[str, Any], *, previous: Tokens | None) -> Tokens:
        access, refresh = answer.get("access_token"), answer.get("refresh_token")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise OutcomeUnknown("Lazada answered the token request without tokens")
        register_secret(access)
        register_secret(refresh)
        now = self._now()
        lives = _seconds(answer.get("expires_in"))
        access_end = (
            now + timedelta(seconds=lives) if lives else now + timedelta(days=self._config.auth.access_fallback_days)
        )
        refresh_lives = _seconds(answer.get("refresh_expires_in"))
        # No refresh lifetime: this grant cannot be refreshed, so it ends with its access token.
        refresh_end = now + timedelta(seconds=refresh_lives) if refresh_lives else access_end
        if previous is not None:
            # Refreshing never extends the grant: the new refresh token ends when the old one would have.
            refresh_end = (
                min(refresh_end, previous.refresh_expires_at) if refresh_lives else previous.refresh_expires_at
            )
        return Tokens(
            access_token=access, refresh_token=refresh, access_expires_at=access_end, refresh_expires_at=refresh_end
        )

    def _learn(self, answer: Mapping[str, Any]) -> None:
        """The seller id and country of the grant, from either list name Lazada uses."""
        listed = answer.get("country_user_info") or answer.get("country_user_info_list") or []
        entries = [entry for entry in listed if isinstance(entry, Mapping)] if isinstance(listed, list) else []
        wanted = self._config.country.casefold()
        entry = next((e for e in entries if str(e.get("country", "")).casefold() == wanted), None)
        entry = entry or (entries[0] if entries else {})
        seller_id = entry.get("seller_id")
        country = entry.get("country") or answer.get("country")
        if seller_id not in (None, ""):
            self.learned["seller_id"] = str(seller_id)
        if country:
            self.learned["country"] = str(country)

"""Shopee Open Platform v2 authentication: request signing, shop authorisation, tokens, push checks.

**Signing.** Every call carries ``sign`` = lowercase hex HMAC-SHA256 keyed with the partner key (as
UTF-8 text) over a plain concatenation: partner_id + path + timestamp for public calls, then
+ access_token + shop_id for shop calls (+ merchant_id for merchant calls). Timestamps are Unix seconds.

**Tokens.** A shop owner authorises our partner app at the URL :func:`authorization_url` builds; Shopee
redirects back with a one-time ``code`` that :meth:`ShopeeAuthorizer.exchange_code` trades for an access
token (4 h) and a refresh token (30 days, *single use*). The authorizer refreshes ahead of expiry,
single-flight (:class:`~connectors.kit.oauth.GrantKeeper`): one lock per account, and the token store is
read again after taking it, so ten concurrent jobs refresh once and a refresh token is never sent twice.
Both token calls spend what they send (the code, the refresh token), so they are sent as *not*
idempotent: a refresh whose answer was lost (a timeout after sending, a dropped connection, a 5xx, an
unreadable 200) may have been applied by Shopee, which then holds new tokens we never saw and refuses
the old refresh token. Sending it again cannot help, so it is never sent again: the stored refresh token
is marked spent (its expiry set to now) and :class:`~core.ports.RefreshOutcomeUnknown` says the seller
must authorise the shop again. Only failures that prove nothing was applied (could not connect, rate
limited) let the refresh be retried. (shopee.md states the refresh token is single use without doubt, so
there is no setting for a grace period in which an old refresh token would still be accepted.) When the
refresh token is gone, :class:`~core.ports.ReauthorizeRequired` says a person must authorise the shop
again (the core warns them ``auth.refresh_warn_days`` before: :mod:`core.scheduler.tokens`).

**Push.** :func:`verify_push` checks a webhook's ``Authorization`` header (HMAC over
``callback_url|raw_body``, compared in constant time), its age, and that it was not seen before.

Every key, token and code is registered with :func:`core.logs.register_secret` the moment it is held.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import structlog
from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from connectors.kit.oauth import GrantKeeper
from connectors.shopee.config import ShopeeAuthSettings
from core.errors import AuthError, OutcomeUnknown, PermanentError
from core.logs import register_secret
from core.ports import ReauthorizeRequired, RefreshOutcomeUnknown, Tokens, TokenStore

__all__ = [
    "AUTH_PARTNER_PATH",
    "REFRESH_PATH",
    "TOKEN_PATH",
    "DuplicatePush",
    "PushRejected",
    "PushReplayGuard",
    "ShopeeAuthorizer",
    "ShopeePush",
    "authorization_url",
    "merchant_base_string",
    "public_base_string",
    "push_signature",
    "shop_base_string",
    "sign",
    "signed_query",
    "verify_push",
]

AUTH_PARTNER_PATH = "/api/v2/shop/auth_partner"
TOKEN_PATH = "/api/v2/auth/token/get"  # noqa: S105 (a URL path, not a password)
REFRESH_PATH = "/api/v2/auth/access_token/get"

_log = structlog.get_logger("chosync.connectors.shopee")

# What a person runs to authorise a shop again (the seller code is theirs to fill in).
REAUTHORIZE_COMMAND = "chosync channels connect shopee --seller <SELLER>"
_REAUTHORIZE_HINT = (
    f"the seller must authorise the shop again: run '{REAUTHORIZE_COMMAND}', open the link it prints, then "
    f"'{REAUTHORIZE_COMMAND} --code <CODE> --shop-id <SHOP_ID>' with the code the redirect carries"
)

PublicPost = Callable[[str, Mapping[str, Any]], Awaitable[Mapping[str, Any]]]


# --- signing -------------------------------------------------------------------------------------


def sign(partner_key: str, base_string: str) -> str:
    return hmac.new(partner_key.encode("utf-8"), base_string.encode("utf-8"), hashlib.sha256).hexdigest()


def public_base_string(partner_id: int, path: str, timestamp: int) -> str:
    return f"{partner_id}{path}{timestamp}"


def shop_base_string(partner_id: int, path: str, timestamp: int, access_token: str, shop_id: int) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{shop_id}"


def merchant_base_string(partner_id: int, path: str, timestamp: int, access_token: str, merchant_id: int) -> str:
    return f"{partner_id}{path}{timestamp}{access_token}{merchant_id}"


def signed_query(
    *,
    partner_id: int,
    partner_key: str,
    path: str,
    timestamp: int,
    access_token: str | None = None,
    shop_id: int | None = None,
    merchant_id: int | None = None,
) -> dict[str, str | int]:
    """The common query parameters of one call, signed as a public, shop or merchant call."""
    query: dict[str, str | int] = {"partner_id": partner_id, "timestamp": timestamp}
    if access_token is None:
        base = public_base_string(partner_id, path, timestamp)
    elif shop_id is not None:
        base = shop_base_string(partner_id, path, timestamp, access_token, shop_id)
        query |= {"access_token": access_token, "shop_id": shop_id}
    elif merchant_id is not None:
        base = merchant_base_string(partner_id, path, timestamp, access_token, merchant_id)
        query |= {"access_token": access_token, "merchant_id": merchant_id}
    else:
        raise ValueError("a call with an access token needs a shop_id or a merchant_id")
    query["sign"] = sign(partner_key, base)
    return query


def authorization_url(*, base_url: str, partner_id: int, partner_key: str, redirect_url: str, now: datetime) -> str:
    """The link a shop owner opens to authorise us (valid 5 minutes from ``now``)."""
    register_secret(partner_key)
    query = signed_query(
        partner_id=partner_id, partner_key=partner_key, path=AUTH_PARTNER_PATH, timestamp=int(now.timestamp())
    )
    return f"{base_url.rstrip('/')}{AUTH_PARTNER_PATH}?{urlencode({**query, 'redirect': redirect_url})}"


# --- tokens --------------------------------------------------------------------------------------


class ShopeeAuthorizer(GrantKeeper):
    """Keeps one shop's access token valid: exchange, refresh ahead of expiry, refresh after rejection."""

    def __init__(
        self,
        *,
        partner_id: int,
        shop_id: int,
        tokens: TokenStore,
        public_post: PublicPost,
        settings: ShopeeAuthSettings | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._settings = settings or ShopeeAuthSettings()
        super().__init__(
            key=f"shopee:{partner_id}:{shop_id}",
            tokens=tokens,
            now=now or (lambda: datetime.now(UTC)),
            refresh_margin_s=self._settings.refresh_margin_s,
        )
        self.partner_id = partner_id
        self.shop_id = shop_id
        self._post = public_post

    async def exchange_code(self, code: str) -> Tokens:
        """Trade the one-time code from the authorisation redirect for this shop's tokens, and save them."""
        register_secret(code)
        body = {"code": code, "partner_id": self.partner_id, "shop_id": self.shop_id}
        try:
            answer = await self._sent_twice(
                lambda: self._post(TOKEN_PATH, body),
                lambda error: _log.warning("shopee.token_exchange_retried", shop_id=self.shop_id, error=error),
            )
            tokens = self._tokens_from(answer)
        except (AuthError, PermanentError) as exc:
            raise ReauthorizeRequired(
                f"Shopee refused the authorisation code for shop {self.shop_id}: {exc.message}",
                hint="the code is single use and valid 10 minutes: authorise the shop again",
            ) from exc
        except OutcomeUnknown as exc:
            raise RefreshOutcomeUnknown(
                f"the answer to the exchange of the authorisation code for shop {self.shop_id} was lost "
                f"({exc.message}); Shopee may have spent the single-use code",
                hint="the code is single use: authorise the shop again for a new one",
            ) from exc
        await self._save_granted(tokens)
        _log.info("shopee.token_exchanged", shop_id=self.shop_id)
        return tokens

    def _not_authorised(self) -> ReauthorizeRequired:
        return ReauthorizeRequired(
            f"Shopee shop {self.shop_id} is not authorised yet",
            hint="open the authorisation link for this shop and sign in as its owner",
        )

    async def _refresh(self, tokens: Tokens) -> Tokens:
        """Trade the refresh token for a new pair. Called under the account lock only."""
        if tokens.refresh_expires_at <= self._now():
            raise ReauthorizeRequired(
                f"Shopee shop {self.shop_id} has no usable refresh token: it expired, or a refresh whose "
                "answer was lost spent it",
                hint=_REAUTHORIZE_HINT,
            )
        body = {"refresh_token": tokens.refresh_token, "partner_id": self.partner_id, "shop_id": self.shop_id}
        # Failures that prove the refresh was not applied (RetryableError: could not connect; RateLimited)
        # pass through untouched: the refresh token is unspent and the caller's retry policy may send it again.
        try:
            answer = await self._post(REFRESH_PATH, body)
            fresh = self._tokens_from(answer)
        except OutcomeUnknown as exc:
            await self._mark_spent(tokens)
            raise self._refresh_lost(exc.message) from exc
        except (AuthError, PermanentError) as exc:
            if isinstance(exc, _TokenlessAnswer):  # a 200 without tokens: applied or not, we cannot tell
                await self._mark_spent(tokens)
                raise self._refresh_lost(exc.message) from exc
            raise ReauthorizeRequired(
                f"Shopee refused to refresh the access token of shop {self.shop_id}: {exc.message}",
                hint=_REAUTHORIZE_HINT,
            ) from exc
        await self._store.save(fresh)  # at once: the old refresh token is spent from this moment
        _log.info("shopee.token_refreshed", shop_id=self.shop_id, access_expires_at=fresh.access_expires_at)
        return fresh

    async def _mark_spent(self, tokens: Tokens) -> None:
        # The old access token is kept: Shopee keeps it valid a while after a refresh (5 minutes), or until
        # its own expiry if the refresh was not applied, so calls already possible stay possible.
        await super()._mark_spent(tokens)
        _log.error("shopee.refresh_answer_lost", shop_id=self.shop_id, command=REAUTHORIZE_COMMAND)

    def _refresh_lost(self, detail: str) -> RefreshOutcomeUnknown:
        return RefreshOutcomeUnknown(
            f"the refresh of shop {self.shop_id}'s Shopee access token was sent but its answer was lost "
            f"({detail}). Shopee may have issued new tokens that never reached chosync and spent the "
            "single-use refresh token, so chosync will not send it again; the current access token works "
            "at most until it expires",
            hint=_REAUTHORIZE_HINT,
        )

    def _tokens_from(self, answer: Mapping[str, Any]) -> Tokens:
        # The token calls answer at the top level; accept a nested "response" too (sandbox variants).
        nested = answer.get("response")
        fields = nested if isinstance(nested, Mapping) and "access_token" in nested else answer
        access, refresh, expire_in = (
            fields.get("access_token"),
            fields.get("refresh_token"),
            fields.get("expire_in"),
        )
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise _TokenlessAnswer("Shopee answered the token request without tokens")
        register_secret(access)
        register_secret(refresh)
        now = self._now()
        seconds = expire_in if isinstance(expire_in, int | float) and expire_in > 0 else 4 * 3600
        return Tokens(
            access_token=access,
            refresh_token=refresh,
            access_expires_at=now + timedelta(seconds=seconds),
            refresh_expires_at=now + timedelta(days=self._settings.refresh_token_ttl_days),
        )


class _TokenlessAnswer(AuthError):
    """A token call answered "success" without tokens: whatever it did, we did not get the tokens."""


# --- push ----------------------------------------------------------------------------------------


class PushRejected(AuthError):
    """A push that must not be acted on: forged, too old, from the future, or malformed."""


class DuplicatePush(PushRejected):
    """A genuine push already received: answer 2xx (so Shopee stops resending) and ignore it."""


class ShopeePush(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: int
    shop_id: int | None = None
    timestamp: AwareDatetime
    data: dict[str, Any] = {}


class PushReplayGuard:
    """Remembers the pushes seen within the accepted age, by digest of their body.

    **In memory, per process.** A replay is caught only by the process that saw the original, and only
    while it runs: a restart forgets, and behind several webhook workers (or hosts) a push replayed to
    another worker passes as new. What bounds the damage is the age check (``push_max_age_s``, 15
    minutes) and what a push does: it only says "look at this order again", and the order pull that
    follows is idempotent (DESIGN rule 1), so a replayed push costs a request, never a double booking.
    Whoever serves webhooks from more than one process must keep the digests in shared storage (a table
    with a unique key on the digest, rows older than the max age deleted) and pass that as ``guard``.
    """

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}

    def remember(self, digest: str, timestamp: datetime, *, now: datetime, max_age: timedelta) -> bool:
        """True if new (and now remembered); False if seen. Forgets what is too old to be accepted."""
        for key in [k for k, ts in self._seen.items() if now - ts > max_age]:
            del self._seen[key]
        if digest in self._seen:
            return False
        self._seen[digest] = timestamp
        return True


_process_guard = PushReplayGuard()


def push_signature(partner_key: str, callback_url: str, raw_body: bytes) -> str:
    """The ``Authorization`` header Shopee sends with a push: HMAC over ``callback_url|raw_body``."""
    register_secret(partner_key)
    message = callback_url.encode("utf-8") + b"|" + raw_body
    return hmac.new(partner_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_push(
    partner_key: str,
    callback_url: str,
    raw_body: bytes,
    authorization_header: str | None,
    now: datetime,
    *,
    max_age: timedelta = timedelta(minutes=15),
    future_skew: timedelta = timedelta(minutes=5),
    guard: PushReplayGuard | None = None,
) -> ShopeePush:
    """The push, parsed, if it is genuine, fresh and new; else :class:`PushRejected`."""
    expected = push_signature(partner_key, callback_url, raw_body)
    given = (authorization_header or "").strip().lower()
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", errors="replace")):
        raise PushRejected("Shopee push rejected: its signature does not match")
    try:
        raw = json.loads(raw_body)
        push = ShopeePush(
            code=raw["code"],
            shop_id=raw.get("shop_id"),
            timestamp=datetime.fromtimestamp(int(raw["timestamp"]), UTC),
            data=raw.get("data") or {},
        )
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise PushRejected("Shopee push rejected: its body is not a push message") from exc
    if now - push.timestamp > max_age:
        raise PushRejected(f"Shopee push rejected: sent at {push.timestamp.isoformat()}, too old (replay?)")
    if push.timestamp - now > future_skew:
        raise PushRejected("Shopee push rejected: its timestamp is in the future")
    digest = hashlib.sha256(raw_body).hexdigest()
    if not (guard or _process_guard).remember(digest, push.timestamp, now=now, max_age=max_age):
        raise DuplicatePush("Shopee push already received")
    return push

"""Keeping one OAuth grant's access token valid, the way every API marketplace's authorizer does it.

A marketplace's authorizer (:class:`GrantKeeper`) writes only its token requests, how it reads their
answers, and its own wording; this module holds the skeleton they share:

- **single flight**: one lock per grant in the running event loop (:func:`grant_lock`), so two connector
  instances of one account refresh once; the store is read again inside the lock, so a job that waited
  finds the token another job refreshed. Across processes the core's account lease keeps two jobs of one
  account apart; should two ever refresh together anyway, the loser's refresh is refused
  (ReauthorizeRequired), never retried with the spent token.
- **load → due → refresh** (:meth:`GrantKeeper.access_token`): refreshed ``refresh margin`` before the
  access token ends; and once after the marketplace refuses it (:meth:`GrantKeeper.refresh_rejected`),
  unless another job already replaced it.
- **the code exchange sent once more** when its answer is lost (:meth:`GrantKeeper._sent_twice`): if the
  first was applied the marketplace refuses the spent code (authorise again, as without the retry).
- **a lost refresh** whose refresh token may be spent (:meth:`GrantKeeper._mark_spent`): its expiry set to
  now, so no job in any process sends it again.

Every token is registered as a secret the moment it is loaded.
"""

from __future__ import annotations

import asyncio
import weakref
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from core.errors import OutcomeUnknown
from core.logs import register_secret
from core.ports import ReauthorizeRequired, Tokens, TokenStore

__all__ = ["GrantKeeper", "grant_lock"]

_A = TypeVar("_A")
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def grant_lock(key: str) -> asyncio.Lock:
    """The process-wide lock of one grant in the running loop."""
    locks = _locks.setdefault(asyncio.get_running_loop(), {})
    return locks.setdefault(key, asyncio.Lock())


class GrantKeeper(ABC):
    """One grant's tokens: load, refresh ahead of expiry, refresh after a refusal (single flight).

    A subclass gives the grant's lock ``key``, its margin, the error for a grant never made
    (:meth:`_not_authorised`) and its refresh (:meth:`_refresh`, called under the grant's lock only).
    """

    def __init__(self, *, key: str, tokens: TokenStore, now: Callable[[], datetime], refresh_margin_s: float) -> None:
        self._key = key
        self._store = tokens
        self._now = now
        self._margin = timedelta(seconds=refresh_margin_s)

    @abstractmethod
    def _not_authorised(self) -> ReauthorizeRequired:
        """What to say when the store holds no tokens."""

    @abstractmethod
    async def _refresh(self, tokens: Tokens) -> Tokens:
        """Trade ``tokens``' refresh token for a new pair, and save it."""

    async def access_token(self) -> str:
        """A valid access token, refreshed first if it ends within the margin."""
        tokens = await self._load()
        if not self._due(tokens):
            return tokens.access_token
        async with grant_lock(self._key):
            tokens = await self._load()  # another job may have refreshed while this one waited for the lock
            if self._due(tokens):
                tokens = await self._refresh(tokens)
        return tokens.access_token

    async def refresh_rejected(self, rejected: str | None) -> None:
        """Refresh because the marketplace refused ``rejected`` (None: whatever is stored), unless it was
        replaced already."""
        async with grant_lock(self._key):
            tokens = await self._load()
            if rejected is None or tokens.access_token == rejected:
                await self._refresh(tokens)

    def _due(self, tokens: Tokens) -> bool:
        return tokens.access_expires_at - self._margin <= self._now()

    async def _load(self) -> Tokens:
        tokens = await self._store.load()
        if tokens is None:
            raise self._not_authorised()
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens

    async def _save_granted(self, tokens: Tokens) -> None:
        """Save the tokens a code exchange brought, under the grant's lock."""
        async with grant_lock(self._key):
            await self._store.save(tokens)

    @staticmethod
    async def _sent_twice(send: Callable[[], Awaitable[_A]], retried: Callable[[str], Any]) -> _A:
        """``send()``, and once more if its answer was lost (``retried`` logs why): for the code exchange,
        where sending the code again costs nothing."""
        try:
            return await send()
        except OutcomeUnknown as exc:
            retried(exc.message)
            return await send()

    async def _mark_spent(self, tokens: Tokens) -> None:
        """Record that ``tokens``' refresh token may be spent, so no job (in any process) sends it again.

        The access token is kept: it works until its own expiry if the refresh was not applied.
        """
        await self._store.save(tokens.model_copy(update={"refresh_expires_at": self._now()}))

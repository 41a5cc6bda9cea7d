"""One channel account's OAuth tokens, where they are kept, and the error that says they are gone.

A **token store** keeps one channel account's tokens between jobs; the core provides the database-backed
one, :class:`InMemoryTokenStore` serves tests and the demo. :class:`ReauthorizeRequired` is the one
failure no refresh can fix: a person must authorise the shop again.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict

from core.errors import AuthError

__all__ = ["InMemoryTokenStore", "ReauthorizeRequired", "RefreshOutcomeUnknown", "TokenStore", "Tokens"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class ReauthorizeRequired(AuthError):
    """The account's authorisation is gone (refresh token expired, used or revoked).

    Refreshing again cannot help: a person must authorise the shop again. Retry policies stop here.
    """


class RefreshOutcomeUnknown(ReauthorizeRequired):
    """A token refresh reached the marketplace and its answer was lost (timeout, dropped connection, 5xx).

    The marketplace may have issued new tokens we never received, spending the refresh token we sent.
    Where refresh tokens are single use, sending it again would be refused at best (and look like a
    replayed credential at worst), so the connector does not: the stored refresh token is marked spent
    and a person must authorise the shop again.
    """


class Tokens(BaseModel):
    """One account's OAuth tokens and when they stop working."""

    model_config = _FROZEN

    access_token: str
    refresh_token: str
    access_expires_at: AwareDatetime
    refresh_expires_at: AwareDatetime


class TokenStore(Protocol):
    """Where one channel account's tokens live between jobs. Saved at once after every refresh."""

    async def load(self) -> Tokens | None: ...

    async def save(self, tokens: Tokens) -> None: ...


class InMemoryTokenStore:
    """A token store that forgets on exit: for tests and the demo."""

    def __init__(self, tokens: Tokens | None = None) -> None:
        self.tokens = tokens
        self.saves = 0

    async def load(self) -> Tokens | None:
        return self.tokens

    async def save(self, tokens: Tokens) -> None:
        self.tokens = tokens
        self.saves += 1

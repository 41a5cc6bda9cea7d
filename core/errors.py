"""The one error hierarchy.

Every error chosync raises on purpose is a :class:`ChosyncError`. Errors are split by what the caller
should do with them, decided where they are raised, never guessed later from a message:

- :class:`UsageError` / :class:`ConfigError`: the command or the configuration is wrong; fix it and run
  again (CLI exit code 2).
- :class:`InputRejected`: the data given (a spreadsheet, an unknown seller code) was refused as a whole;
  nothing was written (CLI exit code 1).
- :class:`IOFailure`: the machine would not read or write: permission denied, a read-only or full disk,
  a damaged file. Nothing is wrong with the command; its surroundings must be fixed (CLI exit code 74).
- :class:`RetryableError` (and :class:`RateLimited`): try again later; the marketplace or the network
  was not able to answer now.
- :class:`CannotConnect`: no connection could be made at all (refused, a name that does not resolve, a
  TLS handshake refused): tried a few times only, then parked for a person, since a wrong address or a
  marketplace that is down does not pass by retrying for hours.
- :class:`AuthError`: the credentials were refused; refresh the token once, then retry.
- :class:`PermanentError`: the marketplace refused the request for a reason a person must fix.
- :class:`OutcomeUnknown`: the request may have reached the marketplace and the answer was lost; read
  the marketplace back before sending anything again.

Every message is meant for a person: what happened, and (``hint``) what to do about it.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "CannotConnect",
    "ChosyncError",
    "ConfigError",
    "IOFailure",
    "InputRejected",
    "NotFound",
    "NotYet",
    "OutcomeUnknown",
    "PermanentError",
    "RateLimited",
    "RetryableError",
    "UsageError",
]


class ChosyncError(Exception):
    """Root of every error chosync raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} ({self.hint})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (hint and any subclass's fields), for an error raised in another process.
        return (_restore, (type(self), self.message, self.__dict__))


def _restore(cls: type[ChosyncError], message: str, state: dict[str, Any]) -> ChosyncError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class UsageError(ChosyncError):
    """The command was called in a way that cannot work."""

    exit_code = 2


class ConfigError(ChosyncError):
    """The configuration (settings file, environment, channel account) is missing or wrong."""

    exit_code = 2


class InputRejected(ChosyncError):
    """Input data was refused as a whole; nothing was written."""

    exit_code = 1


class IOFailure(ChosyncError):
    """Reading or writing failed for a reason outside chosync: permission, a read-only or full disk, damage."""

    exit_code = 74  # EX_IOERR (sysexits.h)


class NotFound(ChosyncError):
    """A named thing (seller, product, operation) does not exist."""

    exit_code = 1


class RetryableError(ChosyncError):
    """A transient failure: the same request may succeed later.

    ``retry_after`` is the wait the other side asked for, in seconds, when it said one.
    """

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class RateLimited(RetryableError):
    """The marketplace asked us to slow down. Waiting for it spends no attempt."""


class CannotConnect(RetryableError):
    """No connection to ``host`` could be made: nothing was sent, so trying again is safe, but only a few
    times; past a short bound a person must look (a wrong ``base_url``, the marketplace down, a proxy).

    ``reason`` is what failed, for people: "connection refused", "host name not found", "TLS failed".
    """

    def __init__(self, message: str, *, hint: str | None = None, host: str = "", reason: str = "") -> None:
        super().__init__(message, hint=hint)
        self.host = host
        self.reason = reason


class NotYet(ChosyncError):
    """The marketplace cannot take this change yet, for a reason that passes by itself (a listing still in
    its review): sent again later without spending an attempt, and parked only once it has waited too long.

    Not a :class:`RetryableError`: retrying within the call could only wait, and a review takes hours.
    """

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


class AuthError(ChosyncError):
    """Credentials refused: refresh the access token once (single-flight), then retry."""


class PermanentError(ChosyncError):
    """The marketplace refused the request; a person must change something first.

    ``field`` names the field at fault where the marketplace said which.
    """

    def __init__(
        self, message: str, *, hint: str | None = None, field: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.field = field
        self.code = code


class OutcomeUnknown(ChosyncError):
    """The request may have been applied; its answer was lost. Resolve by reading back first."""

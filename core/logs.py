"""Logging: structlog configured once, with every secret redacted wherever it appears.

Redaction works three ways, because a secret can hide in three places:

- a value whose *key* names a secret, at any depth of nested dicts and lists;
- a ``name=value`` (or ``name: value``) pair inside a string whose name names a secret (a URL query
  ``?access_token=…&sign=…``, an exception text, a JSON body);
- a known secret *value* anywhere in any string: credentials register themselves with
  :func:`register_secret` when loaded, so they are scrubbed even from text that does not name them.

A name names a secret when one of its words (split at ``_``, ``-``, ``.`` and camelCase) is, or ends
with, key, secret, token, password or passwd, or is sign or signature: ``access_token``, ``partnerKey``,
``x-api-key``, ``apikey``. A plural is not a secret's name: ``tokens:12`` is the token job of account
12, ``keys: 3`` a count. Whole words, not substrings: ``design``, ``keyword`` and ``signal`` name nothing
secret. The event name is code's own words, never a pair to redact (a registered secret in it still is).

:func:`scrub` applies the last two to any text (CLI output, error messages) outside of logging.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from core.settings import LogFormat

__all__ = ["REDACTED", "configure_logging", "is_secret_key", "redact_secrets", "register_secret", "scrub"]

REDACTED = "[REDACTED]"
_SECRET_ENDINGS = ("key", "secret", "token", "password", "passwd", "signature")
_SECRET_WORDS = frozenset({"sign"})
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# A name=value or name: value pair, found cheaply by a secret part somewhere in the name; whether the
# name really says secret is decided by is_secret_key. The name itself is kept for the reader.
_PAIR_CANDIDATE = re.compile(
    r"(?P<name>[\w-]*(?:key|secret|token|passw|sign)[\w-]*)(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?=[^&\s\"',;}])",
    re.IGNORECASE,
)
_PAIR_VALUE = re.compile(r"[^&\s\"',;}]+")
_MIN_SECRET_LENGTH = 4  # shorter values would scrub ordinary words and numbers

# The newest secrets, oldest first (a dict keeps insertion order). Bounded, because a daemon that runs
# for months registers every token it is ever handed (each refresh brings two) and scrub() reads them
# all: past the bound the least recently registered goes, which is a token replaced long ago (a secret
# still in use is registered again each time it is loaded, and so stays among the newest).
_MAX_KNOWN_SECRETS = 4096
_known_secrets: dict[str, None] = {}
_longest_first: list[str] | None = None  # scrub()'s order, rebuilt only when the set changes
_known_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is scrubbed from every log line and message from now on."""
    global _longest_first  # noqa: PLW0603 (one process-wide registry, guarded by its lock)
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _known_lock:
            if value in _known_secrets:
                del _known_secrets[value]  # re-inserted below: now the most recent
                _known_secrets[value] = None
                return
            _known_secrets[value] = None
            if len(_known_secrets) > _MAX_KNOWN_SECRETS:
                del _known_secrets[next(iter(_known_secrets))]
            _longest_first = None


def is_secret_key(name: str) -> bool:
    """Whether ``name`` (a field, a dict key, a ``--option``, a pair's name) names a secret value."""
    for word in _WORD.findall(name):
        lowered = word.lower()
        if lowered in _SECRET_WORDS or lowered.endswith(_SECRET_ENDINGS):
            return True
    return False


def _scrub_pairs(text: str) -> str:
    # Scanned by hand rather than by one re.sub: a pair whose name is not a secret's must leave its
    # value to be scanned too (``url=https://…?access_token=…``).
    found = _PAIR_CANDIDATE.search(text)
    if found is None:
        return text
    out: list[str] = []
    done = 0
    while found is not None:
        end = found.end()
        if is_secret_key(found["name"]):
            value = _PAIR_VALUE.match(text, end)
            assert value is not None  # the candidate's look-ahead saw its first character
            out.append(text[done:end])
            out.append(REDACTED)
            done = value.end()
        found = _PAIR_CANDIDATE.search(text, max(done, end))
    out.append(text[done:])
    return "".join(out)


def _scrub_known(text: str) -> str:
    global _longest_first  # noqa: PLW0603 (see register_secret)
    with _known_lock:
        if _longest_first is None:
            _longest_first = sorted(_known_secrets, key=len, reverse=True)
        known = _longest_first
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def scrub(text: str) -> str:
    """Text with every known secret value and every ``secret_name=value`` pair redacted."""
    return _scrub_pairs(_scrub_known(text))


def _redact(key: str | None, value: Any) -> Any:
    if key is not None and is_secret_key(key) and value not in (None, "", b""):
        return REDACTED
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, Mapping):
        return {k: _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact(None, v) for v in value]
    if isinstance(value, BaseException):
        return scrub(repr(value))
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the last word before rendering, so nothing escapes it."""
    redacted: MutableMapping[str, Any] = {}
    for key, value in event_dict.items():
        if key == "event" and isinstance(value, str):
            redacted[key] = _scrub_known(value)
        else:
            redacted[key] = _redact(key, value)
    return dict(redacted)


def configure_logging(*, log_format: LogFormat = LogFormat.CONSOLE, level: str = "WARNING") -> None:
    """Configure structlog for this process. Console for people, JSON lines for services."""
    numeric_level = logging.getLevelNamesMapping().get(level.upper(), logging.WARNING)
    renderer: Processor
    if log_format is LogFormat.JSON:
        renderer = structlog.processors.JSONRenderer(ensure_ascii=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_secrets,
        renderer,
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        # Resolve stderr when a logger is made, not now: tests and the CLI runner swap it.
        logger_factory=lambda *_: structlog.PrintLogger(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


class _ScrubTransportLogs(logging.Filter):
    """httpx logs each request line, query included (``access_token=…&sign=…``), at INFO through the
    standard library: whoever turns that logger on must still not see a token (DESIGN rule 8)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: let logging report it as it would
            return True
        record.msg, record.args = scrub(message), ()
        return True


# Installed when this module is first imported: every command and job logs through it before it talks
# to a marketplace.
for _name in ("httpx", "httpcore"):
    _transport_logger = logging.getLogger(_name)
    if not any(isinstance(f, _ScrubTransportLogs) for f in _transport_logger.filters):
        _transport_logger.addFilter(_ScrubTransportLogs())

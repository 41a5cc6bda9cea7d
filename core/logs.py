"""Logging: structlog configured once, with every secret redacted wherever it appears.

Redaction works three ways, because a secret can hide in three places:

- a value whose *key* names a secret (any key containing key, secret, token, password or sign, at any
  depth of nested dicts and lists);
- a ``name=value`` pair inside a string (a URL query ``?access_token=…&sign=…``, an exception text);
- a known secret *value* anywhere in any string: credentials register themselves with
  :func:`register_secret` when loaded, so they are scrubbed even from text that does not name them.

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
_SECRET_KEY_PARTS = ("key", "secret", "token", "password", "sign")
# name=value or name: value pairs whose name says secret; the name itself is kept for the reader.
_SECRET_PAIR = re.compile(
    r"(?P<name>[\w-]*(?:key|secret|token|password|sign)[\w-]*)(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^&\s\"',;}]+)",
    re.IGNORECASE,
)
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
    lowered = name.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def scrub(text: str) -> str:
    """Text with every known secret value and every ``secret_name=value`` pair redacted."""
    global _longest_first  # noqa: PLW0603 (see register_secret)
    with _known_lock:
        if _longest_first is None:
            _longest_first = sorted(_known_secrets, key=len, reverse=True)
        known = _longest_first
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _SECRET_PAIR.sub(lambda m: f"{m['name']}{m['sep']}{REDACTED}", text)


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
        redacted[key] = _redact(None if key == "event" else key, value)
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

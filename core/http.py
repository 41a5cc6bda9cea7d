"""The HTTP client every command and job talks to the marketplaces through.

One TLS context for the whole process: building one reads the system's CA bundle, some 40 ms on a small
machine, and every CLI command and job used to pay that again for its own client. An ``SSLContext`` is
safe to share between clients, connections and threads.
"""

from __future__ import annotations

import ssl
from functools import cache
from typing import Any

import httpx

__all__ = ["DEFAULT_TIMEOUT_S", "http_client"]

DEFAULT_TIMEOUT_S = 30.0


@cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def http_client(**kwargs: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with the shared TLS context and a 30 s timeout unless told otherwise."""
    kwargs.setdefault("verify", _tls())
    kwargs.setdefault("timeout", httpx.Timeout(DEFAULT_TIMEOUT_S))
    return httpx.AsyncClient(**kwargs)

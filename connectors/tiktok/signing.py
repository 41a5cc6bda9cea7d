"""TikTok Shop request signing (the Partner API's "sign your API request" guide).

``sign`` = lowercase hex HMAC-SHA256 keyed with the app secret over
``app_secret + path + key1value1key2value2… + body + app_secret``: every query parameter except
``sign`` and ``access_token``, sorted by key, then the raw body as sent, which is left out for a
multipart/form-data upload. The body signed must be the very bytes sent, so JSON bodies are serialised
once, here (:func:`json_body`), and sent as that text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["UNSIGNED_PARAMS", "json_body", "sign", "string_to_sign"]

UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def json_body(body: Mapping[str, Any]) -> str:
    """The JSON text of ``body`` as it is both signed and sent (compact, UTF-8 kept)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def string_to_sign(app_secret: str, path: str, query: Mapping[str, Any], body: str = "") -> str:
    params = "".join(f"{key}{query[key]}" for key in sorted(query) if key not in UNSIGNED_PARAMS)
    return f"{app_secret}{path}{params}{body}{app_secret}"


def sign(app_secret: str, path: str, query: Mapping[str, Any], body: str = "") -> str:
    """The ``sign`` query parameter of one request (``body`` "" for a GET or a multipart upload)."""
    message = string_to_sign(app_secret, path, query, body)
    return hmac.new(app_secret.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()

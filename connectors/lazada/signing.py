"""Lazada Open Platform request signing (the developer guide's "signature algorithm").

``sign`` = UPPER-case hex HMAC-SHA256 keyed with the app secret over the API path (after ``/rest``)
followed by every parameter as ``key + value``, sorted by key in ASCII order: the system parameters
(``app_key``, ``timestamp``, ``sign_method``, ``access_token``) and the business ones alike, but never
``sign`` itself nor a file part of a multipart upload. The official worked example
(``/order/get`` → ``4190D323…``) is in the tests.

A parameter with an empty value is never sent: Lazada's SDKs disagree on whether it is signed (the Java
one skips it, the Python one signs it), so it is dropped before signing (:func:`wire_params`), and what is
signed is exactly what is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["SIGN_METHOD", "UNSIGNED", "as_wire_text", "sign", "string_to_sign", "wire_params"]

SIGN_METHOD = "sha256"
UNSIGNED = frozenset({"sign"})


def as_wire_text(value: Any) -> str:
    """A parameter's value as it is sent: lists and tables as compact JSON, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def wire_params(params: Mapping[str, Any]) -> dict[str, str]:
    """``params`` as text, without the ones whose value is None, empty text or an empty list (never sent,
    never signed)."""
    sent = {}
    for key, value in params.items():
        if value is None or (isinstance(value, list | tuple | dict) and not value):
            continue
        text = as_wire_text(value)
        if text != "":
            sent[key] = text
    return sent


def string_to_sign(api_path: str, params: Mapping[str, str]) -> str:
    return api_path + "".join(key + params[key] for key in sorted(params) if key not in UNSIGNED)


def sign(app_secret: str, api_path: str, params: Mapping[str, str]) -> str:
    """The ``sign`` parameter of one request to ``api_path`` (``/order/get``) carrying ``params``."""
    message = string_to_sign(api_path, params).encode("utf-8")
    return hmac.new(app_secret.encode("utf-8"), message, hashlib.sha256).hexdigest().upper()

"""Reading a marketplace's answers in our words: what every marketplace's read side does the same way.

Each connector's read side (:mod:`connectors.shopee.normalize`, :mod:`connectors.postmart.reads`) maps its
own statuses and field names; what is the same for all of them lives here:

- an answer chosync cannot read is a :func:`data_error` (a PermanentError, code ``<marketplace>_data``,
  its message scrubbed of secrets);
- money is :func:`whole_vnd`: a marketplace's amount (float, decimal text or integer) is accepted only as
  a whole, non-negative number of đồng; a fraction is a data error, never rounded (DESIGN rule 10);
- the order cursor chosync stores is ours, not the marketplace's: JSON ``{"v": 1, "update_time_from":
  <unix s>}``, the update time from which the next pull reads orders (:func:`encode_cursor`,
  :func:`decode_cursor`).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from core.errors import PermanentError
from core.logs import scrub

__all__ = ["data_error", "decode_cursor", "encode_cursor", "whole_vnd"]

_CURSOR_VERSION = 1


def data_error(marketplace: str, message: str, *, field: str | None = None, code: str | None = None) -> PermanentError:
    """An answer of ``marketplace`` ("Shopee") that chosync cannot read."""
    return PermanentError(scrub(message), field=field, code=code or f"{marketplace.lower()}_data")


def whole_vnd(value: object, *, what: str, marketplace: str) -> int:
    """An amount as whole đồng; a data error if it is not a whole, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise data_error(marketplace, f"{marketplace} sent {what} = {value!r}, which is not an amount", field=what)
    try:
        amount = Decimal(str(value))  # Decimal reads surrounding spaces, and float text exactly as shown
    except InvalidOperation:
        message = f"{marketplace} sent {what} = {value!r}, which is not an amount"
        raise data_error(marketplace, message, field=what) from None
    if not amount.is_finite() or amount != amount.to_integral_value() or amount < 0:
        message = f"{marketplace} sent {what} = {value!r}, not a whole number of đồng"
        raise data_error(marketplace, message, field=what, code="non_whole_vnd")
    return int(amount)


def encode_cursor(update_time_from: int) -> str:
    return json.dumps({"v": _CURSOR_VERSION, "update_time_from": update_time_from}, separators=(",", ":"))


def decode_cursor(cursor: str | None, *, default: int, marketplace: str) -> int:
    """The update time a stored cursor resumes from; ``default`` when there is none yet."""
    if not cursor:
        return default
    hint = "reset the order cursor of this channel account"
    try:
        data = json.loads(cursor)
        value = data["update_time_from"]
    except (ValueError, KeyError, TypeError):
        raise PermanentError(
            f"the stored {marketplace} order cursor is not one chosync wrote", field="cursor", hint=hint
        ) from None
    if data.get("v") != _CURSOR_VERSION or isinstance(value, bool) or not isinstance(value, int):
        raise PermanentError(f"the stored {marketplace} order cursor has an unknown version", field="cursor", hint=hint)
    return value

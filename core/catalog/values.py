"""Cell values as sellers type them, turned into exact values, or refused with a reason they understand.

Each parser takes what a spreadsheet cell can hold (text, a number from an XLSX cell, a JSON value) and
returns the value or raises :class:`CellError` whose message is written for the seller. Nothing here
guesses: a value that could mean two things is refused (``1.5`` đồng? ``1,5`` kg?), never rounded.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from core.catalog.image_sources import ImageRefused, ImageSources

__all__ = [
    "MAX_PRICE_VND",
    "CellError",
    "parse_attributes",
    "parse_count",
    "parse_dimension_cm",
    "parse_images",
    "parse_ocop_stars",
    "parse_price_vnd",
    "parse_sku",
    "parse_text",
    "parse_url",
    "parse_year",
]

MAX_PRICE_VND = 10_000_000_000  # ten billion đồng: beyond any OCOP product, so surely a typo
_MAX_COUNT = 100_000_000
_CURRENCY = re.compile(r"^(?:vn[dđ]|đồng|dong|đ|₫)\s*|\s*(?:vn[dđ]|đồng|dong|đ|₫)$", re.IGNORECASE)
# 125.000 / 1.250.000 / 125,000 / 1 250 000: groups of exactly three digits after the first.
_GROUPED = re.compile(r"^\d{1,3}(?P<sep>[.,\s\u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*$")
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_SKU_MAX = 100
_WEB_ADDRESS = re.compile(r"^https?://[^/\s?#]+(?:[/?#]\S*)?$", re.IGNORECASE)
_STAR_WORD = re.compile(r"^([345])\s*(?:sao|stars?|★)?$", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
_DECIMAL = re.compile(r"\d+[.,]\d+")
_CENTIMETRES = re.compile(r"\d+(?:[.,]\d{1,2})?")
# The way most prices are written (175000, 175.000, 175.000 đ, 175.000₫), read in one match; anything
# else takes the general path below, which gives these the same result.
_COMMON_PRICE = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+) ?[đ₫]?")


class CellError(ValueError):
    """A cell that cannot be taken as it is; the message says why, for the seller."""


Cell = str | int | float | None


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_text(value: object, *, max_length: int | None = None, required: bool = False) -> str | None:
    """Text in Unicode NFC, trimmed; None when empty."""
    if type(value) is str:
        text = value.strip()
    elif isinstance(value, bool | list | dict):
        raise CellError("expected text")
    else:
        text = _as_text(value)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if not text:
        if required:
            raise CellError("is required and is empty")
        return None
    if max_length is not None and len(text) > max_length:
        raise CellError(f"is {len(text)} characters long; at most {max_length} are allowed")
    return text


def parse_sku(value: object) -> str:
    """A SKU: letters, digits and . _ / - with no spaces, at most 100 characters."""
    text = parse_text(value, required=True)
    assert text is not None
    if len(text) > _SKU_MAX:
        raise CellError(f"is {len(text)} characters long; a SKU has at most {_SKU_MAX}")
    if not _SKU.match(text):
        raise CellError(f"{text!r} is not a valid SKU: use only letters, digits and . _ / - (no spaces or accents)")
    return text


def _whole_number(value: object, *, what: str) -> int:
    """A whole number as written by a Vietnamese seller: plain digits or thousand groups."""
    if isinstance(value, bool):
        raise CellError(f"expected {what}, got a true/false value")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"{value} is not a whole number of {what}")
        return int(value)
    if not isinstance(value, str):
        raise CellError(f"expected {what}")
    text = value.strip()
    negative = text.startswith("-")
    digits = text[1:].strip() if negative else text
    if digits.isdigit() and digits.isascii():
        number = int(digits)
    elif _GROUPED.match(digits):
        number = int(_NOT_DIGIT.sub("", digits))
    elif _DECIMAL.fullmatch(digits):
        raise CellError(
            f"{text!r} is ambiguous or not a whole number of {what}: write it as plain digits "
            "(125000) or with thousand separators (125.000)"
        )
    else:
        raise CellError(f"{text!r} is not a number of {what}")
    return -number if negative else number


def parse_price_vnd(value: object, *, required: bool = True) -> int | None:
    """A positive whole number of đồng: 125000, 125.000, 125,000, 125.000 đ, 125.000₫ (VND, vnđ)."""
    if type(value) is str and (common := _COMMON_PRICE.fullmatch(value.strip())) is not None:
        return _price_in_range(int(common.group(1).replace(".", "")))
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError("is required and is empty")
        return None
    if isinstance(value, str):
        stripped = _CURRENCY.sub("", value.strip()).strip()
        if not stripped:
            raise CellError(f"{value!r} has no amount")
        value = stripped
    return _price_in_range(_whole_number(value, what="đồng"))


def _price_in_range(number: int) -> int:
    if number <= 0:
        raise CellError(f"{number} is not a positive price; prices are whole đồng above 0")
    if number > MAX_PRICE_VND:
        raise CellError(f"{number:,} đồng is beyond any plausible price; check for a typo".replace(",", "."))
    return number


def parse_count(
    value: object, *, what: str, required: bool = False, positive: bool = False, signed: bool = False
) -> int | None:
    """A whole non-negative count (stock, grams); thousand separators allowed. ``signed``: below zero
    too (a stock figure exported after an oversell)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise CellError("is required and is empty")
        return None
    number = _whole_number(value, what=what)
    if (number < 0 and not signed) or (positive and number == 0):
        raise CellError(f"{number} is not allowed; {what} must be {'above' if positive else 'at least'} 0")
    if abs(number) > _MAX_COUNT:
        raise CellError(f"{number} {what} is beyond any plausible value; check for a typo")
    return number


def parse_dimension_cm(value: object) -> float | None:
    """A length in centimetres, decimals allowed with . or , (12.5 or 12,5)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError("expected a length in cm")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().removesuffix("cm").strip()
        if not _CENTIMETRES.fullmatch(text):
            raise CellError(f"{value!r} is not a length in cm (write e.g. 30 or 12,5)")
        number = float(text.replace(",", "."))
    else:
        raise CellError("expected a length in cm")
    if not 0 < number <= 1000:
        raise CellError(f"{number:g} cm is not a plausible package size (between 0 and 1000 cm)")
    return number


def parse_ocop_stars(value: object) -> int | None:
    """3, 4 or 5 (also "4 sao" or "★★★★"); empty when the product has no OCOP rating."""
    text = _as_text(value)
    if text in ("3", "4", "5"):
        return int(text)
    if not text:
        return None
    if set(text) == {"★"}:
        text = str(len(text))
    match = _STAR_WORD.match(text)
    if not match:
        raise CellError(f"{text!r} is not an OCOP rating: write 3, 4 or 5, or leave it empty")
    return int(match.group(1))


def parse_year(value: object) -> int | None:
    text = _as_text(value)
    if not text:
        return None
    if not text.isdigit() or len(text) != 4:
        raise CellError(f"{text!r} is not a year (write e.g. 2023)")
    year = int(text)
    if not 2000 <= year <= datetime.now(UTC).year + 1:
        raise CellError(f"{year} is not a plausible certification year")
    return year


def parse_url(value: object) -> str | None:
    text = parse_text(value, max_length=1024)
    if text is None:
        return None
    if not _WEB_ADDRESS.match(text):
        raise CellError(f"{text!r} is not a web address (it must start with https:// or http://)")
    return text


def parse_images(
    value: object, *, base_dir: Path | None = None, sources: ImageSources | None = None
) -> tuple[str, ...]:
    """Image URLs or local file paths, in order, separated by ``|`` (or given as a JSON list).

    Only what ``sources`` allows (:mod:`core.catalog.image_sources`; by default public web hosts and files
    under ``base_dir``). Local paths are resolved against the imported file's folder and must exist, so a
    missing photo is found now rather than at the first sync.
    """
    if value is None:
        return ()
    if sources is None:
        sources = ImageSources.of(base_dir)
    items = value if isinstance(value, list) else _as_text(value).split("|")
    images: list[str] = []
    for raw in items:
        item = _as_text(raw)
        if not item.isascii():
            item = unicodedata.normalize("NFC", item)
        if not item:
            continue
        try:
            if "://" in item or item[:5].lower() == "file:":
                sources.check_url(item)
                images.append(parse_url(item) or item)
            else:
                images.append(str(sources.local_file(item)))
        except ImageRefused as refused:
            raise CellError(str(refused)) from None
    if len(images) != len(set(images)):
        raise CellError("lists the same image twice")
    return tuple(images)


def parse_attributes(value: object) -> dict[str, str]:
    """Free attributes as ``name: value`` pairs separated by ``|`` (or a JSON object)."""
    if value is None:
        return {}
    pairs: list[tuple[str, str]]
    if isinstance(value, dict):
        pairs = [(str(k), _as_text(v)) for k, v in value.items()]
    else:
        pairs = []
        for chunk in _as_text(value).split("|"):
            if not chunk.strip():
                continue
            name, sep, val = chunk.partition(":")
            if not sep:
                raise CellError(f"{chunk.strip()!r} is not 'name: value' (e.g. 'Hạn sử dụng: 12 tháng')")
            pairs.append((name, val))
    attributes: dict[str, str] = {}
    for name, val in pairs:
        clean_name = unicodedata.normalize("NFC", name.strip())
        clean_val = unicodedata.normalize("NFC", val.strip())
        if not clean_name or not clean_val:
            raise CellError(f"attribute {name.strip()!r}: both a name and a value are needed")
        if "|" in clean_name + clean_val:
            raise CellError(f"attribute {clean_name!r} may not contain '|'")
        if clean_name in attributes:
            raise CellError(f"attribute {clean_name!r} is given twice")
        attributes[clean_name] = clean_val
    return attributes

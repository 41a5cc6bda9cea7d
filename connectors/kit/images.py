"""Fitting product photos to what a marketplace takes: at most so many pixels on the long side.

Sellers' photos come straight from a phone (4000 px, several MB); a floor's import takes far less. A
photo larger than the limit is scaled down, keeping its proportions, and saved again in its own format
(JPEG at quality 85). Anything Pillow cannot decode is passed through untouched: the marketplace's own
check (or ours, on type and size) decides about it, and a photo is never silently dropped.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

__all__ = ["fit_image"]

_FORMATS = {"JPEG": "JPEG", "PNG": "PNG"}


def fit_image(content: bytes, *, max_px: int | None) -> bytes:
    """The image scaled down so neither side exceeds ``max_px`` (unchanged when it already fits)."""
    if max_px is None:
        return content
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            if max(image.size) <= max_px or image.format not in _FORMATS:
                return content
            fitted = image.copy()
            kind = _FORMATS[image.format]
    except (UnidentifiedImageError, OSError, ValueError):
        return content
    fitted.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    if kind == "JPEG" and fitted.mode not in ("RGB", "L"):
        fitted = fitted.convert("RGB")
    out = io.BytesIO()
    fitted.save(out, format=kind, **({"quality": 85, "optimize": True} if kind == "JPEG" else {"optimize": True}))
    return out.getvalue()

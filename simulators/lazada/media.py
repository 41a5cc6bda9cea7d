"""Lazada image upload in the simulator: the only way a picture reaches a product.

A product may show only pictures Lazada hosts (a create naming another URL is refused with 4138): a
client uploads each file (``POST /image/upload``, multipart field ``image``, which is not signed; the
system parameters travel in the query) and uses the ``url`` it gets back. The simulator checks the file's
content (JPEG or PNG by its signature, not its name), its size in bytes and its width and height in
pixels (read with Pillow; a picture whose size cannot be read counts as 0 x 0), all from the config.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image as Picture
from PIL import UnidentifiedImageError

from simulators.lazada.wire import JsonObject, LazadaCall, LazadaError

__all__ = ["picture_size", "upload_image"]


def picture_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the file's header; (0, 0) when it cannot be read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a huge picture is refused by size, not by a warning
            with Picture.open(io.BytesIO(data)) as picture:
                width, height = picture.size
    except (UnidentifiedImageError, OSError, ValueError):
        return 0, 0
    return int(width), int(height)


def upload_image(call: LazadaCall) -> JsonObject:
    """POST /image/upload: ``data.image{url, hash_code}``."""
    config = call.config
    data = call.files.get("image")
    if data is None:
        raise call.bad("image (one file, multipart field 'image') is required", field="image")
    if len(data) > config.image_max_bytes:
        raise LazadaError(
            config.image_too_large_code, f"the image is {len(data)} bytes: at most {config.image_max_bytes}"
        )
    if not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        raise LazadaError(config.invalid_image_code, "the file is not a JPG or PNG image")
    width, height = picture_size(data)
    low, high = config.image_px
    if not (low <= width <= high and low <= height <= high):
        raise LazadaError(
            config.invalid_image_code, f"the image is {width} x {height} px: each side must be {low}-{high} px"
        )
    image = call.office.register_image(data, call.seller_id, width, height)
    return {"image": {"url": image.url, "hash_code": image.hash_code}}

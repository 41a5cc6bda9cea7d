"""TikTok Shop image upload in the sandbox: the only way a picture reaches a product.

TikTok takes only pictures it hosts: a client uploads each file (multipart field ``data``, with a
``use_case`` such as MAIN_IMAGE) and refers to the returned ``uri`` in ``main_images``. The body of an
upload is not signed (multipart). The sandbox checks the file's content (magic bytes: JPEG, PNG, WEBP,
BMP, HEIC), not its name or declared type, refuses files over 10 MB, and keeps a record of each upload.
"""

from __future__ import annotations

from simulators.tiktok.wire import BAD_IMAGE, FILE_TOO_LARGE, JsonObject, TikTokCall, TikTokError

__all__ = ["USE_CASES", "is_image", "upload_image"]

USE_CASES = ("MAIN_IMAGE", "ATTRIBUTE_IMAGE", "DESCRIPTION_IMAGE", "CERTIFICATION_IMAGE", "SIZE_CHART_IMAGE")


def is_image(data: bytes) -> bool:
    return (
        data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM"))
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
        or data[4:12] in (b"ftypheic", b"ftypmif1", b"ftypheix")
    )


def upload_image(call: TikTokCall) -> JsonObject:
    """POST /product/202309/images/upload."""
    files = [p for p in call.parts if p.name == "data" and p.filename]
    if len(files) != 1:
        raise call.bad("data (one image file) is required")
    data = files[0].data
    fields = {p.name: p.data.decode("utf-8", "replace") for p in call.parts if not p.filename}
    use_case = fields.get("use_case", "MAIN_IMAGE")
    if use_case not in USE_CASES:
        raise call.bad(f"use_case must be one of {', '.join(USE_CASES)}")
    if len(data) > call.config.max_image_bytes:
        raise TikTokError(FILE_TOO_LARGE, f"file too large: at most {call.config.max_image_bytes // (1024 * 1024)} MB")
    if not is_image(data):
        raise TikTokError(BAD_IMAGE, "the file is not an image (JPG, JPEG, PNG, WEBP, HEIC or BMP)")
    image = call.office.register_image(data, use_case)
    return {"uri": image.uri, "url": image.url, "width": image.width, "height": image.height, "use_case": use_case}

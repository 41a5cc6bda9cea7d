"""Shopee's media space in the sandbox: image upload, the only way an image reaches a listing.

Shopee does not import images by URL: a client uploads each file (multipart field ``image``, JPG/JPEG/PNG,
at most 10 MB, a few per call) and refers to the returned ``image_id`` in ``add_item`` and in option
images. The sandbox checks the file's content (magic bytes), not its name or declared type, and keeps a
record of each upload so tests can see what was sent.
"""

from __future__ import annotations

from simulators.shopee.wire import FilePart, JsonObject, ShopeeCall, param_error

__all__ = ["image_info", "upload_image"]

_JPEG, _PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"


def image_info(call: ShopeeCall, image_id: str) -> JsonObject:
    return {
        "image_id": image_id,
        "image_url_list": [{"image_url_region": call.config.region, "image_url": call.office.image_url(image_id)}],
    }


def _image_type(call: ShopeeCall, part: FilePart) -> str:
    if len(part.data) > call.config.max_image_bytes:
        raise param_error(f"image size should be at most {call.config.max_image_bytes // (1024 * 1024)} MB")
    # Shopee checks the content, not the file name: sniff the magic bytes.
    if part.data.startswith(_JPEG):
        return "image/jpeg"
    if part.data.startswith(_PNG):
        return "image/png"
    raise param_error("image should be JPG, JPEG or PNG")


def upload_image(call: ShopeeCall) -> JsonObject:
    files = [p for p in call.parts if p.name == "image"]
    if not files:
        raise param_error("image is required")
    if len(files) > call.config.limits.image_count[1]:
        raise param_error(f"at most {call.config.limits.image_count[1]} images per call")
    scene = next((p.data.decode("utf-8", "replace") for p in call.parts if p.name == "scene"), "normal")
    if scene not in ("normal", "desc"):
        raise param_error("scene should be normal or desc")
    kinds = [_image_type(call, f) for f in files]
    images = [call.office.register_image(f.data, kind, scene) for f, kind in zip(files, kinds, strict=True)]
    infos = [image_info(call, image.image_id) for image in images]
    answer: JsonObject = {"image_info": infos[0]}
    if len(infos) > 1:
        answer["image_info_list"] = [{"id": n, "image_info": info} for n, info in enumerate(infos)]
    return answer

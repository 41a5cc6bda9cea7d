"""Product images into TikTok Shop: our references (URLs or files) in, TikTok image uris out.

TikTok takes only images it hosts, uploaded one by one (``images/upload``, multipart, use case
MAIN_IMAGE). Each image is read and checked by the kit's fetcher (JPG or PNG by its first bytes, at most
``image_max_bytes``, public hosts only) and by its size (a main image is at least ``image_min_px`` on
each side); a product's images are all checked before the first is sent, so one bad image sends nothing.
An uri is remembered by the image's content hash for the connector's life, so the same photo (under
any name) is uploaded once.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Protocol

from PIL import Image, UnidentifiedImageError

from connectors.kit.images import FetchedImage, ImageFetcher
from core.errors import OutcomeUnknown, PermanentError
from core.logs import scrub

__all__ = ["TikTokImages", "Uploader"]


class Uploader(Protocol):
    async def upload(self, filename: str, content: bytes, content_type: str) -> dict[str, object]: ...


def _too_small(content: bytes, min_px: int) -> tuple[int, int] | None:
    """The image's size when a side is under ``min_px``; None when it is large enough or not decodable
    here (TikTok then judges it)."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    return (width, height) if min(width, height) < min_px else None


class TikTokImages:
    def __init__(self, uploader: Uploader, fetcher: ImageFetcher, *, min_px: int) -> None:
        self._uploader = uploader
        self._fetcher = fetcher
        self._min_px = min_px
        self._by_hash: dict[str, str] = {}

    async def upload_all(self, references: Sequence[str]) -> list[str]:
        """The uris of ``references``, in order; PermanentError naming the first image TikTok would refuse."""
        fetched: list[tuple[str, FetchedImage, str]] = []
        for reference in references:
            image = await self._fetcher.fetch(reference)
            size = _too_small(image.content, self._min_px)
            if size is not None:
                raise PermanentError(
                    scrub(
                        f"image {reference} is {size[0]}×{size[1]} px; TikTok Shop needs at "
                        f"least {self._min_px} px on each side"
                    ),
                    field="images",
                )
            fetched.append((reference, image, hashlib.sha256(image.content).hexdigest()))
        uris = []
        for reference, image, digest in fetched:
            if digest not in self._by_hash:
                answer = await self._uploader.upload(image.name, image.content, image.content_type)
                uri = answer.get("uri")
                if not isinstance(uri, str) or not uri:
                    raise OutcomeUnknown(scrub(f"TikTok Shop took image {reference} but did not say its uri"))
                self._by_hash[digest] = uri
            uris.append(self._by_hash[digest])
        return uris

"""Product images into Lazada: our references (URLs or files) in, Lazada-hosted image URLs out.

A product's ``Images`` must be hosted by Lazada (an outside URL is refused, 4138), so every image is sent
through the image API (``POST /image/upload``, multipart ``image``) and the URL it answers is used. Each
image is read and checked by the kit's fetcher (JPG or PNG by its first bytes, at most
``limits.image_max_bytes``, which is UNCERTAIN between 1 MB and 3 MB, public hosts only) and by its size
(``limits.image_min_px``–``image_max_px`` a side, when the picture can be decoded here; otherwise Lazada
judges it). All of a product's images are checked before the first is sent, so one bad image sends
nothing. An upload is remembered by the image's content hash for the connector's life: the same photo,
under any name or in any product, is uploaded once.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import Any, Protocol

from PIL import Image, UnidentifiedImageError

from connectors.kit.images import FetchedImage, ImageFetcher
from core.errors import OutcomeUnknown, PermanentError
from core.logs import scrub

__all__ = ["LazadaImages", "Uploader"]


class Uploader(Protocol):
    async def upload(self, filename: str, content: bytes, content_type: str) -> Any: ...


def _pixels(content: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(content)) as picture:
            return picture.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


class LazadaImages:
    def __init__(self, uploader: Uploader, fetcher: ImageFetcher, *, min_px: int, max_px: int) -> None:
        self._uploader = uploader
        self._fetcher = fetcher
        self._bounds = (min_px, max_px)
        self.hosted: dict[str, str] = {}  # sha256 of the content → Lazada's URL

    def _check(self, reference: str, image: FetchedImage) -> None:
        size = _pixels(image.content)
        low, high = self._bounds
        if size is not None and not (low <= min(size) and max(size) <= high):
            raise PermanentError(
                scrub(f"image {reference} is {size[0]}×{size[1]} px; Lazada takes {low} to {high} px a side"),
                field="images",
            )

    async def urls(self, references: Sequence[str]) -> list[str]:
        """Lazada's URLs for ``references``, in order, each once; PermanentError naming a refused image."""
        read: list[tuple[str, FetchedImage, str]] = []
        for reference in references:
            image = await self._fetcher.fetch(reference)
            self._check(reference, image)
            read.append((reference, image, hashlib.sha256(image.content).hexdigest()))
        urls: list[str] = []
        for reference, image, digest in read:
            if digest not in self.hosted:
                self.hosted[digest] = await self._upload(reference, image)
            if self.hosted[digest] not in urls:
                urls.append(self.hosted[digest])
        return urls

    async def _upload(self, reference: str, image: FetchedImage) -> str:
        data = await self._uploader.upload(image.name, image.content, image.content_type)
        hosted = data.get("image") if isinstance(data, dict) else None
        url = hosted.get("url") if isinstance(hosted, dict) else None
        if not isinstance(url, str) or not url:
            raise OutcomeUnknown(scrub(f"Lazada took image {reference} but did not say its URL"))
        return url

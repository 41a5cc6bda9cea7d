"""Product images into Shopee's media space: our references (URLs or files) in, Shopee image ids out.

Shopee has no import-by-URL: every image is uploaded (media_space/upload_image, multipart). An image is
read and checked by the kit's fetcher (:class:`~connectors.kit.images.ImageFetcher`: JPG or PNG by its
first bytes, at most ``image_max_bytes``, public hosts only), all of a product's images before the first
of them is sent, and uploaded once per connector: the id is remembered by reference, so pushing the same
product twice in a run uploads nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from connectors.kit.images import FetchedImage, ImageFetcher
from core.errors import OutcomeUnknown

__all__ = ["ImageSource", "ImageUploader"]


class ImageUploader(Protocol):
    async def upload_image(self, filename: str, content: bytes, content_type: str) -> dict[str, object]: ...


class ImageSource:
    """Uploads images for one shop, each reference once."""

    def __init__(self, uploader: ImageUploader, fetcher: ImageFetcher) -> None:
        self._uploader = uploader
        self._fetcher = fetcher
        self._ids: dict[str, str] = {}

    async def upload_all(self, references: Sequence[str]) -> list[str]:
        """The ids of ``references``. Every new image is read and checked before the first upload, so
        one bad image sends nothing (and orphans nothing in the shop's media space)."""
        checked: dict[str, FetchedImage] = {}
        for reference in references:
            if reference not in self._ids and reference not in checked:
                checked[reference] = await self._fetcher.fetch(reference)
        for reference, image in checked.items():
            await self._upload(reference, image)
        return [self._ids[reference] for reference in references]

    async def image_id(self, reference: str) -> str:
        known = self._ids.get(reference)
        if known is not None:
            return known
        return await self._upload(reference, await self._fetcher.fetch(reference))

    async def _upload(self, reference: str, image: FetchedImage) -> str:
        answer = await self._uploader.upload_image(image.name, image.content, image.content_type)
        info = answer.get("image_info")
        image_id = info.get("image_id") if isinstance(info, dict) else None
        if not isinstance(image_id, str) or not image_id:
            raise OutcomeUnknown(f"Shopee took image {reference} but did not say its id")
        self._ids[reference] = image_id
        return image_id

"""Product images into Postmart: our references (URLs or files) in, Postmart image names out.

Postmart has an "Image Product" page (a separate upload step, its details ASSUMED): every image is
uploaded to ``endpoints.image_upload``, as a multipart file or as base64 text as ``[wire] upload`` says,
and the answer's ``fields.image.name`` (a file name,
as DSMall stores ``goods_image``) is what a product references. An image is read and checked by the kit's
fetcher (:class:`~connectors.kit.images.ImageFetcher`: JPG or PNG by its first bytes, at most
``limits.image_max_bytes``, public hosts only), all of a product's images before the first upload, so one
bad image sends nothing, and uploaded once per connector: a product pushed twice in a run uploads nothing
twice.
A repeated upload only orphans a file on Postmart, so uploads are retried as idempotent.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from connectors.kit.images import FetchedImage, ImageFetcher
from connectors.postmart.client import PostmartClient
from core.errors import OutcomeUnknown

__all__ = ["PostmartImages"]


class PostmartImages:
    """Uploads one merchant's images, each reference once."""

    def __init__(self, client: PostmartClient, fetcher: ImageFetcher) -> None:
        self._client = client
        self._fetcher = fetcher
        self._names: dict[str, str] = {}

    async def upload_all(self, references: Sequence[str]) -> list[str]:
        checked: dict[str, FetchedImage] = {}
        for reference in references:
            if reference not in self._names and reference not in checked:
                checked[reference] = await self._fetcher.fetch(reference)
        field = self._client.config.fields.image
        base64_text = self._client.config.wire.upload == "base64"
        for reference, image in checked.items():
            if base64_text:
                body = {field.file: base64.b64encode(image.content).decode("ascii"), field.filename: image.name}
                result = await self._client.call("image_upload", json=body, idempotent=True)
            else:
                files = {field.file: (image.name, image.content, image.content_type)}
                result = await self._client.call("image_upload", files=files, json={}, idempotent=True)
            uploaded = result.get(field.name) if isinstance(result, dict) else None
            if not isinstance(uploaded, str) or not uploaded:
                raise OutcomeUnknown(f"Postmart took image {reference} but did not say its name")
            self._names[reference] = uploaded
        return [self._names[reference] for reference in references]

"""Product images into Shopee's media space: our references (URLs or files) in, Shopee image ids out.

Shopee has no import-by-URL: every image is uploaded (media_space/upload_image, multipart). An image
is fetched with the injected HTTP client (URL) or read from disk (path or ``file://``), checked against
Shopee's limits before the upload (JPG or PNG by its first bytes, at most ``image_max_bytes``; all of
a product's images before the first of them is sent), and uploaded once per connector: the id is
remembered by reference, so pushing the same product twice in a run uploads nothing twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

import httpx

from connectors.kit.retry import RetryPolicy
from connectors.shopee.config import ShopeeLimits
from core.errors import OutcomeUnknown, PermanentError, RetryableError
from core.logs import scrub

__all__ = ["ImageSource", "ImageUploader", "image_content_type"]

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))
_CHUNK = 64 * 1024


class ImageUploader(Protocol):
    async def upload_image(self, filename: str, content: bytes, content_type: str) -> dict[str, object]: ...


def image_content_type(content: bytes) -> str | None:
    """image/jpeg or image/png from the file's first bytes; None for anything else."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def _image_error(reference: str, reason: str) -> PermanentError:
    return PermanentError(scrub(f"image {reference}: {reason}"), field="images")


class ImageSource:
    """Uploads images for one shop, each reference once."""

    def __init__(
        self,
        uploader: ImageUploader,
        *,
        http: httpx.AsyncClient,
        limits: ShopeeLimits,
        timeout_s: float,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._uploader = uploader
        self._http = http
        self._limits = limits
        self._timeout = timeout_s
        self._retry = retry or RetryPolicy()
        self._ids: dict[str, str] = {}

    async def upload_all(self, references: Sequence[str]) -> list[str]:
        """The ids of ``references``. Every new image is read and checked before the first upload, so
        one bad image sends nothing (and orphans nothing in the shop's media space)."""
        checked: dict[str, tuple[str, bytes, str]] = {}
        for reference in references:
            if reference not in self._ids and reference not in checked:
                checked[reference] = await self._checked(reference)
        for reference, (filename, content, content_type) in checked.items():
            await self._upload(reference, filename, content, content_type)
        return [self._ids[reference] for reference in references]

    async def image_id(self, reference: str) -> str:
        known = self._ids.get(reference)
        if known is not None:
            return known
        return await self._upload(reference, *await self._checked(reference))

    async def _checked(self, reference: str) -> tuple[str, bytes, str]:
        """The image's file name, bytes and type, once it is known to meet Shopee's limits."""
        filename, content = await self._read(reference)
        content_type = image_content_type(content)
        if content_type is None:
            raise _image_error(reference, "Shopee accepts JPG and PNG images only")
        return filename, content, content_type

    async def _upload(self, reference: str, filename: str, content: bytes, content_type: str) -> str:
        answer = await self._uploader.upload_image(filename, content, content_type)
        info = answer.get("image_info")
        image_id = info.get("image_id") if isinstance(info, dict) else None
        if not isinstance(image_id, str) or not image_id:
            raise OutcomeUnknown(f"Shopee took image {reference} but did not say its id")
        self._ids[reference] = image_id
        return image_id

    async def _read(self, reference: str) -> tuple[str, bytes]:
        parsed = urlparse(reference)
        name = Path(unquote(parsed.path)).name or "image"
        if parsed.scheme in ("http", "https"):
            return name, await self._retry.call(lambda: self._download(reference))
        path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(reference)
        try:
            size = path.stat().st_size
        except OSError:
            raise _image_error(reference, "the file does not exist or cannot be read") from None
        if size > self._limits.image_max_bytes:
            raise _image_error(reference, f"{size} bytes; Shopee accepts at most {self._limits.image_max_bytes}")
        return name, await asyncio.to_thread(path.read_bytes)

    async def _download(self, url: str) -> bytes:
        limit = self._limits.image_max_bytes
        try:
            async with self._http.stream("GET", url, timeout=self._timeout) as response:
                if response.status_code in (408, 429) or response.status_code >= 500:
                    raise RetryableError(
                        scrub(f"image {url} could not be downloaded now (HTTP {response.status_code})")
                    )
                if response.status_code >= 400:
                    raise _image_error(url, f"could not be downloaded (HTTP {response.status_code})")
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise _image_error(url, f"{declared} bytes; Shopee accepts at most {limit}")
                content = bytearray()
                async for chunk in response.aiter_bytes(_CHUNK):
                    content.extend(chunk)
                    if len(content) > limit:
                        raise _image_error(url, f"larger than the {limit} bytes Shopee accepts")
                return bytes(content)
        except httpx.RequestError as exc:
            raise RetryableError(scrub(f"image {url} could not be downloaded: {type(exc).__name__}")) from exc

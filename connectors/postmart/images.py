"""Product images into Postmart: our references (URLs or files) in, Postmart image names out.

Postmart has an "Image Product" page (a separate upload step, its details ASSUMED): every image is
uploaded to ``endpoints.image_upload``, as a multipart file or as base64 text as ``[wire] upload`` says,
and the answer's ``fields.image.name`` (a file name,
as DSMall stores ``goods_image``) is what a product references. An image is read from disk (path or
``file://``) or downloaded with the injected HTTP client, checked (JPG or PNG by its first bytes, at most
``limits.image_max_bytes``: all of a product's images before the first upload, so one bad image sends
nothing), and uploaded once per connector: a product pushed twice in a run uploads nothing twice.
A repeated upload only orphans a file on Postmart, so uploads are retried as idempotent.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx

from connectors.postmart.client import PostmartClient
from core.errors import OutcomeUnknown, PermanentError, RetryableError
from core.logs import scrub

__all__ = ["PostmartImages", "image_type"]

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def image_type(content: bytes) -> str | None:
    """image/jpeg or image/png from the first bytes; None for anything else."""
    return next((kind for signature, kind in _SIGNATURES if content.startswith(signature)), None)


def _error(reference: str, reason: str) -> PermanentError:
    return PermanentError(scrub(f"image {reference}: {reason}"), field="images")


class PostmartImages:
    """Uploads one merchant's images, each reference once."""

    def __init__(self, client: PostmartClient, *, http: httpx.AsyncClient) -> None:
        self._client = client
        self._http = http
        self._limit = client.config.limits.image_max_bytes
        self._timeout = client.config.http.timeout_s
        self._names: dict[str, str] = {}

    async def upload_all(self, references: Sequence[str]) -> list[str]:
        checked: dict[str, tuple[str, bytes, str]] = {}
        for reference in references:
            if reference not in self._names and reference not in checked:
                name, content = await self._read(reference)
                kind = image_type(content)
                if kind is None:
                    raise _error(reference, "Postmart takes JPG and PNG images only")
                checked[reference] = (name, content, kind)
        field = self._client.config.fields.image
        base64_text = self._client.config.wire.upload == "base64"
        for reference, (name, content, kind) in checked.items():
            if base64_text:
                body = {field.file: base64.b64encode(content).decode("ascii"), field.filename: name}
                result = await self._client.call("image_upload", json=body, idempotent=True)
            else:
                result = await self._client.call("image_upload", files={field.file: (name, content, kind)}, json={},
                                                 idempotent=True)  # fmt: skip
            uploaded = result.get(field.name) if isinstance(result, dict) else None
            if not isinstance(uploaded, str) or not uploaded:
                raise OutcomeUnknown(f"Postmart took image {reference} but did not say its name")
            self._names[reference] = uploaded
        return [self._names[reference] for reference in references]

    async def _read(self, reference: str) -> tuple[str, bytes]:
        parsed = urlparse(reference)
        name = Path(unquote(parsed.path)).name or "image.jpg"
        if parsed.scheme in ("http", "https"):
            return name, await self._download(reference)
        path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(reference)
        try:
            size = path.stat().st_size
        except OSError:
            raise _error(reference, "the file does not exist or cannot be read") from None
        if size > self._limit:
            raise _error(reference, f"{size} bytes; Postmart takes at most {self._limit}")
        return name, await asyncio.to_thread(path.read_bytes)

    async def _download(self, url: str) -> bytes:
        try:
            response = await self._http.get(url, timeout=self._timeout)
        except httpx.RequestError as exc:
            raise RetryableError(scrub(f"image {url} could not be downloaded: {type(exc).__name__}")) from exc
        if response.status_code in (408, 429) or response.status_code >= 500:
            raise RetryableError(scrub(f"image {url} could not be downloaded now (HTTP {response.status_code})"))
        if response.status_code >= 400:
            raise _error(url, f"could not be downloaded (HTTP {response.status_code})")
        if len(response.content) > self._limit:
            raise _error(url, f"{len(response.content)} bytes; Postmart takes at most {self._limit}")
        return response.content

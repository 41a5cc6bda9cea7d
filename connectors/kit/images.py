"""Product images as every marketplace reads them: fetched one way, checked, and fitted to a floor's size.

A catalog names each image by a web address or a file (a path, or ``file://``). :class:`ImageFetcher`
reads either the same way for every connector: under a byte cap (a download is streamed and stopped at
the cap, so a huge or endless answer costs at most the cap; a file's size is read before its bytes), and
checked by its first bytes (JPEG or PNG, whatever its name says). A failure is a
:class:`~core.errors.PermanentError` on the ``images`` field (the seller fixes the catalog) unless the
image server only hiccuped (a 408, 429 or 5xx, a failed connection): then a
:class:`~core.errors.RetryableError`, retried by the policy the connector gives, if any.

A web address is fetched only from a public host (the rule of :mod:`core.hosts`, which the catalog
import applies first to what a host names without a look-up). A catalog is written by sellers, and
chosync often runs beside other services (a province's server, a cloud machine's metadata endpoint): an
image URL must not make it read them. So a host that is, or resolves to, a loopback, link-local, private
or otherwise non-public address is refused, unless the account lists that host in
``images.allowed_hosts`` (:class:`~connectors.kit.config.ImageSettings`; a sandbox on loopback, an image
server on the seller's own network). Literal addresses (``127.0.0.1``, ``[::1]``, ``2130706433``) and
``localhost`` are refused without any look-up. A name is looked up only when the request would go over
the network, that is when the HTTP client would send it through httpx's own network transport: a client
given a MockTransport, an ASGI app or any other transport of its own (tests, the sandboxes) never
reaches an address by that name, so its DNS answer would decide nothing, and is not asked. A name that
does not resolve is not refused here: the request fails to connect on its own. Redirects are not
followed (httpx's default), so an answer cannot send the fetch elsewhere. A resolver may be injected
(tests).

:func:`fit_image` scales a photo down to a floor's size: sellers' photos come straight from a phone
(4000 px, several MB), a floor's import takes far less. Anything Pillow cannot decode is passed through
untouched: a photo is never silently dropped.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import unquote, urlparse

import httpx
from PIL import Image, UnidentifiedImageError

from connectors.kit.retry import RetryPolicy
from core.errors import PermanentError, RetryableError
from core.hosts import RESERVED_TLDS, Address, host_key, is_public, named_address
from core.logs import scrub

__all__ = ["Address", "FetchedImage", "ImageFetcher", "Resolver", "fit_image", "image_type", "is_public"]

Resolver = Callable[[str], Awaitable[Sequence[Address]]]

# The first bytes of each image kind a marketplace takes, its media type and its usual file suffix.
_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg", ".jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", ".png"))
_SIGNATURE_BYTES = max(len(signature) for signature, _, _ in _SIGNATURES)
_CHUNK = 64 * 1024
_RESOLVE_TIMEOUT_S = 5.0  # a look-up is a connection's first step: no longer than connecting may take
_FORMATS = {"JPEG": "JPEG", "PNG": "PNG"}


def image_type(content: bytes) -> str | None:
    """image/jpeg or image/png from the file's first bytes; None for anything else."""
    return next((kind for signature, kind, _ in _SIGNATURES if content.startswith(signature)), None)


@dataclass(frozen=True, slots=True)
class FetchedImage:
    """An image read and checked: its file name (for an upload form), bytes and media type."""

    name: str
    content: bytes
    content_type: str


class ImageFetcher:
    """Reads one account's product images for one marketplace (``marketplace`` names it in messages).

    ``http`` may be None for an account that never fetches from the web (a URL is then refused);
    ``retry`` retries a download that hiccuped (None: the error is raised, for the caller to retry).
    """

    def __init__(
        self,
        http: httpx.AsyncClient | None,
        *,
        marketplace: str,
        max_bytes: int,
        timeout_s: float,
        allowed_hosts: Collection[str] = (),
        retry: RetryPolicy | None = None,
        resolve: Resolver | None = None,
    ) -> None:
        self._http = http
        self._marketplace = marketplace
        self._limit = max_bytes
        self._timeout = timeout_s
        self._allowed = {host_key(host) for host in allowed_hosts}
        self._retry = retry
        self._resolve = resolve

    async def fetch(self, reference: str) -> FetchedImage:
        """The image at ``reference`` (a URL, a path or ``file://``), checked; PermanentError when it can't be."""
        parsed = urlparse(reference)
        if parsed.scheme in ("http", "https"):
            content = await self._from_web(reference)
        else:
            path = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(reference)
            content = await asyncio.to_thread(self._from_file, reference, path)
        kind = next(((t, suffix) for signature, t, suffix in _SIGNATURES if content.startswith(signature)), None)
        if kind is None:
            raise _refused(reference, f"{self._marketplace} accepts JPG and PNG images only")
        name = Path(unquote(parsed.path)).name or f"image{kind[1]}"
        return FetchedImage(name=name, content=content, content_type=kind[0])

    # --- files -------------------------------------------------------------------------------------------

    def _from_file(self, reference: str, path: Path) -> bytes:
        try:
            with path.open("rb") as file:
                size = os.fstat(file.fileno()).st_size
                if size > self._limit:
                    raise _refused(reference, f"{size} bytes; {self._marketplace} accepts at most {self._limit}")
                content = file.read(self._limit + 1)  # +1: a file that grew since its size was read
        except OSError:
            raise _refused(reference, "the file does not exist or cannot be read") from None
        if len(content) > self._limit:
            raise _refused(reference, f"larger than the {self._limit} bytes {self._marketplace} accepts")
        return content

    # --- the web -----------------------------------------------------------------------------------------

    async def _from_web(self, url: str) -> bytes:
        http = self._http
        if http is None:
            raise _refused(url, "it is a web address and no HTTP client was given")
        await self._check_host(http, httpx.URL(url))
        if self._retry is None:
            return await self._download(http, url)
        return await self._retry.call(lambda: self._download(http, url))

    async def _download(self, http: httpx.AsyncClient, url: str) -> bytes:
        limit, marketplace = self._limit, self._marketplace
        try:
            async with http.stream("GET", url, timeout=self._timeout) as response:
                status = response.status_code
                if status in (408, 429) or status >= 500:
                    raise RetryableError(scrub(f"image {url} could not be downloaded now (HTTP {status})"))
                if status >= 400:
                    raise _refused(url, f"could not be downloaded (HTTP {status})")
                declared = response.headers.get("content-length")
                if declared is not None and declared.isdigit() and int(declared) > limit:
                    raise _refused(url, f"{declared} bytes; {marketplace} accepts at most {limit}")
                content, sniffed = bytearray(), False
                async for chunk in response.aiter_bytes(_CHUNK):
                    content.extend(chunk)
                    if not sniffed and len(content) >= _SIGNATURE_BYTES:
                        sniffed = True
                        if image_type(bytes(content[:_SIGNATURE_BYTES])) is None:
                            break  # not an image: the rest need not be read to say so
                    if len(content) > limit:
                        raise _refused(url, f"larger than the {limit} bytes {marketplace} accepts")
                return bytes(content)
        except httpx.RequestError as exc:
            raise RetryableError(scrub(f"image {url} could not be downloaded: {type(exc).__name__}")) from exc

    async def _check_host(self, http: httpx.AsyncClient, url: httpx.URL) -> None:
        host = host_key(url.host)
        if host in self._allowed:
            return
        named = named_address(host)
        if named is not None:
            addresses: Sequence[Address] = (named,)
        elif self._resolve is not None:
            addresses = await self._resolve(host)
        elif host.rsplit(".", 1)[-1] in RESERVED_TLDS:
            addresses = ()
        elif _over_the_network(http, url):
            addresses = await _system_resolve(host, min(self._timeout, _RESOLVE_TIMEOUT_S))
        else:
            addresses = ()
        private = next((address for address in addresses if not is_public(address)), None)
        if private is not None:
            raise PermanentError(
                scrub(f"image {url}: its host {host} is not a public address ({private})"),
                field="images",
                hint=f"put the image on a public web host, or allow the host with --set "
                f'\'images={{"allowed_hosts": ["{host}"]}}\' if it is yours',
            )


def _refused(reference: str, reason: str) -> PermanentError:
    return PermanentError(scrub(f"image {reference}: {reason}"), field="images")


def _over_the_network(http: httpx.AsyncClient, url: httpx.URL) -> bool:
    # httpx says which transport carries a URL (its mounts first) only through this method: without it,
    # assume the network, so that a look-up is made rather than skipped.
    pick = getattr(http, "_transport_for_url", None)
    transport = pick(url) if callable(pick) else None
    return transport is None or isinstance(transport, httpx.AsyncHTTPTransport)


async def _system_resolve(host: str, timeout_s: float) -> Sequence[Address]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, None, type=socket.SOCK_STREAM), timeout_s)
    except (OSError, TimeoutError):
        return ()  # unresolvable now: the request itself will fail to connect
    return tuple(ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos)


def fit_image(content: bytes, *, max_px: int | None) -> bytes:
    """The image scaled down so neither side exceeds ``max_px`` (unchanged when it already fits), saved
    again in its own format (JPEG at quality 85)."""
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

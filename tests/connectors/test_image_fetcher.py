"""The one image fetcher every connector reads images with: a byte cap on every source, the file's own
signature, and no fetch from a host that is (or resolves to) a non-public address unless the account
allows that host."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.kit import images
from connectors.kit.images import Address, FetchedImage, ImageFetcher, is_public
from connectors.kit.retry import RetryPolicy, RetrySettings
from core.errors import ChosyncError, PermanentError, RetryableError
from tests.connectors.conftest import JPEG, PNG

pytestmark = pytest.mark.anyio

LIMIT = 1000
GIF = b"GIF89a" + b"\x00" * 60


class Host:
    """An image server: each request answered by the next answer (the last one repeats)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers) or [httpx.Response(200, content=JPEG)]
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


async def fetch(reference: str, host: Host | None = None, **options: Any) -> FetchedImage:
    async with httpx.AsyncClient(transport=httpx.MockTransport(host or Host())) as http:
        fetcher = ImageFetcher(http, marketplace="Chợ", max_bytes=LIMIT, timeout_s=5, **options)
        return await fetcher.fetch(reference)


async def endless(first: bytes) -> AsyncIterator[bytes]:
    """A body that never ends: only a fetcher that stops reading gets past it."""
    yield first
    while True:
        yield b"\x00" * 512


# --- the byte cap and the signature ------------------------------------------------------------------------


async def test_an_image_within_the_cap_comes_with_its_name_and_type() -> None:
    image = await fetch("https://img.test/anh/mat-ong.png", Host(httpx.Response(200, content=PNG)))
    assert image == FetchedImage(name="mat-ong.png", content=PNG, content_type="image/png")
    assert (await fetch("https://img.test/")).name == "image.jpg"  # no name in the URL: one from its type


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(httpx.Response(200, content=JPEG + bytes(LIMIT)), "1064 bytes; Chợ accepts at most", id="body"),
        pytest.param(httpx.Response(200, content=endless(JPEG)), "larger than the 1000 bytes", id="endless-body"),
        pytest.param(
            httpx.Response(200, headers={"Content-Length": str(LIMIT + 1)}, content=endless(JPEG)),
            "1001 bytes; Chợ accepts at most 1000",
            id="declared-length",
        ),
    ],
)
async def test_a_download_stops_at_the_byte_cap(answer: httpx.Response, message: str) -> None:
    with pytest.raises(PermanentError, match=message) as raised:
        await fetch("https://img.test/a.jpg", Host(answer))
    assert raised.value.field == "images"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(200, content=GIF), id="gif"),
        pytest.param(httpx.Response(200, content=endless(b"<html><body>")), id="endless-html"),
        pytest.param(httpx.Response(200, content=b"\xff\xd8"), id="shorter-than-a-signature"),
        pytest.param(httpx.Response(302, headers={"Location": "http://169.254.169.254/"}), id="redirect-not-followed"),
    ],
)
async def test_only_jpeg_and_png_bytes_pass_whatever_the_name_says(answer: httpx.Response) -> None:
    host = Host(answer)
    with pytest.raises(PermanentError, match="Chợ accepts JPG and PNG images only"):
        await fetch("https://img.test/a.jpg", host)
    assert len(host.requests) == 1


async def test_local_files_are_read_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "ok.jpg").write_bytes(JPEG)
    (tmp_path / "big.jpg").write_bytes(JPEG + bytes(LIMIT))
    (tmp_path / "gif.jpg").write_bytes(GIF)
    assert (await fetch(str(tmp_path / "ok.jpg"))).content == JPEG
    assert (await fetch(f"file://{tmp_path}/ok.jpg")).name == "ok.jpg"
    with pytest.raises(PermanentError, match=f"{len(JPEG) + LIMIT} bytes; Chợ accepts at most 1000"):
        await fetch(str(tmp_path / "big.jpg"))
    with pytest.raises(PermanentError, match="JPG and PNG"):
        await fetch(str(tmp_path / "gif.jpg"))
    with pytest.raises(PermanentError, match="does not exist or cannot be read"):
        await fetch(str(tmp_path / "none.jpg"))


# --- what a failed download means --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        pytest.param(httpx.Response(404), PermanentError, id="404-fix-the-catalog"),
        pytest.param(httpx.Response(410), PermanentError, id="410"),
        pytest.param(httpx.Response(408), RetryableError, id="408"),
        pytest.param(httpx.Response(429), RetryableError, id="429"),
        pytest.param(httpx.Response(503), RetryableError, id="503"),
        pytest.param(httpx.ConnectError("refused"), RetryableError, id="connect-error"),
        pytest.param(httpx.ReadTimeout("slow"), RetryableError, id="read-timeout"),
    ],
)
async def test_a_failed_download_is_permanent_or_a_hiccup(
    answer: httpx.Response | Exception, expected: type[ChosyncError]
) -> None:
    with pytest.raises(ChosyncError) as raised:
        await fetch("https://img.test/a.jpg", Host(answer))
    assert type(raised.value) is expected


async def test_a_hiccup_is_retried_when_the_connector_gives_a_policy() -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    host = Host(httpx.Response(503), httpx.ConnectError("x"), httpx.Response(200, content=JPEG))
    policy = RetryPolicy(RetrySettings(base_delay_s=1), sleep=sleep, jitter=lambda cap: cap)
    assert (await fetch("https://img.test/a.jpg", host, retry=policy)).content == JPEG
    assert (len(host.requests), sleeps) == (3, [1, 2])


async def test_a_web_address_needs_an_http_client() -> None:
    fetcher = ImageFetcher(None, marketplace="Chợ", max_bytes=LIMIT, timeout_s=5)
    with pytest.raises(PermanentError, match="no HTTP client was given"):
        await fetcher.fetch("https://img.test/a.jpg")


# --- where images may come from ----------------------------------------------------------------------------

NOT_PUBLIC = [
    pytest.param("127.0.0.1", id="loopback"),
    pytest.param("[::1]", id="loopback-v6"),
    pytest.param("10.1.2.3", id="private-10"),
    pytest.param("172.16.0.1", id="private-172"),
    pytest.param("192.168.1.20", id="private-192"),
    pytest.param("169.254.169.254", id="link-local-cloud-metadata"),
    pytest.param("[fe80::1]", id="link-local-v6"),
    pytest.param("[fd00::1]", id="unique-local-v6"),
    pytest.param("100.64.0.1", id="shared-cgnat"),
    pytest.param("0.0.0.0", id="unspecified"),
    pytest.param("[::ffff:127.0.0.1]", id="v4-mapped-loopback"),
    pytest.param("2130706433", id="loopback-as-a-number"),
    pytest.param("127.1", id="loopback-short-form"),
    pytest.param("0x7f000001", id="loopback-in-hex"),
    pytest.param("localhost", id="localhost"),
    pytest.param("shop.localhost", id="under-localhost"),
]


@pytest.mark.parametrize("host", NOT_PUBLIC)
async def test_a_non_public_address_is_refused_before_any_request(host: str) -> None:
    server = Host()
    with pytest.raises(PermanentError, match="is not a public address") as raised:
        await fetch(f"http://{host}:8080/a.jpg", server)
    assert raised.value.field == "images"
    assert "allowed_hosts" in (raised.value.hint or "")
    assert server.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "anh.noibo"])
async def test_a_host_the_account_allows_is_fetched_as_it_is(host: str) -> None:
    async def private(name: str) -> Sequence[Address]:
        return [ip_address("10.0.0.7")]

    allowed = [host.strip("[]").upper()]  # as a person writes it
    image = await fetch(f"http://{host}:8701/a.jpg", allowed_hosts=allowed, resolve=private)
    assert image.content == JPEG


async def test_a_name_is_judged_by_what_it_resolves_to() -> None:
    looked_up: list[str] = []

    async def resolve(name: str) -> Sequence[Address]:
        looked_up.append(name)
        return (
            [ip_address("203.0.114.9"), ip_address("10.0.0.7")] if name == "noibo.htx.vn" else [ip_address("8.8.8.8")]
        )

    assert (await fetch("https://anh.htx.vn/a.jpg", resolve=resolve)).content == JPEG
    with pytest.raises(PermanentError, match=r"noibo\.htx\.vn is not a public address \(10\.0\.0\.7\)"):
        await fetch("https://noibo.htx.vn/a.jpg", resolve=resolve)
    assert looked_up == ["anh.htx.vn", "noibo.htx.vn"]


async def test_a_name_is_looked_up_only_when_the_request_would_go_over_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client given its own transport (tests, sandboxes) reaches nothing by DNS: no look-up is made."""
    looked_up: list[str] = []

    async def system(name: str, timeout_s: float) -> Sequence[Address]:
        looked_up.append(name)
        return [ip_address("192.168.0.9")]

    monkeypatch.setattr(images, "_system_resolve", system)
    assert (await fetch("https://img.test/a.jpg")).content == JPEG  # MockTransport
    mounted = {"all://img.test": httpx.MockTransport(Host())}
    async with httpx.AsyncClient(mounts=mounted) as http:
        fetcher = ImageFetcher(http, marketplace="Chợ", max_bytes=LIMIT, timeout_s=5)
        assert (await fetcher.fetch("https://img.test/a.jpg")).content == JPEG
        assert looked_up == []
        with pytest.raises(PermanentError, match="not a public address"):  # the network: looked up
            await fetcher.fetch("https://noibo.htx-dantien.vn/a.jpg")
        assert looked_up == ["noibo.htx-dantien.vn"]
        # A name that public DNS never has (RFC 2606: .test, .example, .invalid) is not asked for.
        with pytest.raises(RetryableError, match="could not be downloaded"):
            await fetcher.fetch("https://noibo.test/a.jpg")
    assert looked_up == ["noibo.htx-dantien.vn"]


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("2001:4860:4860::8888", True), ("224.0.0.1", False), ("192.0.2.1", False)],
)
def test_public_means_reachable_on_the_internet(address: str, public: bool) -> None:
    assert is_public(ip_address(address)) is public

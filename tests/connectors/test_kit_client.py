"""The kit's send loop, driven by the smallest marketplace that fills its hooks: what every API connector
inherits (slot, sign, request, translate, check, log, retry, renew) without writing it again."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, ClassVar

import httpx
import pytest
import respx
import structlog
from structlog.testing import capture_logs

from connectors.kit.client import ApiClient, Call, RequestLog
from connectors.kit.config import ApiChannelConfig
from connectors.kit.errors import BodyError, ErrorRule, HttpRules, Resolution, Unreadable, check_answer, http_rules
from connectors.kit.ratelimit import Throttle
from connectors.kit.retry import RetryPolicy, RetrySettings
from core.errors import AuthError, CannotConnect, OutcomeUnknown, PermanentError, RetryableError
from core.logs import register_secret
from core.ports import InMemoryTokenStore
from simulators.shopee.harness import SHOP_ID
from tests.connectors.conftest import (
    BASE_URL,
    FakeClock,
    envelope,
    fresh_tokens,
    make_config,
    make_connector,
    shopee_error,
)
from tests.connectors.postmart_fixtures import postmart_world

pytestmark = pytest.mark.anyio

SECRET = "plain-app-secret-5150"
LIMITS = {
    "name_min_chars": 1, "name_max_chars": 100, "description_max_chars": 1000, "images_min": 0,
    "images_max": 9, "image_max_bytes": 1000, "sku_max_chars": 50,
}  # fmt: skip
Handler = Callable[[httpx.Request], httpx.Response]


class _Envelope:
    def error(self, body: Any) -> BodyError | None:
        code = body.get("err") if isinstance(body, dict) else None
        return BodyError(ErrorRule(Resolution.PERMANENT, "Plain refused it"), code, code, code) if code else None

    def result(self, body: Any) -> Any:
        return body["data"] if isinstance(body, dict) and "data" in body else Unreadable("Plain sent no envelope")


class _RecordingThrottle(Throttle):
    def __init__(self, trail: list[str]) -> None:
        super().__init__("plain")
        self.trail = trail

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        self.trail.append("slot")
        yield
        self.trail.append("released")


class PlainClient(ApiClient[ApiChannelConfig, Any]):
    """A marketplace whose calls carry ``X-Token`` and a ``ts`` query, and whose tokens come from a list."""

    rules: ClassVar[HttpRules] = http_rules("Plain")
    log: ClassVar[RequestLog] = structlog.get_logger("tests.plain")
    request_event: ClassVar[str] = "plain.request"
    call_field: ClassVar[str] = "call"

    def __init__(self, trail: list[str], clock: FakeClock, http: httpx.AsyncClient, **settings: Any) -> None:
        config = ApiChannelConfig.model_validate({"base_url": "https://plain.test/", "limits": LIMITS, **settings})
        policy = RetryPolicy(config.retry, sleep=clock.sleep, jitter=lambda cap: cap)
        super().__init__(config=config, secret=SECRET, http=http, tokens=InMemoryTokenStore(),
                         throttle=_RecordingThrottle(trail), retry=policy, now=clock)  # fmt: skip
        self.trail = trail
        self.tokens = ["tok-1"]
        self.renewed: list[str | None] = []
        self.renews = True

    def _sign(self, call: Call, credential: str | None) -> httpx.Request:
        self.trail.append("sign")
        headers = {"X-Token": credential} if credential else {}
        return self._request(call, params={**(call.params or {}), "ts": self._now().timestamp()}, headers=headers)

    def _check(self, response: httpx.Response, call: Call) -> Any:
        return check_answer(response, self.rules, _Envelope(), call=call.name, idempotent=call.idempotent)

    async def _credential(self) -> str:
        return self.tokens[-1]

    async def _renew(self, rejected: str | None) -> None:
        self.renewed.append(rejected)
        self.tokens.append(f"tok-{len(self.tokens) + 1}")

    @property
    def _renews(self) -> bool:
        return self.renews


@asynccontextmanager
async def plain(
    answers: list[httpx.Response | Exception], *, renews: bool = True, **settings: Any
) -> AsyncIterator[tuple[PlainClient, list[httpx.Request], FakeClock]]:
    trail: list[str] = []
    sent: list[httpx.Request] = []
    clock = FakeClock()

    def handle(request: httpx.Request) -> httpx.Response:
        trail.append("request")
        sent.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as http:
        client = PlainClient(trail, clock, http, **settings)
        client.renews = renews
        yield client, sent, clock


def ok(data: object = "done", **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json={"data": data}, **kwargs)


GET = Call("items", "GET", "/v1/items", idempotent=True, params={"page": 1})
ADD = Call("item_add", "POST", "/v1/items", idempotent=False, json={"name": "Gạo"})


async def test_one_attempt_signs_and_sends_inside_its_throttle_slot() -> None:
    """A wait for the rate limit happens before signing: a timestamp in a signature never ages in a queue."""
    async with plain([ok()]) as (client, sent, _):
        assert await client.send(GET) == "done"
    assert client.trail == ["slot", "sign", "request", "released"]
    assert str(sent[0].url).startswith("https://plain.test/v1/items?page=1&ts=")
    assert sent[0].headers["X-Token"] == "tok-1"


async def test_every_retry_is_signed_again() -> None:
    async with plain([httpx.Response(502), httpx.ConnectError("x"), ok()], retry={"base_delay_s": 1}) as (
        client, sent, clock,
    ):  # fmt: skip
        assert await client.send(GET) == "done"
    assert clock.sleeps == [1, 2]
    assert len({request.url.params["ts"] for request in sent}) == 3


async def test_a_refused_credential_is_renewed_once_and_the_call_tried_again() -> None:
    async with plain([httpx.Response(401), ok()]) as (client, sent, clock):
        assert await client.send(GET) == "done"
    assert client.renewed == ["tok-1"]
    assert [r.headers["X-Token"] for r in sent] == ["tok-1", "tok-2"]
    assert clock.sleeps == [0]  # at once: the renewal took the time it needed


async def test_a_credential_refused_again_after_its_renewal_is_not_renewed_twice() -> None:
    async with plain([httpx.Response(401), httpx.Response(403)]) as (client, sent, _):
        with pytest.raises(AuthError, match="Plain refused our credentials"):
            await client.send(GET)
    assert (client.renewed, len(sent)) == (["tok-1"], 2)


async def test_a_credential_that_cannot_be_renewed_fails_at_once() -> None:
    async with plain([httpx.Response(401)], renews=False) as (client, sent, _):
        with pytest.raises(AuthError):
            await client.send(GET)
    assert (client.renewed, len(sent)) == ([], 1)


async def test_a_call_without_credential_is_retried_but_carries_none() -> None:
    async with plain([httpx.Response(503), ok()]) as (client, sent, _):
        assert await client.send(Call("login", "POST", "/login", idempotent=True), authorised=False) == "done"
    assert [("X-Token" in r.headers) for r in sent] == [False, False]


async def test_rate_limit_waits_as_told_and_spends_no_attempt() -> None:
    busy = httpx.Response(429, headers={"Retry-After": "2"})
    async with plain([busy, busy, busy, ok()], retry={"max_attempts": 1}) as (client, sent, clock):
        assert await client.send(GET) == "done"
    assert (clock.sleeps, len(sent)) == ([2, 2, 2], 4)


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param(httpx.ReadTimeout("slow"), id="read-timeout"),
        pytest.param(httpx.Response(502), id="gateway-5xx"),
        pytest.param(httpx.Response(200, text="<html>"), id="unreadable-200"),
    ],
)
async def test_a_write_whose_answer_is_lost_is_not_sent_again(failure: httpx.Response | Exception) -> None:
    async with plain([failure, ok()]) as (client, sent, _):
        with pytest.raises(OutcomeUnknown, match="may or may not have been applied"):
            await client.send(ADD)
    assert len(sent) == 1


async def test_a_read_whose_answer_is_lost_is_retried() -> None:
    async with plain([httpx.ReadTimeout("slow"), ok()]) as (client, sent, _):
        assert await client.send(GET) == "done"
    assert len(sent) == 2


async def test_a_connection_refused_is_tried_a_few_times_only_and_names_the_host() -> None:
    """Not a marketplace's hiccup: three tries (max_connect_attempts), not max_attempts, and a write that
    never left is no lost answer."""
    with respx.mock(assert_all_called=True) as router:
        route = router.post("https://plain.test/v1/items").mock(side_effect=httpx.ConnectError("refused"))
        clock = FakeClock()
        async with httpx.AsyncClient() as http:
            client = PlainClient([], clock, http, retry={"max_attempts": 5, "base_delay_s": 1})
            with pytest.raises(CannotConnect, match=r"could not connect to Plain at plain.test: .*\(item_add\)"):
                await client.send(ADD)
    assert (route.call_count, clock.sleeps) == (3, [1, 2])


async def test_a_closed_port_is_a_connection_refused() -> None:
    with socket.socket() as sock:  # a port just freed: nothing listens on it
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    clock = FakeClock()
    async with httpx.AsyncClient() as http:
        client = PlainClient([], clock, http, base_url=f"http://127.0.0.1:{port}", retry={"max_connect_attempts": 2})
        with pytest.raises(CannotConnect) as raised:
            await client.send(GET)
    assert (raised.value.host, raised.value.reason) == (f"127.0.0.1:{port}", "the connection was refused")
    assert len(clock.sleeps) == 1


async def test_each_attempt_logs_one_request_event_without_url_headers_or_secrets() -> None:
    register_secret(SECRET)
    answers: list[httpx.Response | Exception] = [
        ok(),
        httpx.Response(200, json={"err": f"bad secret {SECRET}"}),
        httpx.ConnectError("refused"),
    ]
    async with plain(answers, retry={"max_attempts": 1}) as (client, _, _):
        with capture_logs() as events:
            await client.send(GET)
            with pytest.raises(PermanentError) as refused:
                await client.send(ADD)
            with pytest.raises(RetryableError):
                await client.send(GET)
    requests = [e for e in events if e["event"] == "plain.request"]
    assert [{k: v for k, v in e.items() if k != "elapsed_ms"} for e in requests] == [
        {"event": "plain.request", "log_level": "info", "call": "items", "method": "GET", "status": 200},
        {"event": "plain.request", "log_level": "warning", "call": "item_add", "method": "POST", "status": 200,
         "error": "bad secret [REDACTED]"},  # our error's code: here, the body's, scrubbed
        {"event": "plain.request", "log_level": "warning", "call": "items", "method": "GET", "status": None,
         "error": "ConnectError"},
    ]  # fmt: skip
    assert all(isinstance(e["elapsed_ms"], float) for e in requests)
    assert SECRET not in repr(events) + str(refused.value)


# --- the two marketplaces on this loop keep their events' names and fields -----------------------------


async def test_shopee_request_events_name_the_path_shop_request_id_and_shopee_code() -> None:
    answers: list[httpx.Response | Exception] = [
        envelope({"item": []}),
        shopee_error("error_param", "Wrong parameters"),
        httpx.ConnectError("x"),
    ]
    with respx.mock(base_url=BASE_URL, assert_all_called=True) as router:
        router.get("/api/v2/product/get_item_list").mock(side_effect=answers)
        async with httpx.AsyncClient() as http:
            clock = FakeClock()
            connector = make_connector(
                make_config(), InMemoryTokenStore(fresh_tokens()), clock, http, retry=RetrySettings(max_attempts=1)
            )
            with capture_logs() as events:
                for _ in answers:
                    with contextlib.suppress(PermanentError, RetryableError):
                        await connector.client.get("product/get_item_list")
    requests = [{k: v for k, v in e.items() if k != "elapsed_ms"} for e in events if e["event"] == "shopee.request"]
    common = {"event": "shopee.request", "path": "product/get_item_list", "method": "GET", "shop_id": SHOP_ID}
    assert requests == [
        {**common, "log_level": "info", "status": 200, "request_id": "req-1"},
        {**common, "log_level": "warning", "status": 200, "request_id": "req-err", "error": "error_param"},
        {**common, "log_level": "warning", "status": None, "request_id": None, "error": "ConnectError"},
    ]


async def test_postmart_request_events_name_the_endpoint_and_postmart_code() -> None:
    async with postmart_world() as w:
        with capture_logs() as events:
            await w.connector.client.call("categories", idempotent=True)
            with pytest.raises(PermanentError):
                await w.connector.client.call("product_update", ids={"spu_id": "404404"}, json={}, idempotent=True)
    requests = [{k: v for k, v in e.items() if k != "elapsed_ms"} for e in events if e["event"] == "postmart.request"]
    assert requests[0] == {"event": "postmart.request", "log_level": "info", "endpoint": "login", "method": "POST",
                           "status": 200}  # fmt: skip
    assert requests[1]["endpoint"] == "categories" and "error" not in requests[1]
    assert requests[-1]["error"].startswith("postmart_")
    assert set(requests[-1]) == {"event", "log_level", "endpoint", "method", "status", "error"}

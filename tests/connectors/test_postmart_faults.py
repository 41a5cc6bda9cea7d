"""The Postmart connector against a misbehaving sandbox: every injected fault, tokens, refusals in a 200 body.

Faults come from the sandbox's plan (the same :mod:`simulators.common.faults` as Shopee's). Retry waits go
through the connector's injected sleep (jitter off: the first backoff is exactly 0.5 s), which moves the
sandbox clock; only a client timeout costs real time (a quarter of a second).
"""

from __future__ import annotations

import pytest

from core.errors import AuthError, OutcomeUnknown, PermanentError
from core.ports import InMemoryTokenStore, ReauthorizeRequired, Tokens
from simulators.common.faults import Fault, FaultKind
from tests.connectors.postmart_fixtures import PASSWORD, USERNAME, postmart_world, rice

pytestmark = pytest.mark.anyio

HELD = 5.0
PRODUCTS = "/apis/v1/merchant/products"  # product_list (GET) and product_create (POST) share it

TRANSIENT = [
    pytest.param(Fault.latency(0.01), [], id="latency"),
    pytest.param(Fault.server_error(500), [0.5], id="500-envelope"),
    pytest.param(Fault.server_error(502), [0.5], id="502-html"),
    pytest.param(Fault.server_error(503), [0.5], id="503-html"),
    pytest.param(Fault.server_error(504), [0.5], id="504-html"),
    pytest.param(Fault.rate_limited(), [1.0], id="429-retry-after"),
    pytest.param(Fault.timeout(HELD), [0.5], id="read-timeout"),
    pytest.param(Fault.malformed_json(), [0.5], id="malformed-json"),
    pytest.param(Fault.lost_response(), [0.5], id="lost-response"),
    pytest.param(Fault.lost_response(drop=True), [0.5], id="connection-dropped"),
]


@pytest.mark.parametrize(("fault", "sleeps"), TRANSIENT)
async def test_a_read_is_retried_through_any_transient_fault(fault: Fault, sleeps: list[float]) -> None:
    async with postmart_world() as w:
        ref = await w.connector.create_listing(rice())
        w.sandbox.log.reset()
        w.sleeps.clear()
        w.sandbox.faults.enqueue(PRODUCTS, fault)
        assert await w.connector.find_by_sku("GAO-ST25") == ref
        assert w.sleeps == sleeps
        expected = [fault.kind] if fault.kind is FaultKind.LATENCY else [fault.kind, None]
        assert [c.fault for c in w.sandbox.recorded("product_list")] == expected


@pytest.mark.parametrize(
    ("fault", "outcome_unknown"),
    [
        pytest.param(Fault.rate_limited(), False, id="429-nothing-applied-retried"),
        pytest.param(Fault.server_error(500), True, id="500-may-have-applied"),
        pytest.param(Fault.timeout(HELD), True, id="timeout-may-have-applied"),
        pytest.param(Fault.lost_response(), True, id="lost-response-applied"),
        pytest.param(Fault.lost_response(drop=True), True, id="dropped-after-applying"),
        pytest.param(Fault.malformed_json(), True, id="malformed-after-applying"),
    ],
)
async def test_a_create_whose_answer_is_lost_is_never_duplicated(fault: Fault, outcome_unknown: bool) -> None:
    """Create is not idempotent: an unsafe failure is OutcomeUnknown, and creating again (as the core
    does after resolving) looks the SKU up first, so there is one product whatever happened."""
    async with postmart_world() as w:
        w.sandbox.faults.enqueue(PRODUCTS, None, fault)  # the look-up goes through, the create meets the fault
        if outcome_unknown:
            with pytest.raises(OutcomeUnknown):
                await w.connector.create_listing(rice())
        ref = await w.connector.create_listing(rice())
        assert len(w.sandbox.live_products(USERNAME)) == 1
        assert set(ref.models) == {"GAO-ST25-1KG", "GAO-ST25-2KG"}


async def test_an_expired_token_is_replaced_by_one_login() -> None:
    async with postmart_world() as w:
        await w.connector.categories()
        w.sandbox.expire_tokens()  # Postmart forgets the token early: code 401 in a 200 answer
        await w.connector.categories()
        assert w.sandbox.logins == 2
        assert [c.status for c in w.sandbox.recorded("categories")] == [200, 200, 200]


async def test_a_token_about_to_expire_is_renewed_before_use() -> None:
    async with postmart_world() as w:
        await w.connector.categories()
        w.clock.advance(3600 - 30)  # inside the 60 s margin
        await w.connector.categories()
        assert w.sandbox.logins == 2 and len(w.sandbox.recorded("categories")) == 2


async def test_a_refused_password_needs_a_person() -> None:
    async with postmart_world() as w:
        w.sandbox.merchants[USERNAME] = "changed-on-the-website"
        with pytest.raises(ReauthorizeRequired, match="username or password"):
            await w.connector.categories()


async def test_api_key_mode_sends_the_key_in_the_configured_header() -> None:
    settings = {"auth": {"mode": "api_key", "header": "X-Api-Key", "scheme": ""}, "username": None}
    async with postmart_world(settings=settings) as w:
        w.sandbox.contract = w.connector.config  # the sandbox reads the same (here: changed) contract
        w.sandbox.api_keys[PASSWORD] = USERNAME  # the secret the connector was given
        assert len(await w.connector.categories()) == 6
        assert w.sandbox.logins == 0
        w.sandbox.api_keys.clear()
        with pytest.raises(AuthError, match="refused our token"):
            await w.connector.categories()


async def test_a_refusal_in_a_200_body_names_the_field() -> None:
    async with postmart_world(settings={"category_map": {"Gạo": 999}}) as w:
        with pytest.raises(PermanentError, match="gc_id không tồn tại") as refused:
            await w.connector.create_listing(rice())
        assert refused.value.code == "postmart_400"
        assert w.sandbox.recorded("product_create")[0].status == 200


async def test_the_sandbox_rate_limit_is_waited_out() -> None:
    async with postmart_world(rate_limit=2.0, settings={"retry": {"max_attempts": 1}}) as w:
        for n in range(4):
            await w.connector.find_by_sku(f"GAO-{n}")
        statuses = [c.status for c in w.sandbox.recorded("product_list")]
        assert statuses.count(200) == 4 and statuses.count(429) == len(w.sleeps) > 0
        assert set(w.sleeps) == {1.0}  # exactly the Retry-After the sandbox sent


async def test_tokens_are_kept_in_the_token_store() -> None:
    async with postmart_world() as w:
        await w.connector.categories()
        stored = w.tokens.tokens
        assert isinstance(stored, Tokens) and stored.access_token in w.sandbox.tokens
        assert isinstance(w.tokens, InMemoryTokenStore) and w.tokens.saves == 1

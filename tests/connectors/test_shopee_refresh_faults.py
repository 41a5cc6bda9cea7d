"""A token refresh that meets a fault never sends a spent refresh token again (the sandbox keeps score).

Shopee's refresh token is single use. A refresh whose answer is lost may have been applied: sending the
same token again can only be refused, so the connector stops with :class:`RefreshOutcomeUnknown` (the
seller must authorise again) and marks the token spent so no later job sends it either. A refusal that
proves nothing was applied (rate limited) is retried, and the token is then spent exactly once.
"""

from __future__ import annotations

import json
from collections import Counter

import anyio
import pytest

from connectors.shopee.auth import REFRESH_PATH
from core.ports import ReauthorizeRequired, RefreshOutcomeUnknown
from simulators.common.faults import Fault, FaultKind
from tests.connectors.sandbox_fixtures import SHOP_ID, World, shopee_world

pytestmark = pytest.mark.anyio

AFTER_EXPIRY = 4 * 3600 + 1  # the access token (4 h) has expired: the next call must refresh it

LOST_ANSWERS = [
    pytest.param(Fault.lost_response(), True, id="applied-answer-lost-504"),
    pytest.param(Fault.lost_response(drop=True), True, id="applied-connection-dropped"),
    pytest.param(Fault.malformed_json(), True, id="applied-answer-truncated"),
    # Refused before being applied, but a 5xx does not say so: the client cannot tell it from a lost answer.
    pytest.param(Fault.server_error(500), False, id="5xx-before-applying"),
    pytest.param(Fault.server_error(502), False, id="502-html-before-applying"),
]


def _refresh_tokens_sent(w: World) -> list[tuple[str, FaultKind | None]]:
    """Each refresh request's refresh token, with the fault the sandbox gave it, in order."""
    return [(json.loads(c.body)["refresh_token"], c.fault) for c in w.sandbox.recorded(REFRESH_PATH)]


def _seed(w: World) -> None:
    w.sandbox.create_item(SHOP_ID, "Mật ong rừng U Minh Hạ", price=185_000, stock=40, item_sku="MO-UMINH")


@pytest.mark.parametrize(("fault", "applied"), LOST_ANSWERS)
async def test_a_refresh_whose_answer_is_lost_is_not_sent_again(fault: Fault, applied: bool) -> None:
    async with shopee_world() as w:
        _seed(w)
        before = w.tokens.tokens
        assert before is not None
        w.clock.advance(AFTER_EXPIRY)
        w.sandbox.faults.enqueue(REFRESH_PATH, fault)
        with pytest.raises(RefreshOutcomeUnknown) as caught:
            await w.shopee.find_by_sku("MO-UMINH")
        assert _refresh_tokens_sent(w) == [(before.refresh_token, fault.kind)]
        assert w.sandbox.refresh_tokens[before.refresh_token].used is applied
        message = str(caught.value)
        assert "answer was lost" in message and "will not send it again" in message
        assert "chosync channels connect shopee --seller" in message
        assert before.refresh_token not in message and before.access_token not in message
        # Stored as spent: a later job (any process reading the same store) sends nothing either.
        stored = w.tokens.tokens
        assert stored is not None and stored.refresh_expires_at.timestamp() <= w.clock()
        assert stored.refresh_token == before.refresh_token  # nothing new arrived to replace it
        for _ in range(2):
            with pytest.raises(ReauthorizeRequired, match="no usable refresh token"):
                await w.shopee.find_by_sku("MO-UMINH")
        with pytest.raises(ReauthorizeRequired):
            await w.shopee.refresh_ahead(before.access_token)
        assert len(_refresh_tokens_sent(w)) == 1


async def test_a_lost_refresh_answer_ahead_of_expiry_is_not_retried_by_the_token_job() -> None:
    """The token health job's refresh: the access token still works, the refresh answer is lost."""
    async with shopee_world() as w:
        before = w.tokens.tokens
        assert before is not None
        w.clock.advance(3600)
        w.sandbox.faults.enqueue(REFRESH_PATH, Fault.lost_response())
        with pytest.raises(RefreshOutcomeUnknown):
            await w.shopee.refresh_ahead(before.access_token)
        with pytest.raises(ReauthorizeRequired):
            await w.shopee.refresh_ahead(before.access_token)
        assert _refresh_tokens_sent(w) == [(before.refresh_token, FaultKind.LOST_RESPONSE)]


async def test_ten_concurrent_calls_meeting_a_lost_refresh_send_it_once() -> None:
    async with shopee_world() as w:
        _seed(w)
        w.clock.advance(AFTER_EXPIRY)
        w.sandbox.faults.enqueue(REFRESH_PATH, Fault.lost_response())
        errors: list[Exception] = []

        async def look_up() -> None:
            try:
                await w.shopee.find_by_sku("MO-UMINH")
            except ReauthorizeRequired as exc:
                errors.append(exc)

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(look_up)
        assert len(errors) == 10
        assert sum(isinstance(e, RefreshOutcomeUnknown) for e in errors) == 1
        assert len(_refresh_tokens_sent(w)) == 1


@pytest.mark.parametrize("times", [1, 3])
async def test_a_rate_limited_refresh_is_retried_and_each_token_is_spent_once(times: int) -> None:
    async with shopee_world() as w:
        _seed(w)
        before = w.tokens.tokens
        assert before is not None
        w.clock.advance(AFTER_EXPIRY)
        w.sandbox.faults.enqueue(REFRESH_PATH, Fault.rate_limited(), times=times)
        ref = await w.shopee.find_by_sku("MO-UMINH")
        assert ref is not None
        sent = _refresh_tokens_sent(w)
        # Refused at the door `times` times (nothing applied), then applied once; never sent after that.
        assert sent == [(before.refresh_token, FaultKind.RATE_LIMIT)] * times + [(before.refresh_token, None)]
        assert w.sandbox.refresh_tokens[before.refresh_token].used
        after = w.tokens.tokens
        assert after is not None and after.refresh_token != before.refresh_token
        # The next refresh uses the new token, once.
        w.clock.advance(AFTER_EXPIRY)
        assert await w.shopee.find_by_sku("MO-UMINH") == ref
        applied = Counter(token for token, fault in _refresh_tokens_sent(w) if fault is None)
        assert applied == {before.refresh_token: 1, after.refresh_token: 1}

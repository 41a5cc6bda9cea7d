"""The Shopee connector against a misbehaving Shopee sandbox: every injected fault, tokens, refusals, chaos.

Faults come from the sandbox's plan (``sandbox.faults``): queued for one call, or by seeded chance. Retry
waits and Retry-After go through the connector's injected sleep, which moves the sandbox's manual clock;
only a client timeout costs real time (the sandbox holds the request past the connector's read timeout,
set to a quarter of a second here).
"""

from __future__ import annotations

from collections import Counter

import anyio
import pytest

from connectors.shopee.auth import REFRESH_PATH
from core.errors import ChosyncError, OutcomeUnknown, PermanentError
from core.ports import ListingRef, ReauthorizeRequired
from simulators.common.faults import ANY_PATH, Fault, FaultKind
from tests.connectors.sandbox_fixtures import (
    SHOP_ID,
    TEA_VARIANTS,
    World,
    coffee,
    create_until_done,
    honey,
    path,
    shopee_world,
    tea,
)

pytestmark = pytest.mark.anyio

FAST_TIMEOUT = {"http": {"timeout_s": 0.25}}
HELD = 5.0  # how long a "timeout" fault holds a request: far past the client's patience
SEARCH, ADD, TIERS = (
    path("product/search_item"),
    path("product/add_item"),
    path("product/init_tier_variation"),
)
REFRESH, BASE_INFO = "auth/access_token/get", "product/get_item_base_info"


def _seed_honey(w: World) -> ListingRef:
    item = w.sandbox.create_item(SHOP_ID, "Mật ong rừng U Minh Hạ", price=185_000, stock=40, item_sku="MO-UMINH")
    return ListingRef(item_id=str(item.item_id))


# --- one fault on a read ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "sleeps"),
    [
        pytest.param(Fault.latency(0.01), [], id="latency"),
        pytest.param(Fault.server_error(500), [0.5], id="500-error-server"),
        pytest.param(Fault.server_error(502), [0.5], id="502-bad-gateway-html"),
        pytest.param(Fault.server_error(503), [0.5], id="503-unavailable-html"),
        pytest.param(Fault.server_error(504), [0.5], id="504-gateway-timeout-html"),
        pytest.param(Fault.rate_limited(), [1.0], id="429-retry-after"),
        pytest.param(Fault.timeout(HELD), [0.5], id="read-timeout"),
        pytest.param(Fault.malformed_json(), [0.5], id="malformed-json"),
        pytest.param(Fault.lost_response(), [0.5], id="lost-response"),
        pytest.param(Fault.lost_response(drop=True), [0.5], id="connection-dropped"),
    ],
)
async def test_a_read_is_retried_through_any_transient_fault(fault: Fault, sleeps: list[float]) -> None:
    """The waits are the backoff's first step (0.5 s) or exactly the Retry-After the sandbox sent (1 s)."""
    async with shopee_world(settings=FAST_TIMEOUT) as w:
        ref = _seed_honey(w)
        w.sandbox.faults.enqueue(SEARCH, fault)
        assert await w.shopee.find_by_sku("MO-UMINH") == ref
        assert w.sleeps == sleeps
        searches = w.sandbox.recorded(SEARCH)
        expected = [fault.kind] if fault.kind is FaultKind.LATENCY else [fault.kind, None]
        assert [c.fault for c in searches] == expected
        assert searches[-1].status == 200


async def test_rate_limit_waits_spend_no_attempt() -> None:
    """With one attempt allowed, three 429s in a row are still waited out (1 s each, as Retry-After says)."""
    async with shopee_world(settings={"retry": {"max_attempts": 1}}) as w:
        ref = _seed_honey(w)
        w.sandbox.faults.enqueue(SEARCH, Fault.rate_limited(), times=3)
        assert await w.shopee.find_by_sku("MO-UMINH") == ref
        assert w.sleeps == [1.0, 1.0, 1.0]
        assert [c.status for c in w.sandbox.recorded(SEARCH)] == [429, 429, 429, 200]


async def test_the_sandbox_rate_limit_is_waited_out_on_the_shared_clock() -> None:
    """The sandbox's own token bucket (2 calls a second per shop) throttles a burst of look-ups."""
    async with shopee_world(sandbox={"rate_limit_per_shop": 2.0}, settings={"retry": {"max_attempts": 1}}) as w:
        refs = {f"GAO-{n}": _seed_item(w, f"GAO-{n}") for n in range(4)}
        for sku, ref in refs.items():
            assert await w.shopee.find_by_sku(sku) == ref
        statuses = Counter(c.status for c in w.sandbox.recorded())
        assert statuses[200] == 8  # a search and a base-info read per SKU
        assert statuses[429] == len(w.sleeps) > 0
        assert set(w.sleeps) == {1.0}


def _seed_item(w: World, sku: str) -> ListingRef:
    item = w.sandbox.create_item(SHOP_ID, f"Gạo ST25 Sóc Trăng {sku}", price=180_000, item_sku=sku)
    return ListingRef(item_id=str(item.item_id))


# --- one fault on add_item ----------------------------------------------------------------------------

LOST_AS_ERROR = (
    "BUG (connectors/shopee/errors.py): an answer lost after add_item was applied, rendered by the sandbox "
    "as HTTP {0} ({1}), is read as 'never applied' and add_item is retried: a second item is created"
)


@pytest.mark.parametrize(
    ("fault", "first_error", "add_items"),
    [
        pytest.param(Fault.latency(0.01), None, 1, id="latency"),
        pytest.param(Fault.server_error(500), OutcomeUnknown, 2, id="500-error-server-outcome-unknown"),
        pytest.param(Fault.server_error(502), OutcomeUnknown, 2, id="502-outcome-unknown"),
        pytest.param(Fault.server_error(503), OutcomeUnknown, 2, id="503-outcome-unknown"),
        pytest.param(Fault.server_error(504), OutcomeUnknown, 2, id="504-outcome-unknown"),
        pytest.param(Fault.rate_limited(), None, 2, id="429-waited-and-retried"),
        pytest.param(Fault.timeout(HELD), OutcomeUnknown, 2, id="timeout-not-applied"),
        pytest.param(Fault.malformed_json(), OutcomeUnknown, 1, id="malformed-json-applied"),
        pytest.param(Fault.lost_response(), OutcomeUnknown, 1, id="lost-response-504"),
        pytest.param(Fault.lost_response(drop=True), OutcomeUnknown, 1, id="lost-response-dropped"),
        pytest.param(Fault.lost_response(seconds=HELD), OutcomeUnknown, 1, id="lost-response-timeout"),
        pytest.param(
            Fault.lost_response(status=500),
            OutcomeUnknown,
            1,
            id="lost-response-500-error-server",
        ),
        pytest.param(
            Fault.lost_response(status=503),
            OutcomeUnknown,
            1,
            id="lost-response-503",
        ),
    ],
)
async def test_a_fault_on_add_item_never_leaves_two_items(
    fault: Fault, first_error: type[ChosyncError] | None, add_items: int
) -> None:
    """Like a sync engine, create again after OutcomeUnknown: the look-up by SKU finds an item that was
    made, so add_item is sent again only when the first one was not applied."""
    async with shopee_world(settings=FAST_TIMEOUT) as w:
        w.sandbox.faults.enqueue(ADD, fault)
        ref, errors = await create_until_done(w, honey())
        assert len(w.items("MO-UMINH")) == 1
        item = w.only_item("MO-UMINH")
        # Found by its SKU after a lost answer: the ref says so, for the core to send the content again.
        assert ref == ListingRef(item_id=str(item.item_id), found=bool(errors) and add_items == 1)
        assert [type(e) for e in errors] == ([first_error] if first_error else [])
        assert w.sandbox.calls(ADD) == add_items
        assert (item.models[0].original_price, item.models[0].seller_stock) == (185_000, 40)
        if errors:
            assert "may or may not have been applied" in errors[0].message


async def test_a_lost_answer_to_add_item_is_finished_by_look_up_not_repeated() -> None:
    """The item was made, its variations were not: creating again adds only the variations."""
    async with shopee_world() as w:
        w.sandbox.faults.enqueue(ADD, Fault.lost_response())
        with pytest.raises(OutcomeUnknown):
            await w.shopee.create_listing(tea())
        assert not w.only_item("TRA-ST").has_model
        w.clock.advance(60)  # the sync engine reschedules the unknown operation
        mark = w.mark()
        ref = await w.shopee.create_listing(tea())
        assert w.calls(mark) == [
            "product/search_item",
            "product/get_item_base_info",
            "product/init_tier_variation",
        ]
        item = w.only_item("TRA-ST")
        assert ref.models == {m.model_sku: str(m.model_id) for m in item.models.values()}
        assert set(ref.models) == set(TEA_VARIANTS)
        assert w.sandbox.calls(ADD) == 1


async def test_creating_again_right_after_a_lost_add_item_answer_finishes_the_variations() -> None:
    async with shopee_world() as w:
        w.sandbox.faults.enqueue(ADD, Fault.lost_response())
        with pytest.raises(OutcomeUnknown):
            await w.shopee.create_listing(tea())
        ref = await w.shopee.create_listing(tea())  # resolved at once, with no engine pause
        assert set(ref.models) == set(TEA_VARIANTS)


async def test_a_lost_answer_to_init_tier_variation_is_read_back_not_repeated() -> None:
    async with shopee_world() as w:
        w.sandbox.faults.enqueue(TIERS, Fault.lost_response(drop=True))
        with pytest.raises(OutcomeUnknown):
            await w.shopee.create_listing(tea())
        mark = w.mark()
        ref = await w.shopee.create_listing(tea())
        assert w.calls(mark) == [
            "product/search_item",
            "product/get_item_base_info",
            "product/get_model_list",
        ]
        item = w.only_item("TRA-ST")
        assert ref.models == {m.model_sku: str(m.model_id) for m in item.models.values()}
        assert len(item.models) == 4
        assert (w.sandbox.calls(ADD), w.sandbox.calls(TIERS)) == (1, 1)


# --- tokens --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "calls"),
    [
        pytest.param("clock", [REFRESH, "product/search_item", BASE_INFO], id="expired-by-time-refreshed-ahead"),
        pytest.param(
            "revoked",
            ["product/search_item", REFRESH, "product/search_item", BASE_INFO],
            id="refused-then-refreshed",
        ),
    ],
)
async def test_an_expired_access_token_is_refreshed_once_and_the_call_succeeds(how: str, calls: list[str]) -> None:
    async with shopee_world() as w:
        ref = _seed_honey(w)
        old = w.tokens.tokens
        assert old is not None
        if how == "clock":
            w.clock.advance(4 * 3600 + 1)
        else:  # Shopee dropped the token early; the connector still believes it has hours left
            w.sandbox.access_tokens[old.access_token].expires_at = w.clock()
        assert await w.shopee.find_by_sku("MO-UMINH") == ref
        assert w.calls() == calls
        new = w.tokens.tokens
        assert new is not None and new.access_token != old.access_token and w.tokens.saves == 2
        assert new.access_token in w.sandbox.recorded(SEARCH)[-1].query


async def test_ten_concurrent_calls_with_an_expired_token_refresh_it_once() -> None:
    async with shopee_world() as w:
        ref = _seed_honey(w)
        w.clock.advance(5 * 3600)
        found: list[ListingRef | None] = []

        async def look_up() -> None:
            found.append(await w.shopee.find_by_sku("MO-UMINH"))

        async with anyio.create_task_group() as group:
            for _ in range(10):
                group.start_soon(look_up)
        assert found == [ref] * 10
        assert w.sandbox.calls(REFRESH_PATH) == 1


@pytest.mark.parametrize(
    ("how", "refresh_calls"),
    [
        pytest.param("clock", 0, id="past-30-days-no-request"),
        pytest.param("spent", 1, id="refused-by-shopee"),
    ],
)
async def test_an_expired_refresh_token_asks_for_reauthorization(how: str, refresh_calls: int) -> None:
    async with shopee_world() as w:
        _seed_honey(w)
        tokens = w.tokens.tokens
        assert tokens is not None
        if how == "clock":
            w.clock.advance(31 * 86_400)
        else:  # used elsewhere (a copy of the database?): Shopee refuses a refresh token twice
            w.sandbox.refresh_tokens[tokens.refresh_token].used = True
            w.clock.advance(4 * 3600)
        with pytest.raises(ReauthorizeRequired, match="authoris"):
            await w.shopee.find_by_sku("MO-UMINH")
        assert w.calls() == [REFRESH] * refresh_calls
        assert w.tokens.tokens == tokens


# --- refusals --------------------------------------------------------------------------------------------


async def test_a_banned_word_is_refused_in_plain_words_and_nothing_is_created() -> None:
    async with shopee_world() as w:
        with pytest.raises(PermanentError) as raised:
            await w.shopee.create_listing(honey(name="Mật ong rừng U Minh, nói không với hàng giả"))
        message = str(raised.value)
        assert 'prohibited word: "hàng giả"' in message and "Remove it and submit again" in message
        assert raised.value.code == "product.error_busi"
        assert w.sandbox.calls(ADD) == 1  # refused, not retried
        assert w.items("MO-UMINH") == []


# --- chaos ---------------------------------------------------------------------------------------------

CHAOS = (
    Fault.latency(0.001),
    Fault.server_error(500),
    Fault.server_error(502),
    Fault.server_error(503),
    Fault.server_error(504),
    Fault.rate_limited(),
    Fault.timeout(HELD),
    Fault.malformed_json(),
    Fault.lost_response(),
    Fault.lost_response(drop=True),
)


async def test_a_30_product_catalog_lands_exactly_once_through_20_percent_faults() -> None:
    """Seeded chaos, each create repeated as a sync engine would, leaves every product in the shop once."""
    catalog = [coffee(n) for n in range(20)] + [tea(sku=f"TRA-{n:02d}") for n in range(10)]
    async with shopee_world(settings=FAST_TIMEOUT, seed=29) as w:
        each = 1 - (1 - 0.2) ** (1 / len(CHAOS))  # together: a fault on 20 % of all calls
        for fault in CHAOS:
            w.sandbox.faults.add_chance(ANY_PATH, fault, each)
        refs: dict[str, ListingRef] = {}
        for product in catalog:
            ref, errors = await create_until_done(w, product, budget=8)
            assert ref is not None, f"{product.sku}: {errors}"
            refs[product.sku] = ref
            w.clock.advance(60)  # the engine's pause before the next operation

        recorded = w.sandbox.recorded()
        faulted = Counter(c.fault for c in recorded if c.fault is not None)
        assert 0.15 < sum(faulted.values()) / len(recorded) < 0.25
        assert set(faulted) == set(FaultKind)
        # The seed was chosen so that writes were applied and their answers lost, the case that duplicates.
        lost = Counter(c.path for c in recorded if c.fault in (FaultKind.LOST_RESPONSE, FaultKind.MALFORMED_JSON))
        assert lost[ADD] >= 2 and lost[TIERS] >= 1
        items = [i for i in w.sandbox.shop_items(SHOP_ID) if not i.is_deleted]
        assert sorted(i.item_sku for i in items) == sorted(p.sku for p in catalog)  # 30, none twice
        for product in catalog:
            item = w.only_item(product.sku)
            assert refs[product.sku].item_id == str(item.item_id)
            variants = {v.sku: (v.price_vnd, v.stock) for v in product.variants}
            if item.has_model:
                models = {m.model_sku: (m.original_price, m.seller_stock) for m in item.models.values()}
                assert models == variants
                assert refs[product.sku].models == {m.model_sku: str(m.model_id) for m in item.models.values()}
            else:
                assert [(item.models[0].original_price, item.models[0].seller_stock)] == list(variants.values())

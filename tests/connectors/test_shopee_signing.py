"""Shopee signatures against the worked examples in test-vectors.md and an independent HMAC; push checks."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.shopee.auth import (
    DuplicatePush,
    PushRejected,
    PushReplayGuard,
    authorization_url,
    merchant_base_string,
    public_base_string,
    push_signature,
    shop_base_string,
    sign,
    signed_query,
    verify_push,
)
from tests.connectors.conftest import NOW

KEY = "test_partner_key"  # the dummy key of test-vectors.md


def test_shop_call_vector() -> None:
    base = shop_base_string(
        2001887, "/api/v2/shop/get_shop_info", 1655714431, "59777174636562737266615546704c6d", 14701711
    )
    assert base == "2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711"
    assert sign(KEY, base) == "9fdae5aeed86e753249982ec04aa54339280f12d3f456b9e3f7d8ee91e66a2b3"


def test_merchant_call_vector() -> None:
    """Merchant APIs (cross-border) sign partner_id + path + timestamp + access_token + merchant_id.

    The expected signature was computed once outside our code, with the standard library alone:
    hmac.new(b"test_partner_key", base.encode(), hashlib.sha256).hexdigest() over the literal base below.
    """
    base = merchant_base_string(
        2001887, "/api/v2/merchant/get_merchant_info", 1655714431, "59777174636562737266615546704c6d", 1000012345
    )
    assert base == "2001887/api/v2/merchant/get_merchant_info165571443159777174636562737266615546704c6d1000012345"
    assert sign(KEY, base) == "a8271dba74b50b2fc09a4dc7bdbd5eb659a3b32e19550b3c6a7c06b6b9d3c5c6"
    query = signed_query(
        partner_id=2001887,
        partner_key=KEY,
        path="/api/v2/merchant/get_merchant_info",
        timestamp=1655714431,
        access_token="59777174636562737266615546704c6d",
        merchant_id=1000012345,
    )
    assert query["sign"] == "a8271dba74b50b2fc09a4dc7bdbd5eb659a3b32e19550b3c6a7c06b6b9d3c5c6"
    assert query["merchant_id"] == 1000012345 and "shop_id" not in query


def test_public_call_vector() -> None:
    base = public_base_string(2001887, "/api/v2/auth/token/get", 1655714431)
    assert sign(KEY, base) == "4347600f52b50a77f5ecee90bf489adf3cec2d59d3c2febe004674f37def5451"


def test_push_vector() -> None:
    body = b'{"code":3,"shop_id":123}'
    signature = push_signature(KEY, "https://example.com/cb", body)
    assert signature == "76a4ff531dc7177eaa09d0b353e928fe2e6a65886cf337cb0e7d99b998a3e50e"
    # The vector's body has no timestamp: the signature passes, the body is then refused as not a push.
    with pytest.raises(PushRejected, match="not a push"):
        verify_push(KEY, "https://example.com/cb", body, signature, NOW, guard=PushReplayGuard())


@given(
    key=st.text(min_size=1, max_size=64),
    partner_id=st.integers(min_value=1, max_value=10**10),
    path=st.from_regex(r"/api/v2/[a-z_]{1,20}/[a-z_]{1,30}", fullmatch=True),
    timestamp=st.integers(min_value=0, max_value=2**32),
    token=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    shop_id=st.integers(min_value=1, max_value=10**12),
)
def test_signing_matches_an_independent_hmac(
    *, key: str, partner_id: int, path: str, timestamp: int, token: str, shop_id: int
) -> None:
    def reference(base: str) -> str:
        return hmac.new(key.encode("utf-8"), base.encode("utf-8"), hashlib.sha256).hexdigest()

    shop = signed_query(
        partner_id=partner_id,
        partner_key=key,
        path=path,
        timestamp=timestamp,
        access_token=token,
        shop_id=shop_id,
    )
    assert shop["sign"] == reference(f"{partner_id}{path}{timestamp}{token}{shop_id}")
    public = signed_query(partner_id=partner_id, partner_key=key, path=path, timestamp=timestamp)
    assert public["sign"] == reference(f"{partner_id}{path}{timestamp}")
    assert set(public) == {"partner_id", "timestamp", "sign"}
    merchant = signed_query(
        partner_id=partner_id,
        partner_key=key,
        path=path,
        timestamp=timestamp,
        access_token=token,
        merchant_id=shop_id,
    )
    assert merchant["sign"] == reference(f"{partner_id}{path}{timestamp}{token}{shop_id}")
    assert set(merchant) == {"partner_id", "timestamp", "access_token", "merchant_id", "sign"}
    assert str(shop["sign"]).islower() or str(shop["sign"]).isdigit()


def test_authorization_url_is_signed_as_a_public_call_with_the_redirect() -> None:
    url = authorization_url(
        base_url="https://partner.test/",
        partner_id=2001887,
        partner_key=KEY,
        redirect_url="https://chosync.test/cb?x=1",
        now=NOW,
    )
    parsed = urlparse(url)
    query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
    assert parsed.path == "/api/v2/shop/auth_partner"
    assert query["redirect"] == "https://chosync.test/cb?x=1"
    assert query["timestamp"] == str(int(NOW.timestamp()))
    assert query["sign"] == sign(KEY, f"2001887/api/v2/shop/auth_partner{int(NOW.timestamp())}")


# --- push ----------------------------------------------------------------------------------------

CALLBACK = "https://chosync.test/push/shopee"


def _push(timestamp: int, code: int = 3) -> tuple[bytes, str]:
    body = json.dumps(
        {
            "data": {"ordersn": "220810QSK8S7BX", "status": "PROCESSED"},
            "shop_id": 727720655,
            "code": code,
            "timestamp": timestamp,
        }
    ).encode()
    return body, hmac.new(KEY.encode(), CALLBACK.encode() + b"|" + body, hashlib.sha256).hexdigest()


def test_a_genuine_fresh_push_is_accepted() -> None:
    body, signature = _push(int(NOW.timestamp()) - 30)
    push = verify_push(KEY, CALLBACK, body, signature.upper(), NOW, guard=PushReplayGuard())
    assert push.code == 3
    assert push.shop_id == 727720655
    assert push.data["ordersn"] == "220810QSK8S7BX"
    assert push.timestamp.tzinfo is not None


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("0" * 64, id="wrong-signature"),
        pytest.param("", id="missing"),
        pytest.param(None, id="absent"),
        pytest.param("ê" * 64, id="not-hex"),
    ],
)
def test_forged_pushes_are_rejected(header: str | None) -> None:
    body, _ = _push(int(NOW.timestamp()))
    with pytest.raises(PushRejected, match="signature"):
        verify_push(KEY, CALLBACK, body, header, NOW, guard=PushReplayGuard())


def test_a_push_signed_for_another_callback_is_rejected() -> None:
    body, signature = _push(int(NOW.timestamp()))
    with pytest.raises(PushRejected):
        verify_push(KEY, "https://evil.test/cb", body, signature, NOW, guard=PushReplayGuard())


def test_old_pushes_are_replays() -> None:
    body, signature = _push(int((NOW - timedelta(hours=1)).timestamp()))
    with pytest.raises(PushRejected, match="too old"):
        verify_push(KEY, CALLBACK, body, signature, NOW, guard=PushReplayGuard())


def test_pushes_from_the_future_are_rejected() -> None:
    body, signature = _push(int((NOW + timedelta(hours=1)).timestamp()))
    with pytest.raises(PushRejected, match="future"):
        verify_push(KEY, CALLBACK, body, signature, NOW, guard=PushReplayGuard())


def test_a_push_seen_before_is_a_duplicate() -> None:
    guard = PushReplayGuard()
    body, signature = _push(int(NOW.timestamp()))
    verify_push(KEY, CALLBACK, body, signature, NOW, guard=guard)
    with pytest.raises(DuplicatePush):
        verify_push(KEY, CALLBACK, body, signature, NOW + timedelta(seconds=5), guard=guard)


def test_a_signed_body_that_is_not_a_push_is_rejected() -> None:
    body = b"not json"
    signature = hmac.new(KEY.encode(), CALLBACK.encode() + b"|" + body, hashlib.sha256).hexdigest()
    with pytest.raises(PushRejected, match="not a push"):
        verify_push(KEY, CALLBACK, body, signature, NOW, guard=PushReplayGuard())

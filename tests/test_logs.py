"""Secrets never reach a log line, whatever shape they arrive in."""

from __future__ import annotations

import json

import pytest
import structlog

from core.logs import REDACTED, configure_logging, register_secret, scrub
from core.settings import LogFormat


@pytest.fixture
def json_log(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    configure_logging(log_format=LogFormat.JSON, level="DEBUG")

    def lines() -> list[dict[str, object]]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]

    yield lines
    configure_logging(log_format=LogFormat.CONSOLE, level="DEBUG")


def test_values_under_secret_names_are_redacted_at_any_depth(json_log) -> None:  # type: ignore[no-untyped-def]
    log = structlog.get_logger()
    log.info(
        "shopee.token",
        access_token="tok-AAAA1111",
        partner_key="pk-BBBB2222",
        body={"refresh_token": "rt-CCCC3333", "nested": [{"password": "pw-DDDD4444"}], "shop_id": 42},
        sign="abcdef123456",
        shop_id=42,
    )
    [line] = json_log()
    text = json.dumps(line)
    for secret in ("tok-AAAA1111", "pk-BBBB2222", "rt-CCCC3333", "pw-DDDD4444", "abcdef123456"):
        assert secret not in text
    assert line["access_token"] == REDACTED
    assert line["body"] == {"refresh_token": REDACTED, "nested": [{"password": REDACTED}], "shop_id": 42}
    assert line["shop_id"] == 42


def test_secret_pairs_inside_strings_and_urls_are_redacted(json_log) -> None:  # type: ignore[no-untyped-def]
    log = structlog.get_logger()
    url = "https://partner.example/api/v2/product/add_item?partner_id=1&timestamp=2&access_token=tok-EEEE5555&sign=f00dbabe99"
    log.info("request", url=url, note='{"client_secret": "cs-FFFF6666"}')
    [line] = json_log()
    assert "tok-EEEE5555" not in json.dumps(line) and "f00dbabe99" not in json.dumps(line)
    assert "cs-FFFF6666" not in json.dumps(line)
    assert "partner_id=1" in str(line["url"])


def test_registered_secret_values_are_scrubbed_from_any_text_and_tracebacks(json_log) -> None:  # type: ignore[no-untyped-def]
    register_secret("s3cr3t-partner-key-value")
    log = structlog.get_logger()
    try:
        raise RuntimeError("HMAC failed for s3cr3t-partner-key-value")
    except RuntimeError:
        log.exception("failed", detail="the key s3cr3t-partner-key-value was wrong")
    [line] = json_log()
    assert "s3cr3t-partner-key-value" not in json.dumps(line)
    assert REDACTED in str(line["exception"])


def test_scrub_leaves_ordinary_text_alone() -> None:
    text = "Gạo ST25 Dân Tiến: 175.000 ₫, shop_id=42"
    assert scrub(text) == text


def test_short_values_are_not_registered_as_secrets() -> None:
    register_secret("42")
    assert scrub("shop 42") == "shop 42"


def test_the_registry_of_secrets_stays_bounded_and_keeps_those_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    """A daemon registers every refreshed token for months: the oldest are forgotten, the ones in use stay."""
    from core import logs

    monkeypatch.setattr(logs, "_known_secrets", {})  # this test's own registry, restored afterwards
    monkeypatch.setattr(logs, "_longest_first", None)
    monkeypatch.setattr(logs, "_MAX_KNOWN_SECRETS", 50)
    register_secret("in-use-partner-key-0000")
    for n in range(60):
        register_secret(f"refreshed-token-{n:06d}")
        if n % 20 == 0:
            register_secret("in-use-partner-key-0000")  # loaded again by every job that needs it
    assert len(logs._known_secrets) == 50
    assert scrub("in-use-partner-key-0000") == REDACTED
    assert scrub("refreshed-token-000059") == REDACTED
    assert scrub("refreshed-token-000000") == "refreshed-token-000000", "long replaced: forgotten"


def test_job_ids_and_event_names_are_not_taken_for_secrets(json_log) -> None:  # type: ignore[no-untyped-def]
    """``tokens:12`` is the token job of account 12: a plural names no secret, and an event is code's words."""
    register_secret("tok-in-the-event-7777")
    log = structlog.get_logger()
    log.info("job tokens:12 finished", job_id="tokens:12", job="tokens:12", note="ran tokens:12, keys: 3")
    log.info("refresh with tok-in-the-event-7777", job_id="tokens:12")
    first, second = json_log()
    assert first["event"] == "job tokens:12 finished"
    assert (first["job_id"], first["job"], first["note"]) == ("tokens:12", "tokens:12", "ran tokens:12, keys: 3")
    assert second["event"] == f"refresh with {REDACTED}", "a registered secret is scrubbed even from an event"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token: abcd1234", f"token: {REDACTED}"),
        ("partnerKey=pk1 X-Api-Key: ak2 apikey=ak3", f"partnerKey={REDACTED} X-Api-Key: {REDACTED} apikey={REDACTED}"),
        ("REFRESH_TOKEN=rt1&signature=sg1", f"REFRESH_TOKEN={REDACTED}&signature={REDACTED}"),
        # A name that is not a secret's leaves its value to be read on: the pair inside is still found.
        ("next=https://p.example/cb?access_token=tok9", f"next=https://p.example/cb?access_token={REDACTED}"),
        ("tokens:12 keyword=gạo design=hoa signal=3", "tokens:12 keyword=gạo design=hoa signal=3"),
    ],
)
def test_pairs_are_redacted_by_whole_words_of_their_name(text: str, expected: str) -> None:
    assert scrub(text) == expected

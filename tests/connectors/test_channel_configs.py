"""Honesty about what is known: every value of the new channels' tomls says whether it is CONFIRMED,
ASSUMED or OURS: on its line, in the comment just above it, or for a whole table on the table's header
(or the comment just above that). And the secrets a channel config names: read from a file or the environment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from connectors.postmart.config import load_postmart_config
from connectors.shopee.config import load_shopee_config
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

MARK = re.compile(r"\b(CONFIRMED|ASSUMED|OURS)\b")
ASSIGNMENT = re.compile(r"^\s*(\"[^\"]*\"|[A-Za-z0-9_{]).*=")


@pytest.mark.parametrize("channel", ["postmart", "voso", "provincial"])
def test_every_value_is_marked_confirmed_assumed_or_ours(channel: str) -> None:
    lines = (PROJECT_ROOT / "config" / "channels" / f"{channel}.toml").read_text(encoding="utf-8").splitlines()
    unmarked = []
    table_marked = False
    comments_above: list[str] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            comments_above.append(stripped)
            continue
        if stripped.startswith("["):
            table_marked = bool(MARK.search(line)) or any(MARK.search(c) for c in comments_above)
        elif ASSIGNMENT.match(line) and not (
            MARK.search(line) or table_marked or any(MARK.search(c) for c in comments_above)
        ):
            unmarked.append(f"{number}: {stripped}")
        if stripped:
            comments_above = []
    assert unmarked == []


def test_postmart_marks_exactly_what_was_read_as_confirmed() -> None:
    """Only the categories call, its fields and the envelope are confirmed (shared/marketplaces/vn-floors.md)."""
    text = (PROJECT_ROOT / "config" / "channels" / "postmart.toml").read_text(encoding="utf-8")
    confirmed = [line.split("=")[0].strip() for line in text.splitlines() if "# CONFIRMED" in line and "=" in line]
    envelope = ["code", "message", "result", "request_method", "success_code"]
    assert confirmed == [*envelope, "categories", "parent_id", "visible", "category"]


@pytest.mark.parametrize(
    ("channel", "settings", "environ", "file_text", "expected"),
    [
        pytest.param("shopee", {}, {"CHOSYNC_SHOPEE_PARTNER_KEY": " k-env "}, None, "k-env", id="shopee-env"),
        pytest.param("shopee", {}, {}, "k-file\n", "k-file", id="shopee-file-wins"),
        pytest.param("shopee", {}, {}, None, "the Shopee partner key is not set", id="shopee-missing"),
        pytest.param("shopee", {}, {}, "", "the Shopee partner key is not set", id="shopee-empty-file"),
        pytest.param("postmart", {}, {"CHOSYNC_POSTMART_PASSWORD": "pw"}, None, "pw", id="postmart-password"),
        pytest.param("postmart", {}, {}, "pw-file", "pw-file", id="postmart-password-file"),
        pytest.param("postmart", {}, {}, None, "the Postmart password is not set", id="postmart-missing"),
        pytest.param(
            "postmart", {"auth": {"mode": "api_key"}}, {"CHOSYNC_POSTMART_API_KEY": "key"}, "ignored", "key",
            id="postmart-api-key-ignores-the-password-file",
        ),
        pytest.param(
            "postmart", {"auth": {"mode": "api_key"}}, {}, None, "the Postmart API key is not set",
            id="postmart-api-key-missing",
        ),
    ],
)  # fmt: skip
def test_secrets_come_from_their_file_or_environment_variable_never_from_settings(
    tmp_path: Path,
    channel: str,
    settings: dict[str, Any],
    environ: dict[str, str],
    file_text: str | None,
    expected: str,
) -> None:
    secret_file = tmp_path / "secret"
    if file_text is not None:
        secret_file.write_text(file_text, encoding="utf-8")
    if channel == "shopee":
        file_setting = {"partner_key_file": secret_file} if file_text is not None else {}
        shopee = load_shopee_config(partner_id=1, shop_id=2, **settings, **file_setting)

        def load() -> str:
            return shopee.load_partner_key(environ)
    else:
        file_setting = {"password_file": secret_file} if file_text is not None else {}
        postmart = load_postmart_config(username="htx", **settings, **file_setting)

        def load() -> str:
            return postmart.load_secret(environ)

    if expected.endswith("is not set"):
        with pytest.raises(ConfigError, match=expected) as raised:
            load()
        assert raised.value.hint is not None and raised.value.hint.startswith("set ")
    else:
        assert load() == expected


def test_an_unreadable_secret_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ConfigError, match=f"cannot read the Shopee partner key file {missing}"):
        load_shopee_config(partner_id=1, shop_id=2, partner_key_file=missing).load_partner_key({})
    with pytest.raises(ConfigError, match=f"cannot read the Postmart password file {missing}"):
        load_postmart_config(username="htx", password_file=missing).load_secret({})

"""README cannot go stale: its column table and CLI reference are checked against the code."""

from __future__ import annotations

import re
from typing import Any

import typer

from core.catalog.columns import COLUMNS
from core.cli import COMMANDS, app
from core.settings import PROJECT_ROOT, Settings

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def _commands(command: Any, prefix: str) -> list[str]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [prefix]
    found: list[str] = []
    for name, sub in sorted(subcommands.items()):
        found.extend(_commands(sub, f"{prefix} {name}"))
    return found


def test_every_cli_command_is_in_the_readme_reference() -> None:
    root = typer.main.get_group(app)
    everything = {**root.commands, **{entry.name: entry.load() for entry in COMMANDS}}  # loaded as they run
    commands = [command for name, sub in sorted(everything.items()) for command in _commands(sub, f"chosync {name}")]
    assert len(commands) >= 8
    documented = set(re.findall(r"^\| `(chosync(?: [a-z][a-z-]*)*)", README, flags=re.MULTILINE))
    assert set(commands) == documented


def test_readme_column_table_matches_the_importer() -> None:
    expected = [
        f"| `{c.name}` | {'yes' if c.required else ''} | {c.doc.replace('|', chr(92) + '|')} |" for c in COLUMNS
    ]
    section = README.split("### Catalog columns", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if re.match(r"^\| `[a-z0-9_]+` \|", line)]
    assert table == expected


def test_every_setting_is_documented() -> None:
    for name in Settings.model_fields:
        assert f"`{name}`" in README
        assert f"`CHOSYNC_{name.upper()}`" in README

"""The CLI loads a command's module only when it runs: ``chosync --help`` stays instant, and says the truth."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from core.cli import COMMANDS
from core.cli.lazy import Lazy
from core.db import MIGRATIONS_DIR, head_revision


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_each_lazy_command_shows_its_own_one_line_help(entry: Lazy) -> None:
    command = entry.load()
    assert command.name == entry.name
    assert (command.help or "").splitlines()[0] == entry.help


def test_the_top_level_help_imports_no_database_engine_connector_or_sync_code() -> None:
    probe = (
        "import sys\n"
        "from core.cli import run\n"
        "code = run(['--help'])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic', 'connectors', 'httpx')"
        " or m.startswith(('core.sync', 'core.db', 'core.catalog')))\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "0 []"
    for entry in COMMANDS:
        assert entry.name in done.stdout


def test_a_lazy_group_runs_its_commands_and_the_ones_other_modules_add(tmp_path: Path) -> None:
    from core.cli import run

    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert run(["--database-url", url, "channels", "schedule", "--help"]) == 0
    assert run(["--database-url", url, "orders", "add", "--help"]) == 0
    assert run(["--database-url", url, "sellers", "add", "HTX-A", "--name", "A"]) == 0
    assert run(["--database-url", url, "nosuchcommand"]) == 2


def test_the_head_revision_read_from_the_scripts_is_alembics() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()

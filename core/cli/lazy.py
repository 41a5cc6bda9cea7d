"""Commands loaded when they are run: ``chosync --help`` imports no database, connector or sync engine.

Importing every command module up front costs seconds on a small machine (SQLAlchemy, Alembic, the
models, the sync engine), paid again by every command. The top-level group knows each command by a
:class:`Lazy` entry instead: its name, its one-line help (for ``chosync --help``) and where it lives; the
module is imported only when the command is run or its own help is asked for. A test checks that every
entry's help is the command's own, so the two cannot drift apart.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer 0.29 carries its own click: its groups take its contexts
from typer.core import TyperCommand, TyperGroup

__all__ = ["Lazy", "LazyGroup"]


@dataclass(frozen=True)
class Lazy:
    """One top-level command: ``target`` is ``"module:attribute"``, a Typer sub-app (a group of commands)
    when ``group`` is true, else the function of one command."""

    name: str
    target: str
    help: str
    group: bool = False
    adds: tuple[str, ...] = ()  # modules that add commands to the group when imported

    def load(self) -> click.Command:
        for module in self.adds:
            importlib.import_module(module)
        module_name, _, attribute = self.target.partition(":")
        found: Any = getattr(importlib.import_module(module_name), attribute)
        holder = typer.Typer()
        if self.group:
            holder.add_typer(found, name=self.name)
        else:
            holder.command(self.name)(found)
            holder.command("_")(lambda: None)  # two commands: typer builds a group, not the command alone
        return typer.main.get_group(holder).commands[self.name]


class LazyGroup(TyperGroup):
    """The top-level group: its own commands (``init``) and the :class:`Lazy` ones, in the table's order."""

    lazy: Sequence[Lazy] = ()

    def _entry(self, name: str) -> Lazy | None:
        return next((entry for entry in self.lazy if entry.name == name), None)

    def list_commands(self, ctx: click.Context) -> list[str]:
        own = [name for name in super().list_commands(ctx) if self._entry(name) is None]
        return [*own, *(entry.name for entry in self.lazy)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command if it is loaded, else a stand-in with its name and one-line help (for the help)."""
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        entry = self._entry(cmd_name)
        return None if entry is None else TyperCommand(entry.name, help=entry.help, short_help=entry.help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command about to run (or show its own help), loaded."""
        entry = self._entry(args[0]) if args else None
        if entry is not None and entry.name not in self.commands:
            self.commands[entry.name] = entry.load()
        return super().resolve_command(ctx, args)

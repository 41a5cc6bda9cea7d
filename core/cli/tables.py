"""Tables that fit the terminal, 80 columns included, without ever cutting an identifier.

Clerks read these on 80-column terminals, and copy seller codes, SKUs, order ids and pack numbers out of
them: an ellipsised identifier ("HKD-BA…" for two different sellers) is worse than none. So a table is
described once (its columns, and what to give up when it is too wide) and :class:`Grid` picks the widest
layout that fits: identifiers and short values never wrap, one flexible text column wraps into what room is
left, and when that is not enough a less important column moves under another one (a two-line row) or
goes. A legend is printed as text under the table, wrapped at the terminal's width, never cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from core.cli.context import local_time

__all__ = ["Col", "Drop", "Grid", "Split", "Under", "short_time"]

Kind = Literal["id", "number", "short", "text"]
# Below this a wrapped column reads as a word per line; it gets at least this much (or its longest word).
TEXT_MIN = 20


@dataclass(frozen=True)
class Col:
    """A column: ``id`` (never wrapped nor cut), ``number`` (right-aligned), ``short`` (a few words kept on
    one line: times, states) or ``text`` (wraps into the room left)."""

    header: str
    kind: Kind = "short"
    room: int = TEXT_MIN  # a text column: the width below which a narrower layout is tried first


@dataclass(frozen=True)
class Under:
    """When too wide: the column ``name`` (with what went under it before) goes under the column ``into``,
    in the same cell."""

    name: str
    into: str


@dataclass(frozen=True)
class Split:
    """When too wide: the column's values break onto a second line at their first ``sep``
    (``SELLER/channel`` → ``SELLER`` above ``/channel``)."""

    name: str
    sep: str = "/"


@dataclass(frozen=True)
class Drop:
    """When nothing else makes the table fit: leave the column out."""

    name: str


Step = Under | Split | Drop


def short_time(moment: datetime | None, now: datetime, *, never: str = "never") -> str:
    """Vietnam time, the date left out for today: narrow tables need the room."""
    if moment is None:
        return never
    shown = local_time(moment)
    return shown[-5:] if shown[:10] == local_time(now)[:10] else shown


def _plain(cell: str) -> str:
    return Text.from_markup(cell).plain if "[" in cell else cell


@dataclass(frozen=True)
class _Extent:
    """A described column's width needs: its widest line (header included) and its longest word."""

    widest: int
    word: int


@dataclass
class _Group:
    """One column as printed: one or more described columns stacked in it."""

    members: list[int]
    splits: dict[int, str] = field(default_factory=dict)  # member → the separator its values break at


@dataclass
class Grid:
    columns: Sequence[Col]
    title: str | None = None
    narrow: Sequence[Step] = ()
    legend: str | None = None
    compact: bool = False  # no vertical rules: for the status-like summaries read every day
    title_justify: Literal["left", "center", "right"] = "center"
    show_header: bool = True
    rows: list[tuple[str, ...]] = field(default_factory=list)
    _extents: dict[tuple[int, str | None], _Extent] = field(default_factory=dict, repr=False)

    def add_row(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)

    def table(self, console: Console) -> Table:
        """The widest layout that fits ``console``'s width; the narrowest one if none does."""
        names = [c.header for c in self.columns]
        groups = [_Group([i]) for i in range(len(self.columns))]
        steps = iter(self.narrow)
        while self._width(groups) > console.width:
            step = next(steps, None)
            if step is None:  # too narrow even so: identifiers fold onto a next line rather than lose their end
                return self._build(groups, fits=False)
            index = names.index(step.name)
            owner = next(g for g in groups if index in g.members)
            if isinstance(step, Split):
                owner.splits[index] = step.sep
            elif isinstance(step, Drop):
                owner.members.remove(index)
            else:
                moved = list(owner.members) if owner.members[0] == index else [index]
                target = next(g for g in groups if names.index(step.into) in g.members)
                for member in moved:
                    owner.members.remove(member)
                    target.members.append(member)
                    if member in owner.splits:
                        target.splits[member] = owner.splits.pop(member)
            groups = [g for g in groups if g.members]
        return self._build(groups, fits=True)

    def print(self, console: Console) -> None:
        console.print(self.table(console))
        if self.legend:
            console.print(self.legend, highlight=False, style="dim")

    def _kind(self, group: _Group) -> Kind:
        kinds = {self.columns[i].kind for i in group.members}
        return "text" if "text" in kinds else "number" if kinds == {"number"} else "id"

    def _cell(self, group: _Group, row: tuple[str, ...]) -> str:
        parts = []
        for i in group.members:
            split = group.splits.get(i)
            head, sep, tail = row[i].partition(split) if split else (row[i], "", "")
            parts.append(f"{head}\n{sep}{tail}" if sep else head)
        while len(parts) > 1 and not parts[-1]:
            parts.pop()
        return "\n".join(parts)

    def _empty(self, **kwargs: Any) -> Table:
        table = Table(show_header=self.show_header, **kwargs)
        if self.compact:
            table.box, table.pad_edge, table.collapse_padding = box.SIMPLE_HEAD, False, True
        return table

    def _build(self, groups: list[_Group], *, fits: bool) -> Table:
        table = self._empty(title=self.title, title_justify=self.title_justify)
        for group in groups:
            kind = self._kind(group)
            table.add_column(
                "\n".join(self.columns[i].header for i in group.members),
                justify="right" if kind == "number" else "left",
                no_wrap=kind != "text" and fits,
                overflow="fold",
            )
        for row in self.rows:
            table.add_row(*(self._cell(g, row) for g in groups))
        return table

    def _extent(self, index: int, split: str | None) -> _Extent:
        """Measured once per column (and way of splitting it): a long catalog is laid out in one pass."""
        key = (index, split)
        if key not in self._extents:
            lines = [self.columns[index].header]
            for row in self.rows:
                head, sep, tail = _plain(row[index]).partition(split) if split else (_plain(row[index]), "", "")
                lines.extend(head.split("\n"))
                if sep:
                    lines.extend(f"{sep}{tail}".split("\n"))
            widest = max(cell_len(line) for line in lines)
            word = max((cell_len(w) for line in lines for w in line.split()), default=0)
            self._extents[key] = _Extent(widest, word)
        return self._extents[key]

    def _width(self, groups: list[_Group]) -> int:
        """The narrowest the table can be: every column whole, the text ones at their minimum."""
        total = 0
        for group in groups:
            extents = [self._extent(i, group.splits.get(i)) for i in group.members]
            widest = max(e.widest for e in extents)
            if self._kind(group) == "text":
                room = max(self.columns[i].room for i in group.members if self.columns[i].kind == "text")
                widest = min(widest, max(room, *(e.word for e in extents)))
            total += widest
        # The rules and padding, as rich draws them around as many empty columns in this style.
        frame = self._empty()
        for _ in groups:
            frame.add_column("")
        wide = Console(width=10_000)
        return total + Measurement.get(wide, wide.options, frame).maximum

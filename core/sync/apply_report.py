"""What one apply of an account's queue did: operations done by kind, retried, parked, read back.

A push may apply twice (a create that found its item already there is planned and applied again at
once): :meth:`ApplyReport.add` folds the second into the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ApplyReport"]


@dataclass
class ApplyReport:
    created: int = 0
    updated: int = 0
    prices: int = 0
    stocks: int = 0
    delisted: int = 0
    failed: int = 0
    retrying: int = 0
    unknown: int = 0
    resolved: int = 0  # outcomes unknown, settled by reading the marketplace back: nothing sent again
    # Creates that found their item already there (a lost answer, a run killed between steps, made by
    # hand): bound, with what it holds forgotten, so a plan made now sends the content, prices and stock.
    adopted: int = 0
    stopped: str | None = None  # why the run stopped early (auth refused)
    failures: list[str] = field(default_factory=list)
    product_ids: set[int] = field(default_factory=set)  # products whose operations this apply took up

    def add(self, other: ApplyReport) -> None:
        """Fold a later apply of the same push into this report."""
        for name in (*self.counts(), "adopted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.stopped = self.stopped or other.stopped
        self.failures += other.failures
        self.product_ids |= other.product_ids

    @property
    def done(self) -> int:
        return self.created + self.updated + self.prices + self.stocks + self.delisted

    def counts(self) -> dict[str, int]:
        return {
            "created": self.created, "updated": self.updated, "prices": self.prices,
            "stocks": self.stocks, "delisted": self.delisted, "failed": self.failed,
            "retrying": self.retrying, "unknown": self.unknown, "resolved": self.resolved,
        }  # fmt: skip

"""What a catalog import did, or why it was refused: the report, the rejection, and the header's checks.

:class:`ImportReport` counts what was (or, for a dry run, would be) written, per column too, and lists what
empty cells clear, so a person sees what a file changes before it does. A file that cannot be imported
is rejected whole (:class:`ImportRejected`) with every bad row named.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from core.catalog.columns import COLUMN_NAMES, PRODUCT_COLUMNS, REQUIRED_COLUMNS
from core.catalog.rows import RowProblem
from core.errors import InputRejected

__all__ = ["ImportRejected", "ImportReport", "header_problems"]


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    dry_run: bool = False
    rows: int = 0
    sellers: list[str] = field(default_factory=list)
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    products_archived: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    variants_archived: int = 0
    # Stock figures that differ from the variant's last count and from on hand: on hand set to them.
    stock_counts: int = 0
    # Column → how many stored values of existing products and variants the file changes ("stock":
    # new counts that moved on hand).
    changes: Counter[str] = field(default_factory=Counter)
    # (SKU, column) where a present but empty cell clears a value that was stored.
    cleared: list[tuple[str, str]] = field(default_factory=list)
    replace: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    row_label: str = "row"


class ImportRejected(InputRejected):
    """The file had bad rows; nothing was written. ``report.problems`` lists every one."""

    def __init__(self, report: ImportReport) -> None:
        count = len(report.problems)
        super().__init__(
            f"import rejected: {count} problem{'s' if count != 1 else ''} found; nothing was written",
            hint="fix the rows listed and import the file again",
        )
        self.report = report


def header_problems(header: list[str], *, seller_given: bool, replace: bool, problems: list[str]) -> list[RowProblem]:
    """What is wrong with the header row: unknown columns, required ones missing, product columns without
    the product SKU that says which product they describe."""
    found = [RowProblem(1, "-", p) for p in problems]
    known = set(COLUMN_NAMES)
    unknown = [h for h in header if h and h not in known]
    if unknown:
        found.append(
            RowProblem(1, ", ".join(unknown), "unknown column; the columns are listed in README (Catalog columns)")
        )
    # Replacing, the file is the whole truth: every required column. Otherwise the variant SKU keys each
    # row (new products and variants are checked for their required columns row by row).
    required = set(REQUIRED_COLUMNS) if replace else {"variant_sku"}
    required |= set() if seller_given else {"seller_code"}
    missing = [c for c in COLUMN_NAMES if c in required and c not in header]
    if missing:
        found.append(RowProblem(1, ", ".join(missing), "required column is missing from the header row"))
    product_columns = [c for c in PRODUCT_COLUMNS if c in header and c != "product_sku"]
    if product_columns and "product_sku" not in header:
        reason = "product columns need the product_sku column, to say which product they describe"
        found.append(RowProblem(1, ", ".join(product_columns), reason))
    return found

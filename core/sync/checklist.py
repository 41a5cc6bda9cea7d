"""An upload pack's checklist, in Vietnamese: what a person must do on the floor, and exactly what changed.

Two renderings of the same content: Markdown (``checklist.md``, readable anywhere) and a printable HTML
page (``checklist.html``, with a box to tick per line). They list only what this pack carries: new
listings, content updates (each changed field, last confirmed → new), price and stock changes (last
confirmed value → new value) and delistings, each with product name and SKU. What earlier packs carried
and was confirmed is not there; what was not confirmed is there again (the pack says which pack it
replaces). Money is shown as ``175.000 đ``, times in Vietnam time.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.sync.packs import PackEntry

__all__ = ["ChecklistHeader", "content_changes", "render_html", "render_markdown"]

_VIETNAM = timezone(timedelta(hours=7))
# The listing's fields as a seller reads them (keys: the facts packs.py takes from the listing).
_FIELDS = {
    "name": "Tên", "description": "Mô tả", "category": "Danh mục", "brand": "Thương hiệu", "images": "Ảnh",
    "weight_g": "Khối lượng (g)", "origin": "Xuất xứ", "ocop_stars": "Hạng OCOP",
    "ocop_certificate": "Chứng nhận OCOP", "traceability_code": "Mã truy xuất",
    "traceability_url": "Đường dẫn truy xuất", "variants": "Phân loại",
}  # fmt: skip
_SHORT = 60  # longer values (a description) are said to have changed, not copied into the table


@dataclass(frozen=True, slots=True)
class ChecklistHeader:
    pack_id: int
    title: str  # the floor, e.g. "Voso"
    seller: str
    channel: str
    account: str
    created_at: datetime
    seller_centre_url: str
    sheet: str
    replaces: int | None  # the open pack this one supersedes


def _vnd(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}".replace(",", ".") + " đ"


def _count(amount: int | None) -> str:
    return "—" if amount is None else f"{amount:,}".replace(",", ".")


def content_changes(old: Mapping[str, str] | None, new: Mapping[str, str]) -> list[str] | None:
    """What an update changes, one "field: old → new" per changed field, in the fields' order.

    ``old`` is the content last confirmed on the floor (None when no pack left on disk records it). Long
    values are reported as changed with their lengths; images by count, their names being listed beside.
    """
    if old is None:
        return None
    changes = []
    for key in [*_FIELDS, *sorted(set(new) - set(_FIELDS))]:
        before, after = old.get(key, ""), new.get(key, "")
        if before == after:
            continue
        label = _FIELDS.get(key, key)
        if key == "images":
            counts = [len(v.split("\n")) if v else 0 for v in (before, after)]
            changes.append(f"{label}: {counts[0]} → {counts[1]} ảnh, tải lại ảnh")
        elif len(before) > _SHORT or len(after) > _SHORT or "\n" in before + after:
            changes.append(f"{label}: đã sửa ({len(before)} → {len(after)} ký tự)")
        else:
            changes.append(f"{label}: {before or '—'} → {after or '—'}")
    return changes


def _what_changed(changes: list[str] | None) -> str:
    if changes is None:
        return "nội dung đã đổi (không còn gói cũ để so sánh: xem tệp tải lên)"
    return "; ".join(changes) or "—"


def _sections(entries: Sequence[PackEntry]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, column headers, rows) for each kind of change the pack carries, in a fixed order."""
    new, update, price, stock, delist = [], [], [], [], []
    for e in entries:
        if e.kind == "create":
            for sku in sorted(e.prices):
                label = e.labels.get(sku, "")
                name = f"{e.name} ({label})" if label else e.name
                new.append([sku, name, _vnd(e.prices[sku]), _count(e.stocks.get(sku)), str(len(e.images))])
        elif e.kind == "update":
            update.append([e.product_sku, e.name, _what_changed(e.changes), ", ".join(e.images) or "—"])
        elif e.kind == "price":
            price.append([e.variant_sku or e.product_sku, e.name, f"{_vnd(e.old)} → {_vnd(e.new)}"])
        elif e.kind == "stock":
            stock.append([e.variant_sku or e.product_sku, e.name, f"{_count(e.old)} → {_count(e.new)}"])
        else:
            delist.append([e.product_sku, e.name])
    return [
        (heading, columns, rows)
        for heading, columns, rows in (
            ("Sản phẩm mới", ["Mã SKU", "Tên sản phẩm", "Giá bán", "Tồn kho", "Số ảnh"], new),
            ("Cập nhật thông tin sản phẩm", ["Mã sản phẩm", "Tên sản phẩm", "Thay đổi (cũ → mới)", "Ảnh"], update),
            ("Thay đổi giá", ["Mã SKU", "Tên sản phẩm", "Giá cũ → giá mới"], price),
            ("Thay đổi tồn kho", ["Mã SKU", "Tên sản phẩm", "Tồn cũ → tồn mới"], stock),
            ("Ngừng bán", ["Mã sản phẩm", "Tên sản phẩm"], delist),
        )
        if rows
    ]


def _steps(header: ChecklistHeader, entries: Sequence[PackEntry]) -> list[str]:
    confirm = f"chosync assisted confirm --seller {header.seller} --channel {header.channel} --pack {header.pack_id}"
    if header.account != header.channel:
        confirm += f" --name {header.account}"
    where = header.seller_centre_url or f"trang người bán của {header.title}"
    steps = [f"Đăng nhập {where}.", f"Nhập (import) tệp `{header.sheet}` trong thư mục này."]
    if any(entry.images for entry in entries):
        steps.append("Khi được hỏi ảnh, tải lên các ảnh trong thư mục `images/` (tên ảnh đã đặt theo mã sản phẩm).")
    return [
        *steps,
        "Đánh dấu từng dòng bên dưới khi đã thấy thay đổi trên sàn.",
        f"Khi mọi thay đổi đã lên sàn, xác nhận với chosync: `{confirm}`",
    ]


def _intro(header: ChecklistHeader, entries: Sequence[PackEntry]) -> list[str]:
    created = header.created_at.astimezone(_VIETNAM).strftime("%d/%m/%Y %H:%M")
    lines = [
        f"Người bán: {header.seller} · Tài khoản: {header.account} · Tạo lúc: {created} (giờ Việt Nam)",
        f"Gói này có {len(entries)} thay đổi, tính từ lần xác nhận gần nhất: những gì đã xác nhận không có ở "
        "đây, những gì chưa xác nhận được nhắc lại.",
    ]
    if header.replaces is not None:
        lines.append(f"Gói này thay cho gói số {header.replaces} (chưa xác nhận): dùng gói này, bỏ gói cũ.")
    return lines


def render_markdown(header: ChecklistHeader, entries: Sequence[PackEntry]) -> str:
    out = [f"# Gói tải lên số {header.pack_id} — {header.title}", ""]
    out += [*(f"{line}  " for line in _intro(header, entries)), "", "## Các bước", ""]
    out += [f"{n}. {step}" for n, step in enumerate(_steps(header, entries), start=1)]
    for heading, columns, rows in _sections(entries):
        out += ["", f"## {heading} ({len(rows)})", "", "| Xong | " + " | ".join(columns) + " |"]
        out.append("|" + " --- |" * (len(columns) + 1))
        out += ["| [ ] | " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;width:100%;margin:.5em 0 "
    "1.5em}th,td{border:1px solid #888;padding:.3em .5em;text-align:left}td.box{width:2em;text-align:center;"
    "font-size:1.3em}code{background:#eee;padding:0 .2em}@media print{body{margin:0}}"
)


def _code(text: str) -> str:
    # Backticks in a step mark a file or a command: shown as code, everything escaped.
    parts = html.escape(text).split("`")
    return "".join(f"<code>{part}</code>" if i % 2 else part for i, part in enumerate(parts))


def render_html(header: ChecklistHeader, entries: Sequence[PackEntry]) -> str:
    title = html.escape(f"Gói tải lên số {header.pack_id} — {header.title}")
    out = [
        "<!DOCTYPE html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{title}</h1>",
        *(f"<p>{html.escape(line)}</p>" for line in _intro(header, entries)),
        "<h2>Các bước</h2><ol>",
        *(f"<li>{_code(step)}</li>" for step in _steps(header, entries)),
        "</ol>",
    ]
    for heading, columns, rows in _sections(entries):
        out.append(f"<h2>{html.escape(heading)} ({len(rows)})</h2><table><tr><th>Xong</th>")
        out.append("".join(f"<th>{html.escape(c)}</th>" for c in columns) + "</tr>")
        for row in rows:
            cells = "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
            out.append(f'<tr><td class="box">☐</td>{cells}</tr>')
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"

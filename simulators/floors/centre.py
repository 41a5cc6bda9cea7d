"""A fake web seller centre for the assisted floors (Voso, the provincial floor), for tests and the demo.

The real floors have no API; a person imports chosync's upload pack in their seller centre and exports
orders and products from it. :class:`SellerCentre` plays that seller centre, in the layouts of the
channel's toml (:mod:`connectors.floors.config`), so the whole loop runs without a person:

- :meth:`SellerCentre.import_pack` reads a pack's upload sheet (columns by header, actions by their
  words) into its own product table, as the floor's bulk import would, and refuses a pack whose sheet or
  images are missing (a half pack must never be importable);
- buyers order (:meth:`place_order`, taking stock as the floor would), the floor moves orders on
  (:meth:`set_status`), and :meth:`export_orders` / :meth:`export_products` write the floor's exports.

It reads the same toml as the connector, so a layout fixed there is fixed for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from connectors.floors.config import AssistedConfig, load_assisted_config
from connectors.floors.files import VIETNAM, write_table
from core.catalog.readers import open_table
from core.catalog.values import parse_count, parse_price_vnd, parse_text
from core.ports import OrderStatus

__all__ = ["CentreOrder", "CentreProduct", "SellerCentre"]


@dataclass
class CentreProduct:
    sku: str
    name: str
    price: int | None
    stock: int
    visible: bool = True
    images: list[str] = field(default_factory=list)


@dataclass
class CentreOrder:
    order_id: str
    status: OrderStatus
    placed_at: float
    updated_at: float
    lines: list[tuple[str, int, int]]  # (SKU, quantity, unit price)


class SellerCentre:
    """One seller's shop in a floor's web seller centre."""

    def __init__(self, channel: str, config: AssistedConfig | None = None, *, clock: Callable[[], float] = time.time):
        self.channel = channel
        self.config = config or load_assisted_config(channel)
        self.clock = clock
        self.products: dict[str, CentreProduct] = {}
        self.orders: dict[str, CentreOrder] = {}
        self.imported: list[Path] = []

    # -- the bulk import ---------------------------------------------------------------------------

    def import_pack(self, pack: Path) -> int:
        """Import the pack's upload sheet as the floor would; returns the rows applied."""
        upload = self.config.upload
        sheet = pack / upload.file_name
        if not sheet.is_file():
            raise FileNotFoundError(f"no {upload.file_name} in {pack}: not a whole pack")
        by_header = {column.header.strip().lower(): column.value for column in upload.columns}
        actions = {word: key for key, word in upload.actions.items()}
        applied = 0
        with open_table(sheet) as table:
            for row in table.rows():
                values = {by_header[h]: v for h, v in row.values.items() if h in by_header}
                sku = str(parse_text(values.get("variant_sku"), required=True))
                done = {actions[word.strip()] for word in str(values.get("action") or "").split(",") if word.strip()}
                product = self.products.get(sku)
                if done & {"new", "update"} or product is None:
                    images = [
                        name
                        for key in ("main_image", "other_images", "images")
                        for name in str(values.get(key) or "").split(upload.image_separator)
                        if name
                    ]
                    for name in images:
                        if not (pack / "images" / name).is_file():
                            raise FileNotFoundError(f"image {name} is not in {pack / 'images'}: not a whole pack")
                    name = str(values.get("variant_name") or values.get("name") or sku)
                    product = self.products[sku] = CentreProduct(sku, name, None, 0, images=images)
                if "delist" in done:
                    product.visible = False
                    applied += 1
                    continue
                product.visible = True
                price = parse_price_vnd(values.get("price"), required=False)
                stock = parse_count(values.get("stock"), what="units")
                if price is not None:
                    product.price = price
                if stock is not None:
                    product.stock = stock
                applied += 1
        self.imported.append(pack)
        return applied

    # -- buyers and the floor ---------------------------------------------------------------------------

    def place_order(
        self, order_id: str, lines: Sequence[tuple[str, int]], *, status: OrderStatus = OrderStatus.READY
    ) -> CentreOrder:
        """A buyer orders (SKU, quantity) lines; the floor takes the stock off its own count."""
        now = self.clock()
        priced: list[tuple[str, int, int]] = []
        for sku, quantity in lines:
            product = self.products[sku]
            product.stock -= quantity
            priced.append((sku, quantity, product.price or 0))
        order = self.orders[order_id] = CentreOrder(order_id, status, now, now, priced)
        return order

    def set_status(self, order_id: str, status: OrderStatus) -> None:
        order = self.orders[order_id]
        order.status = status
        order.updated_at = max(self.clock(), order.updated_at + 1)

    def _word(self, status: OrderStatus) -> str:
        return next(word for word, ours in self.config.orders.status_map.items() if ours is status)

    def _time(self, moment: float) -> str:
        return datetime.fromtimestamp(moment, UTC).astimezone(VIETNAM).strftime(self.config.orders.time_formats[0])

    def export_orders(self, folder: Path, name: str = "don-hang") -> Path:
        """Every order, one row per line, in the floor's export layout; returns the file."""
        cols = self.config.orders.columns
        fields = [("order_id", cols.order_id), ("status", cols.status), ("created_at", cols.created_at),
                  ("updated_at", cols.updated_at), ("sku", cols.sku), ("quantity", cols.quantity),
                  ("unit_price", cols.unit_price)]  # fmt: skip
        present = [(key, header) for key, header in fields if header is not None]
        rows = []
        for order in self.orders.values():
            for sku, quantity, price in order.lines:
                facts = {"order_id": order.order_id, "status": self._word(order.status),
                         "created_at": self._time(order.placed_at), "updated_at": self._time(order.updated_at),
                         "sku": sku, "quantity": quantity, "unit_price": price}  # fmt: skip
                rows.append([facts[key] for key, _ in present])
        path = folder / f"{name}.{self.config.orders.format}"
        write_table(path, [header for _, header in present if header], rows)
        return path

    def export_products(self, folder: Path, name: str = "san-pham") -> Path:
        """Every product in the floor's product export layout; returns the file."""
        cols = self.config.products.columns
        hidden = self.config.products.hidden_statuses[0] if self.config.products.hidden_statuses else "hidden"
        fields = [("sku", cols.sku), ("name", cols.name), ("price", cols.price), ("stock", cols.stock),
                  ("status", cols.status)]  # fmt: skip
        present = [(key, header) for key, header in fields if header is not None]
        rows = [
            [{"sku": p.sku, "name": p.name, "price": p.price, "stock": p.stock,
              "status": "Đang bán" if p.visible else hidden}[key] for key, _ in present]
            for p in self.products.values()
        ]  # fmt: skip
        path = folder / f"{name}.{self.config.products.format}"
        write_table(path, [header for _, header in present if header], rows)
        return path

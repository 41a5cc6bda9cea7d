"""Configuration of an assisted channel: `config/channels/<channel>.toml` merged with one account's settings.

An assisted floor (Voso, the provincial floor) has no seller API, so its "contract" is the files a person
moves between chosync and the floor's web seller centre. The toml describes them, column by column:

- ``[upload]``: the floor's product import spreadsheet (format, file name, sheet, and each column's
  header and which fact of ours it holds, from the vocabulary :data:`UPLOAD_VALUES`), the words for each
  kind of change, and how images are named;
- ``[orders]``: the floor's order export (header of each column, status words → our statuses, time
  formats; times are Vietnam time);
- ``[products]``: the floor's product export, read back to confirm a pack (``assisted confirm
  --from-export``);
- ``[limits]``: what the floor accepts (checked by the mapper before a pack is written);
- ``[images]``: where the account's photos may be fetched from (:class:`~connectors.kit.config.ImageSettings`).

An account's settings may add ``folder`` (its working folder; default ``assisted/<seller>/<account>``
under the working directory), ``category_map`` and any override. Nothing here is secret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveInt

from connectors.kit.config import ChannelTable, ImageSettings, ListingLimits, load_channel_config
from core.ports import OrderStatus

__all__ = [
    "UPLOAD_VALUES",
    "AssistedConfig",
    "AssistedLimits",
    "OrderColumns",
    "OrderExport",
    "ProductColumns",
    "ProductExport",
    "UploadColumn",
    "UploadLayout",
    "load_assisted_config",
]

# What an upload column may hold: one fact of a variant row, as the mapper made it.
UploadValue = Literal[
    "action", "product_sku", "variant_sku", "name", "variant_name", "description", "category", "brand",
    "price", "stock", "weight_g", "main_image", "other_images", "images", "option1_name", "option1_value",
    "option2_name", "option2_value", "origin", "ocop_stars", "ocop_certificate", "traceability_code",
    "traceability_url",
]  # fmt: skip
UPLOAD_VALUES: tuple[str, ...] = UploadValue.__args__  # type: ignore[attr-defined]


class UploadColumn(ChannelTable):
    header: str
    value: UploadValue


class UploadLayout(ChannelTable):
    format: Literal["xlsx", "csv"] = "xlsx"
    file_name: str = "upload.xlsx"
    sheet: str = "Sheet1"
    columns: tuple[UploadColumn, ...]
    actions: dict[str, str] = Field(
        default_factory=lambda: {"new": "Thêm mới", "update": "Cập nhật", "price": "Đổi giá", "stock": "Đổi tồn kho",
                                 "delist": "Ngừng bán"}
    )  # fmt: skip
    image_name: str = "{product_sku}-{n}{ext}"
    image_separator: str = "|"


class OrderColumns(ChannelTable):
    """Headers of the order export; ``None`` for a column the floor does not give."""

    order_id: str
    status: str
    created_at: str
    sku: str
    quantity: str
    unit_price: str
    updated_at: str | None = None
    line_id: str | None = None


class OrderExport(ChannelTable):
    columns: OrderColumns
    status_map: dict[str, OrderStatus]
    time_formats: tuple[str, ...] = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")
    # Written when chosync (or its fake seller centre) writes an export in this layout.
    format: Literal["xlsx", "csv"] = "csv"


class ProductColumns(ChannelTable):
    sku: str
    price: str
    stock: str
    name: str | None = None
    status: str | None = None


class ProductExport(ChannelTable):
    columns: ProductColumns
    hidden_statuses: tuple[str, ...] = ()
    format: Literal["xlsx", "csv"] = "csv"


class AssistedLimits(ListingLimits):
    image_max_px: int | None = Field(ge=64)  # photos are scaled down to this long side (None: as they are)
    # What is read of a photo before it is scaled down (a phone's photo is larger than the floor takes,
    # and fits once scaled); with no scaling, image_max_bytes is the cap.
    image_source_max_bytes: PositiveInt = 25 * 1024 * 1024


class AssistedConfig(ChannelTable):
    """Everything an assisted connector needs for one channel account."""

    title: str
    seller_centre_url: str = ""
    folder: Path | None = None
    category_map: dict[str, int | str] = Field(default_factory=dict)
    category_required: bool = False
    description_template: str = "{description}"
    upload: UploadLayout
    orders: OrderExport
    products: ProductExport
    limits: AssistedLimits
    http_timeout_s: float = Field(default=20.0, gt=0)
    images: ImageSettings = Field(default_factory=ImageSettings)


def load_assisted_config(channel: str, path: Path | None = None, /, **account: Any) -> AssistedConfig:
    """`config/channels/<channel>.toml` (or ``path``) overlaid with one account's settings."""
    return load_channel_config(AssistedConfig, channel, path, account, what=channel)

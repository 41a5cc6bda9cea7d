"""Reading the catalog back as :class:`ProductRecord`s, streamed in SKU order."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Connection, Row, select

from core.catalog.records import OptionValue, ProductRecord, VariantRecord
from core.filters import known_seller
from core.models import PRODUCT, SELLER, VARIANT, ProductStatus, VariantStatus

__all__ = ["iter_products"]

_P, _V, _S = PRODUCT, VARIANT, SELLER


def _options(row: Row[Any]) -> tuple[OptionValue, ...]:
    options = []
    for i in (1, 2):
        name, value = row._mapping[f"v_option{i}_name"], row._mapping[f"v_option{i}_value"]
        if name is not None and value is not None:
            options.append(OptionValue(name=name, value=value))
    return tuple(options)


def iter_products(
    conn: Connection,
    *,
    seller: str | None = None,
    sku: str | None = None,
    status: ProductStatus | None = None,
    product_ids: Collection[int] | None = None,
    chunk: int = 2000,
) -> Iterator[ProductRecord]:
    """Products with their variants, ordered by seller code, product SKU and variant position."""
    variant_cols = [c.label(f"v_{c.name}") for c in _V.c]
    query = (
        select(_S.c.code.label("seller_code"), *_P.c, *variant_cols)
        .join(_P, _P.c.seller_id == _S.c.id)
        .outerjoin(_V, _V.c.product_id == _P.c.id)
        .order_by(_S.c.code, _P.c.sku, _V.c.position, _V.c.sku)
        .execution_options(yield_per=chunk)
    )
    if seller is not None:
        query = query.where(_S.c.code == known_seller(conn, seller))  # UsageError for an unknown one
    if sku is not None:
        query = query.where(_P.c.sku == sku)
    if status is not None:
        query = query.where(_P.c.status == status.value)
    if product_ids is not None:
        query = query.where(_P.c.id.in_(list(product_ids)))
    current: ProductRecord | None = None
    variants: list[VariantRecord] = []
    for row in conn.execute(query):
        if current is None or (row.seller_code, row.sku) != (current.seller_code, current.sku):
            if current is not None:
                yield current.model_copy(update={"variants": tuple(variants)})
            current = ProductRecord(
                seller_code=row.seller_code,
                sku=row.sku,
                name=row.name,
                description=row.description,
                category=row.category,
                brand=row.brand,
                images=tuple(row.images or ()),
                attributes=dict(row.attributes or {}),
                status=ProductStatus(row.status),
                ocop_stars=row.ocop_stars,
                ocop_certificate=row.ocop_certificate,
                ocop_year=row.ocop_year,
                origin_province=row.origin_province,
                origin_district=row.origin_district,
                traceability_code=row.traceability_code,
                traceability_url=row.traceability_url,
            )
            variants = []
        if row.v_id is not None:
            variants.append(
                VariantRecord(
                    sku=row.v_sku,
                    options=_options(row),
                    price_vnd=row.v_price_vnd,
                    list_price_vnd=row.v_list_price_vnd,
                    barcode=row.v_barcode,
                    weight_g=row.v_weight_g,
                    length_cm=row.v_length_cm,
                    width_cm=row.v_width_cm,
                    height_cm=row.v_height_cm,
                    stock=row.v_stock_on_hand,
                    status=VariantStatus(row.v_status),
                )
            )
    if current is not None:
        yield current.model_copy(update={"variants": tuple(variants)})

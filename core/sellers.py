"""Sellers: the businesses whose catalogs chosync keeps. Registered explicitly, never created by an import."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import select as sql_select

from core.db import Store
from core.errors import InputRejected, NotFound, UsageError
from core.filters import seller_code
from core.models import PRODUCT, SELLER, ProductStatus, Seller, SellerKind

__all__ = ["SellerSummary", "add_seller", "get_seller", "list_sellers"]

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class SellerSummary:
    code: str
    name: str
    kind: SellerKind
    province: str | None
    products: int


def add_seller(
    store: Store,
    code: str,
    *,
    name: str,
    kind: SellerKind = SellerKind.HOUSEHOLD,
    province: str | None = None,
) -> Seller:
    """Register a seller. A code already taken, in any case, is refused rather than silently reused.

    Codes are stored upper-case (``htx-c`` is HTX-C): people type them both ways, and two sellers whose
    codes differ only in case would be one seller to every person reading them."""
    code = seller_code(code)
    if not _CODE.match(code):
        raise UsageError(
            f"{code!r} is not a valid seller code",
            hint="use letters, digits, - and _ (up to 64), e.g. HTX-DANTIEN",
        )
    clean_name = unicodedata.normalize("NFC", name.strip())
    if not clean_name:
        raise UsageError("a seller needs a name", hint="pass --name 'Hợp tác xã ...'")
    seller = Seller(
        code=code,
        name=clean_name,
        kind=kind,
        province=unicodedata.normalize("NFC", province.strip()) if province else None,
    )
    try:
        with store.session() as session:
            session.add(seller)
    except IntegrityError as exc:
        raise InputRejected(
            f"seller {code} is already registered (codes are the same in any case)", hint="see 'chosync sellers list'"
        ) from exc
    return seller


def get_seller(store: Store, code: str) -> Seller:
    with store.session() as session:
        seller = session.exec(sql_select(Seller).where(Seller.code == seller_code(code))).first()
    if seller is None:
        raise NotFound(f"seller {code!r} is not registered", hint="see 'chosync sellers list'")
    return seller


def list_sellers(store: Store) -> list[SellerSummary]:
    counts = (
        select(PRODUCT.c.seller_id, func.count().label("n"))
        .where(PRODUCT.c.status == ProductStatus.ACTIVE.value)
        .group_by(PRODUCT.c.seller_id)
        .subquery()
    )
    query = (
        select(SELLER.c.code, SELLER.c.name, SELLER.c.kind, SELLER.c.province, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.seller_id == SELLER.c.id)
        .order_by(SELLER.c.code)
    )
    with store.engine.connect() as conn:
        return [
            SellerSummary(code, name, SellerKind(kind), province, int(n))
            for code, name, kind, province, n in conn.execute(query)
        ]

"""What Lazada reads back, in our words: product statuses, SKUs, money, times, and orders folded into lines.

Product statuses go through the toml's ``[reads.product_statuses]`` (compared without case); an unknown
status is a data error, never a guess. A product "Rejected" in QC carries Lazada's reason
(``reads.reject_reason_field``, an UNCERTAIN name) into :attr:`~core.ports.ListingState.reason`. A SKU's
stock is what buyers may still order: its ``quantity`` (the total, what ``price_quantity/update`` sets)
less what Lazada withholds and occupies for open orders (the connector sends our figure plus those).
Money is whole đồng (DESIGN rule 10: "120000.00" is, "99.5" is a data error).

Lazada writes order times with the shop's offset ("2026-12-07 21:00:00 +0700"); they become aware UTC
here, and a time we send goes out with the toml's ``orders.utc_offset``. An order has one item per unit,
each with its own status (mapped by ``[orders.statuses]``): the units are folded into one line per SKU
(its quantity the units counted), and the order takes one status, since the ledger follows an order's
status: cancelled when every unit is, else the first of ``orders.fold_order`` that a unit not cancelled
has; the cancelled units of a partly cancelled order are left out of its lines. ``raw_status`` keeps
each status with its count for people.

Lazada has no product-level SKU of ours, only each SKU's SellerSku (our variant SKU): a product's SKU of
ours is the one this connector mapped it from when it knows it, else the longest stem its SellerSkus
share (the catalog names variants ``<product>-<option>``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError

from connectors.kit.normalize import data_error, whole_vnd
from connectors.lazada.config import LazadaOrderSettings, LazadaReadSettings
from core.errors import PermanentError
from core.ports import ListingContent, ListingState, ListingStatus, Order, OrderLine, OrderStatus, VariantState

__all__ = [
    "count",
    "extends",
    "held",
    "lazada_time",
    "listing_state_from",
    "live_skus",
    "order_from",
    "parse_time",
    "product_sku_of",
    "ref_models",
    "sellable",
    "vnd",
]

_STEM_ENDS = "-_. /"
_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z")


def _error(message: str, **fields: Any) -> PermanentError:
    return data_error("Lazada", message, **fields)


def vnd(value: object, *, what: str) -> int:
    return whole_vnd(value, what=what, marketplace="Lazada")


def _offset(text: str) -> timezone:
    sign = -1 if text.startswith("-") else 1
    hours, minutes = text[1:].split(":")
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))


def lazada_time(moment: datetime, utc_offset: str) -> str:
    """``moment`` as Lazada's ISO 8601 with the shop's offset: ``2024-01-01T00:00:00+07:00``."""
    return moment.astimezone(_offset(utc_offset)).replace(microsecond=0).isoformat()


def parse_time(value: object, *, what: str) -> datetime:
    """A Lazada time (its order form, ISO 8601, or epoch milliseconds) as aware UTC; a data error otherwise."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    for form in _TIME_FORMATS:
        try:
            return datetime.strptime(text, form).astimezone(UTC)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _error(f"Lazada sent {what} = {value!r}, which is not a time with its offset", field=what)
    return parsed.astimezone(UTC)


def count(value: object) -> int:
    """A count Lazada gives (a number or text); 0 for nothing readable or a negative."""
    try:
        return max(0, int(str(value)))
    except ValueError:
        return 0


def held(sku: Mapping[str, Any], reads: LazadaReadSettings) -> int:
    """Units Lazada withholds (unpaid) and occupies (paid, not shipped) for a SKU's open orders."""
    return count(sku.get(reads.withheld_field)) + count(sku.get(reads.occupied_field))


def sellable(sku: Mapping[str, Any], reads: LazadaReadSettings) -> int:
    """What buyers may still order of a SKU: its total less what open orders hold."""
    return max(0, count(sku.get("quantity")) - held(sku, reads))


def live_skus(product: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The SKUs of a product that are not deleted."""
    skus = product.get("skus") or []
    return [s for s in skus if isinstance(s, Mapping) and str(s.get("Status", "")).casefold() != "deleted"]


def ref_models(product: Mapping[str, Any]) -> dict[str, str]:
    """SellerSku → SkuId for the live SKUs of ``product``."""
    return {str(s["SellerSku"]): str(s["SkuId"]) for s in live_skus(product) if s.get("SellerSku") and s.get("SkuId")}


def extends(seller_sku: str, product_sku: str) -> bool:
    """Whether ``seller_sku`` is ``product_sku`` or one of its variants' (``TRA-TC-200`` for ``TRA-TC``)."""
    return seller_sku == product_sku or (
        seller_sku.startswith(product_sku) and seller_sku[len(product_sku) : len(product_sku) + 1] in set(_STEM_ENDS)
    )


def product_sku_of(seller_skus: Sequence[str], known: Mapping[str, str]) -> str | None:
    """Our product SKU for a product whose SKUs carry ``seller_skus`` (see the module's last paragraph)."""
    for sku in seller_skus:
        if sku in known:
            return known[sku]
    if len(seller_skus) <= 1:
        return seller_skus[0] if seller_skus else None
    shortest = min(seller_skus, key=len)
    same = next((i for i, c in enumerate(shortest) if any(sku[i] != c for sku in seller_skus)), len(shortest))
    return shortest[:same].rstrip(_STEM_ENDS) or None


def listing_state_from(product: Mapping[str, Any], reads: LazadaReadSettings, known: Mapping[str, str]) -> ListingState:
    item_id = str(product.get("item_id", ""))
    raw = str(product.get("status", ""))
    status = reads.status_of(raw)
    if status is None:
        raise _error(f"Lazada product {item_id} has status {raw!r}, which chosync does not know", field="status",
                     code="unknown_item_status")  # fmt: skip
    skus = live_skus(product)
    attributes = product.get("attributes")
    attributes = attributes if isinstance(attributes, Mapping) else {}
    try:
        variants = tuple(
            VariantState(
                variant_sku=str(s.get("SellerSku") or "") or None,
                model_id=str(s.get("SkuId")),
                price_vnd=vnd(s["price"], what=f"price of SKU {s.get('SkuId')}")
                if s.get("price") is not None
                else None,
                stock=sellable(s, reads),
            )
            for s in skus
        )
        images = product.get("images")
        content = ListingContent(
            name=attributes.get("name") if isinstance(attributes.get("name"), str) else None,
            description=attributes.get("description") if isinstance(attributes.get("description"), str) else None,
            category=str(product["primary_category"]) if product.get("primary_category") else None,
            images=len(images) if isinstance(images, list) else None,
        )
    except (ValidationError, TypeError, ValueError) as exc:
        raise _error(f"Lazada product {item_id} could not be read: {exc}") from exc
    reason = str(product.get(reads.reject_reason_field) or "").strip() or None
    # A deleted item's SKUs are all deleted: they still say whose it was.
    named = (
        skus
        if status is not ListingStatus.DELETED
        else [s for s in product.get("skus") or [] if isinstance(s, Mapping)]
    )
    seller_skus = [str(s.get("SellerSku")) for s in named if s.get("SellerSku")]
    return ListingState(
        item_id=item_id,
        sku=product_sku_of(seller_skus, known),
        status=status,
        variants=variants,
        content=content,
        reason=reason if status is ListingStatus.REJECTED else None,
    )


def _status_of(item: Mapping[str, Any], order_id: str, settings: LazadaOrderSettings) -> OrderStatus:
    raw = str(item.get("status", ""))
    ours = settings.statuses.get(raw) or settings.statuses.get(raw.casefold())
    if ours is None:
        raise _error(f"Lazada order {order_id} has an item in status {raw!r}, which chosync does not know",
                     field="status", code="unknown_order_status")  # fmt: skip
    return ours


def _fold(statuses: Sequence[OrderStatus], settings: LazadaOrderSettings) -> OrderStatus:
    live = [s for s in statuses if s is not OrderStatus.CANCELLED]
    if not live:
        return OrderStatus.CANCELLED
    return next((s for s in settings.fold_order if s in live), live[0])


def _lines(order_id: str, units: Sequence[Mapping[str, Any]]) -> tuple[OrderLine, ...]:
    per_sku: dict[str, list[Mapping[str, Any]]] = {}
    for unit in units:
        key = str(unit.get("sku_id") or unit.get("sku") or "")
        per_sku.setdefault(key, []).append(unit)
    lines = []
    for key, same in per_sku.items():
        first = same[0]
        lines.append(
            OrderLine(
                line_id=key,  # one line per SKU, stable over pulls whatever happens to its units' ids
                variant_sku=str(first.get("sku") or "").strip() or None,
                item_id=str(first.get("item_id") or first.get("product_id") or ""),
                model_id=str(first.get("sku_id") or ""),
                quantity=sum(int(unit.get("quantity") or 1) for unit in same),
                unit_price_vnd=vnd(first.get("item_price"), what=f"price of order {order_id} SKU {key}"),
            )
        )
    return tuple(lines)


def order_from(order: Mapping[str, Any], items: Sequence[Mapping[str, Any]], settings: LazadaOrderSettings) -> Order:
    """One order of orders/get with its items (orders/items/get) as our Order; no buyer data is kept."""
    order_id = str(order.get("order_id", ""))
    if not items:
        raise _error(f"Lazada gave no items for order {order_id}", field="order_items", code="order_without_items")
    statuses = [_status_of(item, order_id, settings) for item in items]
    status = _fold(statuses, settings)
    kept = [i for i, s in zip(items, statuses, strict=True) if s is not OrderStatus.CANCELLED or status is s]
    counts = Counter(str(item.get("status")) for item in items)
    raw = next(iter(counts)) if len(counts) == 1 else ", ".join(f"{name}×{n}" for name, n in counts.items())
    total = order.get("price")
    try:
        return Order(
            order_id=order_id,
            status=status,
            raw_status=raw,
            created_at=parse_time(order.get("created_at"), what=f"created_at of order {order_id}"),
            updated_at=parse_time(order.get("updated_at"), what=f"updated_at of order {order_id}"),
            currency=str(items[0].get("currency") or "VND"),
            lines=_lines(order_id, kept),
            total_vnd=vnd(total, what=f"price of order {order_id}") if total is not None else 0,
        )
    except ValidationError as exc:
        raise _error(f"Lazada order {order_id} could not be read: {exc}") from exc

"""An assisted floor's web seller centre (Voso, the provincial floor) on HTTP, for the demo and by hand.

The real floors have no seller API: a person signs in to the seller centre, uploads chosync's pack
(the import sheet and its photos), and downloads the floor's order and product exports. This site plays
that web seller centre on loopback, one shop per seller, over :class:`SellerCentre` (which keeps the
floor's layouts from the channel's toml):

- ``GET /``: a page a person can open in a browser (the shops, their products and orders, and an upload form);
- ``POST /shops/{shop}/import``: the bulk import, a ``multipart/form-data`` upload of the pack's sheet
  (field ``sheet``) and its photos (field ``images``, repeated); a half pack is refused whole (HTTP 400);
- ``POST /shops/{shop}/orders``: a buyer orders ``{"lines": [{"sku": ..., "quantity": ...}]}``; the floor
  refuses more than it shows in stock (HTTP 409), as a shop front would;
- ``POST /shops/{shop}/orders/{order_id}/status``: the floor moves an order on (``{"status": "shipped"}``);
- ``GET /shops/{shop}/exports/orders`` and ``.../exports/products``: the floor's export files;
- ``GET /shops/{shop}``: the shop as JSON (for scripts and tests).

There is no sign-in: it serves on loopback only, like every sandbox.
"""

from __future__ import annotations

import html
import json
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from connectors.floors.config import AssistedConfig, load_assisted_config
from core.errors import ChosyncError
from core.ports import OrderStatus
from simulators.common.faults import InProcessTransport, Receive, Scope, Send
from simulators.common.multipart import parse_multipart
from simulators.floors.centre import SellerCentre

__all__ = ["SellerCentreSite", "serve", "upload_pack"]

_MEDIA_TYPES = {
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv; charset=utf-8",
}


class SellerCentreSite:
    """One floor's seller centre: a :class:`SellerCentre` per shop, behind the routes above; an ASGI app."""

    def __init__(
        self,
        channel: str,
        config: AssistedConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        order_prefix: str | None = None,
    ) -> None:
        self.channel = channel
        self.config = config or load_assisted_config(channel)
        self.clock = clock
        self.shops: dict[str, SellerCentre] = {}
        self.order_prefix = order_prefix or channel[:2].upper()
        # Served from uvicorn's thread while the demo scripts buyers from its own: one lock for both.
        self.lock = threading.RLock()
        routes = [
            Route("/", self._index, methods=["GET"]),
            Route("/shops/{shop}", self._shop_json, methods=["GET"]),
            Route("/shops/{shop}/import", self._import, methods=["POST"]),
            Route("/shops/{shop}/orders", self._order, methods=["POST"]),
            Route("/shops/{shop}/orders/{order_id}/status", self._status, methods=["POST"]),
            Route("/shops/{shop}/exports/{what}", self._export, methods=["GET"]),
        ]
        self.app = Starlette(routes=routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def transport(self) -> InProcessTransport:
        return InProcessTransport(self)

    # -- the back office, for scripts ---------------------------------------------------------------

    def shop(self, code: str) -> SellerCentre:
        """The seller's shop, opened on first use (a seller signs up once)."""
        with self.lock:
            if code not in self.shops:
                self.shops[code] = SellerCentre(self.channel, self.config, clock=self.clock)
            return self.shops[code]

    def books(self) -> dict[str, Any]:
        """What the floor knows (every shop's products and orders), to save."""
        with self.lock:
            return {"shops": {code: (centre.products, centre.orders) for code, centre in self.shops.items()}}

    def restore(self, books: dict[str, Any]) -> None:
        """Take back what :meth:`books` saved."""
        with self.lock:
            for code, (products, orders) in books["shops"].items():
                centre = self.shop(code)
                centre.products, centre.orders = products, orders

    def place_order(self, shop: str, lines: list[tuple[str, int]], status: OrderStatus = OrderStatus.READY) -> str:
        """A buyer's order; raises ValueError (with the reason) when the shop cannot sell it."""
        with self.lock:
            centre = self.shops.get(shop)
            if centre is None:
                raise LookupError(f"no shop {shop} on {self.config.title}")
            for sku, quantity in lines:
                product = centre.products.get(sku)
                if product is None or not product.visible:
                    raise ValueError(f"{sku} is not for sale in shop {shop}")
                if quantity < 1 or quantity > product.stock:
                    raise ValueError(f"{sku}: {quantity} asked, {product.stock} in stock")
            # Numbered by the floor's order count (orders are never removed), so a restored floor goes on.
            number = 1 + sum(len(c.orders) for c in self.shops.values())
            order_id = f"{self.order_prefix}{time.strftime('%y%m%d')}{number:05d}"
            centre.place_order(order_id, lines, status=status)
            return order_id

    # -- HTTP ------------------------------------------------------------------------------------------

    def _centre(self, request: Request) -> SellerCentre:
        code = request.path_params["shop"]
        with self.lock:
            centre = self.shops.get(code)
        if centre is None:
            raise _NotFound(f"no shop {code} on {self.config.title}")
        return centre

    async def _shop_json(self, request: Request) -> Response:
        try:
            centre = self._centre(request)
        except _NotFound as missing:
            return _error(404, str(missing))
        with self.lock:
            body = {
                "products": [vars(p) for p in centre.products.values()],
                "orders": [
                    {"order_id": o.order_id, "status": o.status.value,
                     "lines": [{"sku": s, "quantity": q, "unit_price": p} for s, q, p in o.lines]}
                    for o in centre.orders.values()
                ],
            }  # fmt: skip
        return JSONResponse(body)

    async def _import(self, request: Request) -> Response:
        code = request.path_params["shop"]
        parts = parse_multipart(request.headers.get("content-type", ""), await request.body())
        sheets = [p for p in parts if p.name == "sheet" and p.filename]
        if len(sheets) != 1:
            return _error(400, "upload exactly one import sheet (field 'sheet')")
        with tempfile.TemporaryDirectory(prefix="seller-centre-") as tmp:
            pack = Path(tmp)
            (pack / "images").mkdir()
            (pack / _plain_name(sheets[0].filename)).write_bytes(sheets[0].data)
            for part in parts:
                if part.name == "images" and part.filename:
                    (pack / "images" / _plain_name(part.filename)).write_bytes(part.data)
            try:
                with self.lock:
                    applied = self.shop(code).import_pack(pack)
            except (FileNotFoundError, ChosyncError, ValueError, KeyError) as refused:
                return _error(400, f"import refused, nothing applied: {refused}")
        return JSONResponse({"applied": applied})

    async def _order(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            lines = [(str(line["sku"]), int(line["quantity"])) for line in body["lines"]]
            status = OrderStatus(body.get("status", OrderStatus.READY.value))
        except (ValueError, KeyError, TypeError) as bad:
            return _error(400, f'expected {{"lines": [{{"sku": ..., "quantity": ...}}]}}: {bad}')
        try:
            order_id = self.place_order(request.path_params["shop"], lines, status)
        except LookupError as missing:
            return _error(404, str(missing))
        except ValueError as refused:
            return _error(409, str(refused))
        return JSONResponse({"order_id": order_id}, status_code=201)

    async def _status(self, request: Request) -> Response:
        try:
            centre = self._centre(request)
            status = OrderStatus(json.loads(await request.body())["status"])
            with self.lock:
                centre.set_status(request.path_params["order_id"], status)
        except _NotFound as missing:
            return _error(404, str(missing))
        except KeyError:
            return _error(404, f"no order {request.path_params['order_id']}")
        except (ValueError, TypeError) as bad:
            return _error(400, f'expected {{"status": "shipped"}} or another order status: {bad}')
        return JSONResponse({"order_id": request.path_params["order_id"], "status": status.value})

    async def _export(self, request: Request) -> Response:
        what = request.path_params["what"]
        if what not in ("orders", "products"):
            return _error(404, "exports are 'orders' and 'products'")
        try:
            centre = self._centre(request)
        except _NotFound as missing:
            return _error(404, str(missing))
        with tempfile.TemporaryDirectory(prefix="seller-centre-") as tmp, self.lock:
            name = f"{self.channel}-{what}-{time.strftime('%Y%m%d-%H%M%S')}"
            write = centre.export_orders if what == "orders" else centre.export_products
            path = write(Path(tmp), name)
            content = path.read_bytes()
        return Response(
            content,
            media_type=_MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
            headers={"content-disposition": f'attachment; filename="{path.name}"'},
        )

    async def _index(self, request: Request) -> Response:
        with self.lock:
            sections = [_shop_section(code, centre) for code, centre in sorted(self.shops.items())]
        title = html.escape(f"{self.config.title}: seller centre (chosync sandbox)")
        body = "".join(sections) or "<p>No shop has imported anything yet.</p>"
        page = f"<!doctype html><meta charset=utf-8><title>{title}</title><h1>{title}</h1>{body}"
        return HTMLResponse(page)


class _NotFound(Exception):
    pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _plain_name(filename: str) -> str:
    """A file name with no folder part: an upload must not write outside its pack."""
    name = PurePath(filename.replace("\\", "/")).name
    if name in ("", ".", ".."):
        raise ValueError(f"bad file name {filename!r}")
    return name


def _shop_section(code: str, centre: SellerCentre) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(p.sku)}</td><td>{esc(p.name)}</td><td>{p.price or ''}</td><td>{p.stock}</td>"
        f"<td>{'on sale' if p.visible else 'hidden'}</td></tr>"
        for p in centre.products.values()
    )
    orders = "".join(
        f"<li>{esc(o.order_id)} · {o.status.value} · {esc(', '.join(f'{q} × {s}' for s, q, _ in o.lines))}</li>"
        for o in centre.orders.values()
    )
    form = (
        f'<form method=post action="/shops/{esc(code)}/import" enctype="multipart/form-data">'
        "Import sheet <input type=file name=sheet> photos <input type=file name=images multiple>"
        "<button>Upload</button></form>"
    )
    exports = (
        f'<a href="/shops/{esc(code)}/exports/orders">export orders</a> · '
        f'<a href="/shops/{esc(code)}/exports/products">export products</a>'
    )
    table = f"<table border=1><tr><th>SKU<th>Name<th>Price<th>Stock<th>State</tr>{rows}</table>"
    return f"<h2>{esc(code)}</h2>{form}<p>{exports}</p>{table}<ul>{orders}</ul>"


def upload_pack(client: httpx.Client, shop: str, pack: Path, sheet_name: str) -> int:
    """What a person does in the seller centre: upload the pack's sheet and photos; returns rows applied."""
    images = sorted((pack / "images").glob("*")) if (pack / "images").is_dir() else []
    handles = [("sheet", (sheet_name, (pack / sheet_name).read_bytes()))]
    handles += [("images", (image.name, image.read_bytes())) for image in images]
    answer = client.post(f"/shops/{shop}/import", files=handles)
    if answer.status_code != 200:
        raise RuntimeError(f"the seller centre refused the pack {pack.name}: {answer.json().get('error')}")
    return int(answer.json()["applied"])


def serve(port: int, host: str = "127.0.0.1", *, sandbox: SellerCentreSite | None = None, **config: Any) -> None:
    """Serve a floor's seller centre (``channel=`` voso or provincial) on ``host:port`` until interrupted."""
    import uvicorn

    log_level = str(config.pop("log_level", "warning"))
    site = sandbox or SellerCentreSite(str(config.pop("channel")), **config)
    uvicorn.Server(uvicorn.Config(site, host=host, port=port, log_level=log_level, access_log=False)).run()

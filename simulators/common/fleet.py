"""Every marketplace sandbox at once: served on loopback together, saved to a file, and started again.

The demo serves a fleet (Shopee, Postmart, and the seller centres of Voso and the provincial floor),
then saves it (``.demo/sandboxes.pickle``) with the ports it used, so ``chosync sandbox serve all``
brings the very same marketplaces back on the same ports: the demo database's listings, tokens and
orders still match them, and ``python scheduler.py`` can keep syncing against them. Without a saved
fleet, ``serve all`` starts fresh sandboxes (the demo partner and merchant) on consecutive ports.

What is saved is each back office's books (items, tokens, orders, products...), never the transient
parts (locks, fault plans, call logs, rate buckets). The file is a pickle: load only a file chosync
wrote itself (it is a sandbox's state, never a real marketplace's).
"""

from __future__ import annotations

import itertools
import pickle
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulators.common.serving import serve_in_thread
from simulators.floors.site import SellerCentreSite
from simulators.postmart.sandbox import DEMO_PASSWORD, DEMO_USERNAME, PostmartSandbox
from simulators.shopee.sandbox import ShopeeSandbox

__all__ = [
    "FLOORS",
    "Fleet",
    "fleet_accounts",
    "fresh_fleet",
    "load_fleet",
    "save_fleet",
    "serve_fleet",
    "wait_for_interrupt",
]

FLOORS = ("voso", "provincial")
_VERSION = 1
# The books of each back office; everything else on the objects is rebuilt when loaded.
_SHOPEE_BOOKS = ("config", "partners", "shops", "images", "items", "orders", "codes", "access_tokens",
                 "refresh_tokens", "_item_ids", "_model_ids", "_order_seq", "_image_seq")  # fmt: skip
_POSTMART_BOOKS = ("token_ttl_s", "categories", "areas", "merchants", "api_keys", "products", "orders", "images",
                   "tokens", "logins", "decimal_prices", "rate_limit", "_spu_ids", "_sku_ids", "_rec_ids",
                   "_order_seq")  # fmt: skip


@dataclass
class Fleet:
    shopee: ShopeeSandbox
    postmart: PostmartSandbox
    floors: dict[str, SellerCentreSite] = field(default_factory=dict)

    def apps(self) -> dict[str, Any]:
        """Channel name → ASGI app, in the order they are served."""
        return {"shopee": self.shopee, "postmart": self.postmart, **self.floors}


def fresh_fleet() -> Fleet:
    """New sandboxes with the demo partner (Shopee) and the demo merchant (Postmart), no faults."""
    from simulators.shopee.config import ShopeeConfig
    from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_PARTNER_KEY, DEMO_SHOP_ID

    postmart = PostmartSandbox()
    postmart.add_merchant(DEMO_USERNAME, DEMO_PASSWORD)
    shopee = ShopeeSandbox(ShopeeConfig(partners={DEMO_PARTNER_ID: DEMO_PARTNER_KEY}, shops=[DEMO_SHOP_ID]))
    return Fleet(shopee, postmart, {floor: SellerCentreSite(floor) for floor in FLOORS})


def fleet_accounts() -> str:
    """Who :func:`fresh_fleet` lets sign in, for ``serve all`` to announce (the CLI knows no marketplace)."""
    from simulators.shopee.sandbox import DEMO_PARTNER_ID, DEMO_SHOP_ID

    return f"Shopee: partner {DEMO_PARTNER_ID}, shop {DEMO_SHOP_ID}; Postmart: merchant {DEMO_USERNAME}."


@contextmanager
def serve_fleet(fleet: Fleet, ports: Mapping[str, int] | None = None) -> Iterator[dict[str, str]]:
    """Serve every sandbox of ``fleet`` on loopback (given ports, else free ones); yields channel → base URL."""
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(serve_in_thread(app, (ports or {}).get(name)))
            for name, app in fleet.apps().items()
        }


def save_fleet(fleet: Fleet, urls: Mapping[str, str], path: Path) -> None:
    """Write the fleet's books and ports to ``path`` (atomically: a crash leaves the old file whole)."""
    state = {
        "version": _VERSION,
        "ports": {name: int(url.rsplit(":", 1)[1]) for name, url in urls.items()},
        "shopee": _books(fleet.shopee, _SHOPEE_BOOKS),
        "postmart": _books(fleet.postmart, _POSTMART_BOOKS),
        "floors": {name: site.books() for name, site in fleet.floors.items()},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(state))
    tmp.replace(path)


def load_fleet(path: Path) -> tuple[Fleet, dict[str, int]]:
    """The fleet saved at ``path`` and the ports it was served on."""
    state = pickle.loads(path.read_bytes())  # noqa: S301 (our own sandbox snapshot, see the module docstring)
    if not isinstance(state, dict) or state.get("version") != _VERSION:
        raise ValueError(f"{path} is not a sandbox snapshot this chosync wrote; delete it and run the demo again")
    shopee = ShopeeSandbox(state["shopee"]["config"])
    _restore(shopee, state["shopee"])
    postmart = PostmartSandbox()
    _restore(postmart, state["postmart"])
    floors = {}
    for name, books in state["floors"].items():
        floors[name] = SellerCentreSite(name)
        floors[name].restore(books)
    return Fleet(shopee, postmart, floors), dict(state["ports"])


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _peek(obj: Any, name: str) -> int:
    """The next value of a counter, without using it up."""
    value = next(getattr(obj, name))
    setattr(obj, name, itertools.count(value))
    return int(value)


def _books(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {
        name: ("counter", _peek(obj, name)) if isinstance(getattr(obj, name), itertools.count) else getattr(obj, name)
        for name in names
    }


def _restore(obj: Any, books: Mapping[str, Any]) -> None:
    for name, value in books.items():
        is_counter = isinstance(value, tuple) and len(value) == 2 and value[0] == "counter"
        setattr(obj, name, itertools.count(value[1]) if is_counter else value)

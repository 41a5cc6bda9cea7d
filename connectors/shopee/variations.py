"""The variations of a live Shopee item: what it holds now, and the calls that turn it into what we want.

A product already on Shopee gains and loses variants (a cooperative adds a 10 kg bag of rice, stops
selling the 2 kg one, renames "5 kg" to "5kg"). Shopee changes an item's variations piecewise:
``update_tier_variation`` sets the tiers' names and options, ``add_model`` adds models at a tier index,
``delete_model`` removes one model. :func:`plan_variation_change` compares the item as Shopee holds it
(:class:`LiveVariations`, read from ``get_model_list``) with the mapper's wanted tiers and models, by our
variant SKU, and says which of those calls to make, in order. It is pure: no request, no clock.
:class:`ShopeeVariations` reads the item, makes the calls, and answers the item's new model map (our
variant SKU → Shopee model id) for the binding.

The rules it keeps:

- Existing options keep their position, so the models that stay keep their tier index (and their
  model id, sales and ratings). An option is renamed in place when every model on it wants the new
  text; a new option is appended. An option whose models all went stays, unused, and is reused if a
  later variant wants that text again. ``update_tier_variation`` still lists every model the item keeps
  with its tier index (``model_list``): Shopee's variant-management guide says that is how models are
  kept through the call.
- A model whose SKU the catalog no longer sells (or that carries no SKU, or repeats one) is deleted:
  the catalog is the truth, and an unbound model would sell stock chosync does not count. Deletes go
  first, so an old model's price cannot break Shopee Vietnam's 5× price spread for the new ones, except
  that Shopee refuses to delete an item's last model: when no model stays, one old model waits until
  the new ones exist.
- Only SKUs not already on the item are added. Computed from what Shopee holds, the plan is empty once
  the work is done: an ``add_model`` whose answer was lost is not repeated on the retry.
- A model's own package (weight and dimension, when the product's variants ship in different ones) goes
  with ``init_tier_variation`` and ``add_model``; a kept model whose package Shopee holds differently is
  set by ``update_model``, and so is one that had its own and now ships as its item.

What it cannot do raises :class:`~core.errors.PermanentError` with a hint: changing the number of option
names (Shopee does that with ``init_tier_variation``, which replaces every model and its id), two models
that share an option now wanting different texts for it, or every variant replaced at once by new SKUs
on the same options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.kit.batches import chunks
from connectors.kit.normalize import data_error
from connectors.shopee.client import ShopeeClient
from connectors.shopee.payload import (
    ShopeeDimension,
    ShopeeItem,
    ShopeeModel,
    ShopeeTier,
    add_model_body,
    init_tier_variation_body,
    update_tier_variation_body,
)
from core.errors import PermanentError
from core.ports import ListingRef, MappedListing

__all__ = [
    "LiveModel",
    "LiveVariations",
    "ShopeeVariations",
    "VariationChange",
    "plan_variation_change",
    "read_variations",
]

_log = structlog.get_logger("chosync.connectors.shopee")

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_RECREATE = "delete the item in Shopee Seller Centre: the next reconcile unbinds it and the next push creates it anew"


class LiveModel(BaseModel):
    """One model of an item as Shopee holds it."""

    model_config = _FROZEN

    model_id: int
    model_sku: str
    tier_index: tuple[int, ...]
    weight: float | None = None  # its own package, when it has one
    dimension: ShopeeDimension | None = None

    def package(self) -> dict[str, Any]:
        """As :meth:`ShopeeModel.package` spells it, to compare the two."""
        if self.weight is None:
            return {}
        return {"weight": self.weight} | ({} if self.dimension is None else {"dimension": self.dimension.model_dump()})


class LiveVariations(BaseModel):
    """An item's tiers and models as ``get_model_list`` answers (no tiers: an item without variations)."""

    model_config = _FROZEN

    tiers: tuple[ShopeeTier, ...] = ()
    models: tuple[LiveModel, ...] = ()

    @classmethod
    def from_answer(cls, item_id: int, answer: Mapping[str, Any]) -> LiveVariations:
        try:
            tiers = tuple(
                ShopeeTier(name=tier["name"], options=tuple(option["option"] for option in tier["option_list"]))
                for tier in answer.get("tier_variation") or []
            )
            models = tuple(
                LiveModel(
                    model_id=model["model_id"],
                    model_sku=model.get("model_sku") or "",
                    tier_index=tuple(model.get("tier_index") or ()),
                    weight=model.get("weight"),
                    dimension=model.get("dimension"),
                )
                for model in answer.get("model") or []
                if model.get("model_id") is not None
            )
        except (KeyError, TypeError, ValidationError) as exc:
            raise data_error("Shopee", f"the variations of Shopee item {item_id} could not be read: {exc}") from exc
        return cls(tiers=tiers, models=models)

    def model_ids(self) -> dict[str, str]:
        """Model SKU → model id, for the models that carry a SKU (the oldest, if two carry the same)."""
        ids: dict[str, str] = {}
        for model in sorted(self.models, key=lambda m: m.model_id):
            if model.model_sku:
                ids.setdefault(model.model_sku, str(model.model_id))
        return ids


@dataclass(frozen=True)
class VariationChange:
    """The calls that turn the live variations into the wanted ones, in the order they must go."""

    delete_first: tuple[int, ...] = ()  # model ids, deleted before anything else
    tiers: tuple[ShopeeTier, ...] | None = None  # update_tier_variation; None: the tiers stay as they are
    placed: tuple[tuple[int, tuple[int, ...]], ...] = ()  # (model id, tier index) of every model kept through it
    add: tuple[ShopeeModel, ...] = ()  # add_model, tier indexes in the new tiers
    delete_last: tuple[int, ...] = ()  # the old model kept until the new ones exist (the item's last)
    kept: Mapping[str, str] = field(default_factory=dict)  # variant SKU → model id of the models that stay

    @property
    def calls(self) -> int:
        return len(self.delete_first) + (self.tiers is not None) + bool(self.add) + len(self.delete_last)


def _wanted_options(wanted: ShopeeItem) -> dict[str, tuple[str, ...]]:
    """Variant SKU → its option text in each tier, as the mapper wants them."""
    return {
        model.model_sku: tuple(tier.options[i] for tier, i in zip(wanted.tiers, model.tier_index, strict=True))
        for model in wanted.models
    }


def _kept_and_removed(
    live: LiveVariations, wanted: Mapping[str, tuple[str, ...]]
) -> tuple[dict[str, LiveModel], list[LiveModel]]:
    kept: dict[str, LiveModel] = {}
    removed: list[LiveModel] = []
    for model in sorted(live.models, key=lambda m: m.model_id):
        if model.model_sku in wanted and model.model_sku not in kept:
            kept[model.model_sku] = model
        else:
            removed.append(model)  # not sold any more, no SKU, or a second model with the same SKU
    return kept, removed


def _options(
    sku: str, live: LiveVariations, kept: Mapping[str, LiveModel], wanted: Mapping[str, tuple[str, ...]]
) -> list[list[str]]:
    """Each tier's options after renaming in place the ones the kept models want renamed."""
    options = [list(tier.options) for tier in live.tiers]
    renamed: dict[tuple[int, int], str] = {}
    for model_sku, model in sorted(kept.items()):
        if len(model.tier_index) != len(options):
            raise data_error("Shopee", f"Shopee model {model.model_id} of {sku} does not fit the item's option names")
        for tier, (position, text) in enumerate(zip(model.tier_index, wanted[model_sku], strict=True)):
            if not 0 <= position < len(options[tier]):
                raise data_error("Shopee", f"Shopee model {model.model_id} of {sku} points at no option")
            earlier = renamed.setdefault((tier, position), text)
            if earlier != text:
                raise PermanentError(
                    f"the variants of {sku} that share the option '{options[tier][position]}' on Shopee now have "
                    f"different options ('{earlier}' and '{text}'); Shopee keeps each variant's option place",
                    field="variants",
                    hint=_RECREATE,
                )
    for (tier, position), text in renamed.items():
        options[tier][position] = text
    for tier, texts in enumerate(options):
        if len(set(texts)) != len(texts):
            raise PermanentError(
                f"renaming the options of {sku} on Shopee would give option name "
                f"'{live.tiers[tier].name}' the same option twice ({', '.join(texts)})",
                field="variants",
                hint=_RECREATE,
            )
    return options


def _added(
    wanted_item: ShopeeItem,
    kept: Mapping[str, LiveModel],
    options: list[list[str]],
    wanted: Mapping[str, tuple[str, ...]],
) -> tuple[ShopeeModel, ...]:
    """The models to add, each at its options' positions, appending the options Shopee lacks."""
    added: list[ShopeeModel] = []
    for model in wanted_item.models:
        if model.model_sku in kept:
            continue
        for tier, text in enumerate(wanted[model.model_sku]):
            if text not in options[tier]:
                options[tier].append(text)
        index = tuple(options[tier].index(text) for tier, text in enumerate(wanted[model.model_sku]))
        added.append(ShopeeModel(model_sku=model.model_sku, tier_index=index))
    return tuple(added)


def _last_to_go(
    sku: str, kept: Mapping[str, LiveModel], removed: Sequence[LiveModel], added: Sequence[ShopeeModel]
) -> LiveModel | None:
    """The old model kept until the new ones exist, when no other model stays (Shopee keeps one model)."""
    if kept or not removed:
        return None
    wanted_places = {model.tier_index for model in added}
    for model in removed:
        if model.tier_index not in wanted_places:
            return model
    raise PermanentError(
        f"every variant of {sku} on Shopee would be replaced at once by new SKUs on the same options, and "
        "Shopee keeps at least one variant of an item",
        field="variants",
        hint="change the variant SKUs in two imports (keep one old SKU in the first), or " + _RECREATE,
    )


def plan_variation_change(sku: str, live: LiveVariations, wanted_item: ShopeeItem) -> VariationChange:
    """The calls that give Shopee item ``sku`` (which has variations) the wanted tiers and models."""
    if len(live.tiers) != len(wanted_item.tiers):
        live_names = ", ".join(tier.name for tier in live.tiers)
        wanted_names = ", ".join(tier.name for tier in wanted_item.tiers) or "none"
        raise PermanentError(
            f"the option names of {sku} changed from ({live_names}) to ({wanted_names}); Shopee changes the "
            "number of option names only by replacing every variant of the item",
            field="variants",
            hint=_RECREATE,
        )
    wanted = _wanted_options(wanted_item)
    kept, removed = _kept_and_removed(live, wanted)
    options = _options(sku, live, kept, wanted)
    added = _added(wanted_item, kept, options, wanted)
    last = _last_to_go(sku, kept, removed, added)
    tiers = tuple(
        ShopeeTier(name=tier.name, options=tuple(texts)) for tier, texts in zip(wanted_item.tiers, options, strict=True)
    )
    staying = sorted(kept.values(), key=lambda m: m.model_id) + ([last] if last else [])
    return VariationChange(
        delete_first=tuple(model.model_id for model in removed if model is not last),
        tiers=None if tiers == live.tiers else tiers,
        placed=tuple((model.model_id, model.tier_index) for model in staying),
        add=added,
        delete_last=(last.model_id,) if last else (),
        kept={model_sku: str(model.model_id) for model_sku, model in kept.items()},
    )


# --- the calls ---------------------------------------------------------------------------------------


async def read_variations(client: ShopeeClient, item_id: int) -> LiveVariations:
    """The item's tiers and models as Shopee holds them now (get_model_list)."""
    return LiveVariations.from_answer(item_id, await client.get("product/get_model_list", {"item_id": item_id}))


def _model_map(answer: Mapping[str, Any]) -> dict[str, str]:
    """Model SKU → model id from an answer that lists models (init_tier_variation, add_model)."""
    return {
        str(model["model_sku"]): str(model["model_id"])
        for model in answer.get("model") or []
        if model.get("model_sku") and model.get("model_id") is not None
    }


class ShopeeVariations:
    """Gives one shop's items the variations the mapper wants, and says which model is which SKU."""

    def __init__(self, client: ShopeeClient, *, location_id: str | None) -> None:
        self._client = client
        self._location_id = location_id
        self._made: dict[str, dict[str, str]] = {}

    def made(self, item_id: str) -> dict[str, str]:
        """The model map (variant SKU → model id) this instance last gave the item; empty if none."""
        return dict(self._made.get(item_id, {}))

    async def init(self, item_id: int, listing: MappedListing[ShopeeItem]) -> ListingRef:
        """init_tier_variation: the first variations of an item that has none."""
        body = init_tier_variation_body(item_id, listing, location_id=self._location_id)
        answer = await self._client.post("product/init_tier_variation", body, idempotent=False)
        return await self._bound(item_id, listing, _model_map(answer))

    async def update(self, item_id: int, listing: MappedListing[ShopeeItem]) -> ListingRef:
        """Change the item's variations to the wanted ones, computed from what Shopee holds now, not from
        the binding, which lags after a lost answer: a retry sends only what is still missing."""
        live = await read_variations(self._client, item_id)
        if not listing.content.models:
            if not live.tiers:
                return ListingRef(item_id=str(item_id))
            raise PermanentError(
                f"{listing.sku} has variants on Shopee but the catalog now sells it without options; Shopee "
                "cannot take an item's variants away",
                field="variants",
                hint="give the variant an option (such as Khối lượng: 5kg), or " + _RECREATE,
            )
        if not live.tiers:
            return await self.init(item_id, listing)
        change = plan_variation_change(listing.sku, live, listing.content)
        await self._delete(item_id, change.delete_first)
        if change.tiers is not None:
            # Idempotent: it sets the whole tiers and every kept model's place, so sending it twice is harmless.
            body = update_tier_variation_body(item_id, change.tiers, change.placed)
            await self._client.post("product/update_tier_variation", body, idempotent=True)
        models = dict(change.kept)
        if change.add:
            body = add_model_body(item_id, change.add, listing, location_id=self._location_id)
            models.update(_model_map(await self._client.post("product/add_model", body, idempotent=False)))
        await self._delete(item_id, change.delete_last)
        await self._packages(item_id, listing, live, change.kept)
        if change.calls:
            _log.info(
                "shopee.variations_changed",
                item_id=item_id,
                sku=listing.sku,
                added=[model.model_sku for model in change.add],
                deleted=[*change.delete_first, *change.delete_last],
                shop_id=self._client.config.shop_id,
            )
        return await self._bound(item_id, listing, models)

    async def _packages(
        self, item_id: int, listing: MappedListing[ShopeeItem], live: LiveVariations, kept: Mapping[str, str]
    ) -> None:
        """update_model for the kept models whose own package Shopee holds otherwise (new ones got theirs
        with add_model). A model that had its own and now ships as its item is given the item's: a model's
        package cannot be unset, only set. Idempotent, so it is repeated as it is after a lost answer."""
        item = listing.content
        held = {str(model.model_id): model for model in live.models}
        as_item = {"weight": item.weight_kg} | (
            {} if item.dimension is None else {"dimension": item.dimension.model_dump()}
        )
        entries: list[dict[str, Any]] = []
        for model in item.models:
            model_id = kept.get(model.model_sku)
            current = held.get(model_id) if model_id is not None else None
            if current is None:
                continue
            wanted, now = model.package(), current.package()
            if not wanted and now:
                wanted = as_item
            if wanted and wanted != now:
                entries.append({"model_id": int(current.model_id), **wanted})
        for chunk in chunks(entries, 50):  # DOC: update_model takes 1..50 models
            await self._client.post("product/update_model", {"item_id": item_id, "model": chunk}, idempotent=True)

    async def _delete(self, item_id: int, model_ids: Sequence[int]) -> None:
        for model_id in model_ids:
            body = {"item_id": item_id, "model_id": model_id}
            try:
                await self._client.post("product/delete_model", body, idempotent=True)
            except PermanentError:
                # A delete resent after a lost answer finds the model gone: that is done, not failed.
                if any(model.model_id == model_id for model in (await read_variations(self._client, item_id)).models):
                    raise

    async def _bound(self, item_id: int, listing: MappedListing[ShopeeItem], models: Mapping[str, str]) -> ListingRef:
        """The item's ref, its wanted SKUs bound by ``models``, or by Shopee's own list if some are missing."""
        wanted = {model.model_sku for model in listing.content.models}
        if not wanted <= models.keys():
            models = (await read_variations(self._client, item_id)).model_ids()
        ref = ListingRef(item_id=str(item_id), models={sku: models[sku] for sku in sorted(wanted) if sku in models})
        self._made[ref.item_id] = dict(ref.models)
        return ref

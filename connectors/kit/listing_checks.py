"""The checks a mapper runs on a product before any request, and the collector they report to.

A mapper (canonical product → marketplace payload, pure) never stops at the first problem: it collects
every :class:`~core.ports.Problem` the seller must fix and returns them all, so one edit fixes one
push. :class:`ListingChecks` is that collector for one product and one channel's
:class:`~connectors.kit.config.ListingLimits`, with the checks whose rule and wording are the same
wherever the channel has the limit: the name within its length (never cut: a person changes it), the
number of images and their format, the description rendered from the channel's template within its
length (only the seller's free text is ever shortened, :mod:`connectors.kit.description`). A marketplace's
own checks and wording (Shopee's hashtags, tiers, price ratio) live in its mapper, on a subclass.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlparse

from connectors.kit.config import ListingLimits
from connectors.kit.description import TEMPLATE_PLACEHOLDERS, DescriptionTemplate, description_values
from core.catalog.records import ProductRecord
from core.ports.data import Problem

__all__ = ["IMAGE_SUFFIXES", "ListingChecks", "image_suffix"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@lru_cache(maxsize=32)
def _template(text: str) -> DescriptionTemplate:
    # Parsed once per template text: a push maps every product of the catalog with the same template.
    return DescriptionTemplate.parse(text, allowed=TEMPLATE_PLACEHOLDERS)


def image_suffix(reference: str) -> str:
    """The lowercased file extension of an image URL or path ("" when it has none)."""
    name = (urlparse(reference).path or reference).rsplit("/", 1)[-1]
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


class ListingChecks:
    """One mapping run of one product for ``channel`` (its name as sellers know it, for the messages),
    with the channel's limits and description template."""

    def __init__(self, product: ProductRecord, limits: ListingLimits, *, channel: str, template: str) -> None:
        self.product = product
        self.limits = limits
        self.channel = channel
        self.template = template
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(sku=self.product.sku, field=field, message=message))

    def warn(self, field: str, message: str) -> None:
        """Something the seller should know that does not stop the listing."""
        self.warnings.append(Problem(sku=self.product.sku, field=field, message=message))

    def one_package(self) -> int | None:
        """The weight declared by a channel that takes one package per product: the heaviest variant's,
        so no parcel is under-declared; a warning when the variants ship in different packages."""
        product = self.product
        if product.packages_differ:
            sizes = (product.length_cm, product.width_cm, product.height_cm)
            box = ", " + "×".join(f"{s:g}" for s in sizes if s is not None) + " cm" if None not in sizes else ""
            message = (f"{self.channel} takes one package per product, but the variants ship in different ones: "
                       f"the largest ({product.weight_g} g{box}) is declared for every variant")  # fmt: skip
            self.warn("weight_g", message)
        return product.weight_g

    def name(self) -> str:
        """The product's name, spaces folded, if its length is within the channel's bounds."""
        name = " ".join(self.product.name.split())
        low, high = self.limits.name_min_chars, self.limits.name_max_chars
        if not low <= len(name) <= high:
            self.problem("name", f"the name has {len(name)} characters; {self.channel} takes {low} to {high}. "
                         "Change it (chosync never cuts a name by itself)")  # fmt: skip
        return name

    def rendered_description(self) -> str | None:
        """The description from the template, shortened to fit; None when its facts alone do not fit."""
        values = description_values(self.product)
        return _template(self.template).render(values, limit=self.limits.description_max_chars)

    def description(self) -> str:
        """The description from the template; "" and a problem when its facts alone do not fit."""
        text = self.rendered_description()
        if text is None:
            limit = self.limits.description_max_chars
            self.problem("description", f"the OCOP and origin lines alone pass {self.channel}'s {limit} characters")
        return text or ""

    def image_count(self) -> tuple[str, ...]:
        """The product's images, if there are as many as the channel takes."""
        images, low, high = self.product.images, self.limits.images_min, self.limits.images_max
        if not low <= len(images) <= high:
            self.problem("images", f"{self.channel} takes {low} to {high} images; this product has {len(images)}")
        return images

    def image_formats(self) -> None:
        """Every image named as a JPG or PNG (one without an extension is checked when it is read)."""
        for image in self.product.images:
            suffix = image_suffix(image)
            if suffix and suffix not in IMAGE_SUFFIXES:
                self.problem("images", f"{self.channel} takes JPG and PNG images only, not {suffix}: {image}")

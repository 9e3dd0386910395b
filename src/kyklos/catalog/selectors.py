"""Reads on the catalog: the price in force on a day (R2.3) and products' policies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.catalog.models import (
    Cycle,
    ExchangeRate,
    LifecyclePolicy,
    Price,
    Product,
    ProductType,
)


class PriceNotFound(ValidationError):
    """No price of the product for the cycle is in force on the day.

    A ValidationError, so an order form or service shows it to the user as any other
    input error (the product cannot be ordered for that cycle yet).
    """

    def __init__(self, product: Product, cycle: str, day: date):
        self.product, self.cycle, self.day = product, cycle, day
        super().__init__(
            _("%(product)s has no %(cycle)s price in force on %(day)s.")
            % {"product": product, "cycle": _cycle_label(cycle), "day": day.isoformat()},
            code="price_not_found",
        )


def _cycle_label(cycle: str) -> str:
    return str(Cycle(cycle).label) if cycle in Cycle.values else cycle


def price_on(product: Product, cycle: str, day: date) -> Price:
    """The list price in force on ``day``: the latest ``valid_from`` on or before it."""
    price = (
        Price.objects.filter(product=product, cycle=cycle, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )
    if price is None:
        raise PriceNotFound(product, cycle, day)
    return price


def price_table(day: date) -> dict[tuple[int, str], Price]:
    """Every price in force on ``day``, keyed by ``(product_id, cycle)``, in one query.

    The price list is small (products × cycles × dated changes) even when services number
    millions, so the newest row per key is picked in Python over rows sorted newest first.
    """
    table: dict[tuple[int, str], Price] = {}
    rows = Price.objects.filter(valid_from__lte=day).order_by("product_id", "cycle", "-valid_from")
    for price in rows:
        table.setdefault((price.product_id, price.cycle), price)
    return table


def policy_for(product: Product) -> LifecyclePolicy:
    """The lifecycle policy that governs the product's services."""
    return product.policy


def default_policy(product_type: str) -> LifecyclePolicy | None:
    """The policy seeded for a product type (its code is the type's value), if any."""
    return LifecyclePolicy.objects.filter(code=product_type).first()


# --- R5.8 withdrawal, R5.9 exchange rates ------------------------------------------------

#: R5.9: a move of this share or more from the rate at the last pricing re-prices
REPRICE_MOVE = Decimal("0.20")
#: R5.9: the product types that may be priced in another currency
FOREIGN_PRICED_TYPES = (ProductType.DEDICATED_SERVER,)


def is_on_sale(product: Product, day: date) -> bool:
    """Whether the product may be ordered on ``day`` (active and not withdrawn, R5.8)."""
    return product.is_active and (product.withdrawn_on is None or product.withdrawn_on > day)


def rate_on(currency: str, day: date) -> ExchangeRate | None:
    """The exchange rate in force on ``day``: the latest on or before it."""
    return ExchangeRate.objects.filter(currency=currency, day__lte=day).order_by("-day").first()


def moved_enough(old: Decimal, new: Decimal) -> bool:
    """R5.9: ``new`` is 20 % or more away from ``old`` (either way), exactly."""
    return abs(new - old) >= old * REPRICE_MOVE

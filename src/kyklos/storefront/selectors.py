"""Reads of the shop: the catalogue by product type and a product's offer, at the prices in
force today (R2.1–R2.3, R2.5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from kyklos.catalog.models import CYCLE_MONTHS, Cycle, Price, Product, ProductType
from kyklos.catalog.selectors import price_table
from kyklos.core import clock


@dataclass
class CyclePrice:
    cycle: str
    amount: Decimal
    setup_fee: Decimal
    currency: str

    @property
    def label(self) -> str:
        return str(Cycle(self.cycle).label)


@dataclass
class Offer:
    product: Product
    prices: list[CyclePrice]
    addons: list[Offer] = field(default_factory=list)

    @property
    def from_price(self) -> CyclePrice:
        """The lowest price, for the catalogue's "from …" (the shortest cycle on a tie)."""
        return min(self.prices, key=lambda p: (p.amount, CYCLE_MONTHS[p.cycle]))


@dataclass
class Section:
    type: str
    label: str
    offers: list[Offer]


_CYCLE_ORDER = {cycle: i for i, cycle in enumerate(Cycle.values)}


def _prices(product: Product, table: dict[tuple[int, str], Price]) -> list[CyclePrice]:
    rows = [
        CyclePrice(cycle, price.amount, price.setup_fee, price.currency)
        for (product_id, cycle), price in table.items()
        if product_id == product.pk
    ]
    return sorted(rows, key=lambda p: _CYCLE_ORDER.get(p.cycle, 99))


def catalogue(day: date | None = None) -> list[Section]:
    """The products the shop sells, by type in the order of R2.1: active, not add-ons, with
    a price in force today. Domains are sold through the domain search, not listed here."""
    table = price_table(day or clock.today())
    products = Product.objects.filter(is_active=True).exclude(
        type__in=[ProductType.ADDON, ProductType.DOMAIN]
    )
    by_type: dict[str, list[Offer]] = {}
    for product in products.order_by("name"):
        prices = _prices(product, table)
        if prices:
            by_type.setdefault(product.type, []).append(Offer(product, prices))
    return [
        Section(t.value, str(t.label), by_type[t.value]) for t in ProductType if t.value in by_type
    ]


def offer(code: str, day: date | None = None) -> Offer | None:
    """A product's page: its prices per cycle and the add-ons that attach to it, or None
    when the shop does not sell it."""
    product = (
        Product.objects.filter(code=code, is_active=True)
        .exclude(type__in=[ProductType.ADDON, ProductType.DOMAIN])
        .first()
    )
    if product is None:
        return None
    table = price_table(day or clock.today())
    prices = _prices(product, table)
    if not prices:
        return None
    addons = [
        Offer(addon, _prices(addon, table))
        for addon in product.addons.filter(is_active=True).order_by("name")
    ]
    return Offer(product, prices, [a for a in addons if a.prices])


def domain_prices(day: date | None = None) -> list[tuple[str, CyclePrice]]:
    """The TLDs the shop registers (domain products coded ``domain-<tld>``) with their
    annual price."""
    table = price_table(day or clock.today())
    rows = []
    for product in Product.objects.filter(type=ProductType.DOMAIN, is_active=True):
        if not product.code.startswith("domain-"):
            continue
        price = table.get((product.pk, Cycle.ANNUAL))
        if price is not None:
            rows.append(
                (
                    product.code.removeprefix("domain-"),
                    CyclePrice(Cycle.ANNUAL, price.amount, price.setup_fee, price.currency),
                )
            )
    return sorted(rows)

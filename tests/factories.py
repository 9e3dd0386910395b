"""Plain builders for test data (straight ORM, so a test states exactly what it needs)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from kyklos.catalog.models import LifecyclePolicy, Price, Product
from kyklos.core import clock
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service, State

_seq = count(1)


def customer(**fields) -> Customer:
    n = next(_seq)
    defaults = dict(
        kind=Customer.Kind.PERSON,
        name=f"Eleni Papadopoulou {n}",
        email=f"eleni{n}@example.gr",
        country="GR",
        language="el",
        created_at=clock.now(),
        adult_confirmed_at=clock.now(),
    )
    defaults.update(fields)
    return Customer.objects.create(**defaults)


def product(
    type="shared_hosting", *, prices=None, code=None, valid_from=date(2020, 1, 1), **fields
) -> Product:
    n = next(_seq)
    item = Product.objects.create(
        code=code or f"{type}-{n}",
        name=fields.pop("name", f"{type} plan {n}"),
        type=type,
        policy=fields.pop("policy", None) or LifecyclePolicy.objects.get(code=type),
        **fields,
    )
    for cycle, amount in (prices or {"annual": "120.00", "monthly": "12.00"}).items():
        Price.objects.create(
            product=item, cycle=cycle, amount=Decimal(amount), valid_from=valid_from
        )
    return item


def active_service(
    cust: Customer,
    prod: Product,
    *,
    cycle="annual",
    expires_on: date,
    started_on: date | None = None,
    **fields,
) -> Service:
    """A service as if its earlier periods were paid (bypasses ordering)."""
    return Service.objects.create(
        customer=cust,
        product=prod,
        cycle=cycle,
        state=fields.pop("state", State.ACTIVE),
        state_changed_on=started_on or expires_on,
        ordered_on=started_on or expires_on,
        started_on=started_on or expires_on,
        expires_on=expires_on,
        **fields,
    )

"""Benchmark data: many customers and services in a realistic mix, loaded in bulk.

:func:`seed` fills an empty database with customers, services of the demo catalog
(product types and cycles as sold there, add-ons on hosting), their paid history
(proforma, tax document, payment) and the state of the ledger *as the daily runs up to
the day before* ``day`` *left it*: every dated moment of a service's period that falls
before ``day`` (from :func:`kyklos.lifecycle.schedule.moments`, the same dates the daily
run acts on) is done — the renewal proforma issued, the reminders and warnings in the
outbox, unpaid services suspended or terminated. So the daily run for ``day`` does one
ordinary day's work, and the run for the day before finds nothing to do.

Rows are generated in Python (:mod:`kyklos.seed.bench_rows`) and written with ``COPY … FROM
STDIN`` on PostgreSQL (one stream per table and block of customers), with ``executemany`` on
SQLite (:mod:`kyklos.seed.bulk_load`). Audit events
of the history are not generated.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection, transaction

from kyklos.catalog import services as catalog
from kyklos.catalog.models import Product
from kyklos.customers.models import Customer
from kyklos.notifications.models import Event
from kyklos.notifications.selectors import is_known_event
from kyklos.seed.bench_rows import COLUMNS, ORDER, Generator
from kyklos.seed.bulk_load import LoadMode, Writer, reset_sequences
from kyklos.seed.products import PRODUCTS

BLOCK = 20_000  # customers generated and written per block

#: The portal benchmark's customer: a login with a published password, so ``seed``
#: refuses a database that already has customers.
PORTAL_USER = ("bench", "kyklos-bench")


class SeedRefused(Exception):
    pass


@dataclass
class SeedResult:
    customers: int = 0
    services: int = 0
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    portal_customer_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "customers": self.customers,
            "services": self.services,
            "rows": dict(self.rows),
            "seconds": round(self.seconds, 2),
            "portal_customer_id": self.portal_customer_id,
        }


# --- the catalog --------------------------------------------------------------------------------


def _ensure_catalog(first: date) -> dict[str, Product]:
    products = {p.code: p for p in Product.objects.select_related("policy")}
    for code, product_type, name, prices, _addon_for in PRODUCTS:
        if code not in products:
            products[code] = catalog.create_product(
                code=code, type=product_type, name=name, prices=prices, valid_from=first
            )
    for code, *_rest, addon_for in PRODUCTS:
        if addon_for and not products[code].addon_for.exists():
            products[code].addon_for.set([products[c] for c in addon_for])
    return {p.code: p for p in Product.objects.select_related("policy")}


def seed(
    *,
    customers: int,
    services: int,
    day: date,
    rng_seed: int = 1,
    portal_services: int = 0,
    progress=None,
) -> SeedResult:
    """Fill an empty database (no customers yet) for a benchmark on ``day``."""
    if customers < 1 or services < customers:
        raise ValueError("give at least one customer and at least one service per customer")
    if Customer.objects.exists():
        raise SeedRefused("the database already has customers; seed an empty database")
    missing = [e for e in (Event.RENEWAL_INVOICE, Event.PAYMENT_REMINDER) if not is_known_event(e)]
    if missing:
        raise SeedRefused(f"unknown events {missing}")
    started = time.perf_counter()
    result = SeedResult()
    products = _ensure_catalog(day - timedelta(days=900))
    rng = random.Random(rng_seed)
    gen = Generator(day, rng, products)
    writer = Writer(result.rows)
    # services per customer: each at least one, the rest spread unevenly (a few big ones)
    extra = services - customers
    weights = [min(rng.paretovariate(1.5), 100.0) for _ in range(customers)]
    scale = extra / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    shortfall = services - sum(counts)
    for i in range(abs(shortfall)):
        counts[i % customers] += 1 if shortfall > 0 else 0
    with transaction.atomic(), ExitStack() as stack:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        stack.enter_context(LoadMode(ORDER))
        for first in range(0, customers, BLOCK):
            for n in range(first, min(first + BLOCK, customers)):
                customer = gen.customer(n)
                result.services += gen.services(customer, counts[n])
                result.customers += 1
            for model in ORDER:
                writer.write(model, COLUMNS[model], gen.rows.pop(model, []))
            if progress:
                progress(result)
        if portal_services:
            result.portal_customer_id = _portal_customer(gen, writer, portal_services, result)
        gen.save_series()
        reset_sequences(ORDER)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # (VACUUM cannot run inside a caller's transaction; the seed is then left as loaded.)
        # As autovacuum would leave them: statistics, the visibility map that lets the
        # daily run's "not done yet" checks be index-only, and no dead row versions in
        # any table (the catalog and series rows written before the load were updated)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    result.seconds = time.perf_counter() - started
    return result


def _portal_customer(gen: Generator, writer: Writer, count: int, result: SeedResult) -> int:
    """A customer with ``count`` services and a portal login (``PORTAL_USER``)."""
    from django.contrib.auth.models import User

    username, password = PORTAL_USER
    user = User.objects.filter(username=username).first() or User.objects.create_user(
        username, f"{username}@bench.example", password
    )
    customer = gen.customer(0)
    made = 0
    while made < count:
        made += gen.services(customer, min(count - made, 1))
    result.services += made
    result.customers += 1
    for model in ORDER:
        writer.write(model, COLUMNS[model], gen.rows.pop(model, []))
    Customer.objects.filter(pk=customer["pk"]).update(user=user)
    return customer["pk"]

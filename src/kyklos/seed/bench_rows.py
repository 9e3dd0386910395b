"""The benchmark seed's rows: customers, services in the demo catalog's mix, their paid
history and the ledger as the daily runs before the seed's day left it (see
:mod:`kyklos.seed.bench`), generated in Python in the column order of :data:`COLUMNS`."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from kyklos.billing import selectors as billing
from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine, NumberSeries
from kyklos.catalog.models import CYCLE_MONTHS, Cycle, Product
from kyklos.core.money import round_money
from kyklos.customers.models import Customer
from kyklos.lifecycle import selectors as lifecycle
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Event, Outbox
from kyklos.payments.models import Payment
from kyklos.seed.bulk_load import next_id

#: Product code → relative weight in the mix; cycles with their weights.
MIX: dict[str, tuple[int, dict[str, int]]] = {
    "web-starter": (14, {"monthly": 3, "annual": 6, "biennial": 1}),
    "web-business": (8, {"monthly": 4, "annual": 6}),
    "mail-pro": (7, {"monthly": 5, "annual": 5}),
    "domain-gr": (14, {"annual": 8, "biennial": 2}),
    "domain-com": (12, {"annual": 8, "biennial": 2}),
    "ssl-dv": (6, {"annual": 1}),
    "dedi-e2": (2, {"monthly": 8, "annual": 2}),
    "site-wordpress": (1, {"one_off": 1}),
    "eshop-woocommerce": (1, {"one_off": 1}),
    "wp-care": (3, {"monthly": 7, "annual": 3}),
    "social-basic": (2, {"monthly": 1}),
    "ads-google": (2, {"monthly": 1}),
    "seo-local": (2, {"monthly": 7, "quarterly": 3}),
    "iptv-box": (12, {"monthly": 6, "semiannual": 2, "annual": 2}),
    "chat-plan": (8, {"monthly": 6, "annual": 4}),
    "support-10h": (2, {"quarterly": 6, "annual": 4}),
}
#: Share of hosting services that carry an add-on (counted in the services asked for).
ADDON_SHARE = 0.10
#: Shares of the main services in each situation; the rest are active and paid up.
SHARES = {"pending": 0.01, "cancelled": 0.03, "terminated": 0.03, "suspended": 0.02}
CANCELLING_SHARE = 0.01
#: Share of renewal proformas paid by the time the next moment of their period comes.
PAID_SHARE = 0.92  # active, cancellation at the end of the period asked for
COUNTRIES = [("GR", "el", 70), ("CY", "el", 8), ("PL", "pl", 12), ("DE", "en", 10)]
PAY_AFTER = 2  # days after its issue that a history proforma was paid
BLOCK = 20_000  # customers generated and written per block


# --- the generator -------------------------------------------------------------------------------


class _Ids:
    def __init__(self, *models):
        self.next = {m: next_id(m) for m in models}

    def take(self, model) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class Generator:
    def __init__(self, day: date, rng: random.Random, products: dict[str, Product]):
        self.day = day
        self.rng = rng
        self.products = products
        self.now = timezone.make_aware(datetime.combine(day - timedelta(days=1), dtime(3, 0)))
        self.prices = {
            (p.product_id, p.cycle): p for p in catalog_price_table(day)
        }  # (product, cycle) → Price
        self.codes = list(MIX)
        self.code_weights = [MIX[c][0] for c in self.codes]
        self.addons = [products["addon-storage"], products["addon-backup"]]
        self.seller = json.dumps({**settings.KYKLOS_PROVIDER, "country": settings.KYKLOS_COUNTRY})
        self.ids = _Ids(Customer, Service, Invoice, InvoiceLine, Renewal, Outbox, Payment)
        self.series: dict[tuple[str, int], list] = {}  # (kind, year) → [series id, next]
        self.vat_cache: dict = {}  # (country, has a VAT id) → the VAT decision
        self.rows: dict[type, list[tuple]] = defaultdict(list)

    # numbers

    def number(self, kind: str, issued: date) -> tuple[int, int, str]:
        key = (kind, issued.year)
        if key not in self.series:
            series, _ = NumberSeries.objects.get_or_create(
                kind=kind,
                year=issued.year,
                defaults={"prefix": billing.default_number_prefix(kind)},
            )
            self.series[key] = [series.pk, series.next_number, series.prefix]
        entry = self.series[key]
        sequence = entry[1]
        entry[1] += 1
        return entry[0], sequence, f"{entry[2]}-{issued.year}-{sequence:06d}"

    def save_series(self) -> None:
        for (kind, year), (_pk, next_number, _prefix) in self.series.items():
            NumberSeries.objects.filter(kind=kind, year=year).update(next_number=next_number)

    # customers

    def customer(self, n: int) -> dict:
        rng = self.rng
        country, language, _ = rng.choices(COUNTRIES, weights=[c[2] for c in COUNTRIES])[0]
        company = rng.random() < 0.12
        pk = self.ids.take(Customer)
        vat_id = ""
        if company:
            vat_id = valid_vat_id(country, pk)
        key = (country, bool(vat_id))
        if key not in self.vat_cache:
            self.vat_cache[key] = billing.vat_decision(country=country, vat_id=vat_id)
        name = f"Bench Customer {pk}"
        row = (
            pk,
            "company" if company else "person",
            "active",
            name,
            f"Bench Company {pk}" if company else "",
            vat_id,
            "",
            f"Odos {pk % 997 + 1}",
            "Thessaloniki",
            "54623",
            country,
            "",
            f"c{pk}@bench.example",
            "",
            "",
            "",
            language,
            None if company else self.now,
            None,
            self.now - timedelta(days=800),
        )
        self.rows[Customer].append(row)
        return {
            "pk": pk,
            "language": language,
            "name": f"Bench Company {pk}" if company else name,
            "email": f"c{pk}@bench.example",
            "country": country,
            "company": company,
            "vat": self.vat_cache[key],
        }

    # documents

    def document(
        self, customer: dict, kind: str, issued: date, lines: list[tuple], **extra
    ) -> tuple[int, str, Decimal]:
        """One invoice with its lines; ``lines`` are (service, product, start, end, amount)."""
        pk = self.ids.take(Invoice)
        series, sequence, number = self.number(kind, issued)
        rate = customer["vat"].rate
        subtotal = vat_total = Decimal("0.00")
        for position, (_service, product, start, end, amount) in enumerate(lines, start=1):
            net = round_money(amount, "EUR")
            tax = round_money(net * rate / 100, "EUR")
            subtotal += net
            vat_total += tax
            self.rows[InvoiceLine].append(
                (
                    self.ids.take(InvoiceLine),
                    pk,
                    position,
                    f"{product.name}, {start.isoformat()} to {end.isoformat()}",
                    product.code,
                    start,
                    end,
                    Decimal("1"),
                    net,
                    Decimal("0"),
                    rate,
                    net,
                    tax,
                    net + tax,
                )
            )
        status = extra.get("status", "open")
        self.rows[Invoice].append(
            (
                pk,
                kind,
                number,
                series,
                sequence,
                status,
                customer["pk"],
                extra.get("related"),
                issued,
                extra.get("due_on", issued),
                extra.get("paid_on"),
                "EUR",
                subtotal,
                vat_total,
                subtotal + vat_total,
                customer["language"],
                self.seller,
                customer["name"],
                "",
                customer["country"],
                "",
                customer["vat"].note,
                self.now,
                None,
            )
        )
        return pk, number, subtotal + vat_total

    def notice(
        self, customer: dict, event: str, service_pk: int, anchor, offset: int, on: date, **extra
    ) -> None:
        status = extra.pop("_status", "sent")
        context = {"customer_name": customer["name"], **extra}
        to = customer["email"]
        self.rows[Outbox].append(
            (
                self.ids.take(Outbox),
                event,
                customer["pk"],
                to,
                customer["language"],
                json.dumps(context),
                service_pk,
                extra.get("invoice_id"),
                anchor,
                offset,
                on,
                status,
                self.now,
                self.now if status == "sent" else None,
                1 if status == "sent" else 0,
                "",
                "[]",
                "{}",
            )
        )

    # services

    def price(self, product: Product, cycle: str) -> Decimal:
        price = self.prices.get((product.pk, cycle))
        return price.amount if price else Decimal("10.00")

    def services(self, customer: dict, count: int) -> int:
        made = 0
        while made < count:
            code = self.rng.choices(self.codes, weights=self.code_weights)[0]
            cycles = MIX[code][1]
            cycle = self.rng.choices(list(cycles), weights=list(cycles.values()))[0]
            product = self.products[code]
            with_addon = (
                product.type == "shared_hosting"
                and made + 1 < count
                and self.rng.random() < ADDON_SHARE * 2
            )
            addon = self.rng.choice(self.addons) if with_addon else None
            self.service(customer, product, cycle, addon)
            made += 2 if addon else 1
        return made

    def situation(self, product: Product) -> str:
        r = self.rng.random()
        for name, share in SHARES.items():
            if r < share:
                return name
            r -= share
        return "active"

    def service(self, customer: dict, product: Product, cycle: str, addon: Product | None):
        rng, day = self.rng, self.day
        policy = product.policy
        pk = self.ids.take(Service)
        addon_pk = self.ids.take(Service) if addon else None
        months = CYCLE_MONTHS[Cycle(cycle)]
        situation = self.situation(product)
        if cycle == Cycle.ONE_OFF and situation in ("suspended", "terminated"):
            situation = "active"
        if situation == "suspended" and policy.terminate_after_days <= policy.suspend_after_days:
            situation = "terminated"
        period_days = max(months * 30, 1)
        cancel_on = None
        expires = None
        state = State.ACTIVE
        if situation == "pending":
            state, started = State.PENDING, None
            ordered = day - timedelta(days=rng.randint(1, 10))
        elif cycle == Cycle.ONE_OFF:
            started = ordered = day - timedelta(days=rng.randint(30, 700))
        else:
            if situation == "active":
                expires = day + timedelta(days=rng.randrange(period_days))
                # most customers pay their renewal proforma within a few days of its issue
                issued = expires - timedelta(days=policy.lead_days(cycle))
                if issued < day - timedelta(days=PAY_AFTER) and rng.random() < PAID_SHARE:
                    expires = lifecycle.add_months(expires, months)
            elif situation == "suspended":
                low = policy.suspend_after_days + 1
                expires = day - timedelta(
                    days=rng.randint(low, policy.terminate_after_days - 1)
                    if policy.terminate_after_days - 1 >= low
                    else low
                )
                state = State.SUSPENDED
            else:  # cancelled, terminated: ended a while ago
                expires = day - timedelta(days=rng.randint(40, 400))
                state = State.CANCELLED if situation == "cancelled" else State.TERMINATED
            periods = rng.randint(1, 4)
            started = lifecycle.add_months(expires, -months * periods)
            ordered = started
            if situation == "active" and rng.random() < CANCELLING_SHARE / 0.88:
                cancel_on = expires
        state_changed = (
            expires + timedelta(days=policy.suspend_after_days)
            if state == State.SUSPENDED
            else (expires + timedelta(days=policy.terminate_after_days))
            if state in (State.CANCELLED, State.TERMINATED)
            else started or ordered
        )
        amount = self.price(product, cycle)
        addon_amount = self.price(addon, cycle) if addon else None
        for spk, sproduct, parent in ((pk, product, None), (addon_pk, addon, pk)):
            if spk is None:
                continue
            self.rows[Service].append(
                (
                    spk,
                    customer["pk"],
                    sproduct.pk,
                    parent,
                    f"site{pk}.example" if sproduct is product else "",
                    cycle,
                    state,
                    state_changed,
                    ordered,
                    started,
                    expires,
                    True,
                    None,
                    None,
                    cancel_on and (cancel_on - timedelta(days=20)),
                    cancel_on,
                    "moving" if cancel_on else "",
                )
            )

        if situation == "pending":
            end = lifecycle.period_end(ordered, cycle)
            lines = [(pk, product, ordered, end, amount)]
            inv, number, total = self.document(customer, DocumentKind.PROFORMA, ordered, lines)
            self.rows[Renewal].append(
                (self.ids.take(Renewal), pk, inv, ordered, end, amount, "order", "open")
            )
            return
        if cycle == Cycle.ONE_OFF:
            self.history(customer, [(pk, product, started, started, amount)], started, "order")
            return

        # the last paid period, ending at ``expires``
        previous = lifecycle.add_months(expires, -months)
        lines = [(pk, product, previous, expires, amount)]
        if addon:
            lines.append((addon_pk, addon, previous, expires, addon_amount))
        kind = "order" if previous <= started else "renewal"
        self.history(customer, lines, previous - timedelta(days=policy.lead_days(cycle)), kind)
        if state in (State.CANCELLED, State.TERMINATED):
            return
        # what the daily runs before ``day`` did for the period ending ``expires``
        self.ledger(
            customer,
            pk,
            product,
            cycle,
            expires,
            started,
            amount,
            addon,
            addon_pk,
            addon_amount,
            state,
            cancel_on,
        )

    def history(self, customer: dict, lines: list[tuple], issued: date, kind: str) -> None:
        issued = min(issued, self.day - timedelta(days=PAY_AFTER + 1))
        paid = issued + timedelta(days=PAY_AFTER)
        proforma, _number, total = self.document(
            customer, DocumentKind.PROFORMA, issued, lines, status="paid", paid_on=paid
        )
        tax_kind = DocumentKind.INVOICE if customer["company"] else DocumentKind.RECEIPT
        self.document(
            customer, tax_kind, paid, lines, status="paid", paid_on=paid, related=proforma
        )
        for service_pk, _product, start, end, amount in lines:
            self.rows[Renewal].append(
                (self.ids.take(Renewal), service_pk, proforma, start, end, amount, kind, "paid")
            )
        self.rows[Payment].append(
            (
                self.ids.take(Payment),
                proforma,
                customer["pk"],
                total,
                "EUR",
                "bank_transfer",
                paid,
                f"BANK-{proforma}",
                self.now,
                None,
            )
        )

    def ledger(
        self,
        customer,
        pk,
        product,
        cycle,
        expires,
        started,
        amount,
        addon,
        addon_pk,
        addon_amount,
        state,
        cancel_on,
    ) -> None:
        day = self.day
        policy = product.policy
        label = f"site{pk}.example"
        base = {
            "service_label": label,
            "product_name": product.name,
            "expires_on": expires.isoformat(),
            "late_fee_warning": policy.warn_late_fees,
        }
        billed_on = None
        invoice = None
        renews = cancel_on is None or cancel_on > expires
        moments = lifecycle.moments(policy, cycle, expires)
        # the proforma first: reminders before it are sent once it exists
        moments.sort(key=lambda m: m.kind != lifecycle.PROFORMA)
        for moment in moments:
            kind = moment.kind
            if kind == lifecycle.PROFORMA:
                if moment.on >= day or not renews:
                    continue
                billed_on = moment.on
                end = lifecycle.period_end(expires, cycle, started.day)
                lines = [(pk, product, expires, end, amount)]
                if addon:
                    lines.append((addon_pk, addon, expires, end, addon_amount))
                inv, number, total = self.document(
                    customer, DocumentKind.PROFORMA, moment.on, lines, due_on=expires
                )
                for service_pk, _p, start, stop, value in lines:
                    self.rows[Renewal].append(
                        (
                            self.ids.take(Renewal),
                            service_pk,
                            inv,
                            start,
                            stop,
                            value,
                            "renewal",
                            "open",
                        )
                    )
                invoice = {
                    "invoice_id": inv,
                    "invoice_number": number,
                    "total": str(total),
                    "currency": "EUR",
                }
                self.notice(
                    customer,
                    Event.RENEWAL_INVOICE,
                    pk,
                    expires,
                    0,
                    moment.on,
                    **base,
                    **invoice,
                    period_start=expires.isoformat(),
                    period_end=end.isoformat(),
                    due_on=expires.isoformat(),
                )
            elif kind == lifecycle.REMINDER:
                # sent once the proforma exists: on its day, or on the first run after
                if billed_on is None:
                    continue
                on = max(moment.on, billed_on)
                if on >= day or (state == State.SUSPENDED and on > expires):
                    continue
                pairs = dict(lifecycle.notice_pairs(policy.reminder_offsets))
                live = lifecycle.still_meaningful(on, expires, moment.offset, pairs[moment.offset])
                self.notice(
                    customer,
                    Event.PAYMENT_REMINDER,
                    pk,
                    expires,
                    moment.offset,
                    on,
                    **base,
                    **invoice,
                    _status="sent" if live else "skipped",
                )
            elif kind == lifecycle.WARNING:
                if moment.on >= day or cancel_on is not None:
                    continue
                self.notice(
                    customer, Event.EXPIRY_WARNING, pk, expires, moment.offset, moment.on, **base
                )
            elif kind == lifecycle.SUSPEND and state == State.SUSPENDED:
                ends = expires + timedelta(days=policy.terminate_after_days)
                self.notice(
                    customer,
                    Event.SERVICE_SUSPENDED,
                    pk,
                    expires,
                    0,
                    moment.on,
                    **base,
                    terminate_on=ends.isoformat(),
                )


def catalog_price_table(day: date):
    from kyklos.catalog.selectors import price_table

    return list(price_table(day).values())


# --- columns, in the order the generator writes them -------------------------------------------


def columns(model, *, without: tuple[str, ...] = ()) -> list[str]:
    """The model's columns in its field order, but ``without`` (left to their default)."""
    return [f.attname for f in model._meta.concrete_fields if f.attname not in without]


COLUMNS = {
    Customer: columns(Customer),
    Service: columns(Service),
    Invoice: columns(
        Invoice,
        without=(
            "buyer_tax_office",
            "vat_case",
            "vat_country",
            "vat_check",
            "vat_check_reference",
            "reason",
        ),
    ),
    InvoiceLine: columns(InvoiceLine, without=("credited_line_id",)),
    Renewal: columns(Renewal),
    Outbox: columns(Outbox),
    Payment: columns(Payment, without=("direction", "provider_reference")),
}
#: Parents before children, so foreign keys hold at every COPY.
ORDER = [Customer, Service, Invoice, InvoiceLine, Renewal, Outbox, Payment]


def valid_vat_id(country: str, pk: int) -> str:
    """A VAT id that passes python-stdnum for ``country`` (nine digits, the last one chosen
    so that the check digit holds), or "" where nine digits are not that country's format."""
    from stdnum.eu import vat as eu_vat

    prefix = "EL" if country == "GR" else country
    stem = f"{pk % 10**8:08d}"
    for last in "0123456789":
        candidate = f"{prefix}{stem}{last}"
        if eu_vat.is_valid(candidate):
            return candidate
    return ""

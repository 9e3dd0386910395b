"""Demo data for a Greek provider, made the way real data comes about.

Customers sign up and order in the past (the clock frozen on the day), pay some proformas
and not others, and the real daily run goes over each day of the last five months up to
today: renewal proformas, reminders, warnings, suspensions and terminations all come from
the real code. Staff cancel and stop fraud through the lifecycle services.

Who signs up, what they order and what they pay is in :mod:`kyklos.seed.demo_data`, the
catalog in :mod:`kyklos.seed.products`. Staff and customer logins get fixed, published
passwords, so the data is for development only: :func:`load` refuses unless ``DEBUG`` is on.
"""

from __future__ import annotations

import base64
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django_otp.plugins.otp_totp.models import TOTPDevice

from kyklos.accounts import roles
from kyklos.automation.services import run_day
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import seed_vat_rates
from kyklos.catalog import services as catalog
from kyklos.catalog.defaults import seed_policies
from kyklos.catalog.models import LifecyclePolicy, Product
from kyklos.core import clock
from kyklos.customers.models import Customer
from kyklos.customers.services import create_customer, publish_terms_version
from kyklos.dns import defaults as dns_defaults
from kyklos.domains import services as domains
from kyklos.domains.defaults import product_code, seed_tlds
from kyklos.domains.models import Tld
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Outbox
from kyklos.payments.defaults import seed_fees
from kyklos.payments.models import MethodFee, Payment
from kyklos.payments.services import record_payment
from kyklos.projects import defaults as projects_defaults
from kyklos.projects import services as projects
from kyklos.provisioning import defaults as provisioning_defaults
from kyklos.seed.demo_data import (
    ADMIN,
    BILLING,
    CANCEL_REASONS,
    CUSTOMER,
    CUSTOMERS,
    DEMO_CUSTOMER,
    FRAUD_REASON,
    HISTORY_DAYS,
    PAY_AFTER,
    PAYMENT_METHODS,
    PLANS,
    QUOTES,
    ROLE_LOGINS,
    RUN_DAYS,
    STAFF_TOTP_SECRET,
    TERMS_VERSION,
    TICKETS,
    DemoQuote,
    DemoTicket,
    Plan,
)
from kyklos.seed.products import DESCRIPTIONS, PRICE_CHANGES, PRODUCTS, TERMS_TEXTS
from kyklos.support import defaults as support_defaults
from kyklos.support import services as support


class DemoRefused(Exception):
    """The demo cannot be loaded here; the message says why and what to do."""


# --- guards and reset ----------------------------------------------------------------------


def check_allowed() -> None:
    """The demo's logins have published passwords: development databases only."""
    if not settings.DEBUG:
        raise DemoRefused(
            "kyklos demo creates logins with published passwords, so it runs only in "
            "development (KYKLOS_DEBUG=1). Nothing was changed."
        )


def is_loaded() -> bool:
    return User.objects.filter(username=CUSTOMER[0], customer__isnull=False).exists()


def is_empty() -> bool:
    return not (Customer.objects.exists() or Product.objects.exists() or User.objects.exists())


def wipe() -> None:
    """Delete every row of every table, then put back what the migrations seed (the
    default lifecycle policies, support defaults, VAT rates, payment-method fees, the kinds
    of work, rate policy and SLA, the standard zone template, the TLDs, the backup
    policies); the schema stays."""
    # Inside a transaction, PostgreSQL refuses to truncate tables with deferred
    # foreign-key checks pending; run them first.
    connection.check_constraints()
    call_command("flush", interactive=False, verbosity=0)
    reseed()


def reseed() -> None:
    """Put back into an emptied database what the migrations seed (the list in
    :func:`wipe`). Also for tests whose transactional flush removed it."""
    seed_policies(LifecyclePolicy)
    support_defaults.seed(lambda name: django_apps.get_model("support", name))
    seed_vat_rates()
    seed_fees(MethodFee)
    projects_defaults.seed(lambda name: django_apps.get_model("projects", name), clock.now())
    dns_defaults.seed(lambda name: django_apps.get_model("dns", name))
    seed_tlds(Tld)
    provisioning_defaults.seed(lambda name: django_apps.get_model("provisioning", name))


# --- loading -------------------------------------------------------------------------------


@dataclass
class Summary:
    customers: int
    products: int
    services: dict[str, int]
    documents: int
    payments: int
    notices: int
    tickets: int
    quotes: int
    projects: int
    seconds: float

    def lines(self) -> list[str]:
        states = ", ".join(f"{count} {state}" for state, count in self.services.items())
        return [
            f"Demo data loaded in {self.seconds:.1f} s: {self.customers} customers, "
            f"{self.products} products, {sum(self.services.values())} services ({states}),",
            f"{self.documents} invoices and receipts, {self.payments} payments, "
            f"{_count(self.tickets, 'ticket')}, {_count(self.quotes, 'quote')}, "
            f"{_count(self.projects, 'project')}, "
            f"{self.notices} notices in the outbox.",
        ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def load(today: date | None = None) -> Summary:
    """Load the demo into an empty database, all or nothing."""
    check_allowed()
    started = time.perf_counter()
    today = today or clock.today()
    with transaction.atomic():
        _Story(today).tell()
    return _summary(time.perf_counter() - started)


def _summary(seconds: float) -> Summary:
    counts = Counter(Service.objects.values_list("state", flat=True))
    return Summary(
        customers=Customer.objects.count(),
        products=Product.objects.count(),
        services={state: counts[state] for state in State.values if counts[state]},
        documents=Invoice.objects.count(),
        payments=Payment.objects.count(),
        notices=Outbox.objects.count(),
        tickets=django_apps.get_model("support", "Ticket").objects.count(),
        quotes=django_apps.get_model("projects", "Quote").objects.count(),
        projects=django_apps.get_model("projects", "Project").objects.count(),
        seconds=seconds,
    )


def login_lines() -> list[str]:
    base = settings.KYKLOS_PORTAL_URL.rstrip("/")
    return [
        f"Staff:    {ADMIN[0]} / {ADMIN[1]}  (superuser), {BILLING[0]} / {BILLING[1]}  "
        f"(billing staff)   {base}/console/",
        "          also "
        + ", ".join(f"{u} / {p}" for u, p, _r in ROLE_LOGINS)
        + "  (support, technical, DPO)",
        f"Staff second factor: the code printed by `.venv/bin/kyklos demo --code`, or add the "
        f"TOTP secret {STAFF_TOTP_SECRET} to an authenticator app",
        f"Customer: {CUSTOMER[0]} / {CUSTOMER[1]}   {base}/portal/",
    ]


def staff_code(at: float | None = None) -> tuple[str, int]:
    """The demo staff's current second-factor code and the seconds it stays valid (RFC 6238:
    30-second steps, six digits), so trying the demo needs no authenticator app."""
    from django_otp.oath import TOTP

    now = time.time() if at is None else at
    generator = TOTP(base64.b32decode(STAFF_TOTP_SECRET), step=30, t0=0, digits=6)
    generator.time = now
    return f"{generator.token():06d}", 30 - int(now) % 30


@dataclass
class _Story:
    """Plays :data:`PLANS` day by day, with the daily run between the days."""

    today: date
    users: dict[str, User] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    services: dict[tuple[str, str], Service] = field(default_factory=dict)
    plans_by_service: dict[int, Plan] = field(default_factory=dict)
    paid: Counter = field(default_factory=Counter)
    tickets: dict = field(default_factory=dict)
    quotes: dict = field(default_factory=dict)

    def ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def tell(self) -> None:
        first = self.ago(HISTORY_DAYS)
        with clock.frozen(first):
            self.create_staff()
            self.create_catalog(first)
        agenda = self.agenda()
        day, runs_from = first, self.ago(RUN_DAYS)
        while day <= self.today:
            if day >= runs_from:
                run_day(day)
            with clock.frozen(day):
                for action in agenda.get(day, []):
                    action()
                self.pay_due(day)
            day += timedelta(days=1)
        with clock.frozen(self.today):
            self.record_domains()

    def record_domains(self) -> None:
        """The demo's domain services become domains as if registered here before (no
        registry is reachable in the demo): expiry, state and the provider's name servers."""
        for service in Service.objects.filter(product__type="domain").exclude(
            state__in=[State.PENDING, State.CANCELLED, State.FRAUD]
        ):
            domains.record_existing(service, actor=self.users["admin"])

    def agenda(self) -> dict[date, list[Callable[[], None]]]:
        """What happens on which day, in order: sign-ups, orders, cancellations, fraud."""
        agenda: dict[date, list[Callable[[], None]]] = defaultdict(list)
        signup = {
            spec["key"]: max(p.ordered for p in PLANS if p.customer == spec["key"])
            for spec in CUSTOMERS
        }
        for spec in CUSTOMERS:
            agenda[self.ago(signup[spec["key"]])].append(lambda s=spec: self.sign_up(s))
        for code, cycle, amount, days in PRICE_CHANGES:
            agenda[self.ago(days)].append(
                lambda c=code, y=cycle, a=amount, d=days: self.change_price(c, y, a, d)
            )
        for plan in sorted(PLANS, key=lambda p: (-p.ordered, bool(p.addon_to))):
            agenda[self.ago(plan.ordered)].append(lambda p=plan: self.order(p))
            if plan.cancel:
                agenda[self.ago(plan.cancel[0])].append(lambda p=plan: self.cancel(p))
            if plan.fraud is not None:
                agenda[self.ago(plan.fraud)].append(lambda p=plan: self.mark_fraud(p))
        for ticket in TICKETS:
            agenda[self.ago(ticket.opened)].append(lambda t=ticket: self.open_ticket(t))
            if ticket.reply:
                agenda[self.ago(ticket.opened - 1)].append(lambda t=ticket: self.answer(t))
        for quote in QUOTES:
            agenda[self.ago(quote.sent)].append(lambda q=quote: self.send_quote(q))
            if quote.accepted is not None:
                agenda[self.ago(quote.accepted)].append(lambda q=quote: self.accept(q))
        return agenda

    # staff and catalog

    def create_staff(self) -> None:
        joined = clock.now()
        self.users["admin"] = User.objects.create_superuser(
            ADMIN[0],
            "admin@kyklos.localhost",
            ADMIN[1],
            date_joined=joined,
            first_name="Νίκη",
            last_name="Αλεξίου",
        )
        billing = User.objects.create_user(
            BILLING[0],
            "billing@kyklos.localhost",
            BILLING[1],
            is_staff=True,
            date_joined=joined,
            first_name="Στέλιος",
            last_name="Μαυρίδης",
        )
        roles.assign(billing, roles.BILLING)
        self.users["billing"] = billing
        for username, password, role in ROLE_LOGINS:
            user = User.objects.create_user(
                username, f"{username}@kyklos.localhost", password, date_joined=joined
            )
            roles.assign(user, role)
            self.users[username] = user
        key = base64.b32decode(STAFF_TOTP_SECRET).hex()
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user=user, name="Demo authenticator", key=key, confirmed=True)
            for user in User.objects.filter(is_staff=True)
        )

    def create_catalog(self, first: date) -> None:
        admin = self.users["admin"]
        for code, product_type, name, prices, _addon_for in PRODUCTS:
            self.products[code] = catalog.create_product(
                code=code,
                type=product_type,
                name=name,
                prices=prices,
                valid_from=first,
                actor=admin,
            )
        for code, *_rest, addon_for in PRODUCTS:
            if addon_for:
                self.products[code].addon_for.set([self.products[c] for c in addon_for])
        for code, description in DESCRIPTIONS.items():  # what the shop shows
            Product.objects.filter(code=code).update(description=description)
        publish_terms_version(
            version=TERMS_VERSION, texts=TERMS_TEXTS, published_on=first, actor=admin
        )
        for tld in Tld.objects.all():  # the TLDs sold at the demo's domain prices
            product = self.products.get(product_code(tld.suffix))
            if product is not None:
                Tld.objects.filter(pk=tld.pk).update(product=product)

    def change_price(self, code: str, cycle: str, amount: str, days: int) -> None:
        catalog.set_price(
            self.products[code],
            cycle=cycle,
            amount=amount,
            valid_from=self.ago(days),
            actor=self.users["admin"],
        )

    # customers

    def sign_up(self, spec: dict) -> None:
        fields = {k: v for k, v in spec.items() if k != "key"}
        user = None
        if spec["key"] == DEMO_CUSTOMER:
            first_name, last_name = spec["name"].split(" ", 1)
            user = User.objects.create_user(
                CUSTOMER[0],
                spec["email"],
                CUSTOMER[1],
                date_joined=clock.now(),
                first_name=first_name,
                last_name=last_name,
            )
        self.customers[spec["key"]] = create_customer(
            **fields,
            user=user,
            terms_version=TERMS_VERSION,
            channel="portal" if user else "staff",
            actor=user or self.users["billing"],
        )

    def actor(self, plan: Plan) -> User:
        return self.customers[plan.customer].user or self.users["billing"]

    def order(self, plan: Plan) -> None:
        parent = self.services[(plan.customer, plan.addon_to)] if plan.addon_to else None
        if parent is not None:
            parent.refresh_from_db()
        service = lifecycle.order_service(
            customer=self.customers[plan.customer],
            product=self.products[plan.product],
            cycle=plan.cycle,
            label=plan.label,
            parent=parent,
            actor=self.actor(plan),
        )
        self.services[plan.key] = service
        self.plans_by_service[service.pk] = plan

    # the desk and the agency work

    def open_ticket(self, spec: DemoTicket) -> None:
        customer = self.customers[spec.customer]
        self.tickets[spec] = support.open_ticket(
            support.NewTicket(
                subject=spec.subject,
                body=spec.body,
                department=spec.department,
                customer=customer,
                language=customer.language,
            ),
            actor=customer.user,
        )

    def answer(self, spec: DemoTicket) -> None:
        ticket = self.tickets[spec]
        support.add_message(ticket, body=spec.reply, from_staff=True, actor=self.users["support"])
        if spec.resolved:
            support.resolve(ticket, actor=self.users["support"])

    def send_quote(self, spec: DemoQuote) -> None:
        lines = [{"description": d, "unit_price": p, "quantity": q} for d, p, q in spec.lines]
        quote = projects.draft_quote(
            self.customers[spec.customer],
            title=spec.title,
            lines=lines,
            actor=self.users["admin"],
        )
        self.quotes[spec] = projects.send_quote(quote, actor=self.users["admin"])

    def accept(self, spec: DemoQuote) -> None:
        quote = self.quotes[spec]
        customer = self.customers[spec.customer]
        consent = projects.Consent(
            channel="email",
            signer_name=customer.name,
            signer_email=customer.email,
            source="<demo-acceptance@kyklos.localhost>",
            signed_at=clock.now(),
        )
        projects.accept_quote(
            quote, version=quote.version, consent=consent, actor=self.users["admin"]
        )

    def cancel(self, plan: Plan) -> None:
        _days, when = plan.cancel
        lifecycle.request_cancellation(
            self.services[plan.key], when=when, reason=CANCEL_REASONS[when], actor=self.actor(plan)
        )

    def mark_fraud(self, plan: Plan) -> None:
        """Staff stop a fraudulent order; its unpaid proforma is cancelled with it."""
        lifecycle.end_services(
            [self.services[plan.key].pk],
            State.FRAUD,
            day=clock.today(),
            reason=FRAUD_REASON,
            actor=self.users["admin"],
        )

    # payments

    def pay_due(self, day: date) -> None:
        """Customers pay the open proformas their plan says they pay, when it says."""
        for invoice, plan, kind in self.open_proformas(day - timedelta(days=PAY_AFTER)):
            wait = PAY_AFTER if kind == Renewal.Kind.ORDER else plan.renewal_paid_after
            if plan.pays is not None and self.paid[plan.key] >= plan.pays:
                continue
            if (day - invoice.issued_on).days < wait:
                continue
            record_payment(
                invoice,
                amount=invoice.total,
                method=PAYMENT_METHODS[invoice.pk % len(PAYMENT_METHODS)],
                reference=f"Ref. {invoice.number}",
                actor=self.users["billing"],
            )
            self.paid[plan.key] += 1

    def open_proformas(self, issued_by: date) -> list[tuple[Invoice, Plan, str]]:
        """Open proformas issued by ``issued_by``, each with the plan of its main service
        (add-ons ride on their parent's renewal) and its kind; one query."""
        renewals = (
            Renewal.objects.filter(
                status=Renewal.Status.OPEN,
                invoice__status=Invoice.Status.OPEN,
                invoice__kind=DocumentKind.PROFORMA,
                invoice__issued_on__lte=issued_by,
            )
            .select_related("invoice", "service")
            .order_by("invoice_id", F("service__parent_id").asc(nulls_first=True), "service_id")
        )
        found: dict[int, tuple[Invoice, Plan, str]] = {}
        for renewal in renewals:
            if renewal.invoice_id not in found:
                plan = self.plans_by_service[renewal.service_id]
                found[renewal.invoice_id] = (renewal.invoice, plan, renewal.kind)
        return list(found.values())

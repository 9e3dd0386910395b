"""Reads of the staff console: one search box, a customer's page and the dashboard's
figures. Each section is read from the selectors of the app that owns it and only when
the staff member's role may see it (the grant table, :mod:`kyklos.accounts.roles`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from kyklos.accounts.roles import need, user_may
from kyklos.billing import selectors as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.audit import ACCESSED, concerning
from kyklos.core.models import AuditEvent
from kyklos.core.personal_data import Subject, personal_data
from kyklos.customers import selectors as customers
from kyklos.customers.models import Customer
from kyklos.lifecycle import selectors as lifecycle
from kyklos.lifecycle.models import LIVE_STATES, State
from kyklos.payments import selectors as payments
from kyklos.support import selectors as support
from kyklos.support.models import Ticket

SEARCH_LIMIT = 20
AUDIT_LIMIT = 40
#: What each section of the console needs, in the grant table's terms.
SEES = {
    "customers": need("customers", "view"),
    "services": need("lifecycle", "view"),
    "documents": need("billing", "view"),
    "payments": need("payments", "view"),
    "tickets": need("support", "view"),
    "privacy": need("privacy", "view"),
    "audit": need("core", "view"),
}
#: What each action of the console needs (the views declare the same).
DOES = {
    "bill": (need("billing", "add"),),
    "pay": (need("payments", "add"),),
    "suspend": (need("lifecycle", "change"), need("provisioning", "change")),
    "restore": (need("lifecycle", "change"),),
    "impersonate": (need("customers", "change"),),
}
#: Where the privacy app registered the consent ledger and the data-subject requests in
#: core's personal-data registry (privacy imports only core; the console reads it there).
PRIVACY_SOURCES = {"consents": "privacy.ConsentEvent", "requests": "privacy.DataSubjectRequest"}


def sees(user, section: str) -> bool:
    return user_may(user, SEES[section])


def does(user, action: str) -> bool:
    return user_may(user, *DOES[action])


# --- search -------------------------------------------------------------------------------


@dataclass
class Found:
    customers: list = field(default_factory=list)
    services: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    tickets: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.customers) + len(self.services) + len(self.documents) + len(self.tickets)

    def customer_rows(self) -> list[tuple[int, int]]:
        """(pk, customer id) of every row shown, for the access log."""
        rows = [(c.pk, c.pk) for c in self.customers]
        rows += [(s.customer_id, s.customer_id) for s in self.services]
        rows += [(d.customer_id, d.customer_id) for d in self.documents]
        rows += [(t.customer_id, t.customer_id) for t in self.tickets if t.customer_id]
        return rows


def search(user, text: str) -> Found:
    """One box for everything: a customer's name, e-mail address or VAT id; a domain or
    other service label; a document number; a ticket number. Only what ``user``'s role
    may see is searched."""
    text = (text or "").strip()[:100]
    found = Found()
    if len(text) < 2:
        return found
    if sees(user, "customers"):
        found.customers = list(customers.search(text, SEARCH_LIMIT))
    if sees(user, "services"):
        found.services = list(lifecycle.service_by_label(text, SEARCH_LIMIT))
    if sees(user, "documents"):
        found.documents = list(
            Invoice.objects.filter(number__icontains=text)
            .select_related("customer")
            .order_by("-issued_on", "-id")[:SEARCH_LIMIT]
        )
    if sees(user, "tickets"):
        found.tickets = list(
            Ticket.objects.filter(number__icontains=text)
            .select_related("customer")
            .order_by("-opened_at", "-id")[:SEARCH_LIMIT]
        )
    return found


# --- a customer's page --------------------------------------------------------------------


PARTICULARS = (
    "kind",
    "status",
    "name",
    "company_name",
    "vat_id",
    "tax_office",
    "address",
    "postal_code",
    "city",
    "country",
    "phone",
    "email",
    "secondary_email",
    "admin_email",
    "billing_email",
    "language",
)


#: Labels for the fields whose verbose name is the bare field name.
LABELS = {"kind": _("Kind"), "status": _("Status"), "language": _("Language")}


def particulars(customer: Customer) -> list[tuple[str, str]]:
    rows = []
    for name in PARTICULARS:
        model_field = Customer._meta.get_field(name)
        display = getattr(customer, f"get_{name}_display", None)
        value = display() if display and model_field.choices else getattr(customer, name)
        label = LABELS.get(name, model_field.verbose_name)
        rows.append((str(label), str(value or "—")))
    return rows


@dataclass
class ServiceRow:
    service: object
    may_suspend: bool
    may_unsuspend: bool
    may_terminate: bool
    may_restore: bool


def service_rows(user, customer_id: int) -> list[ServiceRow]:
    suspend, restore = does(user, "suspend"), does(user, "restore")
    rows = []
    for service in lifecycle.services_for_customer(customer_id).select_related("product"):
        main = service.parent_id is None
        rows.append(
            ServiceRow(
                service,
                may_suspend=suspend and service.state == State.ACTIVE,
                may_unsuspend=suspend and service.state == State.SUSPENDED,
                may_terminate=suspend and main and service.state in LIVE_STATES,
                may_restore=restore and main and service.state == State.TERMINATED,
            )
        )
    return rows


def document_rows(customer_id: int) -> list[dict]:
    rows = []
    for document in billing.documents_with_balance(customer_id):
        rows.append(
            {
                "document": document,
                "balance": billing.document_balance(document),
                "creditable": document.kind in (DocumentKind.INVOICE, DocumentKind.RECEIPT),
                "refundable": document.kind in (DocumentKind.INVOICE, DocumentKind.RECEIPT)
                and document.status == Invoice.Status.PAID,
            }
        )
    return rows


def privacy_rows(customer_id: int) -> dict[str, list[dict]]:
    subject = Subject(customer_id=customer_id)
    found = {}
    for key, label in PRIVACY_SOURCES.items():
        entry = personal_data.entries.get(label)
        found[key] = list(entry.exporter(subject)) if entry is not None else []
    return found


def customer_page(user, customer: Customer) -> dict:
    """Every section of a customer's page that ``user`` may see (None when not)."""
    cid = customer.pk
    page: dict = {
        "particulars": particulars(customer),
        "change_requests": list(customers.change_requests_of(cid)[:20]),
        "history": list(customers.particulars_history(cid)),
    }
    page["services"] = service_rows(user, cid) if sees(user, "services") else None
    if sees(user, "documents"):
        page["documents"] = document_rows(cid)
        owed: dict[str, Decimal] = {}
        for row in page["documents"]:
            currency = row["document"].currency
            owed[currency] = owed.get(currency, Decimal("0")) + row["balance"]
        page["owed"] = {c: v for c, v in owed.items() if v}
        page["credit"] = payments.credit_balances(cid)
    else:
        page["documents"] = None
    page["payments"] = (
        list(payments.payments_for_customer(cid)[:30]) if sees(user, "payments") else None
    )
    page["tickets"] = (
        list(support.tickets_for_customer(cid)[:30]) if sees(user, "tickets") else None
    )
    page["privacy"] = privacy_rows(cid) if sees(user, "privacy") else None
    # What was done; staff views of the data are in the customer's access log (R10.1).
    page["audit"] = (
        list(
            AuditEvent.objects.filter(concerning(cid))
            .exclude(action=ACCESSED)
            .order_by("-at", "-id")[:AUDIT_LIMIT]
        )
        if sees(user, "audit")
        else None
    )
    page["may"] = {action: does(user, action) for action in DOES}
    return page


# --- the dashboard ------------------------------------------------------------------------


def month_ends(today: date, months: int) -> list[date]:
    """The last day of each of the ``months - 1`` months before ``today``'s, then today."""
    days = []
    for back in range(months - 1, 0, -1):
        first_next = customers.first_of_month(today, back - 1)
        days.append(date.fromordinal(first_next.toordinal() - 1))
    days.append(today)
    return days


def dashboard(today: date | None = None, months: int = 6) -> dict:
    """The business at a glance: monthly recurring revenue over ``months`` months and its
    change from last month, renewals due in 30 days, receivables by age, the SLA, and new
    and lost customers per month."""
    today = today or clock.today()
    mrr = [(day, lifecycle.monthly_recurring_revenue(day)) for day in month_ends(today, months)]
    currencies = sorted({c for _day, values in mrr for c in values}) or ["EUR"]
    main = currencies[0]
    now_value = mrr[-1][1].get(main, Decimal("0"))
    before = mrr[-2][1].get(main, Decimal("0")) if len(mrr) > 1 else Decimal("0")
    change = now_value - before
    percent = round(100 * change / before, 1) if before else None
    aging = billing.receivables_aging(today)
    return {
        "today": today,
        "currency": main,
        "mrr": mrr,
        "mrr_now": now_value,
        "mrr_change": change,
        "mrr_change_percent": percent,
        "renewals": lifecycle.renewals_due(today, 30),
        "aging_buckets": billing.AGING_BUCKETS,
        "aging": aging.totals.get(main),
        "sla": support.sla_health(clock.now()),
        "customers": customers.new_and_lost_by_month(today, months),
    }

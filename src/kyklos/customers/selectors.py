"""Reads on customers, and on countries and VAT ids (:mod:`kyklos.customers.vat`)."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, OuterRef, Q, QuerySet, Subquery

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.core.prepared import prepared_one
from kyklos.customers.models import ChangeRequest, Customer, ParticularsChange, TermsVersion
from kyklos.customers.vat import country_codes, country_name, is_eu_member

__all__ = [
    "country_choices",
    "current_terms",
    "customer_for_user",
    "email_in_use",
    "is_eu_member",
    "pending_change_requests",
    "published_terms",
]


def customer_for_user(user) -> Customer | None:
    """The customer account a login belongs to, or None (anonymous users, staff)."""
    if user is None or not user.is_authenticated:
        return None
    return _customer_of_login(user.pk)


#: Read on every portal page view: compiled once per connection (core.prepared).
_customer_of_login = prepared_one(
    "customers.for_user", lambda user_id: Customer.objects.filter(user_id=user_id)
)


def pending_change_requests() -> QuerySet[ChangeRequest]:
    """Change requests waiting for staff, oldest first, with their customer."""
    return (
        ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING)
        .select_related("customer")
        .order_by("requested_at", "id")
    )


def relationship_ended_at(customer_ref: str = "pk"):
    """When the relationship ended: the last ``customer.locked`` audit event (R1.4)."""
    return Subquery(
        AuditEvent.objects.filter(action="customer.locked", customer_id=OuterRef(customer_ref))
        .values("customer_id")
        .annotate(at=Max("at"))
        .values("at")[:1]
    )


def ex_customers():
    """Locked customers, with ``ended_at``: for other apps' retention targets."""
    return Customer.objects.filter(status=Customer.Status.LOCKED).annotate(
        ended_at=relationship_ended_at()
    )


def of_ex_customers(qs, customer_field: str = "customer"):
    """``qs`` (rows with a customer) limited to ex-customers, annotated with ``ended_at``."""
    return qs.filter(**{f"{customer_field}__status": Customer.Status.LOCKED}).annotate(
        ended_at=relationship_ended_at(f"{customer_field}_id")
    )


def current_terms(day=None) -> TermsVersion | None:
    """The version of the terms in force on ``day`` (default today): the latest published
    on or before it (R12.3)."""
    return (
        TermsVersion.objects.filter(published_on__lte=day or clock.today())
        .order_by("-published_on", "-id")
        .first()
    )


def published_terms(day=None) -> QuerySet[TermsVersion]:
    """Every version published on or before ``day``, newest first."""
    return TermsVersion.objects.filter(published_on__lte=day or clock.today()).order_by(
        "-published_on", "-id"
    )


def email_in_use(email: str) -> bool:
    """Whether a customer account already has ``email`` as its primary address."""
    return Customer.objects.filter(email__iexact=(email or "").strip()).exists()


def country_choices() -> list[tuple[str, str]]:
    """Every country as (ISO code, name in the active language), sorted by name."""
    return sorted(((code, country_name(code)) for code in country_codes()), key=lambda c: c[1])


# --- the staff console ---------------------------------------------------------------------


def search(text: str, limit: int = 20) -> QuerySet[Customer]:
    """Customers whose name, company name, an e-mail address or VAT id contains ``text``."""
    text = text.strip()
    if not text:
        return Customer.objects.none()
    query = (
        Q(name__icontains=text)
        | Q(company_name__icontains=text)
        | Q(email__icontains=text)
        | Q(secondary_email__icontains=text)
        | Q(admin_email__icontains=text)
        | Q(billing_email__icontains=text)
        | Q(vat_id__icontains=text.replace(" ", ""))
    )
    if text.isdigit():
        query |= Q(pk=int(text))
    return Customer.objects.filter(query).order_by("name", "id")[:limit]


def change_requests_of(customer_id: int) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(customer_id=customer_id).order_by("-requested_at", "-id")


def particulars_history(customer_id: int, limit: int = 20):
    return ParticularsChange.objects.filter(customer_id=customer_id).order_by("-changed_at", "-id")[
        :limit
    ]


def first_of_month(day: date, back: int = 0) -> date:
    """The first day of the month ``back`` months before ``day``'s."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def new_and_lost_by_month(today: date, months: int = 6) -> list[dict]:
    """Per month, oldest first, the last ``months`` months up to ``today``'s: customers
    created (``new``) and relationships ended (``lost``: the account was locked, R1.4)."""
    start = first_of_month(today, months - 1)
    result = [{"month": first_of_month(today, back), "new": 0, "lost": 0} for back in range(months)]
    result.reverse()
    slot = {row["month"]: row for row in result}
    created = Customer.objects.filter(created_at__gte=clock.start_of_day(start)).values_list(
        "created_at", flat=True
    )
    for at in created:
        row = slot.get(first_of_month(at.astimezone(clock.provider_tz()).date()))
        if row is not None:
            row["new"] += 1
    locked = (
        AuditEvent.objects.filter(action="customer.locked", at__gte=clock.start_of_day(start))
        .values("customer_id")
        .annotate(at=Max("at"))
        .values_list("at", flat=True)
    )
    for at in locked:
        row = slot.get(first_of_month(at.astimezone(clock.provider_tz()).date()))
        if row is not None:
            row["lost"] += 1
    return result

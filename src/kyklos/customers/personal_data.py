"""The customers app's personal data (R1.2–R1.4, R9.3, R9.4) and the directory of people.

Erasing a customer anonymises the account (R1.4: locked, not deleted — invoices point to
it and keep the buyer's particulars for the tax period) and deletes the history of
particulars and the change requests with their documents. Retention does the same one year
after the relationship ended (the account was locked).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Cast, Concat

from kyklos.core.personal_data import (
    ANONYMISE,
    DELETE,
    ERASED_DOMAIN,
    ERASED_NAME,
    Contact,
    Erased,
    Identity,
    Subject,
    personal_data,
)
from kyklos.core.personal_records import user_anonymous_values
from kyklos.customers.models import ChangeRequest, Customer, ParticularsChange, TermsAcceptance
from kyklos.customers.selectors import ex_customers, of_ex_customers, relationship_ended_at
from kyklos.customers.services import PARTICULARS

#: The customer's particulars as exported and shown (customers.services.PARTICULARS).
CUSTOMER_FIELDS = list(PARTICULARS)


def anonymous_values() -> dict:
    """``update()`` arguments that anonymise customers in one statement (and lock them)."""
    return {
        "name": Value(ERASED_NAME),
        "company_name": Value(""),
        "vat_id": Value(""),
        "tax_office": Value(""),
        "address": Value(""),
        "city": Value(""),
        "postal_code": Value(""),
        "phone": Value(""),
        "email": Concat(
            Value("erased-"),
            Cast(F("pk"), CharField()),
            Value(f"@{ERASED_DOMAIN}"),
            output_field=CharField(),
        ),
        "secondary_email": Value(""),
        "admin_email": Value(""),
        "billing_email": Value(""),
        "status": Value(Customer.Status.LOCKED),
    }


#: Customers not yet anonymised.
NOT_ERASED = ~Q(email__endswith=f"@{ERASED_DOMAIN}")


# --- customers ----------------------------------------------------------------------------


def export_customer(subject: Subject):
    if subject.customer_id is None:
        return
    for c in Customer.objects.filter(pk=subject.customer_id):
        yield {
            "kind": c.kind,
            "status": c.status,
            **{f: getattr(c, f) for f in CUSTOMER_FIELDS},
            "adult_confirmed_at": c.adult_confirmed_at,
            "created_at": c.created_at,
        }


def erase_customer(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    n = Customer.objects.filter(NOT_ERASED, pk=subject.customer_id).update(**anonymous_values())
    return Erased(anonymised=n)


def export_history(subject: Subject):
    if subject.customer_id is None:
        return
    for h in ParticularsChange.objects.filter(customer_id=subject.customer_id).order_by(
        "changed_at"
    ):
        yield {
            "field": h.field,
            "old_value": h.old_value,
            "new_value": h.new_value,
            "changed_at": h.changed_at,
        }


def erase_history(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    deleted, _ = ParticularsChange.objects.filter(customer_id=subject.customer_id).delete()
    return Erased(deleted=deleted)


def export_change_requests(subject: Subject):
    if subject.customer_id is None:
        return
    for r in ChangeRequest.objects.filter(customer_id=subject.customer_id):
        yield {
            "field": r.field,
            "new_value": r.new_value,
            "document": r.document.name,
            "status": r.status,
            "requested_at": r.requested_at,
            "decided_at": r.decided_at,
            "decision_note": r.decision_note,
        }


def erase_change_requests(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    rows = ChangeRequest.objects.filter(customer_id=subject.customer_id)
    names = [n for n in rows.values_list("document", flat=True) if n]
    ParticularsChange.objects.filter(change_request__in=rows).update(change_request=None)
    deleted, _ = rows.delete()
    for name in names:
        default_storage.delete(name)
    return Erased(deleted=deleted)


def export_terms(subject: Subject):
    if subject.customer_id is None:
        return
    for t in TermsAcceptance.objects.filter(customer_id=subject.customer_id):
        yield {"version": t.version, "accepted_at": t.accepted_at, "channel": t.channel}


TERMS_HOLD = (
    "Proof that the terms of the contract were accepted (version, time, channel); no particulars."
)


def erase_terms(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    n = TermsAcceptance.objects.filter(customer_id=subject.customer_id).count()
    return Erased(kept=n, kept_reason=TERMS_HOLD)


# --- what identifies a customer -----------------------------------------------------------


def identity(subject: Subject) -> Identity:
    """The customer's names, e-mail addresses and phone number (read before the erasers
    anonymise them), to find them in free text."""
    if subject.customer_id is None:
        return Identity()
    words = Customer.objects.filter(pk=subject.customer_id).values_list(
        "name", "company_name", "email", "secondary_email", "admin_email", "billing_email", "phone"
    )
    return Identity(words=tuple(w for row in words for w in row if w and w != ERASED_NAME))


# --- the directory -----------------------------------------------------------------------


class CustomerDirectory:
    """Who people are, for the privacy app (which imports only core)."""

    @staticmethod
    def _contact(c: Customer) -> Contact:
        return Contact(
            customer_id=c.pk, name=c.display_name, email=c.notice_email, language=c.language
        )

    def for_user(self, user) -> Contact | None:
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        customer = Customer.objects.filter(user_id=user.pk).first()
        return self._contact(customer) if customer else None

    def for_customer(self, customer_id: int) -> Contact | None:
        customer = Customer.objects.filter(pk=customer_id).first()
        return self._contact(customer) if customer else None

    def user_id_for_customer(self, customer_id: int) -> int | None:
        return Customer.objects.filter(pk=customer_id).values_list("user_id", flat=True).first()

    def customer_ids_for_email(self, email: str) -> list[int]:
        email = email.strip().lower()
        fields = ("email", "secondary_email", "admin_email", "billing_email")
        q = Q(pk__in=[])
        for f in fields:
            q |= Q(**{f"{f}__iexact": email})
        return list(Customer.objects.filter(q).values_list("pk", flat=True))

    def audience(self, batch_size: int) -> Iterator[list[Contact]]:
        """Current customers, by id, one query per batch."""
        last = 0
        qs = Customer.objects.filter(status=Customer.Status.ACTIVE).only(
            "pk", "kind", "name", "company_name", "email", "admin_email", "language"
        )
        while True:
            batch = list(qs.filter(pk__gt=last).order_by("pk")[:batch_size])
            if not batch:
                return
            yield [self._contact(c) for c in batch]
            last = batch[-1].pk


def register() -> None:
    personal_data.set_directory(CustomerDirectory())
    personal_data.register_identity_source(identity)
    personal_data.register(
        Customer,
        category="customer_records",
        fields=CUSTOMER_FIELDS,
        exporter=export_customer,
        eraser=erase_customer,
    )
    personal_data.register(
        ParticularsChange,
        category="customer_records",
        fields=["old_value", "new_value"],
        exporter=export_history,
        eraser=erase_history,
    )
    personal_data.register(
        ChangeRequest,
        category="customer_records",
        fields=["new_value", "document", "decision_note"],
        exporter=export_change_requests,
        eraser=erase_change_requests,
    )
    personal_data.register(
        TermsAcceptance,
        category="customer_records",
        fields=["version", "accepted_at"],
        exporter=export_terms,
        eraser=erase_terms,
        legal_hold=TERMS_HOLD,
    )
    # One year after the relationship ended (R9.4): history and documents go, the account
    # is anonymised (it stays: invoices point to it).
    personal_data.register_retention(
        "customer_records",
        ParticularsChange,
        date_field="ended_at",
        action=DELETE,
        queryset=lambda: of_ex_customers(ParticularsChange.objects.all()),
        order=10,
    )
    personal_data.register_retention(
        "customer_records",
        ChangeRequest,
        date_field="ended_at",
        action=DELETE,
        queryset=lambda: of_ex_customers(ChangeRequest.objects.all()),
        files=["document"],
        order=10,
    )
    personal_data.register_retention(
        "accounts",
        get_user_model(),
        date_field="ended_at",
        action=ANONYMISE,
        queryset=lambda: (
            get_user_model()
            .objects.filter(customer__status=Customer.Status.LOCKED)
            .annotate(ended_at=relationship_ended_at("customer__id"))
        ),
        values=user_anonymous_values,
        pending=~Q(username__startswith="erased-user-"),
        order=80,
    )
    personal_data.register_retention(
        "customer_records",
        Customer,
        date_field="ended_at",
        action=ANONYMISE,
        queryset=ex_customers,
        values=anonymous_values,
        pending=NOT_ERASED,
        order=90,
    )

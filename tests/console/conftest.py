from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from kyklos.accounts import roles
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.payments.models import CreditEntry, Payment
from kyklos.support.services import NewTicket, open_ticket
from tests import factories

TODAY = date(2027, 3, 1)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


def make_login(username: str, **fields):
    return get_user_model().objects.create_user(username, password=PASSWORD, **fields)


@pytest.fixture
def staff(db):
    """``staff("billing")``: a staff login with that role."""

    def make(role: str):
        name = f"{role}-staff"
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            user = make_login(name, is_staff=True, first_name=role.title())
            roles.assign(user, role)
        return user

    return make


@pytest.fixture
def console(client, staff):
    """``console("billing")``: a client logged in (with the second factor) as that role."""

    def make(role: str):
        client.force_login(staff(role))
        return client

    return make


@pytest.fixture
def maria(db, today):
    """Maria (English, with a login) with a hosting on maria-shop.gr, a paid tax invoice
    for it and a ticket."""
    customer = factories.customer(
        name="Maria Nowak",
        email="maria@example.gr",
        language="en",
        kind="company",
        company_name="Nowak Studio",
        vat_id="EL094259216",
        user=make_login("maria"),
    )
    hosting = factories.product("shared_hosting", name="Web Hosting Pro")
    service = factories.active_service(
        customer, hosting, label="maria-shop.gr", expires_on=date(2027, 9, 1)
    )
    invoice = issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.INVOICE,
            lines=[
                LineSpec(description="Web Hosting Pro, 12 months", unit_price=Decimal("120.00")),
                LineSpec(description="Setup", unit_price=Decimal("30.00")),
            ],
            issued_on=TODAY,
            status=Invoice.Status.PAID,
            paid_on=TODAY,
        )
    )
    ticket = open_ticket(
        NewTicket(
            subject="My site is slow",
            body="Since yesterday.",
            department="technical",
            customer=customer,
        ),
        notify=False,
    )
    customer.service, customer.invoice, customer.ticket = service, invoice, ticket
    return customer


@pytest.fixture
def nikos(db, today):
    return factories.customer(name="Nikos Other", email="nikos@example.gr", language="en")


def counts() -> dict:
    """What a refused action must leave as it was."""
    return {
        "documents": Invoice.objects.count(),
        "payments": Payment.objects.count(),
        "credit": CreditEntry.objects.count(),
        "audit": AuditEvent.objects.exclude(action="personal_data.accessed").count(),
    }

from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from kyklos.core import clock
from kyklos.customers.models import Customer
from kyklos.notifications import services
from kyklos.notifications.models import Event

DAY = date(2027, 2, 22)

#: A context with every key the daily run provides.
CONTEXT = {
    "customer_name": "Νίκος Παπαδόπουλος",
    "service_label": "example.gr",
    "product_name": "Domain .gr",
    "expires_on": "2027-03-01",
    "invoice_number": "PF-2027-0042",
    "total": "1234.50",
    "currency": "EUR",
    "due_on": "2027-02-24",
    "days": 7,
    "period_start": "2027-03-01",
    "period_end": "2028-02-29",
    "amount": "1234.50",
    "paid_on": "2027-02-20",
    "terminate_on": "2027-03-31",
}


@pytest.fixture
def today():
    with clock.frozen(DAY) as now:
        yield now


@pytest.fixture
def customer(db):
    return Customer.objects.create(
        kind="person",
        name="Νίκος Παπαδόπουλος",
        email="nikos@example.gr",
        admin_email="admin@example.gr",
        billing_email="billing@example.gr",
        country="GR",
        language="el",
        created_at=datetime(2027, 1, 10, 8, 0, tzinfo=UTC),
    )


@pytest.fixture
def queue(customer, today):
    """Queue a notice for ``customer``; keyword arguments override the defaults."""

    def make(event=Event.EXPIRY_WARNING, **fields):
        values = {"customer": customer, "context": CONTEXT, "for_date": DAY, **fields}
        return services.queue_notice(event=event, **values)

    return make


def parse(raw: bytes) -> EmailMessage:
    """A sent message as a mail client reads it. (Python folds long encoded subjects
    onto a continuation line, so a parsed ``Subject`` starts with a space: strip it.)"""
    return message_from_bytes(raw, policy=policy.default)

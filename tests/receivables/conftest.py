from datetime import date
from decimal import Decimal

import pytest

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind
from kyklos.core import clock
from tests import factories


@pytest.fixture
def customer(db):
    return factories.customer(
        name="Eleni Markou",
        email="eleni@example.gr",
        billing_email="accounts@example.gr",
        language="en",
    )


def open_receipt(customer, day: date, amount="100.00", kind=DocumentKind.RECEIPT):
    """An open tax document (e.g. billed hours), payable on receipt."""
    with clock.frozen(day):
        return billing.issue_document(
            billing.DocumentSpec(
                customer=customer,
                kind=kind,
                lines=[billing.LineSpec(description="Hours", unit_price=Decimal(amount))],
                issued_on=day,
            )
        )

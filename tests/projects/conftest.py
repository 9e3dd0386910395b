from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from kyklos.core import clock
from kyklos.projects.models import HourlyRate
from tests import factories

TODAY = date(2027, 3, 1)


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "anna", password="x", is_staff=True, email="anna@provider.example"
    )


@pytest.fixture
def customer(db):
    """Nikos, a Greek sole trader (a person: his tax documents are receipts)."""
    return factories.customer(
        name="Nikos Georgiou",
        email="nikos@example.gr",
        admin_email="office@example.gr",
        billing_email="accounts@example.gr",
        language="en",
    )


@pytest.fixture
def company(db):
    return factories.customer(
        kind="company",
        name="Maria Ioannou",
        company_name="Ioannou Design IKE",
        email="maria@ioannou.gr",
        vat_id="",
        language="el",
    )


@pytest.fixture
def rate_60(db):
    """The standard rate rose from €50 (the KYKLOS_HOURLY_RATE default) to €60 on
    1 January 2027."""
    return HourlyRate.objects.create(amount=Decimal("60.00"), valid_from=date(2027, 1, 1))

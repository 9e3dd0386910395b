from datetime import date
from decimal import Decimal

import pytest

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.core import clock
from kyklos.lifecycle import services as lifecycle
from tests import factories

TODAY = date(2027, 4, 2)


@pytest.fixture
def today():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def company(db):
    return factories.customer(
        kind="company",
        company_name="Ακτή ΑΕ",
        name="Γιώργος Αλεξίου",
        vat_id="EL094014201",
        language="en",
    )


@pytest.fixture
def order(company):
    """Annual hosting ordered on 2027-04-01: proforma PRO-2027-000001, 120.00 + 24% = 148.80."""
    with clock.frozen(date(2027, 4, 1)):
        return lifecycle.order_service(
            customer=company, product=factories.product(), cycle="annual", label="akti.gr"
        )


@pytest.fixture
def proforma(order):
    return order.renewals.get().invoice


def proforma_for(customer, net: str, *, issued_on=date(2027, 4, 1), currency="EUR"):
    """A plain proforma with one line of ``net`` (VAT at the customer's rate on top)."""
    return issue_document(
        DocumentSpec(
            customer=customer,
            kind=DocumentKind.PROFORMA,
            lines=[LineSpec(description="Web Hosting Pro", unit_price=Decimal(net))],
            issued_on=issued_on,
            currency=currency,
        )
    )


@pytest.fixture
def providers(settings):
    """Stripe and PayPal configured (test keys; no request leaves the machine)."""
    settings.KYKLOS_PAYMENTS = {
        **settings.KYKLOS_PAYMENTS,
        "stripe_secret_key": "sk_test_kyklos",
        "stripe_webhook_secret": "whsec_kyklos_test_secret",
        "paypal_client_id": "paypal-client",
        "paypal_client_secret": "paypal-secret",
        "paypal_webhook_id": "8PT597110X687430LKGECATA",
        "webhook_tolerance": 300,
    }
    return settings.KYKLOS_PAYMENTS

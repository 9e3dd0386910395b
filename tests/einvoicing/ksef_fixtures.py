"""Documents of a Polish provider for the KSeF tests: every document kind of every VAT case."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kyklos.billing.services import (
    CreditLine,
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
    settle,
)
from kyklos.core import clock
from tests import factories
from tests.einvoicing.ksef_peer import load_schema, schema_dir

D = Decimal
SELLER_NIP = "5261040828"
PROVIDER = {
    "name": "Kyklos Hosting sp. z o.o.",
    "address": "ul. Kwiatowa 1, 00-001 Warszawa",
    "street": "ul. Kwiatowa 1",
    "postal_code": "00-001",
    "city": "Warszawa",
    "vat_id": f"PL{SELLER_NIP}",
    "email": "faktury@kyklos.example.pl",
    "phone": "+48 22 000 00 00",
    "iban": "PL61109010140000071219812874",
    "bic": "WBKPPLPP",
}

#: VAT case → (customer fields, kind of the paid tax document)
CASES = {
    "domestic": (
        dict(kind="company", company_name="Orlen S.A.", country="PL", vat_id="PL7740001454"),
        "invoice",
    ),
    "domestic_consumer": (dict(country="PL", language="pl"), "receipt"),
    "reverse_charge": (
        dict(kind="company", company_name="Weber GmbH", country="DE", vat_id="DE136695976"),
        "invoice",
    ),
    "eu_b2c": (dict(country="CY", language="en"), "receipt"),
    "outside_scope": (dict(country="US", language="en", vat_id=""), "receipt"),
}


@pytest.fixture
def polish_provider(settings):
    settings.KYKLOS_COUNTRY = "PL"
    settings.KYKLOS_CURRENCY = "PLN"
    settings.KYKLOS_PROVIDER = {**settings.KYKLOS_PROVIDER, **PROVIDER}
    return settings


@pytest.fixture(scope="session")
def fa3_schema():
    folder = schema_dir()
    if folder is None:
        pytest.skip("the FA(3) schemas are not in ../shared/national-einvoice/ksef-fa3")
    return load_schema(folder)


def documents(fields) -> dict[str, object]:
    """paid (invoice or receipt, from a paid proforma), open invoice, full and partial
    credit notes of a customer, on 2027-03-01 and 2027-03-20."""
    customer = factories.customer(
        address="ul. Polna 1", city="Kraków", postal_code="30-001", **fields
    )
    day = date(2027, 3, 1)
    with clock.frozen(day):
        proforma = issue_document(
            DocumentSpec(
                customer=customer,
                kind="proforma",
                issued_on=day,
                lines=[
                    LineSpec(
                        "Hosting współdzielony, 2027-03-01 – 2028-02-29",
                        D("120.00"),
                        discount=D("10.00"),
                        product_code="shared-basic",
                        period_start=day,
                        period_end=date(2028, 2, 29),
                    ),
                    LineSpec("Domena example.pl", D("15.00"), quantity=D("2")),
                ],
            )
        )
        paid = settle(proforma, paid_on=day)
        open_invoice = issue_document(
            DocumentSpec(
                customer=customer,
                kind="invoice",
                issued_on=day,
                lines=[LineSpec("Strona WWW, zaliczka 50 %", D("600.00"))],
            )
        )
    with clock.frozen(date(2027, 3, 20)):
        full = issue_credit_note(paid, reason="Gwarancja zwrotu pieniędzy")
        partial = issue_credit_note(
            open_invoice,
            lines=[CreditLine(open_invoice.lines.get(), net=D("99.99"))],
            reason="Zmniejszenie zakresu",
        )
    return {"paid": paid, "open": open_invoice, "full_credit": full, "partial_credit": partial}

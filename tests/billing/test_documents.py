"""Document issue: numbering, VAT cases, rounding (R6.1–R6.3)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from kyklos.billing import vat
from kyklos.billing.models import Invoice, NumberSeries
from kyklos.billing.services import (
    DocumentSpec,
    LineSpec,
    compute_line,
    issue_document,
    issue_documents,
)
from kyklos.core import clock
from kyklos.core.money import round_money
from tests import factories

pytestmark = pytest.mark.django_db


def spec(customer, *prices, kind="invoice", day=date(2027, 3, 1)):
    return DocumentSpec(
        customer=customer,
        kind=kind,
        issued_on=day,
        lines=[LineSpec(description=f"item {p}", unit_price=Decimal(p)) for p in prices],
    )


@pytest.mark.parametrize(
    ("country", "vat_id", "rate", "case"),
    [
        ("GR", "", "24", "domestic"),
        ("GR", "EL094014201", "24", "domestic"),  # a Greek company still pays Greek VAT
        ("CY", "", "19", "eu_b2c"),  # consumer in Cyprus: Cypriot rate
        ("PL", "", "23", "eu_b2c"),
        ("DE", "DE136695976", "0", "reverse_charge"),
        ("US", "", "0", "outside_scope"),
    ],
)
def test_vat_decision(country, vat_id, rate, case):
    decision = vat.decide(country=country, vat_id=vat_id, provider_country="GR")
    assert (decision.rate, decision.case) == (Decimal(rate), case)


def test_reverse_charge_invoice_carries_the_legal_mention():
    buyer = factories.customer(
        kind="company",
        name="Klaus Weber",
        company_name="Weber GmbH",
        country="DE",
        vat_id="DE136695976",
        language="en",
    )
    with clock.frozen(date(2027, 3, 1)):
        invoice = issue_document(spec(buyer, "100.00"))
    assert (invoice.total, invoice.vat_total) == (Decimal("100.00"), Decimal("0.00"))
    assert "Article 196" in invoice.vat_note
    assert (invoice.buyer_name, invoice.buyer_vat_id) == ("Weber GmbH", "DE136695976")


def test_numbers_are_consecutive_per_kind_and_year():
    customer = factories.customer()
    with clock.frozen(date(2027, 12, 31)):
        docs = issue_documents([spec(customer, "10", day=date(2027, 12, 31)) for _ in range(3)])
        docs += [issue_document(spec(customer, "10", kind="proforma", day=date(2027, 12, 31)))]
        docs += [issue_document(spec(customer, "10", day=date(2028, 1, 1)))]
    assert [d.number for d in docs] == [
        "INV-2027-000001",
        "INV-2027-000002",
        "INV-2027-000003",
        "PRO-2027-000001",
        "INV-2028-000001",
    ]


def test_a_rolled_back_issue_leaves_no_hole():
    customer = factories.customer()
    with clock.frozen(date(2027, 3, 1)):
        issue_document(spec(customer, "10"))
        with pytest.raises(RuntimeError), transaction.atomic():
            issue_document(spec(customer, "10"))
            raise RuntimeError("the surrounding work failed")
        third = issue_document(spec(customer, "10"))
    assert third.number == "INV-2027-000002"
    assert NumberSeries.objects.get(kind="invoice", year=2027).next_number == 3


def test_a_document_without_lines_is_refused_and_takes_no_number():
    customer = factories.customer()
    with clock.frozen(date(2027, 3, 1)), pytest.raises(ValidationError):
        issue_document(
            DocumentSpec(customer=customer, kind="invoice", lines=[], issued_on=date(2027, 3, 1))
        )
    assert not Invoice.objects.exists() and not NumberSeries.objects.exists()


def test_vat_is_rounded_per_line_then_summed():
    customer = factories.customer()  # Greek person: 24 %
    with clock.frozen(date(2027, 3, 1)):
        invoice = issue_document(spec(customer, "0.10", "0.10", "0.10"))
    # each line: 0.10 × 24 % = 0.024 → 0.02; three lines → 0.06 (not 0.07 on 0.30)
    assert (invoice.subtotal, invoice.vat_total, invoice.total) == (
        Decimal("0.30"),
        Decimal("0.06"),
        Decimal("0.36"),
    )


def test_documents_keep_the_particulars_they_were_issued_with():
    customer = factories.customer(
        name="Νίκος Παπαδόπουλος", address="Τσιμισκή 1", city="Θεσσαλονίκη", postal_code="54624"
    )
    with clock.frozen(date(2027, 3, 1)):
        invoice = issue_document(spec(customer, "10"))
    customer.name, customer.address = "Someone Else", "Elsewhere 2"
    customer.save()
    invoice.refresh_from_db()
    assert (invoice.buyer_name, invoice.buyer_address) == (
        "Νίκος Παπαδόπουλος",
        "Τσιμισκή 1, 54624 Θεσσαλονίκη",
    )
    assert invoice.seller["vat_id"] and invoice.seller["country"] == "GR"


amounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("99999.99"), places=2)


@settings(max_examples=200, deadline=None)
@given(
    prices=st.lists(amounts, min_size=1, max_size=8),
    rate=st.sampled_from([Decimal(r) for r in ("0", "17", "19", "21", "23", "24", "25.5")]),
)
def test_line_amounts_always_add_up(prices, rate):
    lines = [compute_line(LineSpec("x", p), rate, "EUR", i) for i, p in enumerate(prices)]
    for line in lines:
        assert line.vat == round_money(line.net * rate / 100, "EUR")
        assert line.total == line.net + line.vat
    assert sum(ln.total for ln in lines) == sum(ln.net for ln in lines) + sum(
        ln.vat for ln in lines
    )

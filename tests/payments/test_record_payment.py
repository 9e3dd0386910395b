"""Recording payments: happy path and bad input that must write nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.lifecycle import services as lifecycle
from kyklos.notifications.models import Outbox
from kyklos.payments.models import Payment
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def proforma():
    company = factories.customer(
        kind="company", company_name="Ακτή ΑΕ", name="Γιώργος Αλεξίου", vat_id="EL094014201"
    )
    with clock.frozen(date(2027, 4, 1)):
        service = lifecycle.order_service(
            customer=company, product=factories.product(), cycle="annual"
        )
    return service.renewals.get().invoice


def state():
    return (
        Payment.objects.count(),
        Invoice.objects.count(),
        Outbox.objects.count(),
        list(Invoice.objects.values_list("status", flat=True).order_by("id")),
    )


def test_partial_then_full_payment_settles_and_issues_a_tax_invoice(proforma):
    assert proforma.total == Decimal("148.80")
    with clock.frozen(date(2027, 4, 2)):
        record_payment(proforma, amount="100.00", method="bank_transfer", reference="A1")
        proforma.refresh_from_db()
        assert proforma.status == Invoice.Status.OPEN
        record_payment(proforma, amount=Decimal("48.80"), method="bank_transfer")
    proforma.refresh_from_db()
    assert (proforma.status, proforma.paid_on) == (Invoice.Status.PAID, date(2027, 4, 2))
    invoice = Invoice.objects.get(related=proforma)
    # a company gets a tax invoice (a person a receipt)
    assert (invoice.kind, invoice.number, invoice.total) == (
        "invoice",
        "INV-2027-000001",
        Decimal("148.80"),
    )
    # the part payment is told; the one that settles it is told by the tax invoice (R3.4)
    assert Outbox.objects.filter(event="payment_received").count() == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "-5"}, "greater than zero"),
        ({"amount": "abc"}, "as a number"),
        ({"amount": "NaN"}, "greater than zero"),
        ({"amount": "148.81"}, "more than the 148.80 still owed"),
        ({"amount": "148.80", "currency": "USD"}, "in EUR"),
        ({"amount": "148.80", "method": "cash-in-envelope"}, "Unknown payment method"),
        ({"amount": "148.80", "paid_on": date(2027, 5, 1)}, "in the future"),
        # Issue 12: more decimals than the currency are refused, not rounded; no overflow.
        ({"amount": "0.005"}, "An amount in EUR has at most 2 decimals"),
        ({"amount": "1e-400"}, "An amount in EUR has at most 2 decimals"),
        ({"amount": "1e400", "excess_to_credit": True}, "must not be more than 999999999999.99"),
        ({"amount": "Infinity"}, "greater than zero"),
        # Issue 12: not before the document was issued (2027-04-01).
        ({"amount": "148.80", "paid_on": date(1, 1, 1)}, "before PRO-2027-000001 was issued"),
        ({"amount": "148.80", "paid_on": date(2027, 3, 31)}, "before PRO-2027-000001 was issued"),
    ],
)
def test_bad_payments_are_refused_and_write_nothing(proforma, kwargs, message):
    before = state()
    with clock.frozen(date(2027, 4, 2)), pytest.raises(ValidationError, match=message):
        record_payment(proforma, **{"method": "card", **kwargs})
    assert state() == before


def test_each_refusal_is_one_line_naming_the_field(proforma):
    cases = {
        "amount": {"amount": "0.005"},
        "paid_on": {"amount": "148.80", "paid_on": date(1, 1, 1)},
    }
    for field, kwargs in cases.items():
        with clock.frozen(date(2027, 4, 2)), pytest.raises(ValidationError) as refused:
            record_payment(proforma, **{"method": "card", **kwargs})
        assert list(refused.value.message_dict) == [field]
        (message,) = refused.value.message_dict[field]
        assert "\n" not in message


def test_trailing_zeros_and_the_issue_day_are_accepted(proforma):
    with clock.frozen(date(2027, 4, 2)):
        payment = record_payment(
            proforma, amount="148.8000", method="card", paid_on=date(2027, 4, 1)
        )
    assert (payment.amount, payment.paid_on) == (Decimal("148.80"), date(2027, 4, 1))


def test_paying_a_paid_or_cancelled_document_is_refused(proforma):
    with clock.frozen(date(2027, 4, 2)):
        record_payment(proforma, amount=proforma.total, method="card")
        before = state()
        with pytest.raises(ValidationError, match="already paid"):
            record_payment(proforma, amount="1.00", method="card")
    assert state() == before
    Invoice.objects.filter(pk=proforma.pk).update(status=Invoice.Status.CANCELLED)
    with clock.frozen(date(2027, 4, 2)), pytest.raises(ValidationError, match="cancelled"):
        record_payment(proforma, amount="1.00", method="card")


def test_a_refused_payment_is_logged(proforma, caplog):
    import logging

    with (
        clock.frozen(date(2027, 4, 2)),
        caplog.at_level(logging.WARNING, logger="kyklos.payments"),
        pytest.raises(ValidationError),
    ):
        record_payment(proforma, amount="-1", method="card")
    assert "record_payment refused: The amount must be greater than zero." in caplog.text


def test_a_reference_longer_than_a_payment_keeps_is_refused_not_cut(proforma):
    before = state()
    with clock.frozen(date(2027, 4, 2)), pytest.raises(ValidationError) as refused:
        record_payment(proforma, amount="148.80", method="bank_transfer", reference="x" * 141)
    assert list(refused.value.message_dict) == ["reference"]
    assert state() == before

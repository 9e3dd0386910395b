"""Money by hand: a manual document with one-off lines, a credit note against a document
(whole, by quantity or by amount), account credit and a refund — each with a reason and
an audit event; refused input writes nothing and takes no number."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core.models import AuditEvent
from kyklos.payments import selectors as payment_selectors
from kyklos.payments.models import CreditEntry, Direction, Method, Payment
from tests.console.conftest import counts

pytestmark = pytest.mark.django_db


def invoice_form(**fields):
    data = {"kind": "proforma", "due_days": "0", "reason": "Billed restore (R5.2)"}
    data.update(
        {
            "description_1": "Restore from backup",
            "quantity_1": "1",
            "price_1": "40.00",
            "description_2": "Extra work",
            "quantity_2": "2",
            "price_2": "25.00",
        }
    )
    data.update(fields)
    return data


# --- a document by hand -------------------------------------------------------------------


def test_billing_staff_issue_a_proforma_with_one_off_lines(console, maria):
    client = console("billing")
    response = client.post(reverse("console:invoice_new", args=[maria.pk]), invoice_form())
    assert response.status_code == 302
    document = Invoice.objects.get(kind=DocumentKind.PROFORMA)
    assert document.customer == maria and document.status == Invoice.Status.OPEN
    assert [(ln.description, ln.quantity, ln.net) for ln in document.lines.all()] == [
        ("Restore from backup", Decimal("1"), Decimal("40.00")),
        ("Extra work", Decimal("2"), Decimal("50.00")),
    ]
    assert document.subtotal == Decimal("90.00") and document.total == Decimal("111.60")
    assert document.reason == "Billed restore (R5.2)"
    event = AuditEvent.objects.get(action="invoice.issued_by_hand")
    assert event.actor.username == "billing-staff"
    assert event.data["reason"] == "Billed restore (R5.2)" and event.customer_id == maria.pk
    assert document.number in client.get(response["Location"]).content.decode()


def test_a_tax_document_by_hand_is_the_customers_kind_and_gets_the_payment_term(
    console, maria, today
):
    console("billing").post(
        reverse("console:invoice_new", args=[maria.pk]), invoice_form(kind="tax", due_days="14")
    )
    document = Invoice.objects.exclude(pk=maria.invoice.pk).get()
    assert document.kind == DocumentKind.INVOICE  # Maria is a company
    assert document.number == "INV-2027-000002"
    assert (document.due_on - today).days == 14


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"reason": ""}, "This field is required."),
        (
            {"description_1": "", "price_1": "", "description_2": "", "price_2": ""},
            "Add at least one line.",
        ),
        ({"price_2": ""}, "Give both a description and a price for this line."),
        ({"price_1": "-5"}, "Ensure this value is greater than or equal to 0.01."),
        ({"due_days": "400"}, "Ensure this value is less than or equal to 365."),
        ({"kind": "receipt-now"}, "Select a valid choice."),
    ],
)
def test_refused_input_issues_nothing(console, maria, fields, error):
    before = counts()
    response = console("billing").post(
        reverse("console:invoice_new", args=[maria.pk]), invoice_form(**fields)
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert counts() == before


def test_a_refusal_in_the_service_takes_no_number(console, maria, staff):
    """The next document after a refused one gets the next number: none was used."""
    from django.core.exceptions import ValidationError

    from kyklos.billing.services import LineSpec, issue_manual_document

    with pytest.raises(ValidationError, match="reason"):
        issue_manual_document(
            maria, lines=[LineSpec("x", Decimal("1"))], reason="  ", actor=staff("billing")
        )
    maria.status = "locked"
    with pytest.raises(ValidationError, match="locked"):
        issue_manual_document(
            maria, lines=[LineSpec("x", Decimal("1"))], reason="r", kind="tax", actor=None
        )
    maria.status = "active"
    document = issue_manual_document(
        maria, lines=[LineSpec("x", Decimal("1"))], reason="r", kind="tax", actor=None
    )
    assert document.number == "INV-2027-000002"


# --- credit notes -------------------------------------------------------------------------


def test_a_partial_credit_note_by_amount_and_by_quantity(console, maria):
    hosting, setup = maria.invoice.lines.all()
    client = console("billing")
    url = reverse("console:credit_note", args=[maria.invoice.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {f"amount_{hosting.pk}": "30.00", "reason": "Uptime below 99.9 % (R5.3)"}
    )
    assert response.status_code == 302
    note = Invoice.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert note.related == maria.invoice and note.reason == "Uptime below 99.9 % (R5.3)"
    assert note.subtotal == Decimal("30.00") and note.total == Decimal("37.20")
    assert AuditEvent.objects.filter(action="invoice.credit_note_issued").count() == 1

    client.post(url, {f"quantity_{setup.pk}": "1", "reason": "Setup waived"})
    second = Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).latest("id")
    assert second.subtotal == Decimal("30.00")
    # What is left of the hosting line is shown; more than that is refused.
    page = client.get(url).content.decode()
    assert "90.00" in page
    before = counts()
    refused = client.post(url, {f"amount_{hosting.pk}": "90.01", "reason": "Too much"})
    assert "more than the 90.00 left to credit" in refused.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        {"reason": "No lines"},
        {"reason": "", "whole": "on"},
        {"reason": "Both", "whole": "on", "amount_LINE": "5"},
        {"reason": "Both ways", "amount_LINE": "5", "quantity_LINE": "1"},
    ],
)
def test_a_refused_credit_note_writes_nothing(console, maria, data):
    line = maria.invoice.lines.first()
    data = {k.replace("LINE", str(line.pk)): v for k, v in data.items()}
    before = counts()
    response = console("billing").post(
        reverse("console:credit_note", args=[maria.invoice.pk]), data
    )
    assert response.status_code == 200
    assert counts() == before


def test_a_proforma_is_not_credited(console, maria, staff):
    from kyklos.billing.services import LineSpec, issue_manual_document

    proforma = issue_manual_document(
        maria, lines=[LineSpec("x", Decimal("10"))], reason="r", actor=staff("billing")
    )
    before = counts()
    response = console("billing").post(
        reverse("console:credit_note", args=[proforma.pk]), {"whole": "on", "reason": "r"}
    )
    assert "is a proforma: cancel it instead" in response.content.decode()
    assert counts() == before


# --- account credit -----------------------------------------------------------------------


def test_account_credit_by_hand_with_a_reason(console, maria):
    response = console("billing").post(
        reverse("console:account_credit", args=[maria.pk]),
        {"amount": "12.00", "currency": "eur", "reason": "Uptime promise: a free month"},
    )
    assert response.status_code == 302
    entry = CreditEntry.objects.get()
    assert entry.kind == CreditEntry.Kind.ADJUSTMENT and entry.amount == Decimal("12.00")
    assert entry.currency == "EUR" and entry.note == "Uptime promise: a free month"
    assert payment_selectors.credit_balance(maria.pk, "EUR") == Decimal("12.00")
    event = AuditEvent.objects.get(action="credit.granted_by_hand")
    assert event.data["reason"] == "Uptime promise: a free month"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"amount": "12", "currency": "EUR", "reason": ""}, "This field is required."),
        ({"amount": "0", "currency": "EUR", "reason": "r"}, "greater than or equal to 0.01"),
        ({"amount": "12", "currency": "E1", "reason": "r"}, "3-letter code"),
        ({"amount": "12.001", "currency": "EUR", "reason": "r"}, "decimal places"),
    ],
)
def test_refused_account_credit_writes_nothing(console, maria, data, error):
    before = counts()
    response = console("billing").post(reverse("console:account_credit", args=[maria.pk]), data)
    assert response.status_code == 200 and error in response.content.decode()
    assert counts() == before


# --- refunds ------------------------------------------------------------------------------


def test_a_refund_by_hand_to_account_credit(console, maria):
    """R4.1: the domain was taken before the payment was confirmed; the customer gets
    the money back as account credit."""
    setup = maria.invoice.lines.all()[1]
    response = console("billing").post(
        reverse("console:refund", args=[maria.invoice.pk]),
        {f"quantity_{setup.pk}": "1", "reason": "Domain taken (R4.1)", "way": "credit"},
    )
    assert response.status_code == 302
    note = Invoice.objects.get(kind=DocumentKind.CREDIT_NOTE)
    assert note.total == Decimal("37.20")
    out = Payment.objects.get(direction=Direction.OUT)
    assert out.invoice == note and out.method == Method.ACCOUNT_CREDIT
    assert payment_selectors.credit_balance(maria.pk, "EUR") == Decimal("37.20")
    event = AuditEvent.objects.get(action="invoice.refunded_by_hand")
    assert event.data == {
        "credit_note": note.number,
        "amount": "37.20",
        "way": "credit",
        "reason": "Domain taken (R4.1)",
    }


def test_a_refund_paid_out_by_transfer_needs_its_reference(console, maria):
    client = console("billing")
    url = reverse("console:refund", args=[maria.invoice.pk])
    before = counts()
    refused = client.post(url, {"whole": "on", "reason": "Goodwill", "way": "bank_transfer"})
    assert "Give the reference of the transfer" in refused.content.decode()
    assert counts() == before
    client.post(
        url, {"whole": "on", "reason": "Goodwill", "way": "bank_transfer", "reference": "TR-99"}
    )
    out = Payment.objects.get(direction=Direction.OUT)
    assert out.reference == "TR-99" and out.amount == maria.invoice.total
    assert not CreditEntry.objects.exists()


def test_an_unpaid_document_is_not_refunded(console, maria, staff):
    from kyklos.billing.services import LineSpec, issue_manual_document

    open_invoice = issue_manual_document(
        maria, lines=[LineSpec("x", Decimal("10"))], reason="r", kind="tax", actor=None
    )
    before = counts()
    response = console("billing").post(
        reverse("console:refund", args=[open_invoice.pk]),
        {"whole": "on", "reason": "r", "way": "credit"},
    )
    assert "is not paid; credit it instead" in response.content.decode()
    assert counts() == before


def test_support_staff_may_not_bill_or_refund(console, maria):
    client = console("support")
    assert client.get(reverse("console:invoice_new", args=[maria.pk])).status_code == 403
    assert client.post(reverse("console:refund", args=[maria.invoice.pk])).status_code == 403
    assert client.post(reverse("console:account_credit", args=[maria.pk])).status_code == 403

"""Credit notes: the only way to reduce an issued document (R6.1); issued documents are
never edited or deleted."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.billing.models import Invoice, InvoiceLine, IssuedDocumentError, NumberSeries
from kyklos.billing.selectors import credited_total
from kyklos.billing.services import (
    CreditLine,
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
)
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


def invoice_with(customer, *lines, kind="invoice", day=date(2027, 3, 1)):
    with clock.frozen(day):
        return issue_document(
            DocumentSpec(
                customer=customer,
                kind=kind,
                issued_on=day,
                lines=[
                    LineSpec(description=d, unit_price=D(p), quantity=D(q)) for d, p, q in lines
                ],
            )
        )


@pytest.fixture
def greek_invoice():
    # A Greek company: 24 % VAT. Hosting 120.00 (VAT 28.80), domain 15.00 (VAT 3.60).
    buyer = factories.customer(kind="company", company_name="Alfa IKE", vat_id="EL094014201")
    return invoice_with(buyer, ("Hosting 2027", "120.00", "1"), ("Domain alfa.gr", "15.00", "1"))


def credit(invoice, lines=None, reason="Cancelled order", day=date(2027, 3, 10)):
    with clock.frozen(day):
        return issue_credit_note(invoice, lines=lines, reason=reason, actor=None)


def test_a_full_credit_note_mirrors_the_invoice_and_references_it(greek_invoice):
    note = credit(greek_invoice)
    assert note.kind == "credit_note"
    assert note.number == "CN-2027-000001"
    assert note.related == greek_invoice
    assert note.issued_on == date(2027, 3, 10)
    assert (note.subtotal, note.vat_total, note.total) == (D("135.00"), D("32.40"), D("167.40"))
    assert [(ln.description, ln.net, ln.vat, ln.vat_rate) for ln in note.lines.all()] == [
        ("Hosting 2027", D("120.00"), D("28.80"), D("24.00")),
        ("Domain alfa.gr", D("15.00"), D("3.60"), D("24.00")),
    ]
    assert (note.buyer_name, note.buyer_vat_id, note.reason) == (
        "Alfa IKE",
        "EL094014201",
        "Cancelled order",
    )
    assert note.status == Invoice.Status.ISSUED
    greek_invoice.refresh_from_db()
    assert greek_invoice.status == Invoice.Status.CREDITED  # it was unpaid: nothing left to pay
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"invoice.credit_note_issued", "invoice.credited"} <= actions


def test_a_partial_credit_by_quantity():
    buyer = factories.customer()  # Greek person, 24 %
    receipt = invoice_with(buyer, ("Maintenance, month", "50.00", "12"), kind="receipt")
    (line,) = receipt.lines.all()
    note = credit(receipt, [CreditLine(line, quantity=D("3"))])
    # 3 × 50.00 = 150.00, VAT 36.00
    assert (note.subtotal, note.vat_total, note.total) == (D("150.00"), D("36.00"), D("186.00"))
    (credited,) = note.lines.all()
    assert (credited.quantity, credited.unit_price, credited.credited_line) == (
        D("3"),
        D("50.00"),
        line,
    )
    receipt.refresh_from_db()
    assert receipt.status == Invoice.Status.OPEN  # 450.00 + VAT still owed


def test_partial_credits_by_amount_then_the_rest(greek_invoice):
    hosting, domain = greek_invoice.lines.all()
    first = credit(greek_invoice, [CreditLine(hosting.pk, net=D("40.00"))])
    assert (first.subtotal, first.vat_total, first.total) == (D("40.00"), D("9.60"), D("49.60"))
    rest = credit(greek_invoice)  # what is left: hosting 80.00 and the domain 15.00
    assert [(ln.net, ln.vat) for ln in rest.lines.all()] == [
        (D("80.00"), D("19.20")),
        (D("15.00"), D("3.60")),
    ]
    assert rest.number == "CN-2027-000002"
    with pytest.raises(ValidationError, match="already wholly credited"):
        credit(greek_invoice)


def test_a_line_credited_in_parts_nets_to_its_vat_exactly():
    buyer = factories.customer()
    invoice = invoice_with(buyer, ("Tiny", "0.03", "1"))  # VAT 0.0072 → 0.01
    (line,) = invoice.lines.all()
    vats = [credit(invoice, [CreditLine(line, net=D("0.01"))]).vat_total for _ in range(3)]
    # 0.01 × 24 % rounds to 0.00 twice; the last part takes the 0.01 left.
    assert vats == [D("0.00"), D("0.00"), D("0.01")]


def test_a_reverse_charged_invoice_is_credited_without_vat_and_with_the_mention():
    buyer = factories.customer(
        kind="company", company_name="Weber GmbH", country="DE", vat_id="DE136695976"
    )
    invoice = invoice_with(buyer, ("Hosting", "100.00", "1"))
    note = credit(invoice)
    assert (note.total, note.vat_total, note.vat_case) == (D("100.00"), D("0.00"), "reverse_charge")
    assert "Article 196" in note.vat_note


def test_credit_numbers_run_per_year():
    buyer = factories.customer()
    invoice = invoice_with(buyer, ("Hosting", "100.00", "1"))
    (line,) = invoice.lines.all()
    a = credit(invoice, [CreditLine(line, net=D("10"))], day=date(2027, 12, 31))
    b = credit(invoice, [CreditLine(line, net=D("10"))], day=date(2028, 1, 2))
    assert (a.number, b.number) == ("CN-2027-000001", "CN-2028-000001")


def _nothing_written(invoice):
    return (
        Invoice.objects.count() == 1
        and not NumberSeries.objects.filter(kind="credit_note").exists()
        and Invoice.objects.get(pk=invoice.pk).status == Invoice.Status.OPEN
    )


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"net": D("120.01")}, "more than the 120.00 left"),
        ({"quantity": D("2")}, "Credit between 0 and 1"),
        ({"net": D("0")}, "greater than zero"),
        ({"net": D("-5")}, "greater than zero"),
        ({"net": D("1"), "quantity": D("1")}, "not both"),
    ],
)
def test_a_credit_beyond_the_original_is_refused_and_nothing_is_written(
    greek_invoice, request_, message
):
    hosting = greek_invoice.lines.first()
    with pytest.raises(ValidationError, match=message):
        credit(greek_invoice, [CreditLine(hosting, **request_)])
    assert _nothing_written(greek_invoice)


def test_a_credit_beyond_what_earlier_credit_notes_left_is_refused(greek_invoice):
    hosting = greek_invoice.lines.first()
    credit(greek_invoice, [CreditLine(hosting, net=D("100.00"))])
    with pytest.raises(ValidationError, match="more than the 20.00 left"):
        credit(greek_invoice, [CreditLine(hosting, net=D("30.00"))])
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_what_cannot_be_credited(greek_invoice):
    buyer = greek_invoice.customer
    proforma = invoice_with(buyer, ("Hosting", "10.00", "1"), kind="proforma")
    with pytest.raises(ValidationError, match="is a proforma"):
        credit(proforma)
    note = credit(greek_invoice)
    with pytest.raises(ValidationError, match="is a credit note"):
        credit(note)
    other = invoice_with(buyer, ("Other", "10.00", "1"))
    with pytest.raises(ValidationError, match="is not a line of"):
        credit(other, [CreditLine(greek_invoice.lines.first())])
    with pytest.raises(ValidationError, match="reason"):
        credit(other, reason="  ")
    assert Invoice.objects.filter(kind="credit_note").count() == 1


def test_issued_documents_are_never_edited_or_deleted(greek_invoice):
    greek_invoice.total = D("1.00")
    with pytest.raises(IssuedDocumentError, match="cannot be edited"):
        greek_invoice.save()
    with pytest.raises(IssuedDocumentError, match="never deleted"):
        greek_invoice.delete()
    with pytest.raises(IssuedDocumentError, match="never deleted"):
        Invoice.objects.all().delete()
    with pytest.raises(IssuedDocumentError, match=r"cannot be edited \(buyer_name, total\)"):
        Invoice.objects.filter(pk=greek_invoice.pk).update(total=D("1"), buyer_name="X")
    line = greek_invoice.lines.first()
    line.net = D("1.00")
    with pytest.raises(IssuedDocumentError):
        line.save()
    with pytest.raises(IssuedDocumentError):
        line.delete()
    with pytest.raises(IssuedDocumentError):
        InvoiceLine.objects.filter(pk=line.pk).update(net=D("1"))
    greek_invoice.refresh_from_db()
    assert (greek_invoice.total, greek_invoice.lines.first().net) == (D("167.40"), D("120.00"))
    # Only the payment state moves.
    greek_invoice.status, greek_invoice.paid_on = Invoice.Status.PAID, date(2027, 3, 2)
    greek_invoice.save(update_fields=["status", "paid_on"])
    assert Invoice.objects.get(pk=greek_invoice.pk).status == "paid"


def test_the_admin_shows_documents_read_only(admin_client, greek_invoice):
    page = admin_client.get(f"/admin/billing/invoice/{greek_invoice.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        admin_client.post(f"/admin/billing/invoice/{greek_invoice.pk}/delete/").status_code == 403
    )
    assert Invoice.objects.filter(pk=greek_invoice.pk).exists()


def test_a_quantity_credit_prorates_the_lines_discount():
    buyer = factories.customer()
    with clock.frozen(date(2027, 3, 1)):
        invoice = issue_document(
            DocumentSpec(
                customer=buyer,
                kind="invoice",
                issued_on=date(2027, 3, 1),
                lines=[LineSpec("Maintenance", D("50.00"), quantity=D("12"), discount=D("60.00"))],
            )
        )
    (line,) = invoice.lines.all()  # 600.00 − 60.00 = 540.00, VAT 129.60
    note = credit(invoice, [CreditLine(line, quantity=D("3"))])
    # 3 × 50.00 = 150.00 − 15.00 (3/12 of the discount) = 135.00; VAT 24 % = 32.40
    (credited,) = note.lines.all()
    assert (credited.discount, credited.net, credited.vat) == (D("15.00"), D("135.00"), D("32.40"))
    assert credited_total(invoice) == D("167.40")


def test_an_empty_list_of_lines_is_refused(greek_invoice):
    with pytest.raises(ValidationError, match="at least one line"):
        credit(greek_invoice, [])
    assert _nothing_written(greek_invoice)


def test_the_only_edit_allowed_is_erasing_the_buyer_when_retention_ends(greek_invoice):
    documents = Invoice.objects.filter(pk=greek_invoice.pk)
    with pytest.raises(IssuedDocumentError, match="cannot be edited"):
        documents.update(buyer_name="Someone Else")
    with pytest.raises(IssuedDocumentError, match="cannot be edited"):
        documents.update(buyer_name="Erased customer", buyer_address="kept", total=D("0"))

    documents.update(buyer_name="Erased customer", buyer_address="", buyer_vat_id="")

    greek_invoice.refresh_from_db()
    assert (greek_invoice.buyer_name, greek_invoice.buyer_address) == ("Erased customer", "")
    assert greek_invoice.total == D("167.40")

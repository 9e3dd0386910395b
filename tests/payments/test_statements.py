"""camt.053 import (R6.4): credits matched by the reference in the remittance
information; the rest waits for staff; a file that is not camt.053 writes nothing."""

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.payments import bank, fees
from kyklos.payments.models import (
    BankStatement,
    CreditEntry,
    Payment,
    ReviewStatus,
    StatementLine,
    TransferProof,
)
from kyklos.payments.selectors import credit_balance
from tests import factories
from tests.payments.camt_samples import IBAN, SAMPLES, Entry, statement
from tests.payments.conftest import proforma_for

pytestmark = pytest.mark.django_db


def written():
    return (
        BankStatement.objects.count(),
        StatementLine.objects.count(),
        Payment.objects.count(),
        CreditEntry.objects.count(),
        AuditEvent.objects.count(),
    )


def test_a_credit_naming_the_proforma_pays_it_and_starts_the_order(order, proforma, today):
    data = statement(Entry("148.80", "PLIROMI PRO-2027-000001 AKTI AE"))

    imported = bank.import_statement(data, file_name="nbg-2027-04-02.xml")

    assert imported.summary == {
        "credits": 1,
        "already_imported": 0,
        "matched": 1,
        "unmatched": 0,
        "debits_skipped": 0,
        "not_booked_skipped": 0,
    }
    line = imported.lines.get()
    assert (line.status, line.invoice, line.amount, line.debtor_name) == (
        "matched",
        proforma,
        Decimal("148.80"),
        "ΑΚΤΗ ΑΕ",
    )
    assert (line.payment.method, line.payment.paid_on, line.payment.amount) == (
        "bank_transfer",
        date(2027, 4, 2),
        Decimal("148.80"),
    )
    proforma.refresh_from_db()
    order.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    assert order.state == State.ACTIVE
    assert Invoice.objects.get(related=proforma).number == "INV-2027-000001"


@pytest.mark.parametrize(
    "remittance",
    [
        "pro 2027 000001",
        "PRO2027000001",
        "Invoice: PRO-2027-000001, thanks",
    ],
)
def test_the_number_is_found_with_other_separators(proforma, today, remittance):
    imported = bank.import_statement(statement(Entry("148.80", remittance)), file_name="s.xml")
    assert imported.lines.get().status == "matched"


def test_a_structured_creditor_reference_matches(proforma, today):
    reference = bank.creditor_reference(proforma)
    # ISO 11649: RF + check digits + the number without separators
    assert reference.startswith("RF") and reference.endswith("PRO2027000001")
    imported = bank.import_statement(
        statement(Entry("148.80", structured=reference)), file_name="s.xml"
    )
    assert imported.lines.get().invoice == proforma


def test_an_overpayment_pays_the_document_and_the_rest_becomes_credit(company, proforma, today):
    bank.import_statement(statement(Entry("200.00", "PRO-2027-000001")), file_name="s.xml")
    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.PAID
    # 200.00 − 148.80 = 51.20
    assert credit_balance(company.pk, "EUR") == Decimal("51.20")


def test_a_partial_transfer_is_recorded_and_the_document_stays_open(proforma, today):
    bank.import_statement(statement(Entry("100.00", "PRO-2027-000001")), file_name="s.xml")
    proforma.refresh_from_db()
    assert proforma.status == Invoice.Status.OPEN
    assert Payment.objects.get(invoice=proforma).amount == Decimal("100.00")


def test_a_transfer_cancels_a_card_fee_chosen_earlier(proforma, today):
    from kyklos.payments.models import Checkout

    _quote, fee_document = fees.issue_fee_document(proforma, "card")
    Checkout.objects.create(
        invoice=proforma,
        customer=proforma.customer,
        method="card",
        fee_invoice=fee_document,
        amount=Decimal("151.78"),
        currency="EUR",
        created_at=proforma.created_at,
    )
    bank.import_statement(statement(Entry("148.80", "PRO-2027-000001")), file_name="s.xml")
    proforma.refresh_from_db()
    fee_document.refresh_from_db()
    assert (proforma.status, fee_document.status) == (Invoice.Status.PAID, "cancelled")


def test_credits_that_cannot_be_matched_wait_for_review(company, proforma, today):
    other = proforma_for(company, "10.00")  # PRO-2027-000002
    Invoice.objects.filter(pk=other.pk).update(status=Invoice.Status.CANCELLED)
    data = statement(
        Entry("50.00", "hosting renewal"),
        Entry("148.80", "PRO-2027-000001", currency="USD"),
        Entry("12.40", "PRO-2027-000002"),
        Entry("161.20", "PRO-2027-000001 PRO-2027-000002"),
        Entry("80.00", "registry fees", credit=False),
    )

    imported = bank.import_statement(data, file_name="s.xml")

    problems = dict(imported.lines.values_list("amount", "problem"))
    assert problems == {
        Decimal("50.00"): "No document number or creditor reference found.",
        Decimal("148.80"): "This document is in EUR; record the payment in EUR.",
        Decimal("12.40"): "PRO-2027-000002 is cancelled.",
        Decimal("161.20"): "Names several documents: PRO-2027-000001, PRO-2027-000002.",
    }
    assert imported.summary["unmatched"] == 4
    assert imported.summary["debits_skipped"] == 1
    assert Payment.objects.count() == 0


def test_the_second_transfer_for_the_same_document_waits_for_review(proforma, today):
    data = statement(Entry("148.80", "PRO-2027-000001"), Entry("148.80", "PRO-2027-000001"))
    imported = bank.import_statement(data, file_name="s.xml")
    assert list(imported.lines.values_list("status", "problem")) == [
        ("matched", ""),
        ("unmatched", "PRO-2027-000001 is already paid."),
    ]


def test_the_v08_sample_with_a_batch_a_debit_and_a_pending_entry(proforma, today):
    data = (SAMPLES / "camt053_v08_batch.xml").read_bytes()
    imported = bank.import_statement(data, file_name="camt053_v08_batch.xml")
    assert imported.account_iban == IBAN
    assert imported.summary == {
        "credits": 2,
        "already_imported": 0,
        "matched": 1,
        "unmatched": 1,
        "debits_skipped": 1,
        "not_booked_skipped": 1,
    }
    refs = list(imported.lines.values_list("entry_reference", "debtor_name", "status"))
    assert refs == [
        ("NBG-B-20270405-7781/1", "ΠΑΠΑΔΟΠΟΥΛΟΥ ΕΛΕΝΗ", "matched"),
        ("NBG-B-20270405-7781/2", "IOANNOU NIKOS", "unmatched"),
    ]


def test_the_same_file_twice_is_refused_and_overlapping_entries_are_stored_once(proforma, today):
    first = statement(Entry("148.80", "PRO-2027-000001", ref="A1"), statement_id="S1")
    bank.import_statement(first, file_name="s1.xml")
    before = written()
    with pytest.raises(ValidationError, match="already imported"):
        bank.import_statement(first, file_name="again.xml")
    assert written() == before
    # The next day's statement repeats entry A1 and adds B2.
    second = statement(
        Entry("148.80", "PRO-2027-000001", ref="A1"),
        Entry("20.00", "donation", ref="B2"),
        statement_id="S2",
    )
    imported = bank.import_statement(second, file_name="s2.xml")
    assert imported.summary["already_imported"] == 1
    assert Payment.objects.count() == 1


BAD_FILES = [
    (b"", "not well-formed XML"),
    (b"Date;Amount;Text\n2027-04-02;148.80;PRO-2027-000001\n", "not well-formed XML"),
    ((SAMPLES / "camt054_notification.xml").read_bytes(), "not a camt.053 statement"),
    (
        b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03">'
        b"<CstmrCdtTrfInitn/></Document>",
        "not a camt.053 statement",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&lol2;</Document>',
        "not well-formed XML",
    ),
    (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>',
        "not well-formed XML",
    ),
    (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        b"<GrpHdr><MsgId>M</MsgId></GrpHdr></BkToCstmrStmt></Document>",
        "holds no statement",
    ),
    (statement(Entry("abc", "PRO-2027-000001")), "unreadable amount"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_file_that_is_not_camt053_is_refused_writes_nothing_and_is_logged(
    proforma, today, caplog, data, message
):
    before = written()
    with (
        caplog.at_level(logging.WARNING, logger="kyklos.payments"),
        pytest.raises(ValidationError, match="not an ISO 20022 camt.053 statement") as error,
    ):
        bank.import_statement(data, file_name="upload.xml")
    assert message in str(error.value)
    assert written() == before
    assert "import_statement refused" in caplog.text


def test_the_import_reads_all_references_in_one_query(company, today):
    invoices = [proforma_for(company, "10.00") for _ in range(5)]
    entries = [Entry("1.00", f"PAYMENT {inv.number}") for inv in invoices]
    entries += [Entry("2.00", "NO REFERENCE") for _ in range(5)]
    with CaptureQueriesContext(connection) as few:
        bank.import_statement(statement(*entries[:1], *entries[5:6]), file_name="a.xml")
    with CaptureQueriesContext(connection) as many:
        bank.import_statement(
            statement(*entries[1:5], *entries[6:], statement_id="S9"), file_name="b.xml"
        )
    lookups = [q for q in many.captured_queries if 'FROM "billing_invoice"' in q["sql"]]
    # a partial payment costs a fixed number of statements; the matching itself is one query
    per_payment = (len(many) - len(few)) / 3
    assert per_payment <= 15
    assert len([q for q in lookups if "REPLACE" in q["sql"].upper()]) == 1


# --- staff review -------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("anna", is_staff=True)


def unmatched_line(amount="148.80", remittance="HOSTING AKTI"):
    bank.import_statement(statement(Entry(amount, remittance)), file_name="s.xml")
    return StatementLine.objects.get(status="unmatched")


def test_staff_assign_an_unmatched_credit_to_its_document(proforma, today, staff):
    line = bank.assign_line(unmatched_line(), invoice=proforma, actor=staff, note="phoned")
    proforma.refresh_from_db()
    assert (line.status, line.decided_by, proforma.status) == ("resolved", staff, "paid")


def test_staff_put_an_unmatched_credit_on_a_customers_account(company, today, staff):
    bank.credit_line(unmatched_line("30.00"), customer=company, actor=staff)
    assert credit_balance(company.pk, "EUR") == Decimal("30.00")


def test_staff_ignore_credits_that_are_not_payments_with_a_reason(today, staff):
    line = unmatched_line("0.42", "INTEREST")
    with pytest.raises(ValidationError, match="Say why"):
        bank.ignore_lines([line], actor=staff, note=" ")
    assert bank.ignore_lines([line], actor=staff, note="bank interest") == 1
    line.refresh_from_db()
    assert line.status == "ignored"
    with pytest.raises(ValidationError, match="already dealt with"):
        bank.credit_line(line, customer=factories.customer(), actor=staff)


def test_a_statement_match_closes_a_proof_waiting_for_the_same_document(proforma, today):
    bank.submit_proof(
        proforma,
        document=SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof"),
        amount="148.80",
        paid_on=date(2027, 4, 2),
    )
    bank.import_statement(statement(Entry("148.80", "PRO-2027-000001")), file_name="s.xml")
    proof = TransferProof.objects.get()
    assert proof.status == ReviewStatus.APPROVED
    assert proof.payment == Payment.objects.get()


def test_a_credit_booked_before_the_document_or_with_a_third_decimal_waits_for_review(
    proforma, today
):
    """Issue 12: the import asks the same rules as record_payment (the line goes to review
    instead of paying a document issued after the money arrived, or rounding an amount)."""
    data = statement(
        Entry("148.80", "PRO-2027-000001", booked="2027-03-31"),
        Entry("148.805", "PRO-2027-000001", ref="third-decimal"),
    )

    imported = bank.import_statement(data, file_name="s.xml")

    assert sorted(imported.lines.values_list("problem", flat=True)) == [
        "A payment cannot be dated before PRO-2027-000001 was issued (2027-04-01).",
        "An amount in EUR has at most 2 decimals.",
    ]
    assert imported.summary["matched"] == 0
    assert Payment.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "0.005", "paid_on": date(2027, 4, 1)}, "at most 2 decimals"),
        ({"amount": "148.80", "paid_on": date(1, 1, 1)}, "before PRO-2027-000001 was issued"),
    ],
)
def test_a_proof_with_a_third_decimal_or_dated_before_the_document_is_refused(
    proforma, today, fields, message
):
    before = written()
    with pytest.raises(ValidationError, match=message):
        bank.submit_proof(proforma, document=SimpleUploadedFile("p.pdf", b"%PDF-1.4"), **fields)
    assert written() == before
    assert TransferProof.objects.count() == 0

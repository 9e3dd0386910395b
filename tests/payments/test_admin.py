"""Staff work the review queue in the admin, through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kyklos.payments import bank
from kyklos.payments.models import (
    BankStatement,
    IdentityCheck,
    Payment,
    StatementLine,
    TransferProof,
)
from tests.payments.camt_samples import Entry, statement

pytestmark = pytest.mark.django_db


def test_staff_import_a_statement_and_see_unmatched_lines(admin_client, proforma, today):
    data = statement(Entry("148.80", "PRO-2027-000001"), Entry("9.99", "who knows"))
    response = admin_client.post(
        reverse("admin:payments_bankstatement_add"),
        {"file": SimpleUploadedFile("nbg.xml", data, "text/xml")},
    )
    assert response.status_code == 302
    assert BankStatement.objects.get().summary["matched"] == 1
    queue = admin_client.get(
        reverse("admin:payments_statementline_changelist") + "?status__exact=unmatched"
    ).content.decode()
    assert "who knows" in queue


def test_a_file_that_is_not_camt053_shows_the_error(admin_client, today):
    response = admin_client.post(
        reverse("admin:payments_bankstatement_add"),
        {"file": SimpleUploadedFile("x.csv", b"a;b;c", "text/csv")},
    )
    assert response.status_code == 200
    assert "This is not an ISO 20022 camt.053 statement" in response.content.decode()
    assert BankStatement.objects.count() == 0


def test_staff_approve_a_proof(admin_client, proforma, today):
    proof = bank.submit_proof(
        proforma,
        document=SimpleUploadedFile("p.pdf", b"%PDF-1.4"),
        amount="148.80",
        paid_on=date(2027, 4, 1),
    )
    url = reverse("admin:payments_transferproof_change", args=[proof.pk])
    response = admin_client.post(url, {"decision": "approve", "amount_seen": "", "note": ""})
    assert response.status_code == 302
    proof.refresh_from_db()
    proforma.refresh_from_db()
    assert (proof.status, proforma.status) == ("approved", "paid")


def test_staff_assign_an_unmatched_line(admin_client, proforma, today):
    bank.import_statement(statement(Entry("148.80", "hosting")), file_name="s.xml")
    line = StatementLine.objects.get()
    url = reverse("admin:payments_statementline_change", args=[line.pk])
    response = admin_client.post(
        url, {"decision": "assign", "invoice": proforma.pk, "customer": "", "note": "phoned"}
    )
    assert response.status_code == 302
    line.refresh_from_db()
    assert (line.status, line.payment.amount) == ("resolved", Decimal("148.80"))


def test_staff_ask_for_an_id(admin_client, proforma, today):
    response = admin_client.post(
        reverse("admin:payments_identitycheck_add"),
        {"invoice": proforma.pk, "reason": "high value", "decision": "", "note": ""},
    )
    assert response.status_code == 302
    assert IdentityCheck.objects.get().status == "requested"
    assert TransferProof.objects.count() == 0


@pytest.mark.parametrize(
    ("amount", "paid_on", "message"),
    [
        ("0.005", "2027-04-02", "no more than 2 decimal places"),  # the form field already
        ("148.80", "2027-03-01", "A payment cannot be dated before PRO-2027-000001 was issued"),
    ],
)
def test_the_payment_form_refuses_what_the_service_refuses(
    admin_client, proforma, today, amount, paid_on, message
):
    """Issue 12: the admin's form records through record_payment and shows its answer."""
    response = admin_client.post(
        reverse("admin:payments_payment_add"),
        {
            "invoice": proforma.pk,
            "amount": amount,
            "method": "bank_transfer",
            "paid_on": paid_on,
            "reference": "",
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Payment.objects.exists()

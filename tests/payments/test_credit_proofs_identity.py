"""Account credit, bank-transfer proofs and the identity-check hold (R6.4, R6.5)."""

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.payments import bank, identity
from kyklos.payments.models import CreditEntry, IdentityCheck, Payment, TransferProof
from kyklos.payments.selectors import credit_balance, credit_balances
from kyklos.payments.services import apply_credit, record_payment
from tests.payments.conftest import proforma_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("anna", is_staff=True)


def written():
    return (
        Payment.objects.count(),
        CreditEntry.objects.count(),
        TransferProof.objects.count(),
        IdentityCheck.objects.count(),
        AuditEvent.objects.count(),
        Outbox.objects.count(),
        list(Invoice.objects.values_list("status", "total").order_by("id")),
    )


# --- account credit -----------------------------------------------------------------------


def test_an_overpayment_becomes_credit_that_pays_a_later_invoice(company, proforma, today):
    record_payment(proforma, amount="200.00", method="manual", excess_to_credit=True)
    # 200.00 − 148.80 = 51.20 credit
    assert credit_balances(company.pk) == {"EUR": Decimal("51.20")}

    later = proforma_for(company, "30.00")  # 30.00 + 7.20 VAT = 37.20
    payment = apply_credit(later)
    later.refresh_from_db()
    assert (payment.method, payment.amount, later.status) == ("credit", Decimal("37.20"), "paid")
    # 51.20 − 37.20 = 14.00 left
    assert credit_balance(company.pk, "EUR") == Decimal("14.00")

    third = proforma_for(company, "100.00")  # 124.00
    apply_credit(third)
    third.refresh_from_db()
    assert third.status == "open"
    assert Payment.objects.filter(invoice=third).get().amount == Decimal("14.00")
    assert credit_balance(company.pk, "EUR") == Decimal("0.00")


def test_overpaying_without_saying_so_is_refused(proforma, today):
    with pytest.raises(ValidationError, match="more than the 148.80 still owed"):
        record_payment(proforma, amount="200.00", method="manual")


def test_credit_cannot_be_applied_when_there_is_none_or_to_a_paid_document(
    company, proforma, today, caplog
):
    before = written()
    with caplog.at_level(logging.WARNING, logger="kyklos.payments"):
        with pytest.raises(ValidationError, match="no account credit in EUR"):
            apply_credit(proforma)
    assert written() == before
    assert "apply_credit refused" in caplog.text
    record_payment(proforma, amount="148.80", method="manual")
    with pytest.raises(ValidationError, match="already paid"):
        apply_credit(proforma)


def test_credit_in_another_currency_does_not_pay(company, proforma, today):
    from kyklos.payments.services import add_credit

    add_credit(company, amount=Decimal("500"), currency="USD", kind="adjustment")
    with pytest.raises(ValidationError, match="no account credit in EUR"):
        apply_credit(proforma)


# --- transfer proofs ----------------------------------------------------------------------


def pdf(name="proof.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n% bank confirmation\n", "application/pdf")


def test_a_proof_waits_for_staff_who_approve_it(proforma, order, today, staff):
    proof = bank.submit_proof(
        proforma, document=pdf(), amount="148.80", paid_on=date(2027, 4, 1), bank_reference="X1"
    )
    assert proof.status == "pending" and proof.document.name.endswith(".pdf")
    proforma.refresh_from_db()
    assert proforma.status == "open"

    bank.approve_proof(proof, actor=staff)
    proof.refresh_from_db()
    proforma.refresh_from_db()
    order.refresh_from_db()
    assert (proof.status, proof.decided_by, proof.payment.paid_on) == (
        "approved",
        staff,
        date(2027, 4, 1),
    )
    assert proforma.status == "paid" and order.state == State.ACTIVE


def test_a_rejected_proof_tells_the_customer_and_pays_nothing(proforma, today, staff):
    proof = bank.submit_proof(proforma, document=pdf(), amount="148.80", paid_on=date(2027, 4, 1))
    with pytest.raises(ValidationError, match="Say why"):
        bank.reject_proof(proof, actor=staff, note="")
    bank.reject_proof(proof, actor=staff, note="No such transfer on our account.")
    notice = Outbox.objects.get(event="transfer_proof_rejected")
    assert notice.context["reason"] == "No such transfer on our account."
    assert Payment.objects.count() == 0
    with pytest.raises(ValidationError, match="already reviewed"):
        bank.approve_proof(proof, actor=staff)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "-148.80"}, "greater than zero"),
        ({"paid_on": date(2027, 4, 3)}, "in the future"),
        ({"document": SimpleUploadedFile("proof.exe", b"MZ")}, "PDF, JPEG or PNG"),
        ({"document": SimpleUploadedFile("proof.pdf", b"MZ not a pdf")}, "damaged"),
    ],
)
def test_bad_proofs_are_refused_and_write_nothing(proforma, today, caplog, kwargs, message):
    before = written()
    args = {"document": pdf(), "amount": "148.80", "paid_on": date(2027, 4, 1), **kwargs}
    with caplog.at_level(logging.WARNING, logger="kyklos.payments"):
        with pytest.raises(ValidationError, match=message):
            bank.submit_proof(proforma, **args)
    assert written() == before
    assert "submit_proof refused" in caplog.text


@pytest.mark.parametrize(
    ("status", "message"), [("paid", "already paid"), ("cancelled", "cancelled")]
)
def test_no_proof_for_a_paid_or_cancelled_document(proforma, today, status, message):
    Invoice.objects.filter(pk=proforma.pk).update(status=status)
    with pytest.raises(ValidationError, match=message):
        bank.submit_proof(proforma, document=pdf(), amount="148.80", paid_on=date(2027, 4, 1))
    assert TransferProof.objects.count() == 0


# --- identity hold (R6.5) -----------------------------------------------------------------


def test_a_paid_order_waits_for_the_identity_check_then_starts(order, proforma, today, staff):
    check = identity.request_check(proforma, reason="new account, high value", actor=staff)
    assert Outbox.objects.filter(event="identity_check_requested").count() == 1

    record_payment(proforma, amount="148.80", method="card")
    proforma.refresh_from_db()
    order.refresh_from_db()
    assert proforma.status == "paid"  # the money is taken and the receipt issued …
    assert order.state == State.PENDING  # … but nothing is provisioned

    with clock.frozen(date(2027, 4, 5)):
        identity.decide_check(check, verified=True, actor=staff)
    order.refresh_from_db()
    assert (order.state, order.started_on, order.expires_on) == (
        State.ACTIVE,
        date(2027, 4, 1),
        date(2028, 4, 1),
    )


def test_a_failed_identity_check_never_provisions_and_keeps_the_payment(
    order, proforma, today, staff
):
    check = identity.request_check(proforma, actor=staff)
    record_payment(proforma, amount="148.80", method="card")
    with pytest.raises(ValidationError, match="Say why"):
        identity.decide_check(check, verified=False, actor=staff)
    identity.decide_check(check, verified=False, actor=staff, note="document forged")
    order.refresh_from_db()
    assert order.state == State.FRAUD
    assert Payment.objects.get().amount == Decimal("148.80")  # not refunded (R6.5)
    with pytest.raises(ValidationError, match="already decided"):
        identity.decide_check(check, verified=True, actor=staff)


def test_verified_before_payment_lets_the_payment_provision_at_once(order, proforma, today, staff):
    check = identity.request_check(proforma, actor=staff)
    identity.decide_check(check, verified=True, actor=staff)
    record_payment(proforma, amount="148.80", method="card")
    order.refresh_from_db()
    assert order.state == State.ACTIVE


def test_an_id_is_asked_only_on_an_open_document_once(proforma, today, staff):
    identity.request_check(proforma, actor=staff)
    with pytest.raises(ValidationError, match="already open"):
        identity.request_check(proforma, actor=staff)
    record_payment(proforma, amount="148.80", method="card")
    IdentityCheck.objects.update(status="verified")
    with pytest.raises(ValidationError, match="not open"):
        identity.request_check(proforma, actor=staff)


def test_credit_cannot_be_recorded_as_a_payment_method_directly(proforma, today):
    with pytest.raises(ValidationError, match="Account credit is used with"):
        record_payment(proforma, amount="148.80", method="credit")
    assert Payment.objects.count() == 0

"""Cancelling a transmission made in error (myDATA ``CancelInvoice``), by billing staff from
the transmissions list, against the local myDATA peer: the cancellation mark is kept and the
document stays issued; KSeF, unsent transmissions and a missing reason are refused without a
write; AADE's refusal leaves the transmission reported with its answer recorded."""
# ruff: noqa: F811 - the fixtures are imported from test_end_to_end and ksef_fixtures

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.billing.models import Invoice, Transmission
from kyklos.core.models import AuditEvent
from kyklos.einvoicing import services
from kyklos.einvoicing.channels.base import Outcome
from kyklos.einvoicing.models import Attempt
from kyklos.einvoicing.registry import channels
from tests.einvoicing.conftest import staff
from tests.einvoicing.fake import FakeChannel
from tests.einvoicing.ksef_fixtures import fa3_schema, polish_provider  # noqa: F401
from tests.einvoicing.test_end_to_end import (  # noqa: F401 - fixtures
    greece,
    ksef_peer,
    mydata_peer,
    pay,
    person,
    poland,
    polish_customer,
)

pytestmark = pytest.mark.django_db
Status = Transmission.Status
CANCELLED = "einvoicing.transmission_cancelled"


def nothing_written(transmission: Transmission, attempts: int) -> None:
    before = transmission.status, transmission.mark, transmission.identifiers
    transmission.refresh_from_db()
    assert (transmission.status, transmission.mark, transmission.identifiers) == before
    assert transmission.attempts_made.count() == attempts
    assert not AuditEvent.objects.filter(action=CANCELLED).exists()


def test_billing_cancels_a_receipt_sent_in_error_and_keeps_both_marks(greece, pay):
    receipt = pay(person(language="en"))
    sent = receipt.transmissions.get()
    assert sent.status == Status.SENT
    client = staff(roles.BILLING)
    url = reverse("admin:billing_transmission_changelist")
    chosen = {"action": "cancel_at_system", "_selected_action": [sent.pk]}

    confirm = client.post(url, chosen)
    assert confirm.status_code == 200
    assert "issue a credit note" in confirm.content.decode()  # how an issued one is corrected

    done = client.post(url, {**chosen, "apply": "1", "reason": "Sent twice by mistake"})
    assert done.status_code == 302
    sent.refresh_from_db()
    record = greece.state.by_mark[int(sent.mark)]
    assert sent.status == Status.CANCELLED
    assert sent.identifiers["mark"] == sent.mark == str(record.mark)
    assert sent.identifiers["cancellation_mark"] == str(record.cancelled_by)
    assert greece.state.requests[-1][0] == "/CancelInvoice"
    attempt = sent.attempts_made.get(action=Attempt.Action.CANCEL)
    assert attempt.result == Attempt.Result.SENT
    assert attempt.request.endswith(f"/CancelInvoice?mark={sent.mark}")
    assert f"<cancellationMark>{record.cancelled_by}</cancellationMark>" in attempt.response
    event = AuditEvent.objects.get(action=CANCELLED)
    assert event.data["reason"] == "Sent twice by mistake"
    assert event.data["cancellation_mark"] == str(record.cancelled_by)
    assert Invoice.objects.get(pk=receipt.pk).status == receipt.status  # still issued
    shown = client.get(url).content.decode()
    assert f"is cancelled (cancellation mark {record.cancelled_by})" in shown

    with pytest.raises(ValidationError, match="Only reported transmissions"):
        services.cancel_transmission(sent, reason="again", actor="staff")


def test_support_cannot_cancel_a_transmission(greece, pay):
    sent = pay(person()).transmissions.get()
    client = staff(roles.SUPPORT)
    url = reverse("admin:billing_transmission_changelist")
    assert "cancel_at_system" not in client.get(url).content.decode()
    client.post(
        url,
        {"action": "cancel_at_system", "_selected_action": [sent.pk], "apply": "1", "reason": "x"},
    )
    sent.refresh_from_db()
    assert sent.status == Status.SENT
    assert greece.state.requests[-1][0] == "/SendInvoices"


def test_an_empty_reason_is_refused_and_nothing_is_written(greece, pay):
    sent = pay(person()).transmissions.get()
    with pytest.raises(ValidationError, match="Give the reason"):
        services.cancel_transmission(sent, reason="  ", actor="staff")
    nothing_written(sent, attempts=1)
    assert [path for path, _user, _body in greece.state.requests] == ["/SendInvoices"]


def test_an_over_long_reason_is_refused_not_cut(greece, pay):
    sent = pay(person()).transmissions.get()
    with pytest.raises(ValidationError, match="at most 500 characters"):
        services.cancel_transmission(sent, reason="x" * 501, actor="staff")
    nothing_written(sent, attempts=1)


def test_a_transmission_not_yet_reported_is_refused(greece, pay):
    greece.fail_next(503)
    waiting = pay(person()).transmissions.get()
    assert waiting.status == Status.RETRY
    with pytest.raises(ValidationError, match="Only reported transmissions are cancelled"):
        services.cancel_transmission(waiting, reason="wrong buyer", actor="staff")
    nothing_written(waiting, attempts=1)


def test_a_ksef_invoice_is_refused_with_the_way_to_correct_it(poland, pay):
    company = polish_customer(kind="company", company_name="Beta sp. z o.o.", vat_id="PL7740001454")
    sent = pay(company, currency="PLN").transmissions.get()
    assert (sent.authority, sent.status) == ("ksef", Status.SENT)
    with pytest.raises(ValidationError) as refused:
        services.cancel_transmission(sent, reason="wrong buyer", actor="staff")
    message = " ".join(refused.value.messages)
    assert message.startswith("KSeF (Poland) has no cancellation: correct INV-")
    assert "by issuing a credit note" in message
    nothing_written(sent, attempts=1)


def test_aade_refusing_leaves_it_reported_with_its_answer(greece, pay):
    sent = pay(person()).transmissions.get()
    greece.reset()  # AADE does not know this MARK
    with pytest.raises(ValidationError, match=f"did not cancel {sent.mark}: .*not found"):
        services.cancel_transmission(sent, reason="sent in error", actor="staff")
    sent.refresh_from_db()
    assert sent.status == Status.SENT and "cancellation_mark" not in sent.identifiers
    attempt = sent.attempts_made.get(action=Attempt.Action.CANCEL)
    assert attempt.result == Attempt.Result.PERMANENT and attempt.code == "107"
    assert f"Invoice with mark {sent.mark} not found" in attempt.response
    assert not AuditEvent.objects.filter(action=CANCELLED).exists()


def test_aade_down_leaves_it_reported_and_it_can_be_cancelled_later(greece, pay):
    sent = pay(person()).transmissions.get()
    greece.fail_next(503)
    with pytest.raises(ValidationError, match="503"):
        services.cancel_transmission(sent, reason="sent in error", actor="staff")
    sent.refresh_from_db()
    assert sent.status == Status.SENT and sent.claim == ""
    assert sent.attempts_made.get(action=Attempt.Action.CANCEL).result == "temporary"

    services.cancel_transmission(sent, reason="sent in error", actor="staff")
    sent.refresh_from_db()
    assert sent.status == Status.CANCELLED


class CancellingFake(FakeChannel):
    """The fake system, with a cancellation that notes whether a transaction was open."""

    in_transaction: list[bool] = []

    def cancel(self, mark, settings, credentials):
        self.in_transaction.append(connection.in_atomic_block)
        return Outcome({"mark": mark, "cancellation_mark": "9" + mark}, request=mark)


@pytest.mark.django_db(transaction=True)
def test_the_system_is_asked_outside_any_transaction(config, issue):
    channels.unregister("fake")
    channels.register("fake", CancellingFake)
    CancellingFake.in_transaction = []
    document = issue("invoice")[0]
    services.send_due()
    sent = document.transmissions.get()
    client = staff(roles.BILLING)
    client.post(
        reverse("admin:billing_transmission_changelist"),
        {
            "action": "cancel_at_system",
            "_selected_action": [sent.pk],
            "apply": "1",
            "reason": "test document",
        },
    )
    sent.refresh_from_db()
    assert sent.status == Status.CANCELLED
    assert sent.identifiers["cancellation_mark"] == "9" + sent.mark
    assert CancellingFake.in_transaction == [False]


def test_a_cancelled_mark_is_not_offered_for_correlation(greece, pay):
    from kyklos.billing.selectors import transmission_identifiers

    receipt = pay(person(language="en"))
    sent = receipt.transmissions.get()
    assert transmission_identifiers(receipt.pk, "mydata")["mark"] == sent.mark

    services.cancel_transmission(sent, reason="Sent in error", actor="staff")

    assert transmission_identifiers(receipt.pk, "mydata") is None

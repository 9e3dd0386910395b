"""Collections (R6.6): payable on receipt, reminders on the policy's days, then after
the 30-day grace: suspension, formal notice, and collection."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.billing.models import DocumentKind
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.notifications.services import send_pending
from kyklos.payments.services import record_payment
from kyklos.receivables import services
from kyklos.receivables.models import CollectionCase, CollectionPolicy
from tests import factories
from tests.receivables.conftest import open_receipt


def run(day):
    with clock.frozen(day):
        return services.run_collections(day)


@pytest.fixture
def hosting(customer):
    product = factories.product("shared_hosting", name="Web Hosting Pro")
    return factories.active_service(
        customer, product, expires_on=date(2028, 1, 10), label="eleni.gr"
    )


def test_an_unpaid_invoice_goes_from_reminders_to_suspension_notice_and_collection(
    customer, hosting, mailoutbox
):
    invoice = open_receipt(customer, date(2027, 3, 1), "32.00")  # + 24% = 39.68, due on receipt

    assert run(date(2027, 3, 1))["collection_opened"] == 0  # not late on its due date
    assert run(date(2027, 3, 2))["collection_opened"] == 1
    assert run(date(2027, 3, 7))["collection_reminder"] == 0
    assert run(date(2027, 3, 8))["collection_reminder"] == 1  # 7 days after the due date
    assert run(date(2027, 3, 8))["collection_reminder"] == 0  # once
    # The run of 22 March was missed: on 29 March only the 28-day reminder goes out.
    assert run(date(2027, 3, 29))["collection_reminder"] == 1
    case = CollectionCase.objects.get()
    assert (case.stage, case.reminders_sent, case.last_reminder_days) == ("overdue", 2, 28)
    reminders = Outbox.objects.filter(event="collection_reminder").order_by("id")
    assert [r.context["days_overdue"] for r in reminders] == [7, 28]
    assert {r.to_email for r in reminders} == {"accounts@example.gr"}
    assert reminders[0].context["grace_ends"] == "2027-03-31"

    assert run(date(2027, 3, 31))["collection_escalated"] == 0  # last day of grace
    assert run(date(2027, 4, 1))["collection_escalated"] == 1
    case.refresh_from_db()
    hosting.refresh_from_db()
    assert (case.stage, case.notice_sent_on) == ("notice_sent", date(2027, 4, 1))
    assert hosting.state == State.SUSPENDED
    assert case.suspended_service_ids == [hosting.pk]
    notice = Outbox.objects.get(event="formal_notice")
    assert notice.context["pay_by"] == "2027-04-15"
    assert notice.context["services"] == "eleni.gr"
    assert notice.attachments == [{"kind": "formal_notice_pdf", "id": case.pk}]

    with clock.frozen(date(2027, 4, 1)):
        send_pending()
    formal = next(m for m in mailoutbox if "Formal notice" in m.subject)
    filename, content, mime = formal.attachments[0]
    assert filename == f"formal-notice-{invoice.number}.pdf"
    assert mime == "application/pdf" and content.startswith(b"%PDF")

    assert run(date(2027, 4, 14))["collection_handed_over"] == 0
    assert run(date(2027, 4, 15))["collection_handed_over"] == 1
    case.refresh_from_db()
    assert (case.stage, case.collection_on) == ("in_collection", date(2027, 4, 15))

    with clock.frozen(date(2027, 4, 20)):
        record_payment(invoice, amount="39.68", method="bank_transfer", actor="staff")
    case.refresh_from_db()
    hosting.refresh_from_db()
    assert (case.stage, case.outcome, case.closed_on) == ("closed", "paid", date(2027, 4, 20))
    assert hosting.state == State.ACTIVE  # back at once (R3.6)
    assert Outbox.objects.filter(event="service_reactivated", service_id=hosting.pk).exists()


def test_paying_during_the_reminders_closes_the_case_and_suspends_nothing(customer, hosting):
    invoice = open_receipt(customer, date(2027, 3, 1))
    run(date(2027, 3, 8))
    with clock.frozen(date(2027, 3, 9)):
        record_payment(invoice, amount="124.00", method="card", actor="staff")  # 100 + 24%
    assert run(date(2027, 4, 5)) == {
        "collection_closed": 0,
        "collection_opened": 0,
        "collection_reminder": 0,
        "collection_escalated": 0,
        "collection_handed_over": 0,
    }
    hosting.refresh_from_db()
    assert hosting.state == State.ACTIVE
    assert CollectionCase.objects.get().outcome == "paid"


def test_services_stay_suspended_while_another_invoice_is_escalated(customer, hosting):
    first = open_receipt(customer, date(2027, 3, 1))
    second = open_receipt(customer, date(2027, 3, 5))
    run(date(2027, 4, 1))  # the first is past its grace: services suspended
    run(date(2027, 4, 5))  # the second: nothing left to suspend
    with clock.frozen(date(2027, 4, 6)):
        record_payment(first, amount="124.00", method="manual", actor="staff")
    hosting.refresh_from_db()
    assert hosting.state == State.SUSPENDED
    with clock.frozen(date(2027, 4, 8)):
        record_payment(second, amount="124.00", method="manual", actor="staff")
    hosting.refresh_from_db()
    assert hosting.state == State.ACTIVE


def test_proformas_are_not_chased(customer, hosting):
    open_receipt(customer, date(2027, 3, 1), kind=DocumentKind.PROFORMA)
    result = run(date(2027, 5, 1))
    assert result["collection_opened"] == 0
    assert not CollectionCase.objects.exists()


def test_the_schedule_is_data(customer, hosting):
    CollectionPolicy.objects.create(
        code="default",
        name="Strict",
        grace_days=10,
        reminder_days=[3],
        suspend_services=False,
        collection_after_days=5,
    )
    open_receipt(customer, date(2027, 3, 1))
    assert run(date(2027, 3, 4))["collection_reminder"] == 1
    assert run(date(2027, 3, 12))["collection_escalated"] == 1
    assert run(date(2027, 3, 17))["collection_handed_over"] == 1
    hosting.refresh_from_db()
    assert hosting.state == State.ACTIVE  # this policy does not suspend


def test_a_policy_with_reminders_after_the_grace_is_refused(db):
    policy = CollectionPolicy(code="x", name="x", grace_days=30, reminder_days=[7, 40])
    with pytest.raises(ValidationError, match="within the grace period"):
        policy.full_clean()
    with pytest.raises(ValidationError, match="whole days"):
        CollectionPolicy(code="y", name="y", reminder_days=[0, "7"]).full_clean()


def test_staff_hand_over_early_or_write_off(customer, hosting, django_user_model):
    staff = django_user_model.objects.create_user("anna", is_staff=True)
    open_receipt(customer, date(2027, 3, 1))
    run(date(2027, 3, 2))
    case = CollectionCase.objects.get()
    with pytest.raises(ValidationError, match="formal notice was sent"):
        services.send_to_collection(case, actor=staff)
    run(date(2027, 4, 1))
    with clock.frozen(date(2027, 4, 2)):
        services.send_to_collection(case, actor=staff)
        with pytest.raises(ValidationError, match="Say why"):
            services.write_off(case, reason=" ", actor=staff)
        services.write_off(case, reason="Customer insolvent", actor=staff)
    case.refresh_from_db()
    hosting.refresh_from_db()
    assert (case.stage, case.outcome, case.note) == ("closed", "written_off", "Customer insolvent")
    assert hosting.state == State.ACTIVE
    assert AuditEvent.objects.filter(action="receivables.case.sent_to_collection").count() == 1


def test_each_step_costs_the_same_statements_for_one_or_many_cases(customer):
    def counted(day):
        with CaptureQueriesContext(connection) as queries:
            result = run(day)
        return len(queries), result

    # One overdue document, chased to its formal notice, then paid.
    invoice = open_receipt(customer, date(2027, 3, 1))
    run(date(2027, 3, 2))
    one_reminder, result = counted(date(2027, 3, 8))
    assert result["collection_reminder"] == 1
    one_notice, result = counted(date(2027, 4, 1))
    assert result["collection_escalated"] == 1
    with clock.frozen(date(2027, 4, 2)):
        record_payment(invoice, amount="124.00", method="manual", actor="staff")

    # Seven overdue documents of seven customers, the same way.
    for n in range(7):
        open_receipt(factories.customer(name=f"C{n}"), date(2027, 5, 1))
    run(date(2027, 5, 2))
    seven_reminders, result = counted(date(2027, 5, 8))
    assert result["collection_reminder"] == 7
    seven_notices, result = counted(date(2027, 6, 1))
    assert result["collection_escalated"] == 7

    assert (seven_reminders, seven_notices) == (one_reminder, one_notice)


def test_the_daily_run_includes_collections(customer, run_day):
    open_receipt(customer, date(2027, 3, 1))
    run_day(date(2027, 3, 2))
    assert CollectionCase.objects.count() == 1


def test_a_wholly_credited_document_closes_its_case_and_brings_services_back(
    customer, hosting, django_user_model
):
    from kyklos.billing import services as billing

    invoice = open_receipt(customer, date(2027, 3, 1))
    run(date(2027, 4, 1))
    hosting.refresh_from_db()
    assert hosting.state == State.SUSPENDED
    with clock.frozen(date(2027, 4, 3)):
        billing.issue_credit_note(invoice, reason="Billed in error", actor="staff")
    result = run(date(2027, 4, 4))
    case = CollectionCase.objects.get()
    hosting.refresh_from_db()
    assert result["collection_closed"] == 1
    assert (case.stage, case.outcome) == ("closed", "credited")
    assert hosting.state == State.ACTIVE


def test_a_part_credit_lowers_what_the_reminder_asks_for(customer, hosting):
    from kyklos.billing import services as billing

    invoice = open_receipt(customer, date(2027, 3, 1), "100.00")  # 124.00 with VAT
    line = invoice.lines.get()
    with clock.frozen(date(2027, 3, 3)):
        billing.issue_credit_note(
            invoice,
            reason="Discount agreed",
            lines=[billing.CreditLine(line=line, net=Decimal("50.00"))],
            actor="staff",
        )
    run(date(2027, 3, 8))
    reminder = Outbox.objects.get(event="collection_reminder")
    assert reminder.context["total"] == "62.00"  # 124.00 − (50.00 + 24% = 62.00)


def test_a_service_expired_while_suspended_stays_suspended_after_payment_until_renewed(
    customer, hosting
):
    invoice = open_receipt(customer, date(2027, 12, 1), "32.00")
    run(date(2027, 12, 2))
    run(date(2028, 1, 1))  # past the 30-day grace: suspended, formal notice
    hosting.refresh_from_db()
    assert hosting.state == State.SUSPENDED

    # Paid after the service's period ended (10 January): the debt is settled, the
    # next period is not, so the service stays suspended (R3.6).
    with clock.frozen(date(2028, 1, 15)):
        record_payment(invoice, amount="39.68", method="bank_transfer", actor="staff")
    case = CollectionCase.objects.get()
    hosting.refresh_from_db()
    assert (case.stage, case.outcome) == ("closed", "paid")
    assert hosting.state == State.SUSPENDED
    assert not Outbox.objects.filter(event="service_reactivated").exists()

    # Renewed: the paid proforma brings it back.
    with clock.frozen(date(2028, 1, 16)):
        proforma = lifecycle.renew_now(hosting)
        record_payment(proforma, amount=proforma.total, method="bank_transfer", actor="staff")
    hosting.refresh_from_db()
    assert (hosting.state, hosting.expires_on) == (State.ACTIVE, date(2029, 1, 10))

"""Writing notices: one row per notice, in the customer's language, to the right address
(R1.2, R6.8); bad input writes nothing."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction

from kyklos.notifications import services
from kyklos.notifications.models import Event, Outbox
from tests.notifications.conftest import CONTEXT, DAY


def test_a_notice_is_queued_in_the_customers_language_at_the_clocks_time(queue):
    notice = queue(Event.EXPIRY_WARNING, service_id=7, anchor_date=date(2027, 3, 1), offset_days=7)

    row = Outbox.objects.get()
    assert row == notice
    assert (row.event, row.status, row.language) == ("expiry_warning", "queued", "el")
    assert (row.service_id, row.anchor_date, row.offset_days) == (7, date(2027, 3, 1), 7)
    assert row.for_date == DAY
    assert row.created_at == datetime(2027, 2, 22, 7, 0, tzinfo=UTC)  # 09:00 in Athens
    assert row.attempts == 0 and row.sent_at is None


@pytest.mark.parametrize(
    ("event", "address"),
    [
        (Event.RENEWAL_INVOICE, "billing@example.gr"),
        (Event.INVOICE_ISSUED, "billing@example.gr"),
        (Event.PAYMENT_RECEIVED, "admin@example.gr"),
        (Event.EXPIRY_WARNING, "admin@example.gr"),
        (Event.SERVICE_SUSPENDED, "admin@example.gr"),
    ],
)
def test_invoices_go_to_the_billing_address_and_other_notices_to_the_administrative(
    queue, event, address
):
    assert queue(event).to_email == address


def test_without_billing_and_administrative_addresses_notices_go_to_the_primary(queue, customer):
    customer.admin_email = customer.billing_email = ""

    assert queue(Event.RENEWAL_INVOICE).to_email == "nikos@example.gr"
    assert queue(Event.EXPIRY_WARNING).to_email == "nikos@example.gr"


def test_an_explicit_address_wins(queue):
    assert queue(Event.EXPIRY_WARNING, to_email="other@example.gr").to_email == "other@example.gr"


def test_the_customer_name_defaults_to_the_display_name(queue, customer):
    customer.kind, customer.company_name = "company", "Papadopoulos IKE"
    context = {k: v for k, v in CONTEXT.items() if k != "customer_name"}

    notice = queue(Event.EXPIRY_WARNING, context=context)

    assert notice.context["customer_name"] == "Papadopoulos IKE"
    assert notice.context["service_label"] == "example.gr"


def test_a_notice_can_be_written_as_skipped(queue):
    assert queue(status=Outbox.Status.SKIPPED).status == "skipped"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"event": "birthday"}, "Unknown notice event 'birthday'."),
        ({"status": "sent"}, "A new notice is queued or skipped, not 'sent'."),
        (
            {"event": Event.PAYMENT_RECEIVED, "context": {"customer_name": "N", "amount": ""}},
            "The payment_received notice needs amount, currency, paid_on in its context.",
        ),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(queue, fields, message):
    with pytest.raises(ValueError) as error:
        queue(**fields)

    assert str(error.value) == message
    assert not Outbox.objects.exists()


def test_a_notice_without_an_address_is_refused(customer, today):
    with pytest.raises(ValueError, match="has no address"):
        services.build_notice(
            event=Event.EXPIRY_WARNING,
            customer_id=customer.pk,
            language="el",
            to_email="",
            context=CONTEXT,
            for_date=DAY,
        )


def test_batch_notices_are_built_alike_and_inserted_one_statement_per_batch(
    customer, today, django_assert_num_queries
):
    rows = [
        services.build_notice(
            event=Event.EXPIRY_WARNING,
            customer_id=customer.pk,
            language="pl",
            to_email=f"n{offset}@example.pl",
            context=CONTEXT,
            for_date=DAY,
            service_id=7,
            anchor_date=date(2027, 3, 1),
            offset_days=offset,
        )
        for offset in (30, 7, 1)
    ]
    assert not Outbox.objects.exists()  # built, not saved

    with django_assert_num_queries(2):
        assert services.queue_notices(rows, batch_size=2) == 3

    saved = list(Outbox.objects.values_list("offset_days", "language", "status", "created_at"))
    moment = datetime(2027, 2, 22, 7, 0, tzinfo=UTC)
    assert saved == [
        (30, "pl", "queued", moment),
        (7, "pl", "queued", moment),
        (1, "pl", "queued", moment),
    ]


def test_the_outbox_holds_one_notice_per_service_expiry_and_offset(queue):
    moment = {"service_id": 7, "anchor_date": date(2027, 3, 1), "offset_days": 7}
    queue(Event.EXPIRY_WARNING, **moment)
    queue(Event.PAYMENT_REMINDER, **moment)  # another event: its own ledger line

    with pytest.raises(IntegrityError), transaction.atomic():
        queue(Event.EXPIRY_WARNING, **moment)
    assert Outbox.objects.count() == 2

"""Sending the outbox: once per notice, failures retried up to five times without
stopping the batch, skipped and future notices left alone (R3.9)."""

import smtplib
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction

from kyklos.core import clock
from kyklos.notifications import services
from kyklos.notifications.models import Event, Outbox
from kyklos.notifications.services import SendResult
from tests.notifications.conftest import DAY, parse


class BouncingBackend(EmailBackend):
    """The in-memory backend, refusing addresses that start with "bounce"."""

    def send_messages(self, messages):
        for message in messages:
            if message.to[0].startswith("bounce"):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


@pytest.fixture(autouse=True)
def _from(settings):
    settings.DEFAULT_FROM_EMAIL = "Kyklos Hosting <noreply@hosting.example>"


def test_due_notices_are_sent_once_and_marked_sent(queue, mailoutbox):
    first = queue(Event.EXPIRY_WARNING, to_email="a@example.gr")
    second = queue(Event.RENEWAL_INVOICE)

    with clock.frozen(datetime(2027, 2, 22, 10, 30, tzinfo=UTC)):
        assert services.send_pending() == SendResult(sent=2, failed=0)
        assert services.send_pending() == SendResult(sent=0, failed=0)

    assert [m.to for m in mailoutbox] == [["a@example.gr"], ["billing@example.gr"]]
    for row in (first, second):
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_error) == ("sent", 1, "")
        assert row.sent_at == datetime(2027, 2, 22, 10, 30, tzinfo=UTC)


def test_the_message_is_the_rendered_notice_with_the_marks_of_an_automated_mail(queue, mailoutbox):
    row = queue(Event.EXPIRY_WARNING)

    with clock.frozen(DAY):
        services.send_pending()

    message = parse(mailoutbox[0].message().as_bytes())
    assert message["From"] == "Kyklos Hosting <noreply@hosting.example>"
    assert message["To"] == "admin@example.gr"
    assert message["Subject"].strip() == "Η υπηρεσία σας example.gr λήγει στις 1 Μαρτίου 2027"
    # created 2027-02-22 09:00 in Athens = 07:00 UTC = 1803279600
    assert message["Message-ID"] == f"<outbox-{row.pk}.1803279600@hosting.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Kyklos-Event"] == "expiry_warning"
    assert "λήγει στις 1 Μαρτίου 2027, σε 7 ημέρες." in message.get_content()


def test_notices_due_later_wait_for_their_day(queue, mailoutbox):
    queue(Event.EXPIRY_WARNING, for_date=DAY + timedelta(days=1))

    with clock.frozen(DAY):
        assert services.send_pending() == SendResult(sent=0, failed=0)
    with clock.frozen(DAY + timedelta(days=1)):
        assert services.send_pending() == SendResult(sent=1, failed=0)
    assert len(mailoutbox) == 1


def test_skipped_notices_are_never_sent(queue, mailoutbox):
    skipped = queue(Event.EXPIRY_WARNING, status=Outbox.Status.SKIPPED)

    with clock.frozen(DAY):
        assert services.send_pending() == SendResult(sent=0, failed=0)

    skipped.refresh_from_db()
    assert (skipped.status, skipped.attempts, skipped.sent_at) == ("skipped", 0, None)
    assert mailoutbox == []


def test_a_failure_is_recorded_and_does_not_stop_the_batch(queue, mailoutbox):
    before = queue(Event.EXPIRY_WARNING, to_email="first@example.gr")
    bouncing = queue(Event.EXPIRY_WARNING, to_email="bounce@example.gr")
    after = queue(Event.EXPIRY_WARNING, to_email="last@example.gr")

    with clock.frozen(DAY):
        result = services.send_pending(connection=BouncingBackend())

    assert result == SendResult(sent=2, failed=1)
    assert [m.to for m in mailoutbox] == [["first@example.gr"], ["last@example.gr"]]
    for row in (before, bouncing, after):
        row.refresh_from_db()
    assert (before.status, after.status) == ("sent", "sent")
    assert (bouncing.status, bouncing.attempts, bouncing.sent_at) == ("queued", 1, None)
    assert bouncing.last_error == (
        "SMTPRecipientsRefused: {'bounce@example.gr': (550, b'No such user')}"
    )


def test_after_five_failed_attempts_a_notice_is_failed(queue, mailoutbox):
    row = queue(Event.EXPIRY_WARNING, to_email="bounce@example.gr")

    with clock.frozen(DAY):
        for _run in range(4):
            assert services.send_pending(connection=BouncingBackend()).failed == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("queued", 4)

        assert services.send_pending(connection=BouncingBackend()).failed == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == ("failed", 5)

        assert services.send_pending(connection=BouncingBackend()) == SendResult(0, 0)
    assert mailoutbox == []


def test_a_notice_that_cannot_be_rendered_fails_like_a_refused_one(queue, mailoutbox):
    row = queue(Event.EXPIRY_WARNING)
    Outbox.objects.filter(pk=row.pk).update(context={**row.context, "expires_on": "soon"})

    with clock.frozen(DAY):
        assert services.send_pending() == SendResult(sent=0, failed=1)

    row.refresh_from_db()
    assert row.last_error == "ValueError: Invalid isoformat string: 'soon'"


def test_limit_sends_the_oldest_first(queue, mailoutbox):
    for n in range(3):
        queue(Event.EXPIRY_WARNING, to_email=f"n{n}@example.gr")

    with clock.frozen(DAY):
        assert services.send_pending(limit=2) == SendResult(sent=2, failed=0)
        assert [m.to[0] for m in mailoutbox] == ["n0@example.gr", "n1@example.gr"]
        assert services.send_pending(limit=2) == SendResult(sent=1, failed=0)


def test_send_now_sends_the_chosen_notices_whatever_their_day_and_retries_failed_ones(
    queue, mailoutbox
):
    later = queue(Event.EXPIRY_WARNING, to_email="later@example.gr", for_date=date(2027, 6, 1))
    failed = queue(Event.EXPIRY_WARNING, to_email="failed@example.gr")
    Outbox.objects.filter(pk=failed.pk).update(status=Outbox.Status.FAILED, attempts=5)
    skipped = queue(Event.PAYMENT_REMINDER, status=Outbox.Status.SKIPPED)
    untouched = queue(Event.SERVICE_SUSPENDED)

    with clock.frozen(DAY):
        result = services.send_now([later.pk, failed.pk, skipped.pk])

    assert result == SendResult(sent=2, failed=0)
    assert [m.to[0] for m in mailoutbox] == ["later@example.gr", "failed@example.gr"]
    statuses = dict(Outbox.objects.values_list("pk", "status"))
    assert statuses == {
        later.pk: "sent",
        failed.pk: "sent",
        skipped.pk: "skipped",
        untouched.pk: "queued",
    }


def test_sending_costs_a_few_small_queries_per_message_and_one_selection_per_batch(
    queue, mailoutbox, settings, django_assert_max_num_queries
):
    settings.KYKLOS_BATCH_SIZE = 2
    for n in range(5):
        queue(Event.EXPIRY_WARNING, to_email=f"n{n}@example.gr")

    # per message: savepoint, lock and read the row, the account's contacts who get a copy
    # (R1.2), mark it, release; per batch: the ids
    with clock.frozen(DAY), django_assert_max_num_queries(5 * 5 + 3) as captured:
        assert services.send_pending() == SendResult(sent=5, failed=0)

    selections = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and '"notifications_outbox"."id" >' in q["sql"]
    ]
    assert len(selections) == 3  # batches of 2, 2 and 1
    assert len(mailoutbox) == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notice_locked_by_another_sender_is_left_to_it(queue, mailoutbox):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers instead of locking rows")
    taken = queue(Event.EXPIRY_WARNING, to_email="taken@example.gr")
    free = queue(Event.EXPIRY_WARNING, to_email="free@example.gr")
    locked, release = threading.Event(), threading.Event()

    def other_sender():
        with transaction.atomic():
            Outbox.objects.select_for_update().get(pk=taken.pk)
            locked.set()
            release.wait(10)
        connection.close()

    other = threading.Thread(target=other_sender)
    other.start()
    try:
        assert locked.wait(10)
        with clock.frozen(DAY):
            assert services.send_pending() == SendResult(sent=1, failed=0)
    finally:
        release.set()
        other.join()

    assert [m.to for m in mailoutbox] == [["free@example.gr"]]
    assert dict(Outbox.objects.values_list("pk", "status")) == {
        taken.pk: "queued",
        free.pk: "sent",
    }

"""The quarantine: release into a ticket, delete, purge after the retention period."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.intake import services
from kyklos.intake.models import InboundMessage, QuarantinedMessage
from kyklos.notifications.models import Outbox
from kyklos.support.models import Ticket
from tests.intake.mails import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("anna", is_staff=True, is_superuser=True)


def test_releasing_a_message_without_sender_files_it_for_the_chosen_customer(customer, now, staff):
    held = services.receive(build(sender="undisclosed-recipients:;")).quarantine

    ticket = services.release(held, actor=staff, customer=customer)

    held.refresh_from_db()
    assert ticket.customer == customer
    assert ticket.messages.get().body.startswith("Hello,")
    assert (held.status, held.ticket, held.released_by) == ("released", ticket, staff)
    assert InboundMessage.objects.get().ticket == ticket
    assert not Outbox.objects.exists()  # staff released it; nobody is auto-answered
    assert AuditEvent.objects.filter(action="intake.message.released", actor=staff).exists()


def test_a_message_without_sender_needs_a_customer_or_an_address(now, staff):
    held = services.receive(build(sender=None)).quarantine

    with pytest.raises(ValidationError):
        services.release(held, actor=staff)

    held.refresh_from_db()
    assert held.status == "held" and not Ticket.objects.exists()


def test_releasing_an_auto_reply_threads_it_without_answering(customer, now, staff):
    services.receive(build())
    held = services.receive(
        build(
            message_id="<ooo@x>",
            headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<m1@mail.example.gr>"},
        )
    ).quarantine

    ticket = services.release(held, actor=staff)

    assert ticket.messages.count() == 2
    assert Outbox.objects.count() == 1


def test_a_message_is_released_once(customer, now, staff):
    held = services.receive(build(headers={"Precedence": "bulk"})).quarantine
    services.release(held, actor=staff)

    with pytest.raises(ValidationError):
        services.release(held, actor=staff)
    assert Ticket.objects.count() == 1


def test_a_too_large_message_is_not_released_again(customer, now, staff, settings):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_ATTACHMENT_BYTES": 10}
    held = services.receive(build(attachments=[("a.bin", b"x" * 20, "application/zip")])).quarantine

    with pytest.raises(ValidationError, match="already on ticket"):
        services.release(held, actor=staff)


def test_deleting_removes_row_and_file(now, staff, django_capture_on_commit_callbacks):
    held = services.receive(build(sender=None)).quarantine
    storage, name = held.raw.storage, held.raw.name

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_quarantined(held, actor=staff)

    assert not QuarantinedMessage.objects.exists()
    assert not storage.exists(name)
    assert AuditEvent.objects.filter(action="intake.message.deleted", actor=staff).exists()


def test_the_daily_run_deletes_quarantined_messages_after_30_days(
    now, django_capture_on_commit_callbacks
):
    old = services.receive(build(sender=None, message_id="<old@x>")).quarantine
    with clock.frozen(now + timedelta(days=20)):
        recent = services.receive(build(sender=None, message_id="<recent@x>")).quarantine

    # Received on 4 March 2027: kept through 3 April, gone on the run of 4 April.
    assert services.purge_quarantine(date(2027, 4, 3))["quarantine_purged"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        result = services.purge_quarantine(date(2027, 4, 4))

    assert result["quarantine_purged"] == 1
    assert list(QuarantinedMessage.objects.all()) == [recent]
    assert not old.raw.storage.exists(old.raw.name)
    assert recent.raw.storage.exists(recent.raw.name)
    assert InboundMessage.objects.get(message_id="<old@x>").quarantine is None

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.support import services
from kyklos.support.models import Attachment, Message, Status, Ticket
from tests import factories
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


def open_ticket(customer, **kwargs):
    values = dict(
        subject="Site down",
        body="example.gr shows a 500 error since this morning.",
        department="technical",
        customer=customer,
    )
    values.update(kwargs)
    return services.open_ticket(services.NewTicket(**values))


def test_opening_numbers_the_ticket_records_the_request_and_acknowledges(customer, now):
    ticket = open_ticket(
        customer,
        priority="high",
        message_id="<abc@mail.example.gr>",
        request={"wished_date": "2027-03-20", "budget": "300", "context": "Shop launch"},
    )
    assert ticket.number == "T-2027-000001"
    assert ticket.subject_tag == "[#T-2027-000001]"
    assert ticket.status == Status.NEW
    assert ticket.budget_currency == "EUR"
    (message,) = ticket.messages.all()
    assert message.kind == "reply" and not message.from_staff
    assert message.message_id == "<abc@mail.example.gr>"
    # High: first response 24 hours, resolution 2 business days from Thu 4 March 10:00.
    assert ticket.first_response_due == at(2027, 3, 5, 10, 0)
    assert ticket.resolution_due == at(2027, 3, 8, 10, 0)
    ack = Outbox.objects.get(event="ticket_opened")
    assert ack.to_email == "maria@example.gr"
    assert ack.headers["In-Reply-To"] == "<abc@mail.example.gr>"
    assert ack.headers["Message-ID"].startswith("<T-2027-000001.")
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert AuditEvent.objects.filter(action="support.ticket.opened", customer_id=customer.pk)
    assert open_ticket(customer).number == "T-2027-000002"


def test_unknown_sender_gets_a_ticket_by_address(db, now):
    ticket = open_ticket(None, requester_email="who@example.org", channel="email")
    assert ticket.customer is None
    assert Outbox.objects.get(event="ticket_opened").to_email == "who@example.org"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"body": ""}, "body"),
        ({"customer": None}, "customer"),
        ({"priority": "critical"}, "priority"),
        ({"department": "nope"}, "department"),
        ({"request": {"colour": "red"}}, "request"),
        ({"request": {"budget": "-5"}}, "budget"),
    ],
)
def test_bad_input_writes_nothing(customer, now, kwargs, field):
    with pytest.raises(ValidationError) as error:
        open_ticket(kwargs.pop("customer", customer), **kwargs)
    assert field in error.value.message_dict
    assert Ticket.objects.count() == Message.objects.count() == Outbox.objects.count() == 0


def test_a_service_of_another_customer_is_refused(customer, other_customer, now):
    hosting = factories.product()
    theirs = factories.active_service(other_customer, hosting, expires_on=clock.today())
    with pytest.raises(ValidationError) as error:
        open_ticket(customer, service=theirs)
    assert "service" in error.value.message_dict


def test_attachments_up_to_25_mb_are_kept_larger_ones_refused(customer, now, settings):
    small = SimpleUploadedFile("screen.png", b"\x89PNG" + b"0" * 100, "image/png")
    ticket = open_ticket(customer, attachments=[small])
    (kept,) = Attachment.objects.all()
    assert (kept.filename, kept.size, kept.content_type) == ("screen.png", 104, "image/png")
    assert kept.file.read().startswith(b"\x89PNG")

    huge = services.IncomingFile("dump.sql", b"x" * (25 * 1024 * 1024 + 1))
    with pytest.raises(ValidationError) as error:
        services.add_message(ticket, body="and the dump", from_staff=False, attachments=[huge])
    assert "25 MB" in error.value.message_dict["attachments"][0]
    assert ticket.messages.count() == 1
    exact = services.IncomingFile("ok.bin", b"x" * (25 * 1024 * 1024))
    services.add_message(ticket, body="exactly 25 MB", from_staff=False, attachments=[exact])
    assert Attachment.objects.count() == 2


def test_staff_reply_is_the_first_response_and_is_mailed_in_the_thread(customer, agent, now):
    ticket = open_ticket(customer, message_id="<first@mail.example.gr>")
    with clock.frozen(now + timedelta(hours=2)):
        reply = services.add_message(ticket, body="Looking into it.", from_staff=True, actor=agent)
    ticket.refresh_from_db()
    assert ticket.first_responded_at == now + timedelta(hours=2)
    assert ticket.status == Status.OPEN
    assert reply.message_id.startswith("<T-2027-000001.")
    mail = Outbox.objects.get(event="ticket_reply")
    assert mail.headers["Message-ID"] == reply.message_id
    assert mail.headers["In-Reply-To"] == "<first@mail.example.gr>"
    assert mail.context["body"] == "Looking into it."
    assert mail.context["author"] == "Anna"


def test_internal_notes_are_staff_only_and_not_mailed(customer, agent, now):
    ticket = open_ticket(customer)
    services.add_message(
        ticket, body="Check the DB host", kind="note", from_staff=True, actor=agent
    )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    assert not Outbox.objects.filter(event="ticket_reply").exists()
    with pytest.raises(ValidationError):
        services.add_message(ticket, body="sneaky", kind="note", from_staff=False)


def test_waiting_on_customer_pauses_and_their_reply_resumes(customer, agent, now):
    # Normal: 10 business days from Thu 4 March 10:00; Mon 15 March is Clean Monday.
    ticket = open_ticket(customer)
    assert ticket.resolution_due == at(2027, 3, 19, 10, 0)
    services.set_status(ticket, Status.WAITING_CUSTOMER, actor=agent)
    # The customer answers the next day at 10:00: one business day stood still.
    with clock.frozen(at(2027, 3, 5, 10, 0)):
        services.add_message(ticket, body="Here is the info", from_staff=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.paused_since is None
    assert ticket.resolution_due == at(2027, 3, 22, 10, 0)


def test_reply_to_a_ticket_closed_within_7_days_reopens_it(customer, agent, now):
    ticket = open_ticket(customer)
    services.close(ticket, actor=agent)
    with clock.frozen(now + timedelta(days=7)):
        message = services.add_message(ticket, body="Still broken", from_staff=False)
    assert message.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.closed_at is None


def test_reply_to_a_ticket_closed_longer_ago_opens_a_linked_ticket(customer, agent, now):
    ticket = open_ticket(customer, priority="high")
    services.close(ticket, actor=agent)
    with clock.frozen(now + timedelta(days=7, seconds=1)):
        message = services.add_message(
            ticket, body="It happened again", from_staff=False, message_id="<again@x>"
        )
    follow_up = message.ticket
    assert follow_up.pk != ticket.pk
    assert follow_up.linked_from == ticket
    assert (follow_up.priority, follow_up.department.code) == ("high", "technical")
    assert follow_up.number == "T-2027-000002"
    assert message.message_id == "<again@x>"
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_reply_to_a_resolved_ticket_reopens_it(customer, agent, now):
    ticket = open_ticket(customer)
    services.resolve(ticket, actor=agent)
    services.add_message(ticket, body="No, not fixed", from_staff=False)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.resolved_at is None


def test_priority_change_recomputes_from_the_start(customer, agent, now):
    # Low: 14 business days, skipping Clean Monday (15th) and Independence Day (25th).
    ticket = open_ticket(customer, priority="low")
    assert ticket.resolution_due == at(2027, 3, 26, 10, 0)
    with clock.frozen(at(2027, 3, 5, 12, 0)):
        ticket = services.change_priority(ticket, "high", actor=agent)
    assert ticket.resolution_due == at(2027, 3, 8, 10, 0)
    event = AuditEvent.objects.get(action="support.ticket.priority_changed")
    assert event.data["from"] == "low" and event.data["to"] == "high"
    with pytest.raises(ValidationError) as error:
        services.change_priority(ticket, "asap", actor=agent)
    assert "urgent, high, normal, low" in error.value.message_dict["priority"][0]


def test_assignment_is_to_staff_only(customer, agent, now):
    ticket = open_ticket(customer)
    services.assign(ticket, agent, actor=agent)
    assert Ticket.objects.get().assignee == agent
    with pytest.raises(ValidationError):
        services.assign(ticket, customer.user or factories_user(), actor=agent)


def factories_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("plain")

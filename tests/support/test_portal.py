"""Customers open, read, reply to and close their own tickets, never anyone else's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kyklos.core import clock
from kyklos.support import services
from kyklos.support.models import Attachment, Message, Status, Ticket
from tests.portal.conftest import make_login
from tests.portal.test_security import inline_code
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def maria(customer):
    customer.user = make_login("maria")
    customer.save()
    return customer


@pytest.fixture
def portal(client, maria, now):
    client.force_login(maria.user)
    return client


@pytest.fixture
def theirs(other_customer, agent, now):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Nikos' secret",
            body="password is hunter2",
            department="billing",
            customer=other_customer,
        )
    )
    reply = services.add_message(
        ticket,
        body="attached",
        from_staff=True,
        actor=agent,
        attachments=[services.IncomingFile("invoice.pdf", b"%PDF-1.4")],
    )
    return ticket, reply.attachments.get()


def test_open_a_ticket_with_the_request_fields_and_a_file(portal, maria):
    response = portal.post(
        reverse("portal:ticket_new"),
        {
            "subject": "New shop pages",
            "department": "development",
            "priority": "normal",
            "body": "We need three landing pages.",
            "wished_date": "2027-04-15",
            "hard_deadline": "on",
            "budget": "900",
            "hours": "12",
            "context": "Spring campaign",
            "features": "Form, gallery",
            "attachments": [SimpleUploadedFile("brief.pdf", b"%PDF-1.4 brief")],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:ticket", args=[ticket.pk])
    assert (ticket.customer, ticket.department.code, ticket.channel) == (
        maria,
        "development",
        "portal",
    )
    assert str(ticket.budget) == "900.00" and ticket.hard_deadline
    assert ticket.context == "Spring campaign"
    assert Attachment.objects.get().filename == "brief.pdf"
    page = portal.get(response["Location"])
    assert b"We need three landing pages." in page.content
    assert ticket.number.encode() in page.content


def test_bad_form_writes_nothing(portal):
    response = portal.post(reverse("portal:ticket_new"), {"subject": "", "department": "nope"})
    assert response.status_code == 200
    assert Ticket.objects.count() == 0


def test_reply_and_close_and_notes_stay_hidden(portal, maria, agent):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Mail",
            body="no mail",
            department="technical",
            customer=maria,
        )
    )
    services.add_message(
        ticket, body="INTERNAL: customer is grumpy", kind="note", from_staff=True, actor=agent
    )
    services.set_status(ticket, Status.WAITING_CUSTOMER, actor=agent)
    page = portal.get(reverse("portal:ticket", args=[ticket.pk]))
    assert b"grumpy" not in page.content
    response = portal.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "Fixed?"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    portal.post(reverse("portal:ticket_close", args=[ticket.pk]))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_reply_long_after_closing_opens_a_new_ticket(portal, maria, agent):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Mail",
            body="no mail",
            department="technical",
            customer=maria,
        )
    )
    services.close(ticket, actor=agent)
    with clock.frozen(at(2027, 3, 20, 10, 0)):
        response = portal.post(reverse("portal:ticket_reply", args=[ticket.pk]), {"body": "Again"})
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert response["Location"] == reverse("portal:ticket", args=[new.pk])
    assert new.linked_from == ticket


def test_another_customers_ticket_is_404_everywhere(portal, theirs):
    ticket, attachment = theirs
    for name in ("portal:ticket",):
        assert portal.get(reverse(name, args=[ticket.pk])).status_code == 404
    for name in ("portal:ticket_reply", "portal:ticket_close"):
        assert portal.post(reverse(name, args=[ticket.pk]), {"body": "hi"}).status_code == 404
    assert portal.get(reverse("portal:ticket_attachment", args=[attachment.pk])).status_code == 404
    # Guessing: every id from 1 to 50 gives 404 or one of Maria's own (she has none).
    for pk in range(1, 51):
        assert portal.get(reverse("portal:ticket", args=[pk])).status_code == 404
        assert portal.get(reverse("portal:ticket_attachment", args=[pk])).status_code == 404
    assert b"Nikos" not in portal.get(reverse("portal:tickets")).content
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.messages.count() == 2


def test_own_attachment_downloads_but_not_from_a_note(portal, maria, agent):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Logs",
            body="see",
            department="technical",
            customer=maria,
        )
    )
    public = services.add_message(
        ticket,
        body="here",
        from_staff=True,
        actor=agent,
        attachments=[services.IncomingFile("fix.txt", b"patch")],
    )
    note = services.add_message(
        ticket,
        body="internal",
        kind="note",
        from_staff=True,
        actor=agent,
        attachments=[services.IncomingFile("secret.txt", b"x")],
    )
    ok = portal.get(reverse("portal:ticket_attachment", args=[public.attachments.get().pk]))
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == b"patch"
    hidden = note.attachments.get().pk
    assert portal.get(reverse("portal:ticket_attachment", args=[hidden])).status_code == 404


def test_ticket_pages_keep_the_strict_csp(portal, maria):
    ticket = services.open_ticket(
        services.NewTicket(subject="CSP", body="x", department="technical", customer=maria)
    )
    for url in (
        reverse("portal:tickets"),
        reverse("portal:ticket_new"),
        reverse("portal:ticket", args=[ticket.pk]),
    ):
        response = portal.get(url)
        assert response.status_code == 200
        assert "script-src 'self'" in response["Content-Security-Policy"]
        assert inline_code(response.content.decode()).found == [], url


def test_list_in_constant_queries(portal, maria, django_assert_max_num_queries):
    for n in range(5):
        services.open_ticket(
            services.NewTicket(subject=f"T{n}", body="x", department="technical", customer=maria)
        )
    with django_assert_max_num_queries(8):
        response = portal.get(reverse("portal:tickets"))
    assert response.content.count(b"T-2027-") == 5
    assert Message.objects.count() == 5

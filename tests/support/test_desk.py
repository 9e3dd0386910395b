"""The staff desk: queue by time left, reply, note, reassign, change priority, report."""

import pytest
from django.urls import reverse

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.support import services
from kyklos.support.models import CannedReply, Department, Status, Ticket
from tests.portal.test_security import inline_code
from tests.support.conftest import at, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(client, agent, now):
    client.force_login(agent)
    return client


def open_(customer, subject, priority="normal", when=None):
    with clock.frozen(when or at(2027, 3, 4, 10, 0)):
        return services.open_ticket(
            services.NewTicket(
                subject=subject,
                body="text",
                department="technical",
                customer=customer,
                priority=priority,
            )
        )


def test_only_staff_get_in(client, customer, now):
    from tests.portal.conftest import make_login

    client.force_login(make_login("someone"))
    response = client.get(reverse("desk:queue"))
    assert response.status_code == 403  # a login without a staff role
    client.logout()
    response = client.get(reverse("desk:queue"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_queue_sorts_by_time_left(desk, customer, agent):
    low = open_(customer, "low one", "low")
    # Answered, so only its resolution (14 business days) counts; the others still owe
    # their first response (24 hours).
    services.add_message(low, body="ok", from_staff=True, actor=agent)
    urgent = open_(customer, "urgent one", "urgent", when=at(2027, 3, 4, 11, 0))
    high = open_(customer, "high one", "high", when=at(2027, 3, 3, 9, 0))
    paused = open_(customer, "paused one", "urgent")
    services.set_status(paused, Status.WAITING_CUSTOMER, actor=agent)
    html = desk.get(reverse("desk:queue")).content.decode()
    order = [html.index(t.number) for t in (high, urgent, low, paused)]
    assert order == sorted(order)
    assert "Clock paused" in html


def test_reply_note_and_triage(desk, customer, agent, lead):
    ticket = open_(customer, "Site slow")
    url = reverse("desk:message", args=[ticket.pk])
    desk.post(url, {"kind": "note", "body": "Probably the DB"})
    desk.post(url, {"kind": "reply", "body": "Please send the URL", "then": "waiting_customer"})
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_CUSTOMER and ticket.paused_since is not None
    assert ticket.first_responded_at is not None
    assert Outbox.objects.filter(event="ticket_reply").count() == 1
    response = desk.post(
        reverse("desk:triage", args=[ticket.pk]),
        {"status": "open", "priority": "high", "department": "development", "assignee": lead.pk},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.department.code, ticket.assignee) == (
        "open",
        "high",
        "development",
        lead,
    )
    actions = set(
        AuditEvent.objects.filter(object_id=str(ticket.pk)).values_list("action", flat=True)
    )
    assert {
        "support.ticket.priority_changed",
        "support.ticket.assigned",
        "support.ticket.department_changed",
        "support.ticket.status_changed",
    } <= actions
    page = desk.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "Probably the DB" in page and "Internal note" in page


def test_triage_with_a_refused_status_changes_nothing(desk, customer, agent, lead):
    ticket = open_(customer, "Site slow")
    services.set_status(ticket, Status.OPEN, actor=agent)
    before = written(ticket)
    response = desk.post(
        reverse("desk:triage", args=[ticket.pk]),
        {"status": "new", "priority": "high", "department": "development", "assignee": lead.pk},
    )
    assert response.status_code == 400
    form = response.context["triage_form"]
    assert form.errors == {"status": ["A ticket cannot become new again."]}
    assert "A ticket cannot become new again." in response.content.decode()
    assert written(ticket) == before


def test_empty_reply_is_refused(desk, customer):
    ticket = open_(customer, "x")
    response = desk.post(reverse("desk:message", args=[ticket.pk]), {"kind": "reply", "body": ""})
    assert response.status_code == 400
    assert ticket.messages.count() == 1


def test_canned_replies_per_department_and_language(desk, customer):
    ticket = open_(customer, "DNS")
    mine = CannedReply.objects.create(
        department=Department.objects.get(code="technical"),
        language="en",
        title="DNS propagation",
        body="DNS changes take up to 24 hours.",
    )
    CannedReply.objects.create(
        department=Department.objects.get(code="billing"),
        language="en",
        title="Invoice copy",
        body="Find it in the portal.",
    )
    page = desk.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "DNS propagation" in page and "Invoice copy" not in page
    fragment = desk.get(reverse("desk:canned", args=[mine.pk]), HTTP_HX_REQUEST="true")
    assert b'id="reply-body"' in fragment.content
    assert b"DNS changes take up to 24 hours." in fragment.content
    assert b"<html" not in fragment.content


def test_report_page_and_csv(desk, customer):
    open_(customer, "x")
    page = desk.get(reverse("desk:report"), {"month": "2027-03"})
    assert b"Technical" in page.content
    csv = desk.get(reverse("desk:report"), {"month": "2027-03", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert 'filename="sla-2027-03.csv"' in csv["Content-Disposition"]
    assert csv.content.decode().splitlines()[1].startswith("normal,Technical,1,")


def test_desk_pages_keep_the_strict_csp(desk, customer):
    ticket = open_(customer, "x")
    for url in (
        reverse("desk:queue"),
        reverse("desk:ticket", args=[ticket.pk]),
        reverse("desk:report"),
    ):
        response = desk.get(url)
        assert response.status_code == 200
        assert inline_code(response.content.decode()).found == [], url


def test_queue_in_constant_queries(desk, customer, agent, django_assert_max_num_queries):
    for n in range(20):
        services.assign(open_(customer, f"t{n}"), agent)
    with django_assert_max_num_queries(8):
        response = desk.get(reverse("desk:queue"))
    assert response.content.count(b"T-2027-") == 20
    assert Ticket.objects.count() == 20

"""Out-of-scope requests get a quote (R8.5); time on a ticket is billed at least 15
minutes, then by the minute (R7.4); a customer's own changes void the SLA (R8.6)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kyklos.projects.models import Quote, TimeEntry
from kyklos.support import daily, report, services
from kyklos.support.models import Message, SlaEvent
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, now):
    return services.open_ticket(
        services.NewTicket(
            subject="Add a booking calendar",
            body="Can you add one?",
            department="development",
            customer=customer,
        )
    )


def test_out_of_scope_drafts_a_quote(ticket, agent):
    quote = services.mark_out_of_scope(
        ticket, actor=agent, lines=[{"description": "Booking calendar", "unit_price": "450"}]
    )
    assert isinstance(quote, Quote)
    assert (quote.source, quote.title, quote.customer_id) == (
        ticket.number,
        "Add a booking calendar",
        ticket.customer_id,
    )
    assert quote.subtotal == Decimal("450.00")
    ticket.refresh_from_db()
    assert ticket.quote_id == quote.pk and ticket.out_of_scope_at is not None
    note = Message.objects.get(kind="note")
    assert quote.number in note.body
    with pytest.raises(ValidationError):
        services.mark_out_of_scope(ticket, actor=agent)
    assert Quote.objects.count() == 1


def test_time_is_billed_15_minutes_minimum_then_by_the_minute(ticket, agent, settings):
    first = services.log_time(ticket, minutes=10, description="Look at the site", actor=agent)
    assert (first.minutes, first.billable_minutes) == (10, 15)
    second = services.log_time(ticket, minutes=7, description="Fix", actor=agent)
    # 17 minutes in all: 15 already billed, 2 more.
    assert (second.minutes, second.billable_minutes) == (7, 2)
    agreed = services.log_time(ticket, minutes=60, description="More", rate="80", actor=agent)
    assert agreed.amount == Decimal("80.00") and agreed.billable_minutes == 60
    assert list(services.time_entries(ticket)) == [first, second, agreed]
    with pytest.raises(ValidationError):
        services.log_time(ticket, minutes=0, description="nothing", actor=agent)
    assert TimeEntry.objects.count() == 3


def test_unknown_sender_tickets_are_not_billed(db, agent, now):
    ticket = services.open_ticket(
        services.NewTicket(
            subject="Hi",
            body="?",
            department="sales",
            requester_email="x@example.org",
        )
    )
    with pytest.raises(ValidationError) as error:
        services.log_time(ticket, minutes=20, description="Call", actor=agent)
    assert "customer" in error.value.message_dict


def test_void_sla_stops_the_chasing_and_leaves_the_report(ticket, agent):
    services.void_sla(ticket, reason="Customer edited functions.php", actor=agent)
    assert daily.check(at(2027, 4, 30, 9, 0)) == {"sla_warnings": 0, "sla_breaches": 0}
    assert not SlaEvent.objects.exists()
    assert report.monthly(2027, 3) == []
    with pytest.raises(ValidationError):
        services.void_sla(ticket, reason="  ", actor=agent)


def test_desk_forms(client, ticket, agent):
    client.force_login(agent)
    response = client.post(
        reverse("desk:time", args=[ticket.pk]), {"minutes": "5", "description": "Check"}
    )
    assert response.status_code == 302
    assert TimeEntry.objects.get().billable_minutes == 15
    response = client.post(reverse("desk:out_of_scope", args=[ticket.pk]), {"title": "Calendar"})
    assert response.status_code == 302
    assert Quote.objects.get().title == "Calendar"
    page = client.get(reverse("desk:ticket", args=[ticket.pk])).content.decode()
    assert "Billable time" in page

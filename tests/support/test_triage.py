"""update_ticket: status, priority, department and assignee changed together, or not at all."""

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.support import services
from kyklos.support.models import Status
from tests.support.conftest import at, written

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(customer, agent, now):
    new = services.NewTicket(
        subject="Site slow", body="Since the update.", department="technical", customer=customer
    )
    return services.set_status(services.open_ticket(new), Status.OPEN, actor=agent)


def test_a_combined_update_applies_every_part_with_its_event(ticket, agent, lead):
    # From Thursday 4 March 10:00, normal: 10 business days (Clean Monday off); high: 2.
    assert ticket.resolution_due == at(2027, 3, 19, 10, 0)
    with clock.frozen(at(2027, 3, 5, 12, 0)):
        changed = services.update_ticket(
            ticket,
            actor=agent,
            status=Status.WAITING_CUSTOMER,
            priority="high",
            department="development",
            assignee=lead,
        )
    stored = type(ticket).objects.get(pk=ticket.pk)
    assert (stored.status, stored.priority, stored.department.code, stored.assignee) == (
        Status.WAITING_CUSTOMER,
        "high",
        "development",
        lead,
    )
    assert stored.resolution_due == changed.resolution_due == at(2027, 3, 8, 10, 0)
    assert stored.paused_since == at(2027, 3, 5, 12, 0) == stored.updated_at
    events = {
        e.action: e.data
        for e in AuditEvent.objects.filter(object_id=str(ticket.pk), actor=agent).order_by("id")
    }
    assert events["support.ticket.department_changed"] == {"from": "technical", "to": "development"}
    assert events["support.ticket.priority_changed"] == {
        "from": "normal",
        "to": "high",
        "resolution_due": "2027-03-08T08:00:00+00:00",
    }
    assert events["support.ticket.assigned"] == {"from": None, "to": lead.pk}
    assert events["support.ticket.status_changed"]["to"] == Status.WAITING_CUSTOMER
    # Nothing to change: nothing written.
    before = written(ticket)
    services.update_ticket(ticket, actor=agent, priority="high", assignee=lead)
    assert written(ticket) == before


@pytest.mark.parametrize(
    "field, value",
    [
        ("status", Status.NEW),
        ("status", "asap"),
        ("department", "nowhere"),
        ("assignee", "a login without staff rights"),
    ],
)
def test_one_refused_part_writes_nothing(ticket, agent, lead, django_user_model, field, value):
    if field == "assignee":
        value = django_user_model.objects.create_user("plain")
    before = written(ticket)
    parts = {"priority": "urgent", "department": "development", "assignee": lead, field: value}
    with pytest.raises(ValidationError) as error:
        services.update_ticket(ticket, actor=agent, **parts)
    assert list(error.value.message_dict) == [field]
    assert written(ticket) == before

import base64

import pytest

from kyklos.core.models import AuditEvent
from kyklos.support.models import Attachment, Message, Ticket
from tests import factories
from tests.support.conftest import written

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(db):
    return factories.customer(name="Maria Nowak", email="maria@example.gr", language="en")


def open_(api, customer, **fields):
    body = {
        "customer": customer.pk,
        "subject": "Checkout broken",
        "body": "Card payments fail since 10:00.",
        "department": "technical",
        "priority": "urgent",
        **fields,
    }
    return api.post("tickets", body)


def patch(api, ticket_id: int, body: dict):
    return api.client.patch(
        f"/api/v1/tickets/{ticket_id}",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def test_open_read_and_list(api, customer):
    response = open_(api, customer, budget="250.00", context="Black Friday")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"] == "T-2027-000001"
    assert (data["priority"], data["status"], data["department"]) == ("urgent", "new", "technical")
    # Urgent: 24 hours round the clock from Monday 1 March 2027 09:00 Athens (07:00 UTC).
    assert data["resolution_due"] == "2027-03-02T07:00:00Z"
    assert Ticket.objects.get().context == "Black Friday"
    assert api.get(f"tickets/{data['id']}").json()["number"] == "T-2027-000001"
    listed = api.get("tickets", priority="urgent").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == data["id"]


def test_unknown_priority_is_a_clear_422_and_writes_nothing(api, customer):
    response = open_(api, customer, priority="critical")
    assert response.status_code == 422
    assert response.json() == {
        "message": "“critical” is not a priority; use one of: urgent, high, normal, low.",
        "field": "priority",
    }
    assert Ticket.objects.count() == 0
    assert api.get("tickets", priority="asap").status_code == 422
    ticket_id = open_(api, customer).json()["id"]
    changed = api.client.patch(
        f"/api/v1/tickets/{ticket_id}",
        '{"priority": "whenever"}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    assert changed.status_code == 422 and changed.json()["field"] == "priority"
    assert Ticket.objects.get().priority == "urgent"


def test_change_priority_status_and_assignee(api, customer, staff):
    ticket_id = open_(api, customer, priority="low").json()["id"]
    response = patch(
        api,
        ticket_id,
        {"priority": "high", "assignee": staff.username, "status": "waiting_customer"},
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["priority"], data["assignee"], data["status"], data["paused"]) == (
        "high",
        staff.username,
        "waiting_customer",
        True,
    )
    # High: 2 business days from Monday 09:00 → Wednesday 09:00 Athens (07:00 UTC).
    assert data["resolution_due"] == "2027-03-03T07:00:00Z"
    assert AuditEvent.objects.filter(action="support.ticket.priority_changed").exists()


def test_a_refused_part_of_a_change_writes_nothing(api, customer, staff):
    ticket_id = open_(api, customer, priority="low").json()["id"]
    assert patch(api, ticket_id, {"status": "open"}).status_code == 200
    ticket = Ticket.objects.get(pk=ticket_id)
    before = written(ticket)
    response = patch(
        api, ticket_id, {"priority": "urgent", "department": "development", "status": "new"}
    )
    assert response.status_code == 422
    assert response.json() == {"message": "A ticket cannot become new again.", "field": "status"}
    assert written(ticket) == before
    assert not AuditEvent.objects.filter(action="support.ticket.priority_changed").exists()


def test_messages_with_attachments(api, customer):
    ticket_id = open_(api, customer).json()["id"]
    content = base64.b64encode(b"log line").decode()
    response = api.post(
        f"tickets/{ticket_id}/messages",
        {
            "body": "Found it",
            "kind": "note",
            "attachments": [{"filename": "app.log", "content_base64": content}],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "note"
    assert response.json()["attachments"][0]["filename"] == "app.log"
    thread = api.get(f"tickets/{ticket_id}/messages").json()
    assert [m["kind"] for m in thread] == ["reply", "note"]
    bad = api.post(
        f"tickets/{ticket_id}/messages",
        {"body": "x", "attachments": [{"filename": "a", "content_base64": "!!!"}]},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "attachments"
    assert Message.objects.count() == 2 and Attachment.objects.count() == 1


def test_unknown_ticket_is_404(api):
    response = api.get("tickets/999")
    assert response.status_code == 404
    assert response.json()["message"] == "There is no ticket 999."


def test_needs_a_token(client):
    assert client.get("/api/v1/tickets").status_code == 401

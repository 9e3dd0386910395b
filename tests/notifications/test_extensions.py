"""Apps above notifications add events, attachments and headers; staff and non-customers
get notices too."""

import pytest

from kyklos.core import discovery
from kyklos.notifications import attachments, events, services
from kyklos.notifications.models import Event, Outbox
from tests.notifications.conftest import CONTEXT, DAY


@pytest.fixture(autouse=True)
def _discovered():
    """The apps' events and renderers registered before a test swaps the registries for
    copies (the copies are put back after the test, with what the apps registered)."""
    discovery.ensure()


def test_an_unregistered_event_is_refused_and_writes_nothing(customer, today):
    with pytest.raises(ValueError, match="Unknown notice event 'no_such_event'"):
        services.queue_notice(event="no_such_event", customer=customer, context={}, for_date=DAY)
    assert Outbox.objects.count() == 0


def test_a_registered_event_needs_its_keys_and_goes_to_the_address_it_asks_for(
    customer, today, monkeypatch
):
    monkeypatch.setattr(events, "_events", dict(events._events))
    monkeypatch.setattr(events, "_billing", set(events._billing))
    events.register("statement_ready", ("customer_name", "period"), to_billing_email=True)

    with pytest.raises(ValueError, match="needs period"):
        services.queue_notice(event="statement_ready", customer=customer, context={}, for_date=DAY)
    row = services.queue_notice(
        event="statement_ready", customer=customer, context={"period": "2027-01"}, for_date=DAY
    )

    assert row.to_email == "billing@example.gr"
    assert services.recipient(Event.EXPIRY_WARNING, customer) == "admin@example.gr"


def test_an_event_cannot_be_registered_twice(monkeypatch):
    monkeypatch.setattr(events, "_events", dict(events._events))
    with pytest.raises(ValueError, match="already registered"):
        events.register(Event.EXPIRY_WARNING, ("customer_name",))
    with pytest.raises(ValueError, match="'ticket_opened' is already registered"):
        services.register_event("ticket_opened", events.required_keys("ticket_opened"))
    with pytest.raises(ValueError, match="snake_case"):
        events.register("Bad Name!")


def test_a_message_to_someone_who_is_not_a_customer_is_queued_without_a_customer(db, today):
    row = services.queue_message(
        event=Event.EXPIRY_WARNING,
        to_email="agent@provider.example",
        language="en",
        context=CONTEXT,
    )

    assert row.customer_id is None
    assert row.for_date == DAY
    assert row.status == Outbox.Status.QUEUED


def test_attachments_are_rendered_at_send_time_and_extra_headers_added(
    queue, mailoutbox, monkeypatch
):
    monkeypatch.setattr(attachments, "_renderers", {})
    rendered = []

    def render(pk):
        rendered.append(pk)
        return (f"doc-{pk}.txt", b"hello", "text/plain")

    with pytest.raises(ValueError, match="Unknown attachment kind"):
        queue(attachments=[{"kind": "doc", "id": 7}])
    services.register_attachment("doc", render)
    with pytest.raises(ValueError, match="renderer of 'doc' attachments is already registered"):
        services.register_attachment("doc", render)
    queue(attachments=[{"kind": "doc", "id": 7}], headers={"List-Unsubscribe": "<https://x/u>"})
    assert rendered == []  # nothing is rendered when the notice is written

    services.send_pending()

    (message,) = mailoutbox
    assert rendered == [7]
    assert [tuple(a) for a in message.attachments] == [("doc-7.txt", "hello", "text/plain")]
    assert message.extra_headers["List-Unsubscribe"] == "<https://x/u>"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"

import pytest

from kyklos.core.personal_data import Subject, personal_data
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.support import services
from kyklos.support.models import Attachment, Message, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(customer, other_customer, agent, now):
    mine = services.open_ticket(
        services.NewTicket(
            subject="My shop",
            body="Maria's private details",
            department="technical",
            customer=customer,
            request={"context": "launch"},
            attachments=[services.IncomingFile("id.pdf", b"%PDF")],
        )
    )
    services.add_message(mine, body="note about Maria", kind="note", from_staff=True, actor=agent)
    theirs = services.open_ticket(
        services.NewTicket(
            subject="Their shop",
            body="Nikos' data",
            department="technical",
            customer=other_customer,
        )
    )
    stranger = services.open_ticket(
        services.NewTicket(
            subject="Hello",
            body="from a stranger",
            department="sales",
            requester_email="Stranger@Example.org",
            requester_name="Stranger",
        )
    )
    return mine, theirs, stranger


def test_support_models_are_registered():
    labels = {e.label for e in personal_data.all()}
    assert {"support.Ticket", "support.Message", "support.Attachment"} <= labels
    assert "support.Department" in personal_data.exempt


def test_export_gives_the_subjects_tickets_and_thread_only(data, customer):
    export = personal_data.export(Subject(customer_id=customer.pk))
    assert [t["subject"] for t in export["support.Ticket"]] == ["My shop"]
    bodies = [m["body"] for m in export["support.Message"]]
    assert bodies == ["Maria's private details", "note about Maria"]
    assert export["support.Attachment"] == [
        {
            "ticket": "T-2027-000001",
            "filename": "id.pdf",
            "size": 4,
            "content_type": "application/octet-stream",
        }
    ]
    by_email = personal_data.export(Subject(email="stranger@example.org"))
    assert [t["subject"] for t in by_email["support.Ticket"]] == ["Hello"]


def test_erase_anonymises_the_subjects_data_only(
    data, customer, django_capture_on_commit_callbacks
):
    mine, theirs, _stranger = data
    path = Attachment.objects.get().file.path
    with django_capture_on_commit_callbacks(execute=True):
        result = personal_data.erase(Subject(customer_id=customer.pk))
    assert result["support.Ticket"].anonymised == 1
    assert result["support.Message"].anonymised == 2
    assert result["support.Attachment"].deleted == 1
    mine.refresh_from_db()
    assert (mine.subject, mine.context) == ("[erased]", "")
    assert set(mine.messages.values_list("body", flat=True)) == {"[erased]"}
    assert not Attachment.objects.exists()
    import os

    assert not os.path.exists(path)
    assert Ticket.objects.get(pk=theirs.pk).subject == "Their shop"
    assert Message.objects.filter(body="Nikos' data").exists()


@pytest.mark.parametrize("language", ["el", "en", "pl"])
def test_acknowledgement_names_the_ticket_and_the_targets(data, language):
    ack = Outbox.objects.filter(event="ticket_opened").first()
    notice = render_notice("ticket_opened", language, ack.context)
    assert notice.subject.startswith("[#T-2027-000001] ")
    assert "T-2027-000001" in notice.body
    # Normal: first response Fri 5 March 10:00, resolution Fri 19 March 10:00 (Athens).
    expected = {
        "el": ("5 Μαρτίου 2027, 10:00", "19 Μαρτίου 2027, 10:00"),
        "en": ("5 March 2027, 10:00", "19 March 2027, 10:00"),
        "pl": ("5 marca 2027, 10:00", "19 marca 2027, 10:00"),
    }[language]
    for moment in expected:
        assert moment in notice.body

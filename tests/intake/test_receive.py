"""E-mail intake (R8.1): new tickets, threading, loops, quarantine, idempotency, limits."""

import base64
from datetime import timedelta

import pytest
from django.db import OperationalError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.intake import services
from kyklos.intake.models import InboundMessage, QuarantinedMessage
from kyklos.notifications.models import Outbox
from kyklos.support import services as support
from kyklos.support.models import Attachment, Message, Status, Ticket
from tests import factories
from tests.intake.mails import build

pytestmark = pytest.mark.django_db

Reason = QuarantinedMessage.Reason


def only_ticket() -> Ticket:
    (ticket,) = Ticket.objects.all()
    return ticket


def test_a_customers_mail_opens_a_ticket_and_is_acknowledged(customer, now):
    receipt = services.receive(build())

    ticket = only_ticket()
    assert receipt.outcome == "new_ticket" and receipt.ticket == ticket
    assert ticket.customer == customer
    assert ticket.subject == "My site is down"
    assert ticket.department.code == "technical"
    assert ticket.channel == "email"
    assert ticket.status == Status.NEW
    (message,) = ticket.messages.all()
    assert message.body == "Hello,\nmaria.gr shows an error 500 since this morning."
    assert message.message_id == "<m1@mail.example.gr>"
    assert message.sender_email == "maria@example.gr"
    (ack,) = Outbox.objects.all()
    assert ack.event == "ticket_opened"
    assert ack.to_email == "admin@maria.gr"  # notices go to the administrative e-mail
    assert ack.context["ticket_number"] == ticket.number
    assert ack.context["first_response_due"] and ack.context["resolution_due"]
    assert ack.headers["In-Reply-To"] == "<m1@mail.example.gr>"
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert InboundMessage.objects.get().ticket == ticket


def test_the_secondary_address_finds_the_customer_too(customer, now):
    services.receive(build(sender="Maria <M.Nowak@Work.Example>"))

    assert only_ticket().customer == customer


def test_an_unknown_sender_goes_to_the_unknown_sender_queue(customer, now):
    services.receive(build(sender="Jan Kowalski <jan@firma.example.pl>", subject="Oferta"))

    ticket = only_ticket()
    assert ticket.customer is None
    assert (ticket.requester_email, ticket.requester_name) == (
        "jan@firma.example.pl",
        "Jan Kowalski",
    )
    assert Outbox.objects.get().to_email == "jan@firma.example.pl"


def test_an_address_shared_by_two_customers_is_left_to_staff(customer, now):
    factories.customer(name="Maria's company", email="maria@example.gr")

    services.receive(build())

    ticket = only_ticket()
    assert ticket.customer is None and ticket.requester_email == "maria@example.gr"


def test_a_department_can_be_given_per_address(customer, now):
    services.receive(build(), department="billing")

    assert only_ticket().department.code == "billing"


def test_the_same_message_twice_makes_one_ticket_message(customer, now):
    raw = build()

    first = services.receive(raw)
    again = services.receive(raw)

    assert Message.objects.count() == 1
    assert Outbox.objects.count() == 1
    assert again.duplicate and again.ticket == first.ticket
    assert InboundMessage.objects.count() == 1


def test_a_message_without_message_id_is_received_once(customer, now):
    raw = build(message_id=None)

    services.receive(raw)
    services.receive(raw)

    assert Message.objects.count() == 1


def test_a_reply_threads_by_in_reply_to(customer, now):
    services.receive(build())

    receipt = services.receive(
        build(
            message_id="<m2@mail.example.gr>",
            subject="Re: My site is down",
            text="It is back, thanks.\n\nOn Thu, Support wrote:\n> We restarted it.\n",
            headers={"In-Reply-To": "<m1@mail.example.gr>"},
        )
    )

    ticket = only_ticket()
    assert receipt.outcome == "threaded"
    assert [m.body for m in ticket.messages.all()][-1] == "It is back, thanks."
    assert Outbox.objects.count() == 1  # a reply is not acknowledged


def test_a_reply_to_a_message_kyklos_sent_finds_its_ticket(customer, now, settings):
    settings.DEFAULT_FROM_EMAIL = "Kyklos <noreply@kyklos.localhost>"
    services.receive(build())
    number = only_ticket().number

    services.receive(
        build(
            message_id="<m2@mail.example.gr>",
            subject="Re: something else",
            headers={"References": f"<{number}.9f3a0b1c2d3e4f50@kyklos.localhost>"},
        )
    )

    assert only_ticket().messages.count() == 2


def test_a_message_id_of_another_domain_is_not_trusted(customer, now, settings):
    settings.DEFAULT_FROM_EMAIL = "Kyklos <noreply@kyklos.localhost>"
    services.receive(build())
    number = only_ticket().number

    services.receive(
        build(
            message_id="<m2@mail.example.gr>",
            headers={"In-Reply-To": f"<{number}.9f3a0b1c2d3e4f50@evil.example>"},
        )
    )

    assert Ticket.objects.count() == 2


def test_a_guessed_kyklos_message_id_from_a_stranger_does_not_thread(customer, now, settings):
    settings.DEFAULT_FROM_EMAIL = "Kyklos <noreply@kyklos.localhost>"
    services.receive(build())
    number = only_ticket().number

    services.receive(
        build(
            sender="stranger@example.com",
            message_id="<m2@example.com>",
            headers={"In-Reply-To": f"<{number}.0000000000000000@kyklos.localhost>"},
        )
    )

    assert Ticket.objects.count() == 2


def test_the_subject_tag_threads_for_the_tickets_customer_only(customer, now):
    services.receive(build())
    ticket = only_ticket()

    services.receive(
        build(
            sender="admin@maria.gr",
            message_id="<m2@mail.example.gr>",
            subject=f"Re: {ticket.subject_tag} My site is down",
        )
    )
    services.receive(
        build(
            sender="stranger@example.com",
            message_id="<m3@example.com>",
            subject=f"{ticket.subject_tag} let me in",
        )
    )

    assert ticket.messages.count() == 2
    assert Ticket.objects.count() == 2
    assert Ticket.objects.exclude(pk=ticket.pk).get().requester_email == "stranger@example.com"


def test_a_reply_to_a_ticket_closed_within_7_days_reopens_it(customer, now):
    services.receive(build())
    ticket = only_ticket()
    support.close(ticket)
    reply = build(
        message_id="<m2@mail.example.gr>", headers={"In-Reply-To": "<m1@mail.example.gr>"}
    )

    with clock.frozen(now + timedelta(days=6, hours=23)):
        receipt = services.receive(reply)

    ticket.refresh_from_db()
    assert receipt.outcome == "threaded" and receipt.ticket == ticket
    assert ticket.status == Status.OPEN
    assert ticket.messages.count() == 2


def test_a_reply_to_a_ticket_closed_longer_ago_opens_a_linked_ticket(customer, now):
    services.receive(build())
    old = only_ticket()
    support.close(old)
    reply = build(
        message_id="<m2@mail.example.gr>", headers={"In-Reply-To": "<m1@mail.example.gr>"}
    )

    with clock.frozen(now + timedelta(days=8)):
        receipt = services.receive(reply)

    old.refresh_from_db()
    assert old.status == Status.CLOSED and old.messages.count() == 1
    assert receipt.outcome == "new_ticket"
    assert receipt.ticket.linked_from == old
    assert receipt.ticket.messages.get().message_id == "<m2@mail.example.gr>"


def test_auto_replies_are_quarantined_and_never_answered(customer, now):
    services.receive(build())
    out_of_office = build(
        message_id="<ooo@mail.example.gr>",
        subject="Out of office",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": "<m1@mail.example.gr>"},
    )

    receipt = services.receive(out_of_office)

    assert receipt.outcome == "quarantined"
    assert receipt.quarantine.reason == Reason.AUTOMATED
    assert "Auto-Submitted: auto-replied" in receipt.quarantine.detail
    assert Message.objects.count() == 1  # the ticket is untouched
    assert Outbox.objects.count() == 1  # only the first acknowledgement


def test_a_bounce_is_quarantined_with_its_raw_bytes(customer, now):
    raw = (
        b"From: MAILER-DAEMON@mx.example.gr\r\nTo: noreply@kyklos.localhost\r\n"
        b"Return-Path: <>\r\nSubject: Undelivered Mail\r\nMessage-ID: <dsn1@mx.example.gr>\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nmaria@example.gr: mailbox full\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.2.2\r\n--b--\r\n"
    )

    receipt = services.receive(raw)

    quarantined = receipt.quarantine
    assert quarantined.reason == Reason.BOUNCE
    assert quarantined.raw.read() == raw
    assert quarantined.size == len(raw)
    assert not Ticket.objects.exists() and not Outbox.objects.exists()
    assert AuditEvent.objects.filter(action="intake.message.quarantined").count() == 1


def test_no_usable_sender_is_quarantined(now):
    raw = build(sender="undisclosed-recipients:;")

    receipt = services.receive(raw)

    assert receipt.quarantine.reason == Reason.NO_SENDER
    assert receipt.quarantine.raw.read() == raw
    assert not Ticket.objects.exists()


def test_malformed_mime_is_quarantined(customer, now):
    raw = (
        b"From: maria@example.gr\r\nSubject: broken\r\nMessage-ID: <b1@example.gr>\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XYZ"\r\n\r\n'
        b"--XYZ\r\nContent-Type: text/plain\r\n\r\nstart of text\r\n"
    )

    receipt = services.receive(raw)

    assert receipt.quarantine.reason == Reason.MALFORMED
    assert "CloseBoundaryNotFoundDefect" in receipt.quarantine.detail
    assert not Ticket.objects.exists() and not Outbox.objects.exists()


def test_html_bodies_arrive_as_sanitised_text(customer, now):
    html = (
        "<p>Hi, <b>my</b> shop's checkout fails.</p><script>fetch('https://evil')</script>"
        "<p onmouseover='x()'>Screenshot below.</p>"
    )

    services.receive(build(text=None, html=html))

    body = Message.objects.get().body
    assert body == "Hi, my shop's checkout fails.\n\nScreenshot below."


def test_attachments_are_kept(customer, now):
    services.receive(build(attachments=[("error.png", b"\x89PNG...", "image/png")]))

    (attachment,) = Attachment.objects.all()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "error.png",
        "image/png",
        7,
    )
    assert attachment.file.read() == b"\x89PNG..."


def test_attachments_over_the_limit_are_kept_out_and_the_sender_told(customer, now, settings):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_ATTACHMENT_BYTES": 1000}
    raw = build(
        attachments=[
            ("small.txt", b"a" * 600, "text/plain"),
            ("big.zip", b"b" * 500, "application/zip"),  # 600 + 500 > 1000
            ("tiny.txt", b"c" * 300, "text/plain"),
        ]
    )

    receipt = services.receive(raw)

    ticket = receipt.ticket
    assert receipt.refused == ("big.zip",)
    assert sorted(Attachment.objects.values_list("filename", flat=True)) == [
        "small.txt",
        "tiny.txt",
    ]
    quarantined = receipt.quarantine
    assert quarantined.reason == Reason.TOO_LARGE and quarantined.ticket == ticket
    assert quarantined.raw.read() == raw  # staff still have the file
    note = ticket.messages.get(kind="note")
    assert "big.zip (0.0 MB)" in note.body and f"no. {quarantined.pk}" in note.body
    told = Outbox.objects.get(event="intake_attachment_refused")
    assert told.to_email == "admin@maria.gr"
    assert told.context["files"] == ["big.zip (0.0 MB)"]
    assert told.headers["Auto-Submitted"] == "auto-replied"


def test_a_message_given_as_a_file_is_stored_from_it(customer, now, settings, tmp_path):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_ATTACHMENT_BYTES": 2_000_000}
    kept, refused = bytes(range(256)) * 4096, b"\xff" * 1_500_000  # 1 MB, then 1.5 MB
    raw = build(attachments=[("kept.pdf", kept, "application/pdf"), ("big.zip", refused, "a/b")])
    path = tmp_path / "m.eml"
    path.write_bytes(raw)

    with open(path, "rb") as handle:
        receipt = services.receive(handle)

    (attachment,) = Attachment.objects.all()
    assert (attachment.filename, attachment.size) == ("kept.pdf", len(kept))
    assert attachment.file.read() == kept
    assert receipt.refused == ("big.zip",)
    assert receipt.quarantine.size == len(raw) and receipt.quarantine.raw.read() == raw


def test_a_26_mb_attachment_is_over_the_25_mb_limit_of_r5_4(customer, now):
    video = base64.encodebytes(b"\0" * (26 * 1024 * 1024)).replace(b"\n", b"\r\n")
    raw = (
        b"From: maria@example.gr\r\nSubject: video\r\nMessage-ID: <v@x>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nThe recording.\r\n"
        b"--b\r\nContent-Type: video/mp4\r\nContent-Transfer-Encoding: base64\r\n"
        b'Content-Disposition: attachment; filename="video.mp4"\r\n\r\n' + video + b"--b--\r\n"
    )

    receipt = services.receive(raw)

    assert receipt.refused == ("video.mp4",)
    assert not Attachment.objects.exists()
    assert receipt.quarantine.reason == Reason.TOO_LARGE
    assert Outbox.objects.get(event="intake_attachment_refused").context["limit_mb"] == "25.0"


def test_a_sender_writing_too_often_is_quarantined(customer, now, settings):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_PER_HOUR": 2}

    for n in range(3):
        services.receive(build(message_id=f"<flood{n}@mail.example.gr>"))

    assert Message.objects.count() == 2
    assert QuarantinedMessage.objects.get().reason == Reason.FLOOD


def test_acknowledgements_to_one_address_are_limited(now, settings):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "ACKS_PER_HOUR": 1}

    for n in range(3):
        services.receive(
            build(sender="jan@firma.example.pl", message_id=f"<j{n}@firma.example.pl>")
        )

    assert Ticket.objects.count() == 3
    assert Outbox.objects.filter(event="ticket_opened").count() == 1


def test_an_error_while_processing_quarantines_the_message_and_writes_nothing_else(
    customer, now, monkeypatch
):
    def broken(*args, **kwargs):
        Ticket.objects.create  # noqa: B018  (half-done work must roll back)
        raise RuntimeError("support is broken")

    monkeypatch.setattr(support, "open_ticket", broken)
    raw = build()

    receipt = services.receive(raw)

    assert receipt.quarantine.reason == Reason.ERROR
    assert receipt.quarantine.detail == "RuntimeError: support is broken"
    assert receipt.quarantine.raw.read() == raw
    assert not Ticket.objects.exists() and not Outbox.objects.exists()
    assert InboundMessage.objects.get().outcome == "quarantined"


def test_an_unreachable_database_is_a_temporary_failure(customer, now, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(services, "_receive", down)

    with pytest.raises(services.TemporaryFailure):
        services.receive(build())
    assert not QuarantinedMessage.objects.exists()


def test_threading_costs_the_same_queries_for_many_references(customer, now):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.receive(build())
    refs = " ".join(f"<old{n}@example.gr>" for n in range(40))

    with CaptureQueriesContext(connection) as one:
        services.receive(build(message_id="<r1@x>", headers={"References": "<m1@mail.example.gr>"}))
    with CaptureQueriesContext(connection) as many:
        services.receive(
            build(message_id="<r2@x>", headers={"References": f"<m1@mail.example.gr> {refs}"})
        )

    assert len(many) == len(one)

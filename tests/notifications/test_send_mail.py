"""``kyklos send-mail`` as an operator runs it, and end to end through a real SMTP server."""

import socket
from datetime import timedelta
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.__main__ import _dashes_to_underscores, main
from kyklos.core import clock
from kyklos.notifications.models import Event, Outbox
from tests.notifications.conftest import DAY, parse


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "Kyklos Hosting <noreply@hosting.example>"
    yield inbox
    controller.stop()


def send_mail(*args) -> str:
    out = StringIO()
    call_command("send_mail", *args, stdout=out)
    return out.getvalue()


def test_notices_travel_through_smtp_exactly_once(queue, smtp_server):
    row = queue(Event.PAYMENT_RECEIVED, invoice_id=12)

    with clock.frozen(DAY):
        assert send_mail() == "Sent 1, failed 0, left 0 queued.\n"
        assert send_mail() == "Sent 0, failed 0, left 0 queued.\n"

    (envelope,) = smtp_server.envelopes
    assert envelope.mail_from == "noreply@hosting.example"
    assert envelope.rcpt_tos == ["admin@example.gr"]
    message = parse(envelope.original_content)
    assert message["To"] == "admin@example.gr"
    assert message["Subject"].strip() == "Λάβαμε την πληρωμή σας: 1.234,50\xa0€"
    assert message["Message-ID"] == f"<outbox-{row.pk}.1803279600@hosting.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content().replace("\r\n", "\n") == (  # SMTP lines end in CRLF
        "Αγαπητέ/ή πελάτη,\n\n"
        "Σας ευχαριστούμε. Λάβαμε την πληρωμή σας ύψους 1.234,50\xa0€ στις 20 Φεβρουαρίου 2027"
        " για το παραστατικό PF-2027-0042.\n\n"
        "Η απόδειξη είναι διαθέσιμη στην περιοχή πελατών: http://127.0.0.1:8000\n\n"
        "Με εκτίμηση,\nKyklos Demo Hosting IKE\n\n--\n"
        "Αυτό είναι ένα αυτοματοποιημένο μήνυμα, που στάλθηκε στη διεύθυνση e-mail που έχει"
        " δηλωθεί για τον λογαριασμό πελάτη «Νίκος Παπαδόπουλος». Οι απαντήσεις σε αυτή τη"
        " διεύθυνση δεν παρακολουθούνται: παρακαλούμε μην απαντήσετε σε αυτό το μήνυμα, αλλά"
        " επικοινωνήστε μαζί μας μέσω της περιοχής πελατών.\n"
    )


def test_an_unreachable_server_fails_every_message_and_keeps_them_queued(queue, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    queue(Event.EXPIRY_WARNING)
    queue(Event.SERVICE_SUSPENDED)

    with clock.frozen(DAY):
        assert send_mail() == "Sent 0, failed 2, left 2 queued.\n"

    errors = list(Outbox.objects.values_list("attempts", "last_error"))
    assert [attempts for attempts, _ in errors] == [1, 1]
    assert all(error.startswith("ConnectionRefusedError") for _, error in errors)


def test_limit_and_notices_due_later_stay_queued(queue, mailoutbox):
    queue(Event.EXPIRY_WARNING)
    queue(Event.SERVICE_SUSPENDED)
    queue(Event.SERVICE_RENEWED, for_date=DAY + timedelta(days=3))

    with clock.frozen(DAY):
        assert send_mail("--limit", "1") == "Sent 1, failed 0, left 2 queued.\n"
        assert send_mail() == "Sent 1, failed 0, left 1 queued.\n"
    assert len(mailoutbox) == 2


@pytest.mark.parametrize("limit", ["0", "-3", "many"])
def test_a_bad_limit_is_refused(db, limit):
    with pytest.raises(CommandError, match="argument --limit: must be a positive whole number"):
        send_mail("--limit", limit)


@pytest.mark.django_db(transaction=True)
def test_kyklos_send_mail_is_spelt_with_a_dash(queue, mailoutbox, capsys):
    queue(Event.EXPIRY_WARNING)

    with clock.frozen(DAY):
        main(["send-mail", "--limit", "5"])

    assert capsys.readouterr().out == "Sent 1, failed 0, left 0 queued.\n"
    assert len(mailoutbox) == 1


def test_dashes_become_underscores_only_for_existing_commands():
    assert _dashes_to_underscores(["send-mail", "--limit", "2"]) == ["send_mail", "--limit", "2"]
    assert _dashes_to_underscores(["no-such-command"]) == ["no-such-command"]
    assert _dashes_to_underscores(["--version"]) == ["--version"]
    assert _dashes_to_underscores([]) == []

"""``kyklos mail-fetch`` against a real IMAP server (Dovecot, started by the test)."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from imap_tools import MailBoxUnencrypted

from kyklos.intake.models import QuarantinedMessage
from kyklos.support.models import Message, Ticket
from tests.intake import dovecot
from tests.intake.mails import build

pytestmark = pytest.mark.django_db


def mailbox(server):
    return MailBoxUnencrypted("127.0.0.1", server.port).login(dovecot.USER, dovecot.PASSWORD)


def deliver(server, *messages: bytes, folder="INBOX") -> None:
    with mailbox(server) as box:
        for raw in messages:
            box.append(raw, folder)


def fetch(settings, server, *args) -> str:
    settings.KYKLOS_IMAP_URL = server.url
    out = io.StringIO()
    call_command("mail_fetch", *args, stdout=out)
    return out.getvalue()


def flags(server) -> list[set[str]]:
    with mailbox(server) as box:
        return [set(m.flags) for m in box.fetch(mark_seen=False)]


def test_fetch_files_new_mail_quarantines_auto_replies_and_marks_them_seen(
    imap_server, settings, customer, now
):
    deliver(
        imap_server,
        build(),
        build(message_id="<ooo@x>", headers={"Auto-Submitted": "auto-replied"}),
        build(message_id="<m2@x>", headers={"In-Reply-To": "<m1@mail.example.gr>"}),
    )

    out = fetch(settings, imap_server)

    assert out.strip() == (
        f"3 message(s) read from imap://support@127.0.0.1:{imap_server.port}/INBOX: "
        "1 new ticket(s), 1 added to tickets, 1 quarantined, 0 already received."
    )
    ticket = Ticket.objects.get()
    assert ticket.customer == customer and ticket.messages.count() == 2
    assert QuarantinedMessage.objects.get().source == "imap"
    assert all("\\Seen" in f for f in flags(imap_server))
    assert "0 message(s)" in fetch(settings, imap_server)  # nothing unseen is left


def test_a_message_fetched_twice_makes_one_ticket_message(imap_server, settings, customer, now):
    deliver(imap_server, build())
    fetch(settings, imap_server)
    with mailbox(imap_server) as box:  # someone marks it unread again in their mail client
        box.flag([m.uid for m in box.fetch(mark_seen=False)], "\\Seen", False)

    out = fetch(settings, imap_server)

    assert "1 already received" in out
    assert Message.objects.count() == 1


def test_processed_messages_can_be_moved_to_a_folder(imap_server, settings, customer, now):
    settings.KYKLOS_IMAP_DONE_FOLDER = "Processed"
    deliver(imap_server, build())

    fetch(settings, imap_server)

    with mailbox(imap_server) as box:
        assert list(box.fetch()) == []
        box.folder.set("Processed")
        assert [m.subject for m in box.fetch()] == ["My site is down"]


def test_a_message_too_large_to_download_is_left_flagged(imap_server, settings, customer, now):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_MESSAGE_BYTES": 5000}
    deliver(imap_server, build(attachments=[("a.bin", b"x" * 10_000, "application/zip")]))

    out = fetch(settings, imap_server)

    assert "1 too large, left flagged in the mailbox" in out
    assert not Ticket.objects.exists()
    assert flags(imap_server) == [{"\\Seen", "\\Flagged"}]


def test_limit_reads_at_most_that_many(imap_server, settings, customer, now):
    deliver(imap_server, *(build(message_id=f"<n{i}@x>", subject=f"n{i}") for i in range(3)))

    fetch(settings, imap_server, "--limit", "2")

    assert Ticket.objects.count() == 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["n0", "n1"]


def test_a_wrong_password_is_a_temporary_failure(imap_server, settings, now):
    settings.KYKLOS_IMAP_URL = imap_server.url.replace(dovecot.PASSWORD, "wrong")

    with pytest.raises(CommandError) as error:
        call_command("mail_fetch")

    assert error.value.returncode == 75
    assert "refused the login" in str(error.value)
    assert "wrong" not in str(error.value)  # the password is never shown


def test_an_unreachable_server_is_a_temporary_failure(settings, now):
    settings.KYKLOS_IMAP_URL = "imap://support:x@127.0.0.1:1/INBOX"

    with pytest.raises(CommandError) as error:
        call_command("mail_fetch")

    assert error.value.returncode == 75


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "set KYKLOS_IMAP_URL"),
        ("pop3://a@b/INBOX", "must start with imaps://"),
        ("imaps://mail.example.com/INBOX", "needs a user and a host"),
    ],
)
def test_a_missing_or_bad_url_exits_2(settings, url, message):
    settings.KYKLOS_IMAP_URL = url

    with pytest.raises(CommandError) as error:
        call_command("mail_fetch")

    assert error.value.returncode == 2
    assert message in str(error.value)

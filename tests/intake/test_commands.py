"""``kyklos mail-in`` for a mail server's pipe: sysexits status codes, nothing lost."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.intake.models import QuarantinedMessage
from kyklos.support.models import Ticket
from tests.intake.mails import build

ROOT = Path(__file__).resolve().parents[2]


def mail_in(monkeypatch, raw: bytes, *args) -> str:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    call_command("mail_in", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_a_message_on_standard_input_becomes_a_ticket(monkeypatch, customer, now):
    out = mail_in(monkeypatch, build(), "--department", "sales")

    ticket = Ticket.objects.get()
    assert ticket.department.code == "sales"
    assert out.strip() == f"<m1@mail.example.gr>: new_ticket {ticket.number}"


@pytest.mark.django_db
def test_a_quarantined_message_is_accepted(monkeypatch, now):
    out = mail_in(monkeypatch, build(sender=None))

    assert "quarantined (no_sender)" in out
    assert QuarantinedMessage.objects.count() == 1


@pytest.mark.django_db
def test_an_unknown_department_defers_the_mail(monkeypatch, now):
    with pytest.raises(CommandError) as error:
        mail_in(monkeypatch, build(), "--department", "nope")

    assert error.value.returncode == 75
    assert "no active department “nope”" in str(error.value)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_message_over_the_size_limit_is_refused(monkeypatch, settings, now):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_MESSAGE_BYTES": 2 * 1024 * 1024}

    with pytest.raises(CommandError) as error:
        mail_in(monkeypatch, build(attachments=[("a.bin", b"x" * 3_000_000, "application/zip")]))

    assert error.value.returncode == 65
    assert "larger than 2 MB" in str(error.value)
    assert not Ticket.objects.exists() and not QuarantinedMessage.objects.exists()


class Endless(io.RawIOBase):
    """Standard input that never ends; counts what was read."""

    read_bytes = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


@pytest.mark.django_db
def test_reading_stops_as_soon_as_the_message_passes_the_limit(monkeypatch, settings, now):
    settings.KYKLOS_INTAKE = {**settings.KYKLOS_INTAKE, "MAX_MESSAGE_BYTES": 1024 * 1024}
    stdin = Endless()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(stdin)))

    with pytest.raises(CommandError) as error:
        call_command("mail_in")

    assert error.value.returncode == 65
    assert stdin.read_bytes <= 1024 * 1024 + 64 * 1024


def run(raw: bytes, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kyklos", "mail-in"],
        input=raw,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
        timeout=120,
    )


def test_empty_input_exits_65_for_the_mail_server():
    result = run(b"")

    assert result.returncode == 65
    assert b"no message on standard input" in result.stderr


def test_an_unreachable_database_exits_75_so_the_mail_server_retries():
    result = run(build(), DATABASE_URL="postgres://kyklos@127.0.0.1:1/none")

    assert result.returncode == 75, result.stderr
    assert b"try again later" in result.stderr

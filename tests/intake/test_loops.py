"""Bounces and auto-replies are recognised (and so never answered)."""

import pytest

from kyklos.intake.loops import AUTOMATED, BOUNCE, classify
from kyklos.intake.parsing import parse
from tests.intake.mails import build


def kind(raw: bytes):
    mail = parse(raw)
    found = classify(mail.message, mail.sender_email)
    return found[0] if found else None


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "auto_reply"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"List-Id": "<news.example.com>"},
        {"X-Kyklos-Event": "ticket_opened"},
    ],
)
def test_automated_messages(headers):
    assert kind(build(headers=headers)) == AUTOMATED


@pytest.mark.parametrize(
    "raw",
    [
        build(headers={"Return-Path": "<>"}),
        build(sender="MAILER-DAEMON@mx.example.gr"),
        build(headers={"X-Failed-Recipients": "maria@example.gr"}),
        (
            b"From: postmaster@example.gr\r\nSubject: Undelivered\r\nMessage-ID: <d@x>\r\n"
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
            b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--b--\r\n"
        ),
    ],
)
def test_bounces(raw):
    assert kind(raw) == BOUNCE


def test_our_own_address_is_a_loop(settings):
    settings.DEFAULT_FROM_EMAIL = "Kyklos <noreply@kyklos.localhost>"

    assert kind(build(sender="noreply@kyklos.localhost")) == AUTOMATED


def test_a_persons_message_is_not_automated():
    assert kind(build(headers={"Auto-Submitted": "no", "Precedence": "normal"})) is None

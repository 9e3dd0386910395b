"""Builders of raw RFC 5322 messages for the intake tests."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP


def build(
    *,
    sender: str | None = "Maria Nowak <maria@example.gr>",
    to: str = "support@kyklos.localhost",
    subject: str = "My site is down",
    text: str | None = "Hello,\nmaria.gr shows an error 500 since this morning.\n",
    html: str | None = None,
    message_id: str | None = "<m1@mail.example.gr>",
    attachments: list[tuple[str, bytes, str]] = (),
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    if sender is not None:
        msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 01 Mar 2027 10:00:00 +0200"
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        msg[name] = value
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    for filename, content, content_type in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=SMTP)

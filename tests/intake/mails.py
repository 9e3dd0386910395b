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


def write_large(path, *, sizes: list[int], seed: int = 12) -> list[tuple[str, int, str]]:
    """Write a message with a short text and one base64 attachment per size to ``path``,
    a chunk at a time (a 50 MB message without holding it in memory). Returns each
    attachment's filename, size and SHA-256."""
    import base64
    import hashlib
    import random

    rng = random.Random(seed)
    boundary = "=-=kyklos-large-message=-="
    files = []
    with open(path, "wb") as out:
        out.write(
            b"From: Maria Nowak <maria@example.gr>\r\n"
            b"To: support@kyklos.localhost\r\n"
            b"Subject: The scans you asked for\r\n"
            b"Date: Mon, 01 Mar 2027 10:00:00 +0200\r\n"
            b"Message-ID: <large@mail.example.gr>\r\n"
            b"MIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="' + boundary.encode() + b'"\r\n\r\n'
        )
        out.write(
            b"--" + boundary.encode() + b"\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
            b"Hello,\r\nhere are the contracts and the scans of the invoices.\r\n\r\nMaria\r\n"
        )
        for n, size in enumerate(sizes, start=1):
            name = f"scan-{n}.pdf"
            out.write(
                b"--" + boundary.encode() + b"\r\n"
                b"Content-Type: application/pdf\r\n"
                b"Content-Transfer-Encoding: base64\r\n"
                b'Content-Disposition: attachment; filename="' + name.encode() + b'"\r\n\r\n'
            )
            digest, left = hashlib.sha256(), size
            while left:
                chunk = rng.randbytes(min(left, 57 * 1024))
                left -= len(chunk)
                digest.update(chunk)
                out.write(base64.encodebytes(chunk).replace(b"\n", b"\r\n"))
            files.append((name, size, digest.hexdigest()))
        out.write(b"--" + boundary.encode() + b"--\r\n")
    return files

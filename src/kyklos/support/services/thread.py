"""Writing one entry of a ticket's thread with its attachments (R5.4: at most 25 MB a
file). Opening a ticket and adding a message both write through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.support.models import Attachment, Message, Ticket

#: R5.4: the largest attachment kept, per file.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

#: ``(filename, file, size, content type)`` of an attachment checked by :func:`prepare_files`.
PreparedFile = tuple[str, File, int, str]


@dataclass(frozen=True)
class IncomingFile:
    """An attachment given as bytes (e-mail intake, API)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def prepare_files(files: Iterable[Any]) -> list[PreparedFile]:
    """One :data:`PreparedFile` per attachment; refuses files above the limit (R5.4)
    before anything is written."""
    prepared = []
    for item in files or ():
        if isinstance(item, IncomingFile):
            name, body = item.filename, ContentFile(item.content)
            size, content_type = len(item.content), item.content_type
        else:
            name, body = item.name, item
            size, content_type = item.size, getattr(item, "content_type", "") or ""
        name = PurePath(str(name or "attachment")).name[-200:] or "attachment"
        if size > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                {
                    "attachments": _("“%(name)s” is %(size)s MB; attachments may be at most 25 MB.")
                    % {"name": name, "size": f"{size / 1024 / 1024:.1f}"}
                }
            )
        prepared.append((name, body, size, content_type[:100]))
    return prepared


def as_incoming(files: Iterable[PreparedFile]) -> list[IncomingFile]:
    """Prepared files given back as bytes, to be prepared again for another ticket."""
    incoming = []
    for name, content, _size, content_type in files:
        content.seek(0)
        incoming.append(IncomingFile(name, content.read(), content_type))
    return incoming


def write_message(
    ticket: Ticket,
    *,
    body: str,
    kind: str,
    from_staff: bool,
    actor,
    channel: str,
    files: list[PreparedFile],
    sender_email: str = "",
    sender_name: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> Message:
    """Store one message and its files (checked input; the caller holds the transaction)."""
    user = acting_user(actor)
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        from_staff=from_staff,
        author=user,
        sender_email=sender_email[:254],
        sender_name=sender_name[:200],
        channel=channel,
        body=body,
        message_id=message_id[:255],
        in_reply_to=in_reply_to[:255],
        references=references,
        created_at=clock.now(),
    )
    for name, content, size, content_type in files:
        attachment = Attachment(
            message=message, filename=name, size=size, content_type=content_type
        )
        attachment.file.save(name, content, save=False)
        attachment.save()
    return message

"""Poll an IMAP mailbox (``kyklos mail-fetch``) with imap-tools.

``KYKLOS_IMAP_URL`` names the mailbox: ``imaps://user:password@host:993/INBOX`` (TLS),
``imap+starttls://…:143/…`` (STARTTLS) or ``imap://…`` (plaintext, for a server on the
same machine only). User and password are percent-encoded; the folder defaults to INBOX.

Each unseen message is read without marking it, handed to
:func:`kyklos.intake.services.receive` and only then marked seen (or moved to
``KYKLOS_IMAP_DONE_FOLDER`` when set). A crash between the two leaves the message unseen;
the next poll reads it again and the Message-ID ledger makes that harmless. Messages
larger than ``KYKLOS_INTAKE['MAX_MESSAGE_BYTES']`` are not downloaded: they are marked
seen and flagged in the mailbox for staff.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessage
from imap_tools.consts import MailMessageFlags

from kyklos.intake import services
from kyklos.intake.models import Source

SCHEMES = {
    "imaps": (MailBox, 993),
    "imap+starttls": (MailBoxStartTls, 143),
    "imap": (MailBoxUnencrypted, 143),
}


class MailboxUrlError(ValueError):
    pass


@dataclass(frozen=True)
class MailboxUrl:
    scheme: str
    host: str
    port: int
    user: str
    password: str
    folder: str

    def __str__(self) -> str:  # never shows the password
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_url(url: str) -> MailboxUrl:
    parts = urlsplit(url or "")
    if parts.scheme not in SCHEMES:
        raise MailboxUrlError(
            "The IMAP URL must start with imaps://, imap+starttls:// or imap://, "
            "e.g. imaps://user:password@mail.example.com/INBOX."
        )
    try:
        port = parts.port or SCHEMES[parts.scheme][1]
    except ValueError:
        raise MailboxUrlError("The IMAP URL has an invalid port.") from None
    if not parts.hostname or not parts.username:
        raise MailboxUrlError(
            "The IMAP URL needs a user and a host: imaps://user:password@host/INBOX."
        )
    return MailboxUrl(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


class _RawMessage(MailMessage):
    """imap-tools' message that also keeps the bytes as fetched."""

    def __init__(self, fetch_data: list) -> None:
        super().__init__(fetch_data)
        self.raw = self._get_message_data_parts(fetch_data)[0]


@contextmanager
def open_mailbox(url: MailboxUrl, timeout: float = 60) -> Iterator[BaseMailBox]:
    cls = SCHEMES[url.scheme][0]
    mailbox = cls(url.host, url.port, timeout=timeout)
    mailbox.email_message_class = _RawMessage
    with mailbox.login(url.user, url.password, initial_folder=url.folder) as box:
        yield box


@dataclass
class FetchResult:
    receipts: list[services.Receipt] = field(default_factory=list)
    #: UIDs of messages left in the mailbox because they are too large to download.
    too_large: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.receipts if r.outcome == outcome and not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.receipts if r.duplicate)


def fetch(
    url: MailboxUrl,
    *,
    limit: int | None = None,
    department: str | None = None,
    done_folder: str = "",
) -> FetchResult:
    """Receive the unseen messages of the mailbox, oldest first, at most ``limit``.

    Raises :class:`services.TemporaryFailure` when the database cannot be reached (the
    message stays unseen) and imap-tools' or socket errors when the server fails.
    """
    result = FetchResult()
    max_bytes = services.limits()["MAX_MESSAGE_BYTES"]
    with open_mailbox(url) as box:
        uids = list(box.uids(AND(seen=False)))[:limit] if limit else list(box.uids(AND(seen=False)))
        if not uids:
            return result
        if done_folder and not box.folder.exists(done_folder):
            box.folder.create(done_folder)
        sizes = {
            m.uid: m.size_rfc822
            for m in box.fetch(uid_list=uids, headers_only=True, mark_seen=False, bulk=100)
        }
        for uid in uids:
            if sizes.get(uid, 0) > max_bytes:
                box.flag(uid, [MailMessageFlags.SEEN, MailMessageFlags.FLAGGED], True)
                result.too_large.append(uid)
                continue
            message = next(iter(box.fetch(uid_list=[uid], mark_seen=False)), None)
            if message is None:  # deleted meanwhile by another client
                continue
            receipt = services.receive(message.raw, source=Source.IMAP, department=department)
            result.receipts.append(receipt)
            if done_folder:
                box.move(uid, done_folder)
            else:
                box.flag(uid, MailMessageFlags.SEEN, True)
    return result

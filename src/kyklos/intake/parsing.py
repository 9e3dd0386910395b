"""One RFC 5322 message in, the parts a ticket needs out.

:func:`parse` never raises on bad input: what it cannot read it reports in
``ParsedMail.problems`` (structural MIME defects, an undecodable body), and the caller
decides (see :mod:`kyklos.intake.services`: such messages are quarantined, not guessed at).

It streams: the message is read a chunk at a time, the body of a part larger than
:data:`SPILL_BYTES` goes to a temporary file instead of memory, and each attachment is
decoded from there into a temporary file of its own. A 50 MB message needs a few MB.
"""

from __future__ import annotations

import binascii
import hashlib
import io
import mimetypes
import quopri
import re
import tempfile
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from email import errors, policy
from email.feedparser import BufferedSubFile, BytesFeedParser, NeedMoreData
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import PurePath
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from kyklos.intake import html as html_text
from kyklos.intake.trimming import trim_quoted

MESSAGE_ID_MAX = 255
_MSGID = re.compile(r"<[^<>\s]{1,250}>")
#: Defects after which the message's content may be incomplete or wrong.
STRUCTURAL_DEFECTS = (
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
    errors.NoBoundaryInMultipartDefect,
    errors.InvalidBase64CharactersDefect,
    errors.InvalidBase64LengthDefect,
    errors.MissingHeaderBodySeparatorDefect,
)
_GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
_POLISH = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")


#: Bytes read from the input at a time.
CHUNK_BYTES = 64 * 1024
#: A part's body larger than this is kept in a temporary file while the message is parsed.
SPILL_BYTES = 256 * 1024


@dataclass
class MailAttachment:
    """A decoded attachment; its bytes are in ``file`` (in memory when small, else a
    temporary file), read from the start."""

    filename: str
    content_type: str
    file: BinaryIO
    size: int
    sha256: str

    @property
    def content(self) -> bytes:
        """All the bytes at once; for small attachments and tests."""
        self.file.seek(0)
        return self.file.read()


@dataclass
class ParsedMail:
    message: EmailMessage
    message_id: str
    #: True when the message had no usable Message-ID and one was derived from its bytes.
    derived_id: bool
    subject: str
    sender_email: str
    sender_name: str
    in_reply_to: list[str]
    references: list[str]
    #: The new text of the message (quoted history trimmed); from the sanitised HTML
    #: when there is no plain-text part.
    body: str
    attachments: list[MailAttachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def close(self) -> None:
        """Release the temporary files of the attachments and of the large bodies."""
        for attachment in self.attachments:
            attachment.file.close()
        for part in self.message.walk():
            spill = part.__dict__.pop(_SPILL, None)
            if spill is not None:
                spill.close()

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this one answers, nearest first, without repeats."""
        seen: dict[str, None] = {}
        for mid in [*self.in_reply_to, *reversed(self.references)]:
            seen.setdefault(mid, None)
        return list(seen)

    def guess_language(self, default: str) -> str:
        sample = f"{self.subject}\n{self.body[:2000]}"
        if _GREEK.search(sample):
            return "el"
        if _POLISH.search(sample):
            return "pl"
        return default


def parse(raw: bytes | BinaryIO) -> ParsedMail:
    """Parse a message given as bytes or as a binary file (read from where it stands)."""
    msg, digest = _read(io.BytesIO(raw) if isinstance(raw, bytes | bytearray) else raw)
    problems: list[str] = []
    _check_structure(msg, problems)
    sender_email, sender_name = _sender(msg)
    message_id, derived = _message_id(msg, digest)
    body, body_parts = _body(msg, problems)
    attachments = _attachments(msg, body_parts, problems)
    return ParsedMail(
        message=msg,
        message_id=message_id,
        derived_id=derived,
        subject=_subject(msg),
        sender_email=sender_email,
        sender_name=sender_name,
        in_reply_to=_ids(_header(msg, "In-Reply-To")),
        references=_ids(_header(msg, "References")),
        body=body,
        attachments=attachments,
        problems=problems,
    )


# --- reading, with large bodies on disk ------------------------------------------------------

#: The attribute of a part whose body went to a temporary file: all of it but the last
#: line, which stays the part's payload.
_SPILL = "_kyklos_spill"


def _read(stream: BinaryIO) -> tuple[EmailMessage, str]:
    """The message read from ``stream`` a chunk at a time, and the SHA-256 of its bytes."""
    parser = _SpillingParser(policy=policy.default)
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
        parser.feed(chunk)
    return parser.close(), digest.hexdigest()


class _SpillingInput(BufferedSubFile):
    """The parser's line buffer, which keeps large bodies out of memory.

    The standard parser reads the body of a leaf part by iterating over this buffer and
    joins the lines. Once :meth:`body_of` has named the part, the lines are held back here
    instead; when they pass :data:`SPILL_BYTES` all but the last go to a temporary file.
    At the end of the body the held lines reach the parser as usual (for a spilled body,
    only its last line), so the parser trims the line break that belongs to the next
    boundary as it always does.
    """

    def __init__(self) -> None:
        super().__init__()
        self._part: EmailMessage | None = None
        self._held: deque[str] = deque()
        self._size = 0
        self._spill: BinaryIO | None = None

    def body_of(self, part: EmailMessage) -> None:
        self._part, self._held, self._size, self._spill = part, deque(), 0, None

    def __next__(self):
        if self._part is None:
            return super().__next__()
        while True:
            line = self.readline()
            if line is NeedMoreData:
                return NeedMoreData
            if line == "":  # the end of the body (stays so when asked again)
                if self._held:
                    return self._held.popleft()
                if self._spill is not None:
                    setattr(self._part, _SPILL, self._spill)
                self._part = self._spill = None
                raise StopIteration
            self._held.append(line)
            self._size += len(line)
            if self._size > SPILL_BYTES:
                if self._spill is None:
                    self._spill = tempfile.TemporaryFile()  # closed by ParsedMail.close
                last = self._held.pop()
                self._spill.write("".join(self._held).encode("ascii", "surrogateescape"))
                self._held, self._size = deque([last]), len(last)


class _SpillingParser(BytesFeedParser):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._input = _SpillingInput()

    def _parse_headers(self, lines):
        super()._parse_headers(lines)
        # What the parser does next with a part that is neither multipart nor message/*
        # is read its body.
        if self._cur.get_content_maintype() not in ("multipart", "message"):
            self._input.body_of(self._cur)


def _load(part: EmailMessage) -> EmailMessage:
    """Put a spilled body back into ``part`` (for a body text or an attached message)."""
    spill = part.__dict__.pop(_SPILL, None)
    if spill is not None:
        spill.seek(0)
        head = spill.read().decode("ascii", "surrogateescape")
        spill.close()
        part._payload = head + (part._payload or "")
    return part


_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(_BASE64)))


def _decode_base64(source: BinaryIO, target: BinaryIO) -> None:
    """Decode as ``part.get_payload(decode=True)`` does (characters outside the alphabet
    ignored, the data ends at its padding), a chunk at a time."""
    rest = b""
    while chunk := source.read(CHUNK_BYTES):
        data = rest + chunk.translate(None, _NOT_BASE64)
        whole = len(data) - len(data) % 4
        if b"=" in data[:whole]:
            target.write(_a2b(data[:whole]))
            return
        target.write(_a2b(data[:whole]))
        rest = data[whole:]
    if len(rest) > 1:
        target.write(_a2b(rest + b"=" * (4 - len(rest))))


def _a2b(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        return b""


def _decoded(part: EmailMessage) -> BinaryIO | None:
    """The decoded body of a leaf part, read from the start: in memory when it is small,
    else in a temporary file."""
    spill = part.__dict__.get(_SPILL)
    cte = str(part.get("content-transfer-encoding", "")).lower()
    if spill is None or cte not in ("base64", "quoted-printable", "7bit", "8bit", "binary", ""):
        payload = _load(part).get_payload(decode=True)
        return None if payload is None else io.BytesIO(payload)
    del part.__dict__[_SPILL]
    spill.seek(0, io.SEEK_END)
    spill.write((part._payload or "").encode("ascii", "surrogateescape"))
    spill.seek(0)
    if cte in ("base64", "quoted-printable"):
        target = tempfile.TemporaryFile()
        with spill:
            if cte == "base64":
                _decode_base64(spill, target)
            else:
                quopri.decode(spill, target)
        target.seek(0)
        return target
    return spill


def measure(file: BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of ``file``, which is left at its start."""
    file.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := file.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return size, digest.hexdigest()


# --- headers -------------------------------------------------------------------------------


def _header(msg: EmailMessage, name: str) -> str:
    """A header's decoded text, or its raw text when it cannot be decoded."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value)
    except Exception:
        raw = msg.get_all(name, failobj=[]) if hasattr(msg, "get_all") else []
        return str(raw[0]) if raw else ""


def _raw_header(msg: EmailMessage, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def _ids(value: str) -> list[str]:
    return [_fit_id(m) for m in _MSGID.findall(value or "")]


def _fit_id(mid: str) -> str:
    if len(mid) <= MESSAGE_ID_MAX:
        return mid
    return f"<sha256-{hashlib.sha256(mid.encode()).hexdigest()}@long-id.invalid>"


def _message_id(msg: EmailMessage, digest: str) -> tuple[str, bool]:
    found = _ids(_raw_header(msg, "Message-ID"))
    if found:
        return found[0], False
    return f"<sha256-{digest}@no-message-id.invalid>", True


def _subject(msg: EmailMessage) -> str:
    subject = " ".join(_header(msg, "Subject").split())
    return "".join(c for c in subject if unicodedata.category(c)[0] != "C")[:200]


def usable_address(address: str) -> str:
    """``address`` lower-cased if it is a valid mailbox, else ''."""
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return ""
    return address.lower()


def _sender(msg: EmailMessage) -> tuple[str, str]:
    """The first valid address of From, else of Reply-To or Sender, with its name."""
    for name in ("From", "Reply-To", "Sender"):
        for display, address in _addresses(msg, name):
            usable = usable_address(address)
            if usable:
                return usable, " ".join(display.split())[:200]
    return "", ""


def _addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    try:
        header = msg.get(name)
        parsed = getattr(header, "addresses", None) if header is not None else None
    except Exception:  # undecodable: fall back to the permissive parser below
        parsed = None
    if parsed:
        return [(a.display_name, a.addr_spec) for a in parsed]
    raw = _raw_header(msg, name)
    return getaddresses([raw]) if raw else [parseaddr("")]


# --- structure and body ------------------------------------------------------------------


def _check_structure(msg: EmailMessage, problems: list[str]) -> None:
    for part in msg.walk():
        for defect in part.defects:
            if isinstance(defect, STRUCTURAL_DEFECTS):
                problems.append(f"{type(defect).__name__}: {defect}")


def _text_of(part: EmailMessage, problems: list[str]) -> str:
    _load(part)
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError) as exc:
        payload = part.get_payload(decode=True) or b""
        problems.append(f"undecodable {part.get_content_type()} part: {exc}")
        return payload.decode("utf-8", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _body(msg: EmailMessage, problems: list[str]) -> tuple[str, set[int]]:
    """The trimmed new text, and the ids of the parts it was read from."""
    try:
        plain = msg.get_body(preferencelist=("plain",))
        rich = msg.get_body(preferencelist=("html",))
    except Exception as exc:
        problems.append(f"no readable body: {exc}")
        return "", set()
    used = {id(p) for p in (plain, rich) if p is not None}
    if plain is not None:
        text = trim_quoted(_text_of(plain, problems))
    elif rich is not None:
        text = trim_quoted(html_text.to_text(_text_of(rich, problems)))
    else:
        text = ""
    return text.replace("\x00", ""), used


def _attachments(
    msg: EmailMessage, body_parts: set[int], problems: list[str]
) -> list[MailAttachment]:
    found: list[MailAttachment] = []

    def visit(part: EmailMessage) -> None:
        content_type = part.get_content_type()
        if id(part) in body_parts:
            return
        if content_type == "message/rfc822":
            found.append(_attachment(part, len(found), _inner_message(part, problems)))
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                visit(sub)
            return
        if content_type in ("text/plain", "text/html") and not part.get_filename():
            if part.get_content_disposition() != "attachment":
                return  # an alternative body we did not choose
        content = _decoded(part)
        if content is None:
            return
        found.append(_attachment(part, len(found), content))

    visit(msg)
    return found


def _inner_message(part: EmailMessage, problems: list[str]) -> BinaryIO:
    try:
        inner = part.get_payload(0)
        for sub in inner.walk():
            _load(sub)
        return io.BytesIO(inner.as_bytes(policy=policy.SMTP))
    except Exception as exc:
        problems.append(f"unreadable attached message: {exc}")
        return io.BytesIO()


def safe_filename(name: str | None, content_type: str, n: int) -> str:
    name = PurePath((name or "").replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        if content_type == "message/rfc822":
            extension = ".eml"
        name = f"attachment-{n + 1}{extension}"
    if len(name) > 200:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 190 - len(suffix)]}.{suffix}" if dot and len(suffix) < 10 else name[:200]
    return name


def _attachment(part: EmailMessage, n: int, content: BinaryIO) -> MailAttachment:
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    content_type = part.get_content_type()
    size, sha256 = measure(content)
    return MailAttachment(
        safe_filename(filename, content_type, n), content_type, content, size, sha256
    )

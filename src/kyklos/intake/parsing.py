"""One RFC 5322 message in, the parts a ticket needs out.

:func:`parse` never raises on bad input: what it cannot read it reports in
``ParsedMail.problems`` (structural MIME defects, an undecodable body), and the caller
decides (see :mod:`kyklos.intake.services`: such messages are quarantined, not guessed at).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email import errors, policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from pathlib import PurePath

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


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


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


def parse(raw: bytes) -> ParsedMail:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    problems: list[str] = []
    _check_structure(msg, problems)
    sender_email, sender_name = _sender(msg)
    message_id, derived = _message_id(msg, raw)
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


def _message_id(msg: EmailMessage, raw: bytes) -> tuple[str, bool]:
    found = _ids(_raw_header(msg, "Message-ID"))
    if found:
        return found[0], False
    return f"<sha256-{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>", True


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
        payload = part.get_payload(decode=True)
        if payload is None:
            return
        found.append(_attachment(part, len(found), payload))

    visit(msg)
    return found


def _inner_message(part: EmailMessage, problems: list[str]) -> bytes:
    try:
        return part.get_payload(0).as_bytes(policy=policy.SMTP)
    except Exception as exc:
        problems.append(f"unreadable attached message: {exc}")
        return b""


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


def _attachment(part: EmailMessage, n: int, content: bytes) -> MailAttachment:
    try:
        filename = part.get_filename()
    except Exception:
        filename = None
    content_type = part.get_content_type()
    return MailAttachment(safe_filename(filename, content_type, n), content_type, content)

"""E-mail intake (R8.1): one raw message in, a ticket message or a quarantined message out.

:func:`receive` is the one entry point of ``kyklos mail-in`` and ``kyklos mail-fetch``:

1. A Message-ID seen before is a duplicate: nothing happens (the ledger,
   :class:`~kyklos.intake.models.InboundMessage`). A message without one is known by the
   SHA-256 of its bytes.
2. Malformed MIME, bounces, auto-replies and bulk mail, a message without a usable sender,
   and a sender writing more than ``KYKLOS_INTAKE['MAX_PER_HOUR']`` messages in an hour go
   to the quarantine with their raw bytes. They are never answered, so no mail loop can
   start here.
3. A reply threads into its ticket: by In-Reply-To/References (a stored Message-ID, or a
   Message-ID Kyklos sent, which names the ticket), or by the ``[#T-2027-000123]`` tag
   in the subject when the sender is the ticket's customer or requester. A reply to a
   closed ticket reopens it or opens a linked follow-up (``support.services.add_message``).
4. Otherwise a new ticket opens, for the customer whose primary or secondary e-mail is the
   sender, else in the unknown-sender queue (a ticket without a customer). The support
   app acknowledges it with the ticket number and target times, at most
   ``ACKS_PER_HOUR`` times an hour per address.
5. Attachments are kept up to ``MAX_ATTACHMENT_BYTES`` in total (R5.4: 25 MB per
   message); the rest are kept out, the sender is told, the ticket gets an internal note,
   and the raw message is quarantined so staff still have the files.

Everything happens in one transaction. An unexpected error rolls it back and quarantines
the raw message (reason ``error``); only a database that cannot be reached is reported as
:class:`TemporaryFailure` (``mail-in`` then exits 75 so the mail server retries).

The raw message may be given as bytes or as a binary file (``mail-in`` spools standard
input to one): it is parsed, hashed and stored a chunk at a time, and each attachment goes
from a temporary file to the storage, so a large message is never held in memory.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.customers.models import Customer
from kyklos.intake import loops
from kyklos.intake.models import InboundMessage, QuarantinedMessage, Source
from kyklos.intake.parsing import MailAttachment, ParsedMail, measure, parse
from kyklos.notifications import services as notices
from kyklos.notifications.models import Outbox
from kyklos.support import services as support
from kyklos.support.models import Channel, Message, Ticket

logger = logging.getLogger(__name__)

Reason = QuarantinedMessage.Reason
Outcome = InboundMessage.Outcome

_TICKET_NUMBER = r"T-\d{4}-\d{6}"
_SUBJECT_TAG = re.compile(rf"\[#({_TICKET_NUMBER})\]")
_OUR_MESSAGE_ID = re.compile(rf"^<({_TICKET_NUMBER})\.[0-9a-f]+@([^>]+)>$")


class TemporaryFailure(Exception):
    """The message could not be processed now (the database is unreachable); retry later."""


@dataclass(frozen=True)
class Receipt:
    """What :func:`receive` did with a message."""

    message_id: str
    outcome: str
    ticket: Ticket | None = None
    quarantine: QuarantinedMessage | None = None
    duplicate: bool = False
    #: Attachments kept out because of the size limit.
    refused: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.duplicate:
            return f"{self.message_id}: already received ({self.outcome})"
        where = f" {self.ticket.number}" if self.ticket else ""
        why = f" ({self.quarantine.reason})" if self.quarantine else ""
        return f"{self.message_id}: {self.outcome}{where}{why}"


def limits() -> dict:
    return settings.KYKLOS_INTAKE


# --- receiving -----------------------------------------------------------------------------


def receive(
    raw: bytes | BinaryIO, *, source: str = Source.MTA, department: str | None = None
) -> Receipt:
    """Process one raw RFC 5322 message, given as bytes or as a seekable binary file
    (read from its start); see the module documentation."""
    if source not in Source.values:
        raise ValueError(f"Unknown source {source!r}.")
    department = department or limits()["DEPARTMENT"]
    if isinstance(raw, bytes | bytearray):
        raw = io.BytesIO(raw)
    try:
        raw.seek(0)
        mail = parse(raw)
    except Exception as exc:  # the parser is lenient; this is a bug or a pathological input
        logger.exception("Could not parse an incoming message")
        return _quarantine_after_error(raw, None, source, department, exc)
    try:
        with transaction.atomic():
            return _receive(raw, mail, source=source, department=department)
    except (OperationalError, InterfaceError) as exc:
        raise TemporaryFailure(str(exc)) from exc
    except Exception as exc:
        logger.exception("Could not process message %s", mail.message_id)
        return _quarantine_after_error(raw, mail, source, department, exc)
    finally:
        mail.close()


def _receive(raw: BinaryIO, mail: ParsedMail, *, source: str, department: str) -> Receipt:
    # The ledger row comes first: a second process with the same Message-ID waits on its
    # unique index until this transaction ends, then finds the message received.
    entry, duplicate = _claim(mail, source)
    if duplicate is not None:
        return duplicate
    refusal = _refusal(mail)
    if refusal is not None:
        reason, detail = refusal
        return _quarantine(raw, mail, entry, department, reason, detail)
    return _deliver(raw, mail, entry, department=department)


def _claim(mail: ParsedMail, source: str) -> tuple[InboundMessage | None, Receipt | None]:
    """The message's ledger row, written first (quarantined until delivered), or, when the
    Message-ID was received already, the earlier receipt marked as a duplicate."""
    try:
        with transaction.atomic():
            entry = InboundMessage.objects.create(
                message_id=mail.message_id,
                received_at=clock.now(),
                source=source,
                outcome=Outcome.QUARANTINED,
            )
    except IntegrityError:
        earlier = InboundMessage.objects.select_related("ticket", "quarantine").get(
            message_id=mail.message_id
        )
        return None, Receipt(
            mail.message_id,
            earlier.outcome,
            ticket=earlier.ticket,
            quarantine=earlier.quarantine,
            duplicate=True,
        )
    return entry, None


def _refusal(mail: ParsedMail) -> tuple[str, str] | None:
    if mail.problems:
        return Reason.MALFORMED, "\n".join(mail.problems)
    automated = loops.classify(mail.message, mail.sender_email)
    if automated is not None:
        kind, why = automated
        return (Reason.BOUNCE if kind == loops.BOUNCE else Reason.AUTOMATED), why
    if not mail.sender_email:
        return Reason.NO_SENDER, _("No valid address in From, Reply-To or Sender.")
    recent = Message.objects.filter(
        sender_email=mail.sender_email,  # stored lower-case, as parsed
        channel=Channel.EMAIL,
        created_at__gte=clock.now() - timedelta(hours=1),
    ).count()
    if recent >= limits()["MAX_PER_HOUR"]:
        return Reason.FLOOD, f"{recent} messages from {mail.sender_email} in the last hour"
    return None


def _deliver(
    raw: BinaryIO,
    mail: ParsedMail,
    entry: InboundMessage,
    *,
    department: str,
    acknowledge: bool = True,
    customer: Customer | None = None,
    requester_email: str = "",
) -> Receipt:
    kept, refused = _split_attachments(mail.attachments)
    files = [_file(a) for a in kept]
    sender = requester_email or mail.sender_email
    body = mail.body.strip() or (
        _("(No text; see the attachments.)") if mail.attachments else _("(No text.)")
    )
    threading = {
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to[0] if mail.in_reply_to else "",
        "references": " ".join(mail.references),
    }
    ticket = None if customer is not None or requester_email else _thread(mail)
    if ticket is not None:
        message = support.add_message(
            ticket,
            body=body,
            from_staff=False,
            channel=Channel.EMAIL,
            attachments=files,
            sender_email=sender,
            sender_name=mail.sender_name,
            notify=acknowledge and _may_acknowledge(ticket.customer, sender),
            **threading,
        )
        # A reply to a ticket closed long ago opens a follow-up ticket (support's rule).
        outcome = Outcome.THREADED if message.ticket_id == ticket.pk else Outcome.NEW_TICKET
        ticket = message.ticket
    else:
        customer = customer or customer_for_address(sender)
        new = support.NewTicket(
            subject=mail.subject or _("(no subject)"),
            body=body,
            department=department,
            customer=customer,
            channel=Channel.EMAIL,
            requester_email="" if customer else sender,
            requester_name="" if customer else mail.sender_name,
            language=None if customer else mail.guess_language(settings.LANGUAGE_CODE),
            attachments=files,
            **threading,
        )
        ticket = support.open_ticket(new, notify=acknowledge and _may_acknowledge(customer, sender))
        outcome = Outcome.NEW_TICKET
    quarantine = None
    if refused:
        quarantine = _refuse_attachments(raw, mail, entry.source, department, ticket, refused)
    entry.outcome, entry.ticket, entry.quarantine = outcome, ticket, quarantine
    entry.save(update_fields=["outcome", "ticket", "quarantine"])
    return Receipt(
        mail.message_id,
        outcome,
        ticket=ticket,
        quarantine=quarantine,
        refused=tuple(a.filename for a in refused),
    )


def customer_for_address(address: str) -> Customer | None:
    """The one customer whose primary or secondary e-mail is ``address``; None when no
    customer or more than one has it (staff then decide from the unknown-sender queue)."""
    if not address:
        return None
    matches = list(
        Customer.objects.filter(
            Q(email__iexact=address) | Q(secondary_email__iexact=address)
        ).order_by("id")[:2]
    )
    return matches[0] if len(matches) == 1 else None


def _thread(mail: ParsedMail) -> Ticket | None:
    """The ticket ``mail`` answers, if any.

    A stored Message-ID (the customer's earlier message, a staff reply) is trusted: it is
    not guessable. A Message-ID Kyklos sent names its ticket, and the subject tag too,
    but ticket numbers are sequential: those two count only when the sender is one of
    the ticket's own addresses.
    """
    ids = mail.thread_ids
    if ids:
        known = dict(
            Message.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id")
        )
        for mid in ids:
            if mid in known:
                return Ticket.objects.select_related("customer").get(pk=known[mid])
    domain = support.message_domain().lower()
    numbers = [
        m.group(1)
        for m in (_OUR_MESSAGE_ID.match(mid) for mid in ids)
        if m and m.group(2).lower() == domain
    ]
    tag = _SUBJECT_TAG.search(mail.subject)
    if tag:
        numbers.append(tag.group(1))
    if not numbers:
        return None
    tickets = {
        t.number: t for t in Ticket.objects.select_related("customer").filter(number__in=numbers)
    }
    for number in numbers:
        ticket = tickets.get(number)
        if ticket is not None and _is_party(ticket, mail.sender_email):
            return ticket
    return None


def _is_party(ticket: Ticket, address: str) -> bool:
    """Whether ``address`` may add to ``ticket`` by naming it in the subject: the ticket
    numbers are sequential, so the tag alone proves nothing."""
    address = address.lower()
    if ticket.requester_email and ticket.requester_email.lower() == address:
        return True
    customer = ticket.customer
    if customer is None:
        return False
    own = {customer.email, customer.secondary_email, customer.admin_email, customer.billing_email}
    return address in {a.lower() for a in own if a}


def _may_acknowledge(customer: Customer | None, sender: str) -> bool:
    """At most ``ACKS_PER_HOUR`` automatic answers an hour to one address."""
    to_email = customer.notice_email if customer is not None else sender
    sent = Outbox.objects.filter(
        to_email__iexact=to_email,
        event__in=("ticket_opened", "intake_attachment_refused"),
        created_at__gte=clock.now() - timedelta(hours=1),
    ).count()
    return sent < limits()["ACKS_PER_HOUR"]


def _split_attachments(
    attachments: list[MailAttachment],
) -> tuple[list[MailAttachment], list[MailAttachment]]:
    budget = limits()["MAX_ATTACHMENT_BYTES"]
    kept, refused, total = [], [], 0
    for attachment in attachments:
        if total + attachment.size <= budget:
            kept.append(attachment)
            total += attachment.size
        else:
            refused.append(attachment)
    return kept, refused


def _file(attachment: MailAttachment) -> File:
    """An attachment as a file for the support app, stored from its temporary file."""
    file = File(attachment.file, name=attachment.filename)
    file.size = attachment.size
    file.content_type = attachment.content_type
    return file


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def _refuse_attachments(
    raw: BinaryIO,
    mail: ParsedMail,
    source: str,
    department: str,
    ticket: Ticket,
    refused: list[MailAttachment],
) -> QuarantinedMessage:
    limit = _megabytes(limits()["MAX_ATTACHMENT_BYTES"])
    listing = ", ".join(f"{a.filename} ({_megabytes(a.size)} MB)" for a in refused)
    quarantine = _store(
        raw,
        mail,
        source,
        department,
        Reason.TOO_LARGE,
        f"Kept out (over {limit} MB in all): {listing}",
        ticket=ticket,
    )
    with translation.override(ticket.language):
        note = _(
            "Attachments kept out because the message is over the %(limit)s MB limit: "
            "%(files)s. The raw message is in the quarantine (no. %(id)s)."
        ) % {"limit": limit, "files": listing, "id": quarantine.pk}
    support.add_message(ticket, body=note, kind=Message.Kind.NOTE, from_staff=True, notify=False)
    address = ticket.customer.notice_email if ticket.customer else mail.sender_email
    language = ticket.customer.language if ticket.customer else ticket.language
    if address and _may_acknowledge(ticket.customer, mail.sender_email):
        notices.queue_message(
            event="intake_attachment_refused",
            to_email=address,
            language=language,
            customer=ticket.customer,
            context={
                **support.ticket_context(ticket),
                "files": [f"{a.filename} ({_megabytes(a.size)} MB)" for a in refused],
                "limit_mb": limit,
            },
            headers={
                "Auto-Submitted": "auto-replied",
                "In-Reply-To": mail.message_id,
                "References": mail.message_id,
                "Reply-To": settings.KYKLOS_SUPPORT_EMAIL,
                "X-Kyklos-Ticket": ticket.number,
            },
        )
    return quarantine


# --- the quarantine --------------------------------------------------------------------------


def _store(
    raw: BinaryIO,
    mail: ParsedMail | None,
    source: str,
    department: str,
    reason: str,
    detail: str,
    *,
    ticket: Ticket | None = None,
) -> QuarantinedMessage:
    size, digest = measure(raw)
    quarantine = QuarantinedMessage(
        size=size,
        sha256=digest,
        message_id=mail.message_id if mail else f"<sha256-{digest}@no-message-id.invalid>",
        subject=mail.subject if mail else "",
        sender_email=mail.sender_email if mail else "",
        reason=reason,
        detail=detail[:10_000],
        source=source,
        department=department,
        received_at=clock.now(),
        ticket=ticket,
    )
    quarantine.raw.save(f"{digest[:16]}.eml", File(raw), save=False)
    quarantine.save(force_insert=True)
    log_action(
        quarantine,
        "intake.message.quarantined",
        data={"reason": reason, "message_id": quarantine.message_id, "size": size},
    )
    return quarantine


def _quarantine(
    raw: BinaryIO,
    mail: ParsedMail,
    entry: InboundMessage,
    department: str,
    reason: str,
    detail: str,
) -> Receipt:
    quarantine = _store(raw, mail, entry.source, department, reason, detail)
    entry.outcome, entry.quarantine = Outcome.QUARANTINED, quarantine
    entry.save(update_fields=["outcome", "quarantine"])
    return Receipt(mail.message_id, Outcome.QUARANTINED, quarantine=quarantine)


def _quarantine_after_error(
    raw: BinaryIO, mail: ParsedMail | None, source: str, department: str, exc: Exception
) -> Receipt:
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, ValidationError):
        detail = f"{type(exc).__name__}: {'; '.join(exc.messages)}"
    try:
        with transaction.atomic():
            if mail is not None:
                entry, duplicate = _claim(mail, source)  # another process may have it
                if duplicate is not None:
                    return duplicate
                return _quarantine(raw, mail, entry, department, Reason.ERROR, detail)
            quarantine = _store(raw, None, source, department, Reason.ERROR, detail)
            return Receipt(quarantine.message_id, Outcome.QUARANTINED, quarantine=quarantine)
    except (OperationalError, InterfaceError) as db_exc:
        raise TemporaryFailure(str(db_exc)) from db_exc
    except DatabaseError as db_exc:
        raise TemporaryFailure(f"{detail}; quarantining failed too: {db_exc}") from db_exc


def release(
    quarantine: QuarantinedMessage,
    *,
    actor,
    customer: Customer | None = None,
    requester_email: str = "",
) -> Ticket:
    """Process a held message as if it were a person's mail, skipping the check that
    stopped it; no acknowledgement goes out. A message without a usable sender needs a
    ``customer`` or a ``requester_email``. Returns the ticket it went to."""
    with transaction.atomic():
        quarantine = QuarantinedMessage.objects.select_for_update().get(pk=quarantine.pk)
        if quarantine.status != QuarantinedMessage.Status.HELD:
            raise ValidationError(_("This message was already released."))
        if quarantine.reason == Reason.TOO_LARGE:
            raise ValidationError(
                _(
                    "This message is already on ticket %(number)s without its large "
                    "attachments; download the raw message to get them."
                )
                % {"number": quarantine.ticket.number if quarantine.ticket else "?"}
            )
        with quarantine.raw.open("rb") as raw:
            mail = parse(raw)
            try:
                if not (mail.sender_email or customer or requester_email):
                    raise ValidationError(
                        {
                            "customer": _(
                                "The message has no usable sender: choose a customer or "
                                "give an address."
                            )
                        }
                    )
                receipt_ticket = _release_into(raw, mail, quarantine, customer, requester_email)
            finally:
                mail.close()
        quarantine.status = QuarantinedMessage.Status.RELEASED
        quarantine.released_at = clock.now()
        quarantine.released_by = actor if getattr(actor, "is_authenticated", False) else None
        quarantine.ticket = receipt_ticket
        quarantine.save(update_fields=["status", "released_at", "released_by", "ticket"])
        log_action(
            quarantine,
            "intake.message.released",
            actor=actor,
            data={"ticket": receipt_ticket.number, "reason": quarantine.reason},
        )
    return receipt_ticket


def _release_into(
    raw: BinaryIO,
    mail: ParsedMail,
    quarantine: QuarantinedMessage,
    customer: Customer | None,
    requester_email: str,
) -> Ticket:
    entry, _created = InboundMessage.objects.get_or_create(
        message_id=mail.message_id,
        defaults={
            "received_at": quarantine.received_at,
            "source": quarantine.source,
            "outcome": Outcome.QUARANTINED,
        },
    )
    receipt = _deliver(
        raw,
        mail,
        entry,
        department=quarantine.department or limits()["DEPARTMENT"],
        acknowledge=False,
        customer=customer,
        requester_email=requester_email,
    )
    entry.quarantine = quarantine
    entry.save(update_fields=["quarantine"])
    return receipt.ticket


def delete_quarantined(quarantine: QuarantinedMessage, *, actor) -> None:
    """Delete a quarantined message and its raw bytes."""
    with transaction.atomic():
        log_action(
            quarantine,
            "intake.message.deleted",
            actor=actor,
            data={"reason": quarantine.reason, "message_id": quarantine.message_id},
        )
        name = quarantine.raw.name
        storage = quarantine.raw.storage
        quarantine.delete()
        transaction.on_commit(lambda: storage.delete(name))


def purge_quarantine(day, run=None) -> dict[str, int]:
    """Daily step: delete quarantined messages older than ``QUARANTINE_DAYS`` and their
    files (they hold personal data of people who wrote to us), and old rate-limit rows."""
    from kyklos.intake.models import ContactThrottle

    cutoff = clock.start_of_day(day) - timedelta(days=limits()["QUARANTINE_DAYS"])
    old = QuarantinedMessage.objects.filter(received_at__lt=cutoff)
    names = [name for name in old.values_list("raw", flat=True) if name]
    purged = old.delete()[1].get(QuarantinedMessage._meta.label, 0)
    storage = QuarantinedMessage._meta.get_field("raw").storage
    transaction.on_commit(lambda: [storage.delete(n) for n in names])
    throttles = ContactThrottle.objects.filter(
        window_start__lt=clock.start_of_day(day) - timedelta(days=1)
    ).delete()[0]
    return {"quarantine_purged": purged, "contact_throttles_purged": throttles}


def redact_credential(sender=None, *, message, customer_id, secrets, actor=None, **kwargs):
    """R9.9: a credential that arrived in support message ``message`` is now in the vault;
    the raw copies of that e-mail kept in the quarantine (a message whose attachments were
    too large, or one released from it) are deleted, with their audit event. The number of
    copies deleted; None when the message did not come by e-mail."""
    rfc_id = Message.objects.filter(pk=message).values_list("message_id", flat=True).first()
    if not rfc_id:
        return None
    copies = QuarantinedMessage.objects.filter(message_id=rfc_id)
    done = 0
    for quarantine in copies:
        delete_quarantined(quarantine, actor=actor)
        done += 1
    return done

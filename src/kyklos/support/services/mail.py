"""What the support desk e-mails about a ticket, with threading headers.

- every ticket has a stable number, ``T-2027-000123``; e-mail subjects carry it as
  ``[#T-2027-000123]`` (:attr:`Ticket.subject_tag`);
- every message stores its ``Message-ID``, ``In-Reply-To`` and ``References``; the
  Message-IDs Kyklos sends for a ticket look like ``<T-2027-000123.9f3a…@domain>``
  (:func:`new_message_id`), so a reply finds its ticket even when the original was not
  stored.
"""

from __future__ import annotations

import secrets
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail.utils import DNS_NAME

from kyklos.notifications import services as notices
from kyklos.support.models import Message, Ticket


def message_domain() -> str:
    """The domain of the Message-IDs Kyklos sends: that of ``DEFAULT_FROM_EMAIL``."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)


def new_message_id(ticket: Ticket) -> str:
    """A Message-ID for something Kyklos sends about ``ticket``: it names the ticket, so
    a reply's In-Reply-To finds the ticket even when the original was not stored."""
    return f"<{ticket.number}.{secrets.token_hex(8)}@{message_domain()}>"


def _address(ticket: Ticket) -> tuple[str, str]:
    """Where a ticket's notices go, and in which language."""
    if ticket.customer is not None:
        return ticket.customer.notice_email, ticket.customer.language
    return ticket.requester_email, ticket.language


def _thread_headers(ticket: Ticket, message: Message, *, exclude: int | None = None) -> dict:
    earlier = list(
        Message.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .exclude(pk=exclude)
        .order_by("created_at", "id")
        .values_list("message_id", flat=True)
    )
    headers = {
        "Message-ID": message.message_id or new_message_id(ticket),
        "Reply-To": settings.KYKLOS_SUPPORT_EMAIL,
        "X-Kyklos-Ticket": ticket.number,
    }
    if earlier:
        headers["In-Reply-To"] = earlier[-1]
        headers["References"] = " ".join(earlier[-20:])
    return headers


def ticket_context(ticket: Ticket) -> dict[str, Any]:
    """The template context every ticket notice shares."""
    return {
        "customer_name": ticket.customer.display_name
        if ticket.customer
        else (ticket.requester_name or ticket.requester_email),
        "ticket_number": ticket.number,
        "ticket_subject": ticket.subject,
        "subject_tag": ticket.subject_tag,
        "department": ticket.department.label(_address(ticket)[1]),
        "priority": ticket.priority,
        "first_response_due": ticket.first_response_due.isoformat(),
        "resolution_due": ticket.resolution_due.isoformat(),
    }


def _queue(ticket: Ticket, event: str, context: dict, headers: dict) -> None:
    to_email, language = _address(ticket)
    if not to_email:
        return
    notices.queue_message(
        event=event,
        to_email=to_email,
        language=language,
        context=context,
        customer=ticket.customer,
        headers=headers,
    )


def notify_opened(ticket: Ticket, message: Message) -> None:
    """The acknowledgement of a new ticket, with its number and target times."""
    headers = _thread_headers(ticket, Message(message_id=""))
    headers["Auto-Submitted"] = "auto-replied"
    if message.message_id:
        headers["In-Reply-To"] = headers["References"] = message.message_id
    _queue(ticket, "ticket_opened", ticket_context(ticket), headers)


def notify_reply(ticket: Ticket, message: Message) -> None:
    """Staff's public reply, e-mailed in the ticket's thread."""
    headers = _thread_headers(ticket, message, exclude=message.pk)
    headers["Auto-Submitted"] = "no"  # a person wrote it: replies are welcome
    context = {
        **ticket_context(ticket),
        "body": message.body,
        "author": message.author.get_full_name() or message.author.get_username()
        if message.author
        else "",
        "attachments": [a.filename for a in message.attachments.all()],
    }
    _queue(ticket, "ticket_reply", context, headers)

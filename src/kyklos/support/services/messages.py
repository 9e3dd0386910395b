"""Adding to a ticket's thread (R8.2, R8.4): public replies and internal notes.

A customer's reply to a closed ticket reopens it within :data:`REOPEN_WINDOW` of its
closing, otherwise it opens a new ticket linked to the old one
(:func:`ticket_for_customer_reply`, applied by :func:`add_message`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.support.models import Channel, Message, Status, Ticket
from kyklos.support.services.mail import new_message_id, notify_reply
from kyklos.support.services.sla_clock import restart_clock
from kyklos.support.services.thread import as_incoming, prepare_files, write_message
from kyklos.support.services.tickets import NewTicket, open_ticket
from kyklos.support.services.triage import reopen

#: A customer's reply within this time after closing reopens the ticket; later ones
#: open a new ticket linked to the old one.
REOPEN_WINDOW = timedelta(days=7)


def ticket_for_customer_reply(ticket: Ticket, *, actor=None) -> Ticket:
    """The ticket a customer's reply to ``ticket`` belongs to.

    A resolved ticket, or one closed at most :data:`REOPEN_WINDOW` ago, is reopened; one
    closed longer ago stays closed and a new ticket linked to it is returned unsaved
    (``pk`` None): :func:`add_message` opens it with the reply as its request.
    """
    if ticket.status == Status.CLOSED:
        if ticket.closed_at is not None and clock.now() - ticket.closed_at > REOPEN_WINDOW:
            return Ticket(
                customer=ticket.customer,
                requester_email=ticket.requester_email,
                requester_name=ticket.requester_name,
                service=ticket.service,
                department=ticket.department,
                priority=ticket.priority,
                language=ticket.language,
                subject=ticket.subject,
                linked_from=ticket,
            )
        return reopen(ticket, actor=actor, reason="customer reply")
    if ticket.status == Status.RESOLVED:
        return reopen(ticket, actor=actor, reason="customer reply")
    return ticket


def add_message(
    ticket: Ticket,
    *,
    body: str,
    kind: str = Message.Kind.REPLY,
    from_staff: bool,
    actor=None,
    channel: str = Channel.PORTAL,
    attachments: Sequence[Any] = (),
    sender_email: str = "",
    sender_name: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    notify: bool = True,
) -> Message:
    """Add a public reply or an internal note to ``ticket``'s thread.

    Staff's first public reply is the first response (R8.2); their public replies are
    e-mailed to the customer with threading headers. A customer's reply resumes a clock
    paused while waiting on them (R8.4), reopens a resolved ticket and a ticket closed
    within :data:`REOPEN_WINDOW`; a reply to a ticket closed longer ago opens a new ticket
    linked to it — the returned message's ``ticket`` is then that new ticket.
    """
    errors = {}
    if not (body or "").strip():
        errors["body"] = _("Write a message.")
    if kind not in Message.Kind.values:
        errors["kind"] = _("A message is a public reply or an internal note.")
    elif kind == Message.Kind.NOTE and not from_staff:
        errors["kind"] = _("Only staff write internal notes.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel “%(value)s”.") % {"value": channel}
    if errors:
        raise ValidationError(errors)
    files = prepare_files(attachments)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not from_staff:
            target = ticket_for_customer_reply(ticket, actor=actor)
            if target.pk is None:
                follow_up = NewTicket(
                    subject=target.subject,
                    body=body,
                    department=target.department,
                    customer=target.customer,
                    priority=target.priority,
                    service=target.service,
                    channel=channel,
                    requester_email=target.requester_email,
                    requester_name=target.requester_name,
                    language=target.language,
                    attachments=as_incoming(files),
                    message_id=message_id,
                    in_reply_to=in_reply_to,
                    references=references,
                    linked_from=ticket,
                )
                return open_ticket(follow_up, actor=actor, notify=notify).messages.get()
            ticket = target
        message = write_message(
            ticket,
            body=body,
            kind=kind,
            from_staff=from_staff,
            actor=actor,
            channel=channel,
            files=files,
            sender_email=sender_email,
            sender_name=sender_name,
            message_id=message_id or (new_message_id(ticket) if from_staff else ""),
            in_reply_to=in_reply_to,
            references=references,
        )
        now = clock.now()
        changed: dict[str, Any] = {}
        if from_staff and kind == Message.Kind.REPLY:
            if ticket.first_responded_at is None:
                ticket.first_responded_at = now
                changed["first_response"] = True
            if ticket.status == Status.NEW:
                ticket.status = changed["status"] = Status.OPEN
        elif not from_staff:
            if ticket.status == Status.WAITING_CUSTOMER:
                ticket.status = changed["status"] = Status.OPEN
                restart_clock(ticket, now)
        ticket.updated_at = now
        ticket.save()
        log_action(
            ticket,
            "support.message.added",
            actor=actor,
            data={
                "message": message.pk,
                "kind": kind,
                "from_staff": from_staff,
                "attachments": len(files),
                **changed,
            },
        )
        if notify and from_staff and kind == Message.Kind.REPLY:
            notify_reply(ticket, message)
    return message

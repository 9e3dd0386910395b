"""Opening a ticket (R8.1, R8.4): a :class:`NewTicket` is checked in one place, numbered,
stored with its first message, its SLA clock started and the customer acknowledged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.support.models import (
    Channel,
    Department,
    Message,
    Priority,
    Status,
    Ticket,
    TicketSequence,
)
from kyklos.support.services.mail import notify_opened
from kyklos.support.services.sla_clock import recompute_clock
from kyklos.support.services.thread import PreparedFile, prepare_files, write_message
from kyklos.support.services.triage import find_department, priority_error, unknown_department

if TYPE_CHECKING:
    from kyklos.customers.models import Customer
    from kyklos.lifecycle.models import Service

#: The R8.4 request fields a portal form or the API may fill.
REQUEST_FIELDS = (
    "wished_date",
    "hard_deadline",
    "budget",
    "budget_currency",
    "hours",
    "context",
    "features",
    "specs",
    "examples",
)


@dataclass(frozen=True)
class NewTicket:
    """A request to be opened as a ticket (see :func:`open_ticket`).

    ``customer`` may be None for a sender not matched to a customer: then
    ``requester_email`` is required. ``department`` is a Department or its code.
    ``request`` holds the R8.4 fields (:data:`REQUEST_FIELDS`). ``attachments`` are
    uploaded files or :class:`~kyklos.support.services.IncomingFile`. ``message_id``,
    ``in_reply_to`` and ``references`` are the e-mail's threading headers;
    ``linked_from`` is the closed ticket a follow-up continues.
    """

    subject: str
    body: str
    department: Department | str
    customer: Customer | None = None
    priority: str = Priority.NORMAL
    service: Service | None = None
    channel: str = Channel.PORTAL
    requester_email: str = ""
    requester_name: str = ""
    language: str | None = None
    request: Mapping[str, Any] = field(default_factory=dict)
    attachments: Sequence[Any] = ()
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    linked_from: Ticket | None = None


def _request_errors(extra: dict[str, Any], errors: dict[str, str]) -> None:
    """Check the R8.4 fields in ``extra``; amounts become Decimals, empty ones go."""
    unknown = sorted(set(extra) - set(REQUEST_FIELDS))
    if unknown:
        errors["request"] = _("Unknown request fields: %(names)s.") % {"names": ", ".join(unknown)}
    for name in ("budget", "hours"):
        if extra.get(name) in (None, ""):
            extra.pop(name, None)
            continue
        try:
            value = Decimal(str(extra[name]))
        except ArithmeticError:
            value = None
        if value is None or not value.is_finite() or value < 0:
            errors[name] = _("Give a positive number.")
        else:
            extra[name] = value
    if extra.get("budget") is not None and not extra.get("budget_currency"):
        extra["budget_currency"] = settings.KYKLOS_CURRENCY


def checked(new: NewTicket) -> tuple[NewTicket, list[PreparedFile]]:
    """``new`` with its subject tidied, its department found and its request fields
    parsed, and its attachments ready to store; a ``ValidationError`` naming every field
    at fault otherwise (attachments over the limit are refused last, on their own)."""
    subject = " ".join((new.subject or "").split())[:200]
    customer, service = new.customer, new.service
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Give the request a subject.")
    if not (new.body or "").strip():
        errors["body"] = _("Describe the request.")
    if customer is None and not new.requester_email:
        errors["customer"] = _("A ticket needs a customer or the requester's e-mail address.")
    if new.requester_email:
        try:
            validate_email(new.requester_email)
        except ValidationError:
            errors["requester_email"] = _("“%(value)s” is not an e-mail address.") % {
                "value": new.requester_email
            }
    if service is not None and (customer is None or service.customer_id != customer.pk):
        errors["service"] = _("The service does not belong to this customer.")
    if new.channel not in Channel.values:
        errors["channel"] = _("Unknown channel “%(value)s”.") % {"value": new.channel}
    extra = dict(new.request or {})
    _request_errors(extra, errors)
    if message := priority_error(new.priority):
        errors.setdefault("priority", message)
    department = find_department(new.department)
    if department is None:
        errors.setdefault("department", unknown_department(new.department))
    if errors:
        raise ValidationError(errors)
    files = prepare_files(new.attachments)
    return replace(new, subject=subject, department=department, request=extra), files


def _next_number(year: int) -> str:
    TicketSequence.objects.get_or_create(year=year)
    TicketSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = TicketSequence.objects.select_for_update().get(year=year).last
    return f"T-{year}-{last:06d}"


def open_ticket(new: NewTicket, *, actor=None, notify: bool = True) -> Ticket:
    """Open a ticket with its first message (the request) and start its SLA clock.

    Nothing is written when ``new`` is refused (:func:`checked`). The customer (or
    requester) gets an acknowledgement with the ticket number and the target times
    unless ``notify`` is False.
    """
    new, files = checked(new)
    customer, department = new.customer, new.department
    now = clock.now()
    with transaction.atomic():
        ticket = Ticket(
            number=_next_number(now.astimezone(clock.provider_tz()).year),
            subject=new.subject,
            customer=customer,
            requester_email=new.requester_email,
            requester_name=new.requester_name[:200],
            service=new.service,
            department=department,
            priority=new.priority,
            status=Status.NEW,
            channel=new.channel,
            language=new.language or (customer.language if customer else settings.LANGUAGE_CODE),
            linked_from=new.linked_from,
            opened_at=now,
            updated_at=now,
            **new.request,
        )
        recompute_clock(ticket)
        ticket.full_clean(exclude=["number"])
        ticket.save(force_insert=True)
        message = write_message(
            ticket,
            body=new.body,
            kind=Message.Kind.REPLY,
            from_staff=False,
            actor=actor,
            channel=new.channel,
            files=files,
            sender_email=new.requester_email or (customer.email if customer else ""),
            sender_name=new.requester_name or (customer.display_name if customer else ""),
            message_id=new.message_id,
            in_reply_to=new.in_reply_to,
            references=new.references,
        )
        log_action(
            ticket,
            "support.ticket.opened",
            actor=actor,
            data={
                "number": ticket.number,
                "department": department.code,
                "priority": new.priority,
                "channel": new.channel,
                "linked_from": new.linked_from.number if new.linked_from else None,
            },
        )
        if notify:
            notify_opened(ticket, message)
    return ticket

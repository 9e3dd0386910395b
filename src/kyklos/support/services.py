"""Writes on the support desk (R8): open a ticket, add to its thread, move its status,
priority, department and assignee. Each function validates first and writes nothing on
bad input (a ``ValidationError`` naming the field), runs in one transaction, records an
audit event, recomputes the SLA clock where it changes and queues the customer's notice.

E-mail threading (the intake app builds on it):

- every ticket has a stable number, ``T-2027-000123``; e-mail subjects carry it as
  ``[#T-2027-000123]`` (:attr:`Ticket.subject_tag`);
- every message stores its ``Message-ID``, ``In-Reply-To`` and ``References``; the
  Message-IDs Kyklos sends for a ticket look like ``<T-2027-000123.9f3a…@domain>``;
- a customer's reply to a closed ticket reopens it within :data:`REOPEN_WINDOW` of its
  closing, otherwise it opens a new ticket linked to the old one
  (:func:`ticket_for_customer_reply`, applied by :func:`add_message`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.mail.utils import DNS_NAME
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.notifications import services as notices
from kyklos.support import sla
from kyklos.support.models import (
    DONE_STATUSES,
    Attachment,
    BusinessCalendar,
    Channel,
    ClosedDay,
    Department,
    Message,
    Priority,
    SlaTarget,
    Status,
    Ticket,
    TicketSequence,
)

#: R5.4: the largest attachment kept, per file.
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
#: A customer's reply within this time after closing reopens the ticket; later ones
#: open a new ticket linked to the old one.
REOPEN_WINDOW = timedelta(days=7)
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


# --- input helpers -------------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingFile:
    """An attachment given as bytes (e-mail intake, API)."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


def _prepare_files(files: Iterable[Any]) -> list[tuple[str, File, int, str]]:
    """``(filename, file, size, content type)`` per attachment; refuses files above the
    limit (R5.4) before anything is written."""
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


def _department(value: Department | str) -> Department:
    if isinstance(value, Department):
        return value
    department = Department.objects.filter(code=value, is_active=True).first()
    if department is None:
        raise ValidationError(
            {"department": _("There is no department “%(code)s”.") % {"code": value}}
        )
    return department


def check_priority(value: str) -> str:
    if value not in Priority.values:
        raise ValidationError(
            {
                "priority": _("“%(value)s” is not a priority; use one of: %(choices)s.")
                % {"value": value, "choices": ", ".join(Priority.values)}
            }
        )
    return value


def _check_staff(user, field: str = "assignee") -> None:
    if user is not None and not (user.is_active and user.is_staff):
        raise ValidationError({field: _("Tickets are assigned to active staff only.")})


def _message_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)


def new_message_id(ticket: Ticket) -> str:
    """A Message-ID for something Kyklos sends about ``ticket``: it names the ticket, so
    a reply's In-Reply-To finds the ticket even when the original was not stored."""
    return f"<{ticket.number}.{secrets.token_hex(8)}@{_message_domain()}>"


# --- the SLA clock ---------------------------------------------------------------------------


def calendar_for(department: Department | None) -> sla.WorkCalendar:
    """The working calendar of a department: its own, else the provider country's."""
    row = department.calendar if department is not None and department.calendar_id else None
    if row is None:
        row = BusinessCalendar.objects.filter(country=settings.KYKLOS_COUNTRY).first()
    if row is None:
        country = settings.KYKLOS_COUNTRY
        return sla.WorkCalendar(
            country=country, time_zone=sla.DEFAULT_TIME_ZONES.get(country, settings.TIME_ZONE)
        )
    return work_calendar(row)


def work_calendar(row: BusinessCalendar) -> sla.WorkCalendar:
    closed = frozenset(ClosedDay.objects.filter(calendar=row).values_list("day", flat=True))
    return sla.WorkCalendar(
        country=row.country,
        time_zone=row.time_zone,
        opens=row.opens_at,
        closes=row.closes_at,
        workdays=frozenset(row.workdays or (0, 1, 2, 3, 4)),
        closed_days=closed,
        subdivision=row.subdivision,
    )


def targets_for(priority: str) -> tuple[sla.Target, sla.Target, int]:
    """First-response and resolution targets of ``priority`` and the warning percentage."""
    row = SlaTarget.objects.filter(priority=priority).first()
    if row is None:
        (fr, fr_unit), (res, res_unit) = sla.DEFAULT_TARGETS[priority]
        return sla.Target(fr, fr_unit), sla.Target(res, res_unit), sla.DEFAULT_WARN_PERCENT
    return (
        sla.Target(row.first_response, row.first_response_unit),
        sla.Target(row.resolution, row.resolution_unit),
        row.warn_at_percent,
    )


def _pauses(ticket: Ticket) -> list[tuple[datetime, datetime]]:
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in ticket.pauses]


def recompute_clock(ticket: Ticket) -> None:
    """Set the ticket's due and warning moments from its start, priority and pauses
    (in memory; the caller saves). Changing priority recomputes from the original start."""
    first, resolution, percent = targets_for(ticket.priority)
    calendar = calendar_for(ticket.department)
    pauses = _pauses(ticket)
    response = sla.due(ticket.opened_at, first, calendar, pauses=pauses, warn_percent=percent)
    resolved = sla.due(ticket.opened_at, resolution, calendar, pauses=pauses, warn_percent=percent)
    ticket.first_response_due, ticket.first_response_warn = response.due, response.warn
    ticket.resolution_due, ticket.resolution_warn = resolved.due, resolved.warn


def _stop_clock(ticket: Ticket, now: datetime) -> None:
    if ticket.paused_since is None:
        ticket.paused_since = now


def _restart_clock(ticket: Ticket, now: datetime) -> None:
    """End the current pause: its stretch pushes the due times later."""
    if ticket.paused_since is not None:
        if now > ticket.paused_since:
            ticket.pauses = [*ticket.pauses, [ticket.paused_since.isoformat(), now.isoformat()]]
        ticket.paused_since = None
        recompute_clock(ticket)


# --- numbers -----------------------------------------------------------------------------------


def _next_number(year: int) -> str:
    TicketSequence.objects.get_or_create(year=year)
    TicketSequence.objects.filter(year=year).update(last=F("last") + 1)
    last = TicketSequence.objects.select_for_update().get(year=year).last
    return f"T-{year}-{last:06d}"


# --- opening ---------------------------------------------------------------------------------


def open_ticket(
    *,
    subject: str,
    body: str,
    department: Department | str,
    customer=None,
    priority: str = Priority.NORMAL,
    service=None,
    channel: str = Channel.PORTAL,
    actor=None,
    requester_email: str = "",
    requester_name: str = "",
    language: str | None = None,
    request: dict[str, Any] | None = None,
    attachments: Sequence[Any] = (),
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    linked_from: Ticket | None = None,
    notify: bool = True,
) -> Ticket:
    """Open a ticket with its first message (the request) and start its SLA clock.

    ``customer`` may be None for a sender not matched to a customer: then
    ``requester_email`` is required. ``request`` holds the R8.4 fields
    (:data:`REQUEST_FIELDS`). The customer (or requester) gets an acknowledgement with the
    ticket number and the target times unless ``notify`` is False.
    """
    subject = " ".join((subject or "").split())[:200]
    errors: dict[str, str] = {}
    if not subject:
        errors["subject"] = _("Give the request a subject.")
    if not (body or "").strip():
        errors["body"] = _("Describe the request.")
    if customer is None and not requester_email:
        errors["customer"] = _("A ticket needs a customer or the requester's e-mail address.")
    if requester_email:
        try:
            validate_email(requester_email)
        except ValidationError:
            errors["requester_email"] = _("“%(value)s” is not an e-mail address.") % {
                "value": requester_email
            }
    if service is not None and (customer is None or service.customer_id != customer.pk):
        errors["service"] = _("The service does not belong to this customer.")
    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel “%(value)s”.") % {"value": channel}
    extra = dict(request or {})
    unknown = sorted(set(extra) - set(REQUEST_FIELDS))
    if unknown:
        errors["request"] = _("Unknown request fields: %(names)s.") % {"names": ", ".join(unknown)}
    for name in ("budget", "hours"):
        if extra.get(name) not in (None, ""):
            try:
                value = Decimal(str(extra[name]))
            except ArithmeticError:
                value = None
            if value is None or not value.is_finite() or value < 0:
                errors[name] = _("Give a positive number.")
            else:
                extra[name] = value
        else:
            extra.pop(name, None)
    if errors:
        raise ValidationError(errors)
    check_priority(priority)
    department = _department(department)
    files = _prepare_files(attachments)
    if extra.get("budget") is not None and not extra.get("budget_currency"):
        extra["budget_currency"] = settings.KYKLOS_CURRENCY
    now = clock.now()
    with transaction.atomic():
        ticket = Ticket(
            number=_next_number(now.astimezone(clock.provider_tz()).year),
            subject=subject,
            customer=customer,
            requester_email=requester_email,
            requester_name=requester_name[:200],
            service=service,
            department=department,
            priority=priority,
            status=Status.NEW,
            channel=channel,
            language=language or (customer.language if customer else settings.LANGUAGE_CODE),
            linked_from=linked_from,
            opened_at=now,
            updated_at=now,
            **extra,
        )
        recompute_clock(ticket)
        ticket.full_clean(exclude=["number"])
        ticket.save(force_insert=True)
        message = _write_message(
            ticket,
            body=body,
            kind=Message.Kind.REPLY,
            from_staff=False,
            actor=actor,
            channel=channel,
            files=files,
            sender_email=requester_email or (customer.email if customer else ""),
            sender_name=requester_name or (customer.display_name if customer else ""),
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
        )
        log_action(
            ticket,
            "support.ticket.opened",
            actor=actor,
            data={
                "number": ticket.number,
                "department": department.code,
                "priority": priority,
                "channel": channel,
                "linked_from": linked_from.number if linked_from else None,
            },
        )
        if notify:
            _notify_opened(ticket, message)
    return ticket


# --- the thread ---------------------------------------------------------------------------------


def _write_message(
    ticket: Ticket,
    *,
    body: str,
    kind: str,
    from_staff: bool,
    actor,
    channel: str,
    files: list[tuple[str, File, int, str]],
    sender_email: str = "",
    sender_name: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
) -> Message:
    user = actor if getattr(actor, "is_authenticated", False) else None
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
    files = _prepare_files(attachments)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if not from_staff:
            target = ticket_for_customer_reply(ticket, actor=actor)
            if target.pk is None:
                follow_up = open_ticket(
                    subject=target.subject,
                    body=body,
                    department=target.department,
                    customer=target.customer,
                    priority=target.priority,
                    service=target.service,
                    channel=channel,
                    actor=actor,
                    requester_email=target.requester_email,
                    requester_name=target.requester_name,
                    language=target.language,
                    attachments=[IncomingFile(n, _read(f), t) for n, f, _s, t in files],
                    message_id=message_id,
                    in_reply_to=in_reply_to,
                    references=references,
                    linked_from=ticket,
                    notify=notify,
                )
                return follow_up.messages.get()
            ticket = target
        message = _write_message(
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
                _restart_clock(ticket, now)
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
            _notify_reply(ticket, message)
    return message


def _read(content: File) -> bytes:
    content.seek(0)
    return content.read()


# --- status, priority, department, assignee ----------------------------------------------------


def set_status(ticket: Ticket, status: str, *, actor=None, reason: str = "") -> Ticket:
    """Move ``ticket`` to ``status``. Waiting on the customer stops the SLA clock (R8.4);
    leaving it restarts the clock and pushes the due times later by the time it stood.
    Resolving and closing stop the clock; reopening restarts it."""
    if status not in Status.values:
        raise ValidationError(
            {
                "status": _("“%(value)s” is not a ticket status; use one of: %(choices)s.")
                % {"value": status, "choices": ", ".join(Status.values)}
            }
        )
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = ticket.status
        if old == status:
            return ticket
        if status == Status.NEW:
            raise ValidationError({"status": _("A ticket cannot become new again.")})
        now = clock.now()
        if old == Status.CLOSED and status != Status.CLOSED:
            ticket.closed_at = None
        if status in (Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED):
            _stop_clock(ticket, now)
        else:
            _restart_clock(ticket, now)
        if status == Status.RESOLVED or (status == Status.CLOSED and ticket.resolved_at is None):
            ticket.resolved_at = now
        elif status not in DONE_STATUSES:
            ticket.resolved_at = None
        if status == Status.CLOSED:
            ticket.closed_at = now
        ticket.status = status
        ticket.updated_at = now
        ticket.save()
        log_action(
            ticket,
            "support.ticket.status_changed",
            actor=actor,
            data={"from": old, "to": status, "reason": reason},
        )
    return ticket


def reopen(ticket: Ticket, *, actor=None, reason: str = "") -> Ticket:
    """Open a resolved or closed ticket again; its clock runs on from where it stopped."""
    return set_status(ticket, Status.OPEN, actor=actor, reason=reason or "reopened")


def resolve(ticket: Ticket, *, actor=None) -> Ticket:
    return set_status(ticket, Status.RESOLVED, actor=actor)


def close(ticket: Ticket, *, actor=None, reason: str = "") -> Ticket:
    return set_status(ticket, Status.CLOSED, actor=actor, reason=reason)


def change_priority(ticket: Ticket, priority: str, *, actor=None) -> Ticket:
    """Change the priority; the targets are recomputed from the ticket's start (R8.3)."""
    check_priority(priority)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = ticket.priority
        if old == priority:
            return ticket
        ticket.priority = priority
        recompute_clock(ticket)
        ticket.updated_at = clock.now()
        ticket.save()
        log_action(
            ticket,
            "support.ticket.priority_changed",
            actor=actor,
            data={"from": old, "to": priority, "resolution_due": ticket.resolution_due.isoformat()},
        )
    return ticket


def change_department(ticket: Ticket, department: Department | str, *, actor=None) -> Ticket:
    """Move the ticket to another department (its calendar may differ: recomputed)."""
    department = _department(department)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        old = ticket.department
        if old.pk == department.pk:
            return ticket
        ticket.department = department
        recompute_clock(ticket)
        ticket.updated_at = clock.now()
        ticket.save()
        log_action(
            ticket,
            "support.ticket.department_changed",
            actor=actor,
            data={"from": old.code, "to": department.code},
        )
    return ticket


def assign(ticket: Ticket, user, *, actor=None) -> Ticket:
    """Assign the ticket to a staff member (None: unassign)."""
    _check_staff(user)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.assignee_id
        if old == (user.pk if user else None):
            return ticket
        ticket.assignee = user
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["assignee", "updated_at"])
        log_action(
            ticket,
            "support.ticket.assigned",
            actor=actor,
            data={"from": old, "to": user.pk if user else None},
        )
    return ticket


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


# --- notices --------------------------------------------------------------------------------


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


def _notify_opened(ticket: Ticket, message: Message) -> None:
    headers = _thread_headers(ticket, Message(message_id=""))
    headers["Auto-Submitted"] = "auto-replied"
    if message.message_id:
        headers["In-Reply-To"] = headers["References"] = message.message_id
    _queue(ticket, "ticket_opened", ticket_context(ticket), headers)


def _notify_reply(ticket: Ticket, message: Message) -> None:
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


# --- out of scope and billable time (R8.5, R8.6, R7.4) -------------------------------------


def _billable_customer(ticket: Ticket):
    if ticket.customer is None:
        raise ValidationError(
            {"customer": _("Match the ticket to a customer first: only customers are billed.")}
        )
    return ticket.customer


def mark_out_of_scope(
    ticket: Ticket, *, actor, title: str = "", lines: Sequence[Any] = (), note: str = ""
):
    """The request is outside the contract (R8.5): a draft quote is made for it (R7) and
    linked to the ticket; staff price and send it before any work starts."""
    from kyklos.projects import services as projects

    customer = _billable_customer(ticket)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.quote_id is not None:
            raise ValidationError(_("A quote was already drafted for this ticket."))
        quote = projects.draft_quote(
            customer,
            title=title or ticket.subject,
            lines=list(lines),
            source=ticket.number,
            actor=actor,
            notes=note,
        )
        now = clock.now()
        ticket.out_of_scope_at, ticket.quote_id, ticket.updated_at = now, quote.pk, now
        ticket.save(update_fields=["out_of_scope_at", "quote_id", "updated_at"])
        _write_message(
            ticket,
            body=_("Out of scope: quote %(number)s drafted.") % {"number": quote.number},
            kind=Message.Kind.NOTE,
            from_staff=True,
            actor=actor,
            channel=Channel.STAFF,
            files=[],
        )
        log_action(ticket, "support.ticket.out_of_scope", actor=actor, data={"quote": quote.number})
    return quote


def void_sla(ticket: Ticket, *, reason: str, actor) -> Ticket:
    """The customer changed code or admin settings themselves (R8.6): the SLA no longer
    applies to this ticket (no warnings, no breaches, left out of the report) and the
    repair is billed by the hour (:func:`log_time`)."""
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ValidationError({"reason": _("Say why the SLA no longer applies.")})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.sla_void_reason:
            return ticket
        ticket.sla_void_reason, ticket.updated_at = reason, clock.now()
        ticket.save(update_fields=["sla_void_reason", "updated_at"])
        log_action(ticket, "support.ticket.sla_void", actor=actor, data={"reason": reason})
    return ticket


def log_time(ticket: Ticket, *, minutes, description: str, actor, rate=None, worked_on=None):
    """Billable work on the ticket (R7.4): the ticket is one request, so its entries are
    billed at least 15 minutes together, then by the minute; the standard rate unless an
    agreed ``rate`` is given."""
    from kyklos.projects import services as projects

    customer = _billable_customer(ticket)
    with transaction.atomic():
        entry = projects.log_time(
            customer,
            minutes=minutes,
            description=description,
            rate=rate,
            reference=ticket.number,
            actor=actor,
            worked_on=worked_on,
        )
        log_action(
            ticket,
            "support.ticket.time_logged",
            actor=actor,
            data={"entry": entry.pk, "minutes": entry.minutes, "billable": entry.billable_minutes},
        )
    return entry


def time_entries(ticket: Ticket):
    from kyklos.projects.models import TimeEntry

    if ticket.customer_id is None:
        return TimeEntry.objects.none()
    return TimeEntry.objects.filter(
        customer_id=ticket.customer_id, reference=ticket.number
    ).order_by("id")

"""Reads of the support desk: finding a ticket for an e-mail, the staff queue, a
customer's tickets and a ticket's thread."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.db.models import Case, F, Prefetch, QuerySet, Value, When
from django.db.models.fields import IntegerField

from kyklos.core import clock
from kyklos.support.models import ACTIVE_STATUSES, Attachment, Message, Status, Ticket

#: A ticket number as it appears in subjects (``[#T-2027-000123]``) and in the
#: Message-IDs Kyklos sends (``<T-2027-000123.9f3a…@domain>``).
NUMBER = re.compile(r"\bT-(\d{4})-(\d{6})\b")


def number_in(text: str) -> str | None:
    """The first ticket number in ``text`` (a subject or a Message-ID), or None."""
    match = NUMBER.search(text or "")
    return match.group(0) if match else None


def ticket_by_number(number: str | None) -> Ticket | None:
    return Ticket.objects.filter(number=number).first() if number else None


def ticket_for_message_ids(message_ids: Iterable[str]) -> Ticket | None:
    """The ticket an e-mail answers, from its In-Reply-To and References ids: a stored
    message with one of those ids, else a Kyklos Message-ID naming the ticket."""
    ids = [i.strip() for i in message_ids if i and i.strip()]
    if not ids:
        return None
    message = (
        Message.objects.filter(message_id__in=ids).select_related("ticket").order_by("-id").first()
    )
    if message is not None:
        return message.ticket
    for value in reversed(ids):
        ticket = ticket_by_number(number_in(value))
        if ticket is not None:
            return ticket
    return None


def tickets_for_customer(customer_id: int) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer_id=customer_id)
        .select_related("department", "service")
        .order_by("-opened_at", "-id")
    )


def thread(ticket: Ticket, *, include_notes: bool) -> list[Message]:
    """A ticket's messages, oldest first, with their attachments (two queries)."""
    rows = Message.objects.filter(ticket=ticket).select_related("author")
    if not include_notes:
        rows = rows.filter(kind=Message.Kind.REPLY)
    return list(
        rows.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        ).order_by("created_at", "id")
    )


def queue(
    *,
    department: str | None = None,
    assignee_id: int | None = None,
    statuses: Iterable[str] = ACTIVE_STATUSES,
) -> QuerySet[Ticket]:
    """The staff queue: active tickets, the least time left first. A ticket whose clock
    runs sorts by the earlier of its open targets; paused tickets (waiting on the
    customer) come after them."""
    rows = Ticket.objects.filter(status__in=list(statuses)).select_related(
        "customer", "department", "assignee"
    )
    if department:
        rows = rows.filter(department__code=department)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    next_due = Case(
        When(
            first_responded_at__isnull=True,
            first_response_due__lt=F("resolution_due"),
            then=F("first_response_due"),
        ),
        default=F("resolution_due"),
    )
    paused = Case(
        When(paused_since__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return rows.annotate(next_due=next_due, is_paused_sort=paused).order_by(
        "is_paused_sort", "next_due", "id"
    )


def time_left(ticket: Ticket, now: datetime):
    """Time to the ticket's next due moment (negative when overdue); None when paused or
    done."""
    if ticket.paused_since is not None or ticket.status in (Status.RESOLVED, Status.CLOSED):
        return None
    due = getattr(ticket, "next_due", None) or ticket.resolution_due
    if ticket.first_responded_at is None and ticket.first_response_due < due:
        due = ticket.first_response_due
    return due - now


def sla_health(now: datetime) -> dict:
    """The SLA at a glance for the staff console: this month's tickets whose resolution
    target is decided and the share met (the monthly report's rule), and the active
    tickets now past a target (first response or resolution) or within a day of one."""
    from datetime import timedelta

    from kyklos.support import report

    local = now.astimezone(clock.provider_tz())
    rows = [r for r in report.monthly(local.year, local.month, now=now) if r.department == "*"]
    decided = sum(r.decided for r in rows)
    met = sum(r.met for r in rows)
    active = queue().filter(paused_since__isnull=True, sla_void_reason="")
    late = active.filter(next_due__lt=now).count()
    soon = active.filter(next_due__gte=now, next_due__lt=now + timedelta(days=1)).count()
    return {
        "decided": decided,
        "met": met,
        "missed": decided - met,
        "percent_met": round(100 * met / decided, 1) if decided else None,
        "late": late,
        "due_soon": soon,
        "on_track": active.count() - late - soon,
    }

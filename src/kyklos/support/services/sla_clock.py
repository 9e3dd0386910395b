"""A ticket's SLA clock (R8.2–R8.4, R8.6): the working calendar and targets that set its
due times, pausing and restarting it, and voiding the SLA of a ticket. The arithmetic of
business hours lives in :mod:`kyklos.support.sla`."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.support import sla
from kyklos.support.models import BusinessCalendar, ClosedDay, Department, SlaTarget, Ticket


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


def stop_clock(ticket: Ticket, now: datetime) -> None:
    """Start a pause (in memory; the caller saves)."""
    if ticket.paused_since is None:
        ticket.paused_since = now


def restart_clock(ticket: Ticket, now: datetime) -> None:
    """End the current pause: its stretch pushes the due times later (in memory)."""
    if ticket.paused_since is not None:
        if now > ticket.paused_since:
            ticket.pauses = [*ticket.pauses, [ticket.paused_since.isoformat(), now.isoformat()]]
        ticket.paused_since = None
        recompute_clock(ticket)


def void_sla(ticket: Ticket, *, reason: str, actor) -> Ticket:
    """The customer changed code or admin settings themselves (R8.6): the SLA no longer
    applies to this ticket (no warnings, no breaches, left out of the report) and the
    repair is billed by the hour (:func:`~kyklos.support.services.log_time`)."""
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

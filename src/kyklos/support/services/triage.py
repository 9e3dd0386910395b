"""Staff's changes to a ticket (R8.2–R8.4): status, priority, department and assignee.

:func:`update_ticket` makes any of them at once: it checks every part first and writes
all of them in one transaction, or nothing (no field, no audit event) when one part is
refused. :func:`set_status`, :func:`change_priority`, :func:`change_department` and
:func:`assign` are its one-part forms.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.support.models import DONE_STATUSES, Department, Priority, Status, Ticket
from kyklos.support.services.sla_clock import recompute_clock, restart_clock, stop_clock


class Keep(Enum):
    """Leave the assignee as it is (None would unassign the ticket)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def priority_error(value: str) -> str | None:
    """Why ``value`` is not a priority, or None."""
    if value in Priority.values:
        return None
    return _("“%(value)s” is not a priority; use one of: %(choices)s.") % {
        "value": value,
        "choices": ", ".join(Priority.values),
    }


def check_priority(value: str) -> str:
    message = priority_error(value)
    if message:
        raise ValidationError({"priority": message})
    return value


def find_department(value: Department | str) -> Department | None:
    """The active department with code ``value`` (a Department is taken as it is)."""
    if isinstance(value, Department):
        return value
    return Department.objects.filter(code=value, is_active=True).first()


def unknown_department(code: str) -> str:
    return _("There is no department “%(code)s”.") % {"code": code}


def _staff_error(user) -> str | None:
    if user is not None and not (user.is_active and user.is_staff):
        return _("Tickets are assigned to active staff only.")
    return None


def staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


def update_ticket(
    ticket: Ticket,
    *,
    actor,
    status: str | None = None,
    priority: str | None = None,
    department: Department | str | None = None,
    assignee=KEEP,
    reason: str = "",
) -> Ticket:
    """Change any of the ticket's status, priority, department and assignee at once.

    None (and :data:`KEEP` for the assignee, where None unassigns) leaves a field as it
    is. Every part is checked before anything is written: a refused part raises a
    ``ValidationError`` naming each field at fault and nothing changes. Otherwise the
    changes are saved together with one audit event each; a new priority or department
    recomputes the SLA targets from the ticket's start (R8.3), waiting on the customer,
    resolving and closing stop the clock, and leaving those restarts it (R8.4).
    """
    errors: dict[str, str] = {}
    if status is not None and status not in Status.values:
        errors["status"] = _("“%(value)s” is not a ticket status; use one of: %(choices)s.") % {
            "value": status,
            "choices": ", ".join(Status.values),
        }
    if priority is not None and (message := priority_error(priority)):
        errors["priority"] = message
    if department is not None:
        found = find_department(department)
        if found is None:
            errors["department"] = unknown_department(department)
        department = found
    if assignee is not KEEP and (message := _staff_error(assignee)):
        errors["assignee"] = message
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("department").get(pk=ticket.pk)
        if status not in (None, ticket.status) and status == Status.NEW:
            raise ValidationError({"status": _("A ticket cannot become new again.")})
        now = clock.now()
        events = _apply(ticket, now, status, priority, department, assignee, reason)
        if events:
            ticket.updated_at = now
            ticket.save()
            for action, data in events:
                log_action(ticket, action, actor=actor, data=data)
    return ticket


def _apply(ticket, now, status, priority, department, assignee, reason) -> list[tuple[str, Any]]:
    """Make the checked changes on the locked ``ticket`` in memory; their audit events."""
    events: list[tuple[str, Any]] = []
    moves = department is not None and department.pk != ticket.department_id
    if moves:
        data = {"from": ticket.department.code, "to": department.code}
        events.append(("support.ticket.department_changed", data))
        ticket.department = department
    reprioritises = priority is not None and priority != ticket.priority
    if reprioritises:
        old, ticket.priority = ticket.priority, priority
    if moves or reprioritises:
        recompute_clock(ticket)
    if reprioritises:
        due = ticket.resolution_due.isoformat()
        data = {"from": old, "to": priority, "resolution_due": due}
        events.append(("support.ticket.priority_changed", data))
    if assignee is not KEEP and ticket.assignee_id != (assignee.pk if assignee else None):
        data = {"from": ticket.assignee_id, "to": assignee.pk if assignee else None}
        events.append(("support.ticket.assigned", data))
        ticket.assignee = assignee
    if status is not None and status != ticket.status:
        data = {"from": ticket.status, "to": status, "reason": reason}
        events.append(("support.ticket.status_changed", data))
        _move(ticket, status, now)
    return events


def _move(ticket: Ticket, status: str, now) -> None:
    if ticket.status == Status.CLOSED:
        ticket.closed_at = None
    if status in (Status.WAITING_CUSTOMER, Status.RESOLVED, Status.CLOSED):
        stop_clock(ticket, now)
    else:
        restart_clock(ticket, now)
    if status == Status.RESOLVED or (status == Status.CLOSED and ticket.resolved_at is None):
        ticket.resolved_at = now
    elif status not in DONE_STATUSES:
        ticket.resolved_at = None
    if status == Status.CLOSED:
        ticket.closed_at = now
    ticket.status = status


def set_status(ticket: Ticket, status: str, *, actor=None, reason: str = "") -> Ticket:
    """Move ``ticket`` to ``status``. Waiting on the customer stops the SLA clock (R8.4);
    leaving it restarts the clock and pushes the due times later by the time it stood.
    Resolving and closing stop the clock; reopening restarts it."""
    return update_ticket(ticket, actor=actor, status=status, reason=reason)


def reopen(ticket: Ticket, *, actor=None, reason: str = "") -> Ticket:
    """Open a resolved or closed ticket again; its clock runs on from where it stopped."""
    return set_status(ticket, Status.OPEN, actor=actor, reason=reason or "reopened")


def resolve(ticket: Ticket, *, actor=None) -> Ticket:
    return set_status(ticket, Status.RESOLVED, actor=actor)


def close(ticket: Ticket, *, actor=None, reason: str = "") -> Ticket:
    return set_status(ticket, Status.CLOSED, actor=actor, reason=reason)


def change_priority(ticket: Ticket, priority: str, *, actor=None) -> Ticket:
    """Change the priority; the targets are recomputed from the ticket's start (R8.3)."""
    return update_ticket(ticket, actor=actor, priority=priority)


def change_department(ticket: Ticket, department: Department | str, *, actor=None) -> Ticket:
    """Move the ticket to another department (its calendar may differ: recomputed)."""
    return update_ticket(ticket, actor=actor, department=department)


def assign(ticket: Ticket, user, *, actor=None) -> Ticket:
    """Assign the ticket to a staff member (None: unassign)."""
    return update_ticket(ticket, actor=actor, assignee=user)

"""Writes on the support desk (R8), one module per sub-domain:

- :mod:`.tickets`: opening a ticket from a :class:`NewTicket`;
- :mod:`.messages`: replies and internal notes, reopening and follow-up tickets;
- :mod:`.triage`: status, priority, department and assignee (:func:`update_ticket`);
- :mod:`.sla_clock`: the SLA clock's calendar, targets and pauses, voiding the SLA;
- :mod:`.mail`: the e-mails about a ticket and their threading headers;
- :mod:`.thread`: storing a message with its attachments;
- :mod:`.billing_work`: out-of-scope quotes and billable time;
- :mod:`.announcements`: planned maintenance announcements;
- :mod:`.uptime`: outage reports and the yearly uptime credit (R5.3);
- :mod:`.catalog_notices`: product withdrawal and re-pricing told to holders (R5.8, R5.9).

Each function validates first and writes nothing on bad input (a ``ValidationError``
naming the field), runs in one transaction and records an audit event. Other apps import
the names below from ``kyklos.support.services``.
"""

from kyklos.support.services.announcements import affected_services, announce
from kyklos.support.services.billing_work import log_time, mark_out_of_scope, time_entries
from kyklos.support.services.mail import message_domain, new_message_id, ticket_context
from kyklos.support.services.messages import REOPEN_WINDOW, add_message, ticket_for_customer_reply
from kyklos.support.services.sla_clock import (
    calendar_for,
    recompute_clock,
    targets_for,
    void_sla,
    work_calendar,
)
from kyklos.support.services.thread import MAX_ATTACHMENT_BYTES, IncomingFile
from kyklos.support.services.tickets import REQUEST_FIELDS, NewTicket, open_ticket
from kyklos.support.services.triage import (
    KEEP,
    assign,
    change_department,
    change_priority,
    check_priority,
    close,
    reopen,
    resolve,
    set_status,
    staff_users,
    update_ticket,
)
from kyklos.support.services.uptime import Outage, confirm_outage, credit_year

__all__ = [
    "KEEP",
    "MAX_ATTACHMENT_BYTES",
    "REOPEN_WINDOW",
    "REQUEST_FIELDS",
    "IncomingFile",
    "NewTicket",
    "Outage",
    "add_message",
    "affected_services",
    "announce",
    "assign",
    "calendar_for",
    "change_department",
    "change_priority",
    "check_priority",
    "close",
    "confirm_outage",
    "credit_year",
    "log_time",
    "mark_out_of_scope",
    "message_domain",
    "new_message_id",
    "open_ticket",
    "recompute_clock",
    "reopen",
    "resolve",
    "set_status",
    "staff_users",
    "targets_for",
    "ticket_context",
    "ticket_for_customer_reply",
    "time_entries",
    "update_ticket",
    "void_sla",
    "work_calendar",
]

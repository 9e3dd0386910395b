"""Work on a ticket that is billed (R8.5, R7.4): out-of-scope requests get a draft quote,
and time logged on a ticket is billed as one request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.support.models import Channel, Message, Ticket
from kyklos.support.services.thread import write_message


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
        write_message(
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

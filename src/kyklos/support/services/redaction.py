"""Credentials out of tickets (R9.9): once a credential that arrived in a ticket message is
stored in the vault, no copy of it stays in the ticket or in the notices about it.

The vault announces it through ``core.hooks.credential_received`` (the vault and the desk
are independent apps of one layer); :func:`redact_credential` answers it for the message's
ticket: every occurrence of the secret in the ticket's messages and text fields is replaced
by a marker — the whole message when the secret cannot be found in it as written (the
message did carry it) — and so is every copy in the outbox (a staff reply quoting it).
:func:`describe_message` answers ``core.hooks.credential_source``: the message as the vault's
"Store as credential" page shows it (the desk links there by URL name).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from kyklos.core.audit import log_action
from kyklos.core.hooks import SourceMessage
from kyklos.notifications.models import Outbox
from kyklos.support.models import Message, Ticket

#: What replaces a secret in a message.
MARKER = "[credential removed: kept in the vault]"
#: What replaces a message that carried a credential not found in it as written.
WHOLE = "[message removed: it carried a credential that is now kept in the vault]"
TICKET_FIELDS = ("subject", "context", "features", "specs", "examples")


def _without(text: str, secrets) -> tuple[str, int]:
    found = 0
    for secret in secrets:
        found += text.count(secret)
        text = text.replace(secret, MARKER)
    return text, found


def _scrub(value, secrets) -> tuple[object, int]:
    """``value`` (JSON: dicts, lists, strings) with the secrets replaced, and how many."""
    if isinstance(value, str):
        return _without(value, secrets)
    if isinstance(value, dict):
        pairs = {k: _scrub(v, secrets) for k, v in value.items()}
        return {k: v for k, (v, _n) in pairs.items()}, sum(n for _v, n in pairs.values())
    if isinstance(value, list):
        items = [_scrub(v, secrets) for v in value]
        return [v for v, _n in items], sum(n for _v, n in items)
    return value, 0


def describe_message(sender=None, *, message, **kwargs) -> SourceMessage | None:
    """Support message ``message`` for the vault's page, or None when there is none."""
    row = Message.objects.select_related("ticket").filter(pk=message).first()
    if row is None:
        return None
    ticket = row.ticket
    return SourceMessage(
        id=row.pk,
        customer_id=ticket.customer_id,
        service_id=ticket.service_id,
        title=f"{ticket.number} · {ticket.subject}",
        sender=row.sender_name or row.sender_email or ticket.requester_email,
        sent_at=row.created_at,
        body=row.body,
        url=reverse("desk:ticket", args=[ticket.pk]) + f"#message-{row.pk}",
    )


def redact_credential(sender=None, *, message, customer_id, secrets, actor=None, **kwargs):
    """Remove ``secrets`` from the ticket of support message ``message``; the number of
    copies redacted, or None when there is no such message."""
    secrets = [s for s in secrets if s]
    source = Message.objects.select_related("ticket").filter(pk=message).first()
    if source is None or not secrets:
        return None
    ticket = source.ticket
    if ticket.customer_id != customer_id:
        raise ValidationError(
            {"source_message": _("That message is on another customer's ticket.")}
        )
    copies = 0
    whole = secrets[0] not in source.body
    for row in Message.objects.filter(ticket=ticket):
        body, found = (WHOLE, 1) if whole and row.pk == source.pk else _without(row.body, secrets)
        if found:
            Message.objects.filter(pk=row.pk).update(body=body)
            copies += found
    changed = {}
    for field in TICKET_FIELDS:
        text, found = _without(getattr(ticket, field), secrets)
        if found:
            changed[field], copies = text, copies + found
    if changed:
        Ticket.objects.filter(pk=ticket.pk).update(**changed)
    copies += _redact_outbox(ticket, secrets)
    log_action(
        source,
        "support.message.credential_redacted",
        actor=actor,
        data={"ticket": ticket.number, "copies": copies, "whole_message": whole},
    )
    return copies


def _redact_outbox(ticket: Ticket, secrets) -> int:
    """Notices about the ticket (its customer's, or its requester's) quoting the secret."""
    rows = (
        Outbox.objects.filter(customer_id=ticket.customer_id)
        if ticket.customer_id
        else Outbox.objects.filter(to_email__iexact=ticket.requester_email)
    )
    copies = 0
    for pk, context in rows.values_list("pk", "context").iterator():
        scrubbed, found = _scrub(context, secrets)
        if found:
            Outbox.objects.filter(pk=pk).update(context=scrubbed)
            copies += found
    return copies

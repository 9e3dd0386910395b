"""Notices: written with their cause, sent later (R3.9, R6.8, R12.1).

Writing
    :func:`queue_notice` (one row) and :func:`queue_notices` (rows built by
    :func:`build_notice`, for the set-based daily run) only INSERT into the outbox through
    the default connection and open no transaction of their own: call them inside the
    transaction that makes the fact they announce, so that the notice commits or rolls
    back with it. The outbox row is its own record (``created_at``, ``sent_at``,
    ``attempts``, ``last_error``), so notices write no audit events.

Extending
    Apps above this one declare their notice events with :func:`register_event` and the
    renderers of their attachments with :func:`register_attachment`, in the ``register()``
    of their ``notices`` module (``kyklos.core.registry``). A name is registered once.

Sending
    :func:`send_pending` drains queued notices whose day has come, in id order, through
    Django's e-mail backend. Each message has its own transaction: lock the row
    (``SELECT … FOR UPDATE SKIP LOCKED``, so on PostgreSQL two senders never take the same
    row; SQLite ignores it and serialises writers), send, mark it sent, commit.

    That is exactly-once as far as SMTP allows. If the process dies after the SMTP server
    accepted a message but before the commit, the row is still queued and the next run
    sends it again. The resent message carries the same ``Message-ID``
    (``<outbox-{id}.{created_at epoch}@{domain of DEFAULT_FROM_EMAIL}>``), so receiving
    systems and mail clients can recognise the duplicate.

    Just before sending, a marketing notice is checked against the person's consent
    (``core.messaging.may_send``); one withdrawn meanwhile becomes ``skipped``.

    A failed send adds one to ``attempts`` and records ``last_error``; the row stays
    queued for the next run until ``MAX_ATTEMPTS``, then becomes ``failed``. A failure
    never stops the batch. Skipped rows are never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.db import transaction
from django.db.models import QuerySet

from kyklos.core import clock, hooks, messaging
from kyklos.core.bulk import insert_many
from kyklos.notifications import attachments as attachment_renderers
from kyklos.notifications import events, selectors
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
WRITABLE_STATUSES = frozenset({Outbox.Status.QUEUED, Outbox.Status.SKIPPED})


#: The catalogue of notice events and of attachment renderers (``notifications.events``
#: and ``notifications.attachments``), offered to other apps here.
register_event = events.register
register_attachment = attachment_renderers.register


# --- writing ---------------------------------------------------------------------------


def recipient(event: str, customer) -> str:
    """The address a customer's notice of ``event`` goes to (R1.2, R6.8)."""
    return customer.invoice_email if events.goes_to_billing_email(event) else customer.notice_email


def build_notice(
    *,
    event: str,
    customer_id: int | None,
    language: str,
    to_email: str,
    context: dict[str, Any],
    for_date: date,
    service_id: int | None = None,
    invoice_id: int | None = None,
    anchor_date: date | None = None,
    offset_days: int = 0,
    status: str = Outbox.Status.QUEUED,
    attachments: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> Outbox:
    """An unsaved outbox row, checked; for callers that insert many with
    :func:`queue_notices` and already hold the customer's language and address."""
    if not events.is_known(event):
        raise ValueError(f"Unknown notice event {event!r}.")
    if status not in WRITABLE_STATUSES:
        raise ValueError(f"A new notice is queued or skipped, not {status!r}.")
    if not to_email:
        raise ValueError(f"The {event} notice for customer {customer_id} has no address.")
    missing = [key for key in events.required_keys(event) if context.get(key) in (None, "")]
    if missing:
        raise ValueError(f"The {event} notice needs {', '.join(missing)} in its context.")
    for reference in attachments or ():
        if not attachment_renderers.is_known(reference.get("kind", "")):
            raise ValueError(f"Unknown attachment kind in {reference!r}.")
    return Outbox(
        event=event,
        customer_id=customer_id,
        to_email=to_email,
        language=language,
        context=context,
        service_id=service_id,
        invoice_id=invoice_id,
        anchor_date=anchor_date,
        offset_days=offset_days,
        for_date=for_date,
        status=status,
        created_at=clock.now(),
        attachments=list(attachments or ()),
        headers=dict(headers or {}),
    )


def queue_notice(
    *,
    event: str,
    customer,
    context: dict[str, Any],
    for_date: date,
    service_id: int | None = None,
    invoice_id: int | None = None,
    anchor_date: date | None = None,
    offset_days: int = 0,
    to_email: str | None = None,
    status: str = Outbox.Status.QUEUED,
    attachments: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> Outbox:
    """Write one notice for ``customer`` in their language; call it inside the caller's
    transaction. ``to_email`` defaults to :func:`recipient`, ``customer_name`` in the
    context to the customer's display name."""
    notice = build_notice(
        attachments=attachments,
        headers=headers,
        event=event,
        customer_id=customer.pk,
        language=customer.language,
        to_email=to_email or recipient(event, customer),
        context={"customer_name": customer.display_name, **context},
        for_date=for_date,
        service_id=service_id,
        invoice_id=invoice_id,
        anchor_date=anchor_date,
        offset_days=offset_days,
        status=status,
    )
    notice.save(force_insert=True)
    return notice


def queue_message(
    *,
    event: str,
    to_email: str,
    language: str,
    context: dict[str, Any],
    for_date: date | None = None,
    customer=None,
    attachments: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> Outbox:
    """Write one notice to an address that need not belong to a customer: staff (SLA
    warnings), people who are not customers (data-subject requests, the contact form).
    Call it inside the caller's transaction."""
    notice = build_notice(
        event=event,
        customer_id=customer.pk if customer is not None else None,
        language=language,
        to_email=to_email,
        context=context,
        for_date=for_date or clock.today(),
        attachments=attachments,
        headers=headers,
    )
    notice.save(force_insert=True)
    return notice


def queue_notices(rows: list[Outbox], batch_size: int | None = None) -> int:
    """Insert rows made by :func:`build_notice`, one INSERT per batch; the caller
    guarantees they are new. Call it inside the caller's transaction."""
    insert_many(rows, batch_size=batch_size or settings.KYKLOS_BATCH_SIZE)
    return len(rows)


# --- sending ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SendResult:
    sent: int = 0
    #: Failed attempts in this run, including rows that stay queued for another try.
    failed: int = 0


def send_pending(
    *, limit: int | None = None, connection: BaseEmailBackend | None = None
) -> SendResult:
    """Send queued notices due today or earlier, oldest first, at most ``limit``.

    ``connection`` is the e-mail backend to use (default: ``get_connection()``); it is
    opened once for the run and closed at the end, or after a failure.
    """
    return _drain(selectors.due_notices(clock.today()), limit=limit, connection=connection)


def send_now(ids: Collection[int], *, connection: BaseEmailBackend | None = None) -> SendResult:
    """Send these notices now whatever their day (staff's "send now"): queued ones, and
    failed ones once more. Sent and skipped rows are left alone."""
    notices = Outbox.objects.filter(
        pk__in=ids, status__in=(Outbox.Status.QUEUED, Outbox.Status.FAILED)
    )
    return _drain(notices, limit=None, connection=connection)


def _drain(
    notices: QuerySet[Outbox], *, limit: int | None, connection: BaseEmailBackend | None
) -> SendResult:
    connection = connection or get_connection()
    sent = failed = last_id = 0
    try:
        while limit is None or sent + failed < limit:
            size = settings.KYKLOS_BATCH_SIZE
            if limit is not None:
                size = min(size, limit - sent - failed)
            ids = selectors.next_ids(notices, after=last_id, size=size)
            if not ids:
                break
            for pk in ids:
                outcome = _send_one(notices, pk, connection)
                sent += outcome is True
                failed += outcome is False
            if len(ids) < size:
                break
            last_id = ids[-1]
    finally:
        _close(connection)
    return SendResult(sent=sent, failed=failed)


def _send_one(notices: QuerySet[Outbox], pk: int, connection: BaseEmailBackend) -> bool | None:
    """Lock, send and mark one notice in its own transaction: whether it was sent, or
    None when another sender has it or it is no longer to be sent."""
    with transaction.atomic():
        row = notices.select_for_update(skip_locked=True).filter(pk=pk).first()
        if row is None:
            return None
        if not messaging.may_send(row.event, customer_id=row.customer_id, to_email=row.to_email):
            # Marketing whose consent was withdrawn (or restricted) since it was queued.
            row.status, row.last_error = Outbox.Status.SKIPPED, "no consent at send time"
            row.save(update_fields=["status", "last_error"])
            return None
        row.attempts += 1
        try:
            _deliver(row, connection)
        except Exception as exc:
            row.status = Outbox.Status.FAILED if row.attempts >= MAX_ATTEMPTS else row.status
            row.last_error = f"{type(exc).__name__}: {exc}"
            row.save(update_fields=["attempts", "status", "last_error"])
            logger.warning("Notice %s to %s not sent: %s", row.pk, row.to_email, row.last_error)
            _close(connection)  # the next message starts on a fresh connection
            return False
        row.status, row.sent_at, row.last_error = Outbox.Status.SENT, clock.now(), ""
        row.save(update_fields=["attempts", "status", "sent_at", "last_error"])
        return True


def _deliver(row: Outbox, connection: BaseEmailBackend) -> None:
    notice = render_notice(row.event, row.language, row.context)
    message = EmailMessage(
        subject=notice.subject,
        body=notice.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_email],
        cc=copies(row),
        headers={**_headers(row), **row.headers},
        connection=connection,
    )
    for reference in row.attachments:
        message.attach(*attachment_renderers.render(reference))
    connection.open()  # no-op while open; reopens after a failure closed it
    if connection.send_messages([message]) != 1:
        raise RuntimeError("the e-mail backend did not accept the message")


def copies(row: Outbox) -> list[str]:
    """The account's contacts who get a copy of a customer's notice, by its audience
    (R1.2; ``events.audience``, answered by accounts through ``hooks.notice_copies``).
    Read at send time, so a contact removed meanwhile gets nothing; marketing is never
    copied (its consent is the addressee's)."""
    if row.customer_id is None or messaging.purpose_of(row.event) is not None:
        return []
    found: list[str] = []
    for _receiver, addresses in hooks.notice_copies.send(
        sender=Outbox,
        customer_id=row.customer_id,
        audience=events.audience(row.event),
        event=row.event,
    ):
        found += [a for a in addresses or () if a.lower() != row.to_email.lower()]
    return sorted(set(found))


def _headers(row: Outbox) -> dict[str, str]:
    """The headers of a notice: a Message-ID stable across resends, and the marks of an
    automated message (R3.9)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return {
        "Message-ID": f"<outbox-{row.pk}.{int(row.created_at.timestamp())}@{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",  # no out-of-office replies from Exchange
        "X-Kyklos-Event": row.event,
    }


def _close(connection: BaseEmailBackend) -> None:
    with suppress(OSError):  # smtplib errors are OSErrors; a dead connection is closed anyway
        connection.close()

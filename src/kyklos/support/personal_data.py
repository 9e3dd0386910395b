"""Personal data held by the support desk (R9.3), registered with the core registry.

A subject's tickets are those of their customer account, or those they wrote in as a
requester by e-mail address. Export gives every ticket with its whole thread (internal
notes included: they are data about the person) and the attachments' names. Erasure
anonymises: requester and sender names and addresses are blanked, subjects, request
fields and message bodies replaced, attachment files deleted; the tickets themselves stay
(numbers, dates and SLA figures feed the anonymous SLA report, R9.5).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q, QuerySet

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.support.models import (
    Announcement,
    Attachment,
    BusinessCalendar,
    CannedReply,
    Department,
    Message,
    Server,
    Ticket,
)

ERASED = "[erased]"
CATEGORY = "support"


def tickets_of(subject: Subject) -> QuerySet[Ticket]:
    where = Q(pk__in=[])
    if subject.customer_id is not None:
        where |= Q(customer_id=subject.customer_id)
    if subject.email:
        where |= Q(requester_email__iexact=subject.email)
    return Ticket.objects.filter(where)


def messages_of(subject: Subject) -> QuerySet[Message]:
    where = Q(ticket__in=tickets_of(subject))
    if subject.email:
        where |= Q(sender_email__iexact=subject.email)
    return Message.objects.filter(where)


def export_tickets(subject: Subject):
    for t in tickets_of(subject).select_related("department").order_by("id"):
        yield {
            "number": t.number,
            "subject": t.subject,
            "department": t.department.code,
            "priority": t.priority,
            "status": t.status,
            "opened_at": t.opened_at.isoformat(),
            "requester_email": t.requester_email,
            "requester_name": t.requester_name,
            "wished_date": t.wished_date.isoformat() if t.wished_date else None,
            "budget": str(t.budget) if t.budget is not None else None,
            "hours": str(t.hours) if t.hours is not None else None,
            "context": t.context,
            "features": t.features,
            "specs": t.specs,
            "examples": t.examples,
        }


def export_messages(subject: Subject):
    rows = messages_of(subject).select_related("ticket").order_by("ticket_id", "created_at", "id")
    for m in rows:
        yield {
            "ticket": m.ticket.number,
            "kind": m.kind,
            "from_staff": m.from_staff,
            "sender_email": m.sender_email,
            "sender_name": m.sender_name,
            "created_at": m.created_at.isoformat(),
            "body": m.body,
        }


def export_attachments(subject: Subject):
    rows = Attachment.objects.filter(message__in=messages_of(subject)).select_related(
        "message__ticket"
    )
    for a in rows.order_by("id"):
        yield {
            "ticket": a.message.ticket.number,
            "filename": a.filename,
            "size": a.size,
            "content_type": a.content_type,
        }


def erase_tickets(subject: Subject) -> Erased:
    count = tickets_of(subject).update(
        subject=ERASED,
        requester_email="",
        requester_name="",
        context="",
        features="",
        specs="",
        examples="",
    )
    return Erased(anonymised=count)


def erase_messages(subject: Subject) -> Erased:
    count = messages_of(subject).update(body=ERASED, sender_email="", sender_name="")
    return Erased(anonymised=count)


def erase_attachments(subject: Subject) -> Erased:
    rows = list(Attachment.objects.filter(message__in=messages_of(subject)))
    with transaction.atomic():
        Attachment.objects.filter(pk__in=[a.pk for a in rows]).delete()
        for attachment in rows:
            transaction.on_commit(lambda f=attachment.file: f.delete(save=False))
    return Erased(deleted=len(rows))


def register() -> None:
    personal_data.register(
        Ticket,
        category=CATEGORY,
        fields=[
            "customer",
            "requester_email",
            "requester_name",
            "subject",
            "context",
            "features",
            "specs",
            "examples",
        ],
        exporter=export_tickets,
        eraser=erase_tickets,
    )
    personal_data.register(
        Message,
        category=CATEGORY,
        fields=["sender_email", "sender_name", "body"],
        exporter=export_messages,
        eraser=erase_messages,
    )
    personal_data.register(
        Attachment,
        category=CATEGORY,
        fields=["file", "filename"],
        exporter=export_attachments,
        eraser=erase_attachments,
    )
    reason = "names of departments, servers and reply templates, not of people"
    for model in (Department, Server, CannedReply, Announcement, BusinessCalendar):
        personal_data.declare_exempt(model, reason)

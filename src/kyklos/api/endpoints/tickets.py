"""Support tickets and their messages (R8) for staff tools and integrations."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator

from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, Input, Output, UtcDatetime
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from kyklos.support import selectors, services
from kyklos.support.models import Message, Priority, Ticket
from kyklos.support.models import Status as TicketStatus

router = Router(tags=["tickets"])


def _priority(value: str) -> str:
    if value not in Priority.values:
        raise ValueError(
            _("“%(value)s” is not a priority; use one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(Priority.values)}
        )
    return value


def _status(value: str) -> str:
    if value not in TicketStatus.values:
        raise ValueError(
            _("“%(value)s” is not a ticket status; use one of: %(choices)s.")
            % {"value": value, "choices": ", ".join(TicketStatus.values)}
        )
    return value


PriorityValue = Annotated[
    str, AfterValidator(_priority), Field(json_schema_extra={"enum": Priority.values})
]
StatusValue = Annotated[
    str, AfterValidator(_status), Field(json_schema_extra={"enum": TicketStatus.values})
]


class FileIn(Schema):
    filename: str
    content_base64: str = Field(description="The file's bytes, base64; at most 25 MB.")
    content_type: str = "application/octet-stream"


class TicketIn(Input):
    customer: int
    subject: str
    body: str = Field(description="The request: the ticket's first message.")
    department: str = Field(description="Department code, e.g. technical, billing, sales.")
    priority: PriorityValue = Priority.NORMAL
    service: int | None = None
    channel: str = Field("api", description="api, email, phone, portal, staff or web_form")
    wished_date: date | None = None
    hard_deadline: bool = False
    budget: str | None = Field(None, description="Amount as text, e.g. “900.00”.")
    hours: str | None = None
    context: str = ""
    features: str = ""
    specs: str = ""
    examples: str = ""
    attachments: list[FileIn] = []


class TicketChangeIn(Input):
    status: StatusValue | None = None
    priority: PriorityValue | None = None
    department: str | None = None
    assignee: str | None = Field(
        None, description="Username of a staff member; an empty string unassigns."
    )


class MessageIn(Input):
    body: str
    kind: str = Field("reply", description="reply (sent to the customer) or note (internal)")
    from_staff: bool = Field(True, description="False records a message from the customer.")
    attachments: list[FileIn] = []


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int
    content_type: str


class MessageOut(Schema):
    id: int
    ticket: str
    kind: Message.Kind
    from_staff: bool
    author: str | None
    sender_email: str
    body: str
    message_id: str
    created_at: UtcDatetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_ticket(obj) -> str:
        return obj.ticket.number

    @staticmethod
    def resolve_author(obj) -> str | None:
        return obj.author.get_username() if obj.author else None

    @staticmethod
    def resolve_attachments(obj) -> list:
        return list(obj.attachments.all())


class TicketOut(Output):
    id: int
    number: str
    subject: str
    customer: int | None
    requester_email: str
    service: int | None
    department: str
    priority: Priority
    status: TicketStatus
    assignee: str | None
    linked_from: str | None
    opened_at: UtcDatetime
    first_responded_at: UtcDatetime | None
    resolved_at: UtcDatetime | None
    first_response_due: UtcDatetime
    resolution_due: UtcDatetime
    paused: bool = Field(description="The SLA clock stands still (waiting on the customer).")

    @staticmethod
    def resolve_department(obj) -> str:
        return obj.department.code

    @staticmethod
    def resolve_assignee(obj) -> str | None:
        return obj.assignee.get_username() if obj.assignee else None

    @staticmethod
    def resolve_linked_from(obj) -> str | None:
        return obj.linked_from.number if obj.linked_from else None

    @staticmethod
    def resolve_paused(obj) -> bool:
        return obj.paused_since is not None


def _tickets() -> QuerySet[Ticket]:
    return Ticket.objects.select_related("department", "assignee", "linked_from").order_by("id")


def _files(items: list[FileIn]) -> list[services.IncomingFile]:
    files = []
    for item in items:
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {"attachments": _("“%(name)s” is not valid base64.") % {"name": item.filename}}
            ) from None
        files.append(services.IncomingFile(item.filename, content, item.content_type))
    return files


NOT_FOUND = _("There is no ticket %(id)s.")


@router.get("", response=list[TicketOut], auth=needs("support", "view"))
@paginate(Page)
def list_tickets(
    request,
    status: str | None = None,
    priority: str | None = None,
    department: str | None = None,
    customer: int | None = None,
):
    """Tickets by id, optionally filtered."""
    rows = _tickets()
    if priority is not None:
        services.check_priority(priority)
        rows = rows.filter(priority=priority)
    if status is not None:
        rows = rows.filter(status=_status_or_error(status))
    if department:
        rows = rows.filter(department__code=department)
    if customer is not None:
        rows = rows.filter(customer_id=customer)
    return rows


def _status_or_error(value: str) -> str:
    try:
        return _status(value)
    except ValueError as exc:
        raise ValidationError({"status": str(exc)}) from None


@router.post("", response={201: TicketOut, **ERRORS}, auth=needs("support", "add"))
def open_ticket(request, payload: TicketIn):
    """Open a ticket for a customer; the customer gets the acknowledgement e-mail."""
    customer = Customer.objects.filter(pk=payload.customer).first()
    if customer is None:
        raise ValidationError(
            {"customer": _("There is no customer %(id)s.") % {"id": payload.customer}}
        )
    service = None
    if payload.service is not None:
        service = Service.objects.filter(pk=payload.service, customer=customer).first()
        if service is None:
            raise ValidationError(
                {
                    "service": _("Customer %(customer)s has no service %(id)s.")
                    % {"customer": customer.pk, "id": payload.service}
                }
            )
    request_fields = payload.model_dump(
        include={
            "wished_date",
            "hard_deadline",
            "budget",
            "hours",
            "context",
            "features",
            "specs",
            "examples",
        },
        exclude_none=True,
    )
    new = services.NewTicket(
        subject=payload.subject,
        body=payload.body,
        department=payload.department,
        customer=customer,
        priority=payload.priority,
        service=service,
        channel=payload.channel,
        request=request_fields,
        attachments=_files(payload.attachments),
    )
    ticket = services.open_ticket(new, actor=request.auth)
    return Status(201, _tickets().get(pk=ticket.pk))


@router.get(
    "/{ticket_id}", response={200: TicketOut, **ERRORS_WITH_404}, auth=needs("support", "view")
)
def get_ticket(request, ticket_id: int):
    return get_or_404(_tickets(), ticket_id, NOT_FOUND)


@router.patch(
    "/{ticket_id}",
    response={200: TicketOut, **ERRORS_WITH_404},
    auth=needs("support", "change"),
)
def change_ticket(request, ticket_id: int, payload: TicketChangeIn):
    """Change status, priority (the SLA targets are recomputed from the ticket's start),
    department or assignee, all or nothing: when one part is refused, nothing changes."""
    ticket = get_or_404(_tickets(), ticket_id, NOT_FOUND)
    assignee = services.KEEP
    if payload.assignee == "":
        assignee = None
    elif payload.assignee is not None:
        assignee = get_user_model().objects.filter(username=payload.assignee).first()
        if assignee is None:
            raise ValidationError(
                {"assignee": _("There is no user “%(name)s”.") % {"name": payload.assignee}}
            )
    services.update_ticket(
        ticket,
        actor=request.auth,
        status=payload.status,
        priority=payload.priority,
        department=payload.department,
        assignee=assignee,
    )
    return _tickets().get(pk=ticket_id)


@router.get(
    "/{ticket_id}/messages",
    response={200: list[MessageOut], **ERRORS_WITH_404},
    auth=needs("support", "view"),
)
def list_messages(request, ticket_id: int):
    """The whole thread, oldest first, internal notes included."""
    ticket = get_or_404(_tickets(), ticket_id, NOT_FOUND)
    return selectors.thread(ticket, include_notes=True)


@router.post(
    "/{ticket_id}/messages",
    response={201: MessageOut, **ERRORS_WITH_404},
    auth=needs("support", "change"),
)
def add_message(request, ticket_id: int, payload: MessageIn):
    """Add a staff reply (e-mailed to the customer), an internal note, or a message from
    the customer (e.g. logged from a phone call). A customer's message to a ticket closed
    more than 7 days ago opens a new linked ticket: see the message's ``ticket``."""
    ticket = get_or_404(_tickets(), ticket_id, NOT_FOUND)
    message = services.add_message(
        ticket,
        body=payload.body,
        kind=payload.kind,
        from_staff=payload.from_staff,
        actor=request.auth,
        channel="api",
        attachments=_files(payload.attachments),
    )
    return Status(201, Message.objects.select_related("ticket", "author").get(pk=message.pk))

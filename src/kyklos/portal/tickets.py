"""The customer's support tickets in the portal: open, read, reply, close (R8).

Only the login's customer's tickets are ever read: another customer's ticket, message or
attachment ids give 404, like every portal view. Internal notes are never shown.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.lifecycle.models import LIVE_STATES, Service
from kyklos.portal.forms import add_service_errors
from kyklos.portal.scopes import TECHNICAL, scope
from kyklos.portal.ticket_forms import ReplyForm, TicketForm
from kyklos.support import selectors, services
from kyklos.support.models import Attachment, Channel, Message, Status

TICKETS_PER_PAGE = 25


def _services(customer):
    return Service.objects.filter(
        customer=customer, state__in=LIVE_STATES, parent__isnull=True
    ).select_related("product")


@require_GET
@scope(TECHNICAL)
def ticket_list(request, customer):
    page = Paginator(selectors.tickets_for_customer(customer.pk), TICKETS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/tickets.html", {"customer": customer, "page": page})


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def ticket_new(request, customer):
    form = TicketForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        services=_services(customer),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.NewTicket(
                subject=data["subject"],
                body=data["body"],
                department=data["department"],
                customer=customer,
                priority=data["priority"],
                service=form.chosen_service(),
                channel=Channel.PORTAL,
                request=form.request_fields(),
                attachments=data["attachments"],
            )
            ticket = services.open_ticket(new, actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Your request was filed as %(number)s; we sent you a confirmation.")
                % {"number": ticket.number},
            )
            return redirect("portal:ticket", pk=ticket.pk)
    return render(request, "portal/ticket_new.html", {"customer": customer, "form": form})


def _own(customer, pk: int):
    return get_object_or_404(selectors.tickets_for_customer(customer.pk), pk=pk)


@require_GET
@scope(TECHNICAL)
def ticket_detail(request, customer, pk: int):
    return _detail(request, customer, _own(customer, pk), ReplyForm())


def _detail(request, customer, ticket, form, status=200):
    context = {
        "customer": customer,
        "ticket": ticket,
        "thread": selectors.thread(ticket, include_notes=False),
        "form": form,
        "can_close": ticket.status != Status.CLOSED,
    }
    return render(request, "portal/ticket_detail.html", context, status=status)


@require_POST
@scope(TECHNICAL)
def ticket_reply(request, customer, pk: int):
    ticket = _own(customer, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            message = services.add_message(
                ticket,
                body=form.cleaned_data["body"],
                from_staff=False,
                actor=request.user,
                channel=Channel.PORTAL,
                attachments=form.cleaned_data["attachments"],
                sender_email=customer.email,
                sender_name=customer.display_name,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if message.ticket_id != ticket.pk:
                messages.info(
                    request,
                    _(
                        "%(old)s was closed more than 7 days ago, so your reply opened a new "
                        "request, %(new)s."
                    )
                    % {"old": ticket.number, "new": message.ticket.number},
                )
            else:
                messages.success(request, _("Your reply was added."))
            return redirect("portal:ticket", pk=message.ticket_id)
    return _detail(request, customer, ticket, form, status=400)


@require_POST
@scope(TECHNICAL)
def ticket_close(request, customer, pk: int):
    ticket = _own(customer, pk)
    services.close(ticket, actor=request.user, reason="closed by the customer")
    messages.success(request, _("The request was closed. Reply within 7 days to reopen it."))
    return redirect("portal:ticket", pk=pk)


@require_GET
@scope(TECHNICAL)
def ticket_attachment(request, customer, pk: int):
    """A file of a public message on one of the customer's own tickets."""
    item = get_object_or_404(
        Attachment,
        pk=pk,
        message__ticket__customer=customer,
        message__kind=Message.Kind.REPLY,
    )
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)

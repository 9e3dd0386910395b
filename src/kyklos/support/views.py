"""The staff desk (``/desk/``): the queue by time left, a ticket with its whole thread,
reply / internal note, status, priority, department and assignee, and the SLA report.

Who may use each view is declared where the URLs are (:mod:`kyklos.support.urls`), from
the grant table; every write goes through :mod:`kyklos.support.services`.
"""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kyklos.accounts import roles
from kyklos.core import clock
from kyklos.support import report, selectors, services
from kyklos.support.forms import (
    OutageForm,
    OutOfScopeForm,
    StaffMessageForm,
    TimeForm,
    TriageForm,
    VoidSlaForm,
)
from kyklos.support.management.commands.sla_report import parse_month
from kyklos.support.models import Attachment, CannedReply, Department, Ticket


@require_GET
def queue(request):
    department = request.GET.get("department") or None
    mine = request.GET.get("mine") == "1"
    rows = list(
        selectors.queue(department=department, assignee_id=request.user.pk if mine else None)[:500]
    )
    now = clock.now()
    items = [(ticket, selectors.time_left(ticket, now)) for ticket in rows]
    context = {
        "items": items,
        "departments": Department.objects.filter(is_active=True),
        "department": department,
        "mine": mine,
    }
    return render(request, "support/desk/queue.html", context)


def _ticket(pk: int) -> Ticket:
    return get_object_or_404(
        Ticket.objects.select_related(
            "customer", "department", "assignee", "service", "linked_from"
        ),
        pk=pk,
    )


@require_GET
def ticket_detail(request, pk: int):
    return _detail(request, _ticket(pk))


def _detail(
    request,
    ticket,
    *,
    message_form=None,
    triage_form=None,
    scope_form=None,
    time_form=None,
    void_form=None,
    outage_form=None,
    status=200,
):
    canned = CannedReply.objects.filter(is_active=True).filter(
        department__isnull=True
    ) | CannedReply.objects.filter(is_active=True, department=ticket.department)
    language = ticket.customer.language if ticket.customer else ticket.language
    context = {
        "ticket": ticket,
        "thread": selectors.thread(ticket, include_notes=True),
        "time_left": selectors.time_left(ticket, clock.now()),
        "message_form": message_form or StaffMessageForm(),
        "triage_form": triage_form
        or TriageForm(
            initial={
                "status": ticket.status,
                "priority": ticket.priority,
                "department": ticket.department.code,
                "assignee": ticket.assignee_id,
            }
        ),
        "canned": canned.order_by("language", "title"),
        "language": language,
        "follow_ups": list(ticket.follow_ups.only("pk", "number")),
        "scope_form": scope_form or OutOfScopeForm(),
        "time_form": time_form or TimeForm(),
        "void_form": void_form or VoidSlaForm(),
        "outage": getattr(ticket, "outage", None),
        "outage_form": outage_form or _outage_form(ticket),
        "time_entries": list(services.time_entries(ticket).order_by("id")),
        # "Store as credential" on the customer's messages: the vault's page (R9.9).
        "store_credential": ticket.customer_id
        and roles.user_may(request.user, roles.need("vault", "add")),
    }
    return render(request, "support/desk/ticket.html", context, status=status)


@require_POST
def post_message(request, pk: int):
    ticket = _ticket(pk)
    form = StaffMessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_message(
                ticket,
                body=form.cleaned_data["body"],
                kind=form.cleaned_data["kind"],
                from_staff=True,
                actor=request.user,
                channel="staff",
                attachments=form.cleaned_data["attachments"],
            )
            if form.cleaned_data["then"]:
                services.set_status(ticket, form.cleaned_data["then"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("desk:ticket", pk=pk)
    return _detail(request, ticket, message_form=form, status=400)


@require_POST
def triage(request, pk: int):
    ticket = _ticket(pk)
    form = TriageForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_ticket(
                ticket,
                actor=request.user,
                status=data["status"],
                priority=data["priority"],
                department=data["department"],
                assignee=data["assignee"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Ticket updated."))
            return redirect("desk:ticket", pk=pk)
    return _detail(request, _ticket(pk), triage_form=form, status=400)


@require_POST
def out_of_scope(request, pk: int):
    ticket = _ticket(pk)
    form = OutOfScopeForm(request.POST)
    if form.is_valid():
        try:
            quote = services.mark_out_of_scope(
                ticket, actor=request.user, title=form.cleaned_data["title"], lines=form.lines()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Quote %(number)s drafted.") % {"number": quote.number})
            return redirect("desk:ticket", pk=pk)
    return _detail(request, ticket, scope_form=form, status=400)


@require_POST
def log_time(request, pk: int):
    ticket = _ticket(pk)
    form = TimeForm(request.POST)
    if form.is_valid():
        try:
            services.log_time(ticket, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Time logged."))
            return redirect("desk:ticket", pk=pk)
    return _detail(request, ticket, time_form=form, status=400)


@require_POST
def void_sla(request, pk: int):
    ticket = _ticket(pk)
    form = VoidSlaForm(request.POST)
    if form.is_valid():
        try:
            services.void_sla(ticket, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The SLA no longer applies to this ticket."))
            return redirect("desk:ticket", pk=pk)
    return _detail(request, ticket, void_form=form, status=400)


def _outage_form(ticket, data=None) -> OutageForm | None:
    """The outage-report form, for tickets of a customer with hosting services."""
    if ticket.customer_id is None:
        return None
    report = getattr(ticket, "outage", None)
    initial = {"service": ticket.service_id}
    if report is not None:
        tz = clock.provider_tz()
        initial = {
            "service": report.service_id,
            "started_at": report.started_at.astimezone(tz),
            "ended_at": report.ended_at.astimezone(tz),
            "exclusion": report.exclusion,
        }
    form = OutageForm(data, ticket=ticket, initial=initial)
    return form if data is not None or form.fields["service"].queryset.exists() else None


@require_POST
def confirm_outage(request, pk: int):
    ticket = _ticket(pk)
    form = _outage_form(ticket, request.POST)
    if form is None:
        messages.error(request, _("This ticket has no customer with a hosting service."))
        return redirect("desk:ticket", pk=pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.confirm_outage(
                ticket,
                services.Outage(
                    data["service"], data["started_at"], data["ended_at"], data["exclusion"]
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Outage confirmed."))
            return redirect("desk:ticket", pk=pk)
    return _detail(request, ticket, outage_form=form, status=400)


@require_GET
def canned_reply(request, pk: int):
    """The text of a canned reply, swapped into the reply box by HTMX."""
    reply = get_object_or_404(CannedReply, pk=pk, is_active=True)
    form = StaffMessageForm(initial={"body": reply.body})
    return render(request, "support/desk/ticket.html#reply-body", {"message_form": form})


@require_GET
def attachment(request, pk: int):
    item = get_object_or_404(Attachment, pk=pk)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)


@require_GET
def sla_report(request):
    try:
        year, month = parse_month(request.GET.get("month"))
    except CommandError:
        year, month = parse_month(None)
        messages.error(request, _("That is not a month; use YYYY-MM."))
    rows = report.monthly(year, month)
    if request.GET.get("format") == "csv":
        response = HttpResponse(report.to_csv(rows), content_type="text/csv; charset=utf-8")
        name = PurePath(f"sla-{year}-{month:02d}.csv").name
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    context = {"rows": rows, "month": f"{year}-{month:02d}"}
    return render(request, "support/desk/report.html", context)

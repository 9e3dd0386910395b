"""The customer portal: the logged-in customer's services, invoices and particulars.

Every view reads only the customer of the login: another customer's ids give 404.
Writes go through the services of the apps below; their ValidationErrors are shown
to the customer and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.accounts import services as account_security
from kyklos.billing.selectors import (
    document_identifiers,
    document_pdf,
    invoices_for_customer,
    is_retained,
    pdf_filename,
)
from kyklos.core import clock, fragments
from kyklos.customers import services as customers
from kyklos.customers.models import ChangeRequest
from kyklos.lifecycle import selectors as lifecycle_selectors
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Service
from kyklos.payments.selectors import credit_balances
from kyklos.portal.forms import CancelForm, ChangeRequestForm, ParticularsForm, add_service_errors
from kyklos.portal.rows import (
    INVOICE_FIELDS,
    count_documents,
    had_outages,
    invoice_rows,
    read_documents,
    read_services,
    service_rows,
)
from kyklos.portal.scopes import ANY, BILLING, FULL, TECHNICAL, is_htmx, scope
from kyklos.support import selectors as support_selectors

INVOICES_PER_PAGE = 25


#: Every portal view declares who may open it with ``@scope`` (kyklos.portal.scopes).
_is_htmx = is_htmx


# --- services -----------------------------------------------------------------------------


@require_GET
@scope(ANY)
def dashboard(request, customer):
    """Every service of the customer. The list is read on every visit and rendered only
    when what it shows changed (fragments.cached). A billing contact starts on the
    invoices instead (their login does not show services)."""
    if TECHNICAL not in request.portal_pages:
        return redirect("portal:invoices")
    services, today = read_services(customer.pk), clock.today()
    html = fragments.cached(
        request,
        "services",
        customer.pk,
        (today, services),
        # the table with its caption and headings: the page around it translates less
        lambda: render_to_string(
            "portal/_services_table.html",
            {"rows": service_rows(services, today), "csrf_token": fragments.CSRF_MARKER},
        ),
    )
    context = {
        "customer": customer,
        "service_rows": html if services else "",
        # R5.3: the hosting services with downtime this year, with their availability.
        "uptime_year": today.year,
        "uptime_promise": support_selectors.PROMISE.normalize(),
        "uptime": support_selectors.customer_availability(customer.pk, today.year)
        if had_outages(services)
        else [],
    }
    return render(request, "portal/dashboard.html", context)


@require_POST
@scope(TECHNICAL)
def renew(request, customer, pk: int):
    service = get_object_or_404(Service, pk=pk, customer=customer, parent__isnull=True)
    notice, error = "", ""
    try:
        invoice = lifecycle.renew_now(service, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    else:
        notice = _("Proforma %(number)s was issued for the next period; pay it to renew.") % {
            "number": invoice.number
        }
    if _is_htmx(request):
        return _service_row(request, customer, pk, notice=notice, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("portal:dashboard")


def _service_row(request, customer, pk: int, *, notice: str, error: str) -> HttpResponse:
    rows = service_rows(read_services(customer.pk, only=pk), clock.today())
    response = render(
        request,
        "portal/_service_rows.html",
        {"rows": rows, "notice": notice, "error": error},
    )
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def cancel(request, customer, pk: int):
    service = get_object_or_404(
        Service.objects.select_related("product__policy"),
        pk=pk,
        customer=customer,
        parent__isnull=True,
    )
    form = CancelForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            effective = lifecycle.request_cancellation(
                service,
                when="end_of_period",
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("%(service)s will stop on %(date)s.")
                % {"service": service.display_label, "date": date_format(effective)},
            )
        return redirect("portal:dashboard")
    stops_on = lifecycle_selectors.cancellation_effective_on(service, today=clock.today())
    context = {"customer": customer, "service": service, "form": form, "stops_on": stops_on}
    return render(request, "portal/cancel.html", context)


# --- invoices -----------------------------------------------------------------------------


@require_GET
@scope(BILLING)
def invoice_list(request, customer):
    """The customer's documents, newest first, a page at a time; the page is rendered only
    when what it shows changed (fragments.cached)."""
    documents = invoices_for_customer(customer.pk).values_list(*INVOICE_FIELDS)
    pages = Paginator(documents, INVOICES_PER_PAGE)
    pages.count = count_documents(customer.pk)  # the count query compiled once
    page = pages.get_page(request.GET.get("page"))
    # the page's rows by the query compiled once (page.object_list would compile it)
    rows = read_documents(customer.pk, page.number, INVOICES_PER_PAGE)
    credit = credit_balances(customer.pk)
    html = fragments.cached(
        request,
        "invoices",
        customer.pk,
        (page.number, page.paginator.num_pages, tuple(credit.items()), rows),
        lambda: render_to_string(
            "portal/_invoices.html",
            {"page": page, "rows": invoice_rows(rows), "credit": credit},
        ),
    )
    return render(request, "portal/invoices.html", {"customer": customer, "content": html})


@require_GET
@scope(BILLING)
def invoice_detail(request, customer, pk: int):
    invoice = get_object_or_404(invoices_for_customer(customer.pk), pk=pk)
    return invoice_page(request, customer, invoice)


def invoice_page(request, customer, invoice, *, proof_form=None, status=200) -> HttpResponse:
    from kyklos.portal.payment_views import payment_context

    context = {
        "customer": customer,
        "invoice": invoice,
        "lines": list(invoice.lines.all()),
        "reported": document_identifiers(invoice, translation.get_language()),
        "downloadable": is_retained(invoice, clock.today()),
        **payment_context(invoice, customer, proof_form),
    }
    return render(request, "portal/invoice_detail.html", context, status=status)


@require_GET
@scope(BILLING)
def invoice_pdf(request, customer, pk: int):
    """The document's PDF, for the retention period (R6.8)."""
    invoice = get_object_or_404(invoices_for_customer(customer.pk), pk=pk)
    if not is_retained(invoice, clock.today()):
        return HttpResponse(
            _("This document is past its retention period and is no longer kept."), status=410
        )
    response = HttpResponse(document_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(invoice)}"'
    return response


# --- particulars --------------------------------------------------------------------------


@require_GET
@scope(FULL)
def profile(request, customer):
    return _profile(request, customer)


@require_POST
@scope(FULL)
def update_particulars(request, customer):
    form = ParticularsForm(request.POST, customer=customer)
    if form.is_valid() and form.changes_email(customer) and not _reauthenticated(request, form):
        form.add_error(
            "current_password",
            _("Enter your password to change an e-mail address."),
        )
    if form.is_valid():
        try:
            changed = customers.update_particulars(customer, actor=request.user, **form.changes())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if changed:
                messages.success(request, _("Your particulars were saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("portal:profile")
    return _profile(request, customer, particulars_form=form)


@require_POST
@scope(FULL)
def file_change_request(request, customer):
    form = ChangeRequestForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            customers.request_change(customer, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your request was filed; staff will review it and let you know.")
            )
            return redirect("portal:profile")
    return _profile(request, customer, change_form=form)


def _reauthenticated(request, form) -> bool:
    password = form.cleaned_data.get("current_password")
    if account_security.recently_authenticated(request):
        return True
    return bool(password) and account_security.reauthenticate(request, password)


def _profile(request, customer, *, particulars_form=None, change_form=None) -> HttpResponse:
    context = {
        "customer": customer,
        "particulars_form": particulars_form or ParticularsForm(customer=customer),
        "change_form": change_form or ChangeRequestForm(),
        "change_requests": list(customer.change_requests.all()),
    }
    return render(request, "portal/profile.html", context)


@require_GET
@scope(FULL)
def change_document(request, customer, pk: int):
    """The supporting document of one of the customer's own change requests."""
    change = get_object_or_404(ChangeRequest, pk=pk, customer=customer)
    return FileResponse(
        change.document.open("rb"), as_attachment=True, filename=Path(change.document.name).name
    )

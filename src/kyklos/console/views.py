"""The staff console: search, a customer's page, money and service actions by hand, the
dashboard, and opening a customer's portal. Thin: the rules are in the services and
selectors of the apps below; who may use each view is declared in :mod:`.urls`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.accounts import services as accounts
from kyklos.billing import services as billing
from kyklos.billing.models import Invoice
from kyklos.console import charts, selectors
from kyklos.console.forms import (
    AccountCreditForm,
    CreditForm,
    ImpersonateForm,
    ManualInvoiceForm,
    ReasonForm,
    RefundForm,
    SearchForm,
)
from kyklos.core.audit import log_request_access, log_request_list_access
from kyklos.core.forms import add_service_errors
from kyklos.core.money import ZERO
from kyklos.core.money import format_money as _format_money
from kyklos.customers.models import Customer
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Service
from kyklos.payments import services as payments
from kyklos.provisioning import selectors as provisioning_selectors
from kyklos.provisioning import services as provisioning


def format_money(amount, currency: str) -> str:
    """``amount`` in ``currency`` as the page's language writes it."""
    return _format_money(amount or ZERO, currency, get_language() or "en")


# --- search and the customer's page --------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One search box for customers, domains, documents and tickets."""
    form = SearchForm(request.GET or None)
    found = None
    if form.is_valid() and form.cleaned_data["q"]:
        found = selectors.search(request.user, form.cleaned_data["q"])
        log_request_list_access(
            request, Customer, found.customer_rows(), what="console search results"
        )
        if found.count == 1 and found.customers:
            return redirect("console:customer", found.customers[0].pk)
    return render(request, "console/search.html", {"form": form, "found": found})


@require_GET
def customer(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    log_request_access(request, customer.pk, what="customer page (console)")
    page = selectors.customer_page(request.user, customer)
    context = {
        "customer": customer,
        "page": page,
        "owed": [format_money(v, c) for c, v in (page.get("owed") or {}).items()]
        or ([format_money(ZERO, settings.KYKLOS_CURRENCY)] if page.get("documents") else []),
        "credit": [format_money(v, c) for c, v in (page.get("credit") or {}).items()],
        "reason_form": ReasonForm(),
        "impersonate_form": ImpersonateForm(),
    }
    return render(request, "console/customer.html", context)


# --- money by hand ------------------------------------------------------------------------


def _done(request: HttpRequest, customer_id: int, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("console:customer", customer_id)


@require_http_methods(["GET", "POST"])
def invoice_new(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = ManualInvoiceForm(request.POST or None)
    if form.is_valid():
        try:
            document = billing.issue_manual_document(
                customer,
                lines=form.cleaned_data["lines"],
                reason=form.cleaned_data["reason"],
                kind=form.cleaned_data["kind"],
                due_days=form.cleaned_data["due_days"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(
                request,
                customer.pk,
                _("%(number)s was issued for %(total)s.")
                % {
                    "number": document.number,
                    "total": format_money(document.total, document.currency),
                },
            )
    return render(request, "console/invoice_new.html", {"customer": customer, "form": form})


def _left(document: Invoice) -> dict:
    done = billing.credited_amounts(document)
    return {ln.pk: ln.net - done.get(ln.pk, (ZERO, ZERO))[0] for ln in document.lines.all()}


@require_http_methods(["GET", "POST"])
def credit_note(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    form = CreditForm(request.POST or None, document=document, left=_left(document))
    if form.is_valid():
        try:
            note = billing.issue_credit_note(
                document,
                lines=form.cleaned_data["lines"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(
                request,
                document.customer_id,
                _("Credit note %(number)s was issued for %(total)s against %(original)s.")
                % {
                    "number": note.number,
                    "total": format_money(note.total, note.currency),
                    "original": document.number,
                },
            )
    context = {"document": document, "customer": document.customer, "form": form}
    return render(request, "console/credit_note.html", context)


@require_http_methods(["GET", "POST"])
def refund(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Invoice.objects.select_related("customer"), pk=pk)
    form = RefundForm(request.POST or None, document=document, left=_left(document))
    if form.is_valid():
        try:
            done = payments.refund_by_hand(
                document,
                lines=form.cleaned_data["lines"],
                reason=form.cleaned_data["reason"],
                way=form.cleaned_data["way"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(
                request,
                document.customer_id,
                _("%(total)s was refunded with credit note %(number)s.")
                % {
                    "number": done.credit_note.number,
                    "total": format_money(done.credit_note.total, done.credit_note.currency),
                },
            )
    context = {"document": document, "customer": document.customer, "form": form}
    return render(request, "console/refund.html", context)


@require_http_methods(["GET", "POST"])
def account_credit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = AccountCreditForm(request.POST or None)
    if form.is_valid():
        try:
            entry = payments.grant_credit(
                customer,
                amount=form.cleaned_data["amount"],
                currency=form.cleaned_data["currency"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return _done(
                request,
                customer.pk,
                _("%(amount)s of account credit was added.")
                % {"amount": format_money(entry.amount, entry.currency)},
            )
    return render(request, "console/account_credit.html", {"customer": customer, "form": form})


# --- service actions by hand --------------------------------------------------------------


@transaction.atomic
def suspend_for_abuse(service: Service, *, reason: str, actor):
    """R5.6 in one step: the service and its add-ons suspended at once, and its account on
    the server suspended for abuse (the customer is told; a payment does not lift it)."""
    moved = lifecycle.suspend_by_hand(service, reason=reason, actor=actor)
    if provisioning_selectors.account_of(service) is not None:
        provisioning.suspend_for_abuse(service, reason=reason, actor=actor)
    return moved


@transaction.atomic
def lift_suspension(service: Service, *, reason: str, actor):
    """The abuse was fixed: the account's abuse mark is lifted first, so that the service's
    return makes the server unsuspend it."""
    account = provisioning_selectors.account_of(service)
    if account is not None and account.abuse_reason:
        provisioning.lift_abuse_suspension(service, actor=actor, note=reason)
    return lifecycle.unsuspend_by_hand(service, reason=reason, actor=actor)


SERVICE_ACTIONS = {
    "suspend": (suspend_for_abuse, _("%(label)s was suspended for abuse.")),
    "unsuspend": (lift_suspension, _("The suspension of %(label)s was lifted.")),
    "terminate": (lifecycle.terminate_by_hand, _("%(label)s was terminated.")),
    "restore": (
        lifecycle.restore_by_hand,
        _("Restore of %(label)s: proforma %(number)s was issued; it comes back when paid."),
    ),
}


def _service_action(action: str):
    act, said = SERVICE_ACTIONS[action]

    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        service = get_object_or_404(Service.objects.select_related("product"), pk=pk)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the reason; nothing was changed."))
            return redirect("console:customer", service.customer_id)
        try:
            result = act(service, reason=form.cleaned_data["reason"], actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            label = service.label or service.product.name
            number = getattr(result, "number", "")
            messages.success(request, str(said) % {"label": label, "number": number})
        return redirect(f"{reverse('console:customer', args=[service.customer_id])}#services")

    view.__name__ = f"service_{action}"
    return view


service_suspend = _service_action("suspend")
service_unsuspend = _service_action("unsuspend")
service_terminate = _service_action("terminate")
service_restore = _service_action("restore")


# --- the customer's portal as the customer sees it ----------------------------------------


@require_POST
def impersonate(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer, pk=pk)
    form = ImpersonateForm(request.POST)
    if form.is_valid():
        try:
            accounts.start_impersonation(
                request,
                customer,
                may_act=form.cleaned_data["may_act"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            return redirect("portal:dashboard")
    else:
        messages.error(request, _("Check the reason; nothing was changed."))
    return redirect("console:customer", customer.pk)


@require_POST
def impersonation_end(request: HttpRequest) -> HttpResponse:
    ended = accounts.end_impersonation(request)
    if ended is None:
        return redirect("console:home")
    messages.success(request, _("You left the customer's portal."))
    return redirect("console:customer", ended.customer_id)


# --- the dashboard ------------------------------------------------------------------------


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = selectors.dashboard()
    currency = figures["currency"]

    def money(value) -> str:
        return format_money(value, currency)

    def month(day) -> str:
        return date_format(day, "M Y")

    mrr_values = [values.get(currency, ZERO) for _day, values in figures["mrr"]]
    aging = figures["aging"]
    aging_values = [aging.amounts[b] if aging else ZERO for b in figures["aging_buckets"]]
    renewals = figures["renewals"]
    sla = figures["sla"]
    people = figures["customers"]
    week = _("from %(day)s")
    rendered = {
        "mrr": charts.bar_chart(
            key="chart-mrr",
            title=_("Monthly recurring revenue"),
            description=_("Monthly recurring revenue at the end of each of the last months."),
            categories=[month(day) for day, _v in figures["mrr"]],
            series=[charts.Series(_("Monthly recurring revenue"), "s1", mrr_values)],
            label=money,
        ),
        "renewals": charts.bar_chart(
            key="chart-renewals",
            title=_("Renewals due in the next 30 days"),
            description=_("Amount of the renewals due in each week of the next 30 days."),
            categories=[week % {"day": date_format(w["starts"], "j M")} for w in renewals],
            series=[
                charts.Series(
                    _("Amount due"), "s2", [w["amount"].get(currency, ZERO) for w in renewals]
                )
            ],
            label=money,
        ),
        "aging": charts.bar_chart(
            key="chart-aging",
            title=_("Receivables by age"),
            description=_("What is owed on open tax documents, by days past the due date."),
            categories=[_("%(b)s days") % {"b": b} for b in figures["aging_buckets"]],
            series=[charts.Series(_("Owed"), "warn", aging_values)],
            label=money,
        ),
        "sla": charts.bar_chart(
            key="chart-sla",
            title=_("SLA health"),
            description=_("Active tickets on track, due within a day and past a target."),
            categories=[_("On track"), _("Due within a day"), _("Past a target")],
            series=[
                charts.Series(
                    _("Tickets"),
                    ("ok", "warn", "bad"),
                    [sla["on_track"], sla["due_soon"], sla["late"]],
                )
            ],
        ),
        "customers": charts.bar_chart(
            key="chart-customers",
            title=_("New and lost customers"),
            description=_("Customers who joined and relationships that ended, per month."),
            categories=[month(row["month"]) for row in people],
            series=[
                charts.Series(pgettext("customers", "New"), "s1", [r["new"] for r in people]),
                charts.Series(pgettext("customers", "Lost"), "bad", [r["lost"] for r in people]),
            ],
        ),
    }
    context = {
        "figures": figures,
        "charts": rendered,
        "mrr_now": money(figures["mrr_now"]),
        "mrr_change": money(figures["mrr_change"]),
        "mrr_rows": [
            (month(d), money(v)) for (d, _v), v in zip(figures["mrr"], mrr_values, strict=True)
        ],
        "renewal_rows": [
            (
                week % {"day": date_format(w["starts"], "j M")},
                w["services"],
                money(w["amount"].get(currency, ZERO)),
            )
            for w in renewals
        ],
        "aging_rows": [
            (b, money(v)) for b, v in zip(figures["aging_buckets"], aging_values, strict=True)
        ],
        "customer_rows": [(month(r["month"]), r["new"], r["lost"]) for r in people],
    }
    return render(request, "console/dashboard.html", context)

"""Pages: the staff list of jobs and restores (technical staff), and the customer's
one-time credentials link and restore request. Thin: the rules are in services."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kyklos.accounts.access import customer_id_of, customer_only
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from kyklos.provisioning import selectors, services
from kyklos.provisioning.models import Backup, Job, RestoreRequest

PAGE = 50


def _error(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- staff ----------------------------------------------------------------------------------


def jobs(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    if state not in Job.State.values:
        state = ""
    page = Paginator(selectors.jobs(state), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "provisioning/jobs.html",
        {"page": page, "state": state, "states": Job.State.choices},
    )


def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job.objects.select_related("service__customer"), pk=pk)
    return render(
        request,
        "provisioning/job.html",
        {"job": job, "attempts": selectors.attempts_of(job)},
    )


@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=pk)
    try:
        services.retry(job, actor=request.user)
    except ValidationError as error:
        messages.error(request, _error(error))
    else:
        messages.success(request, _("The job is queued again."))
    return redirect("provisioning:job", pk)


def restores(request: HttpRequest) -> HttpResponse:
    return render(request, "provisioning/restores.html", {"requests": selectors.restore_requests()})


@require_POST
def decide_restore(request: HttpRequest, pk: int) -> HttpResponse:
    row = get_object_or_404(RestoreRequest, pk=pk)
    try:
        if request.POST.get("decision") == "confirm":
            job = services.confirm_restore(row, actor=request.user)
            messages.success(request, _("Restore confirmed; the job is queued."))
            return redirect("provisioning:job", job.pk)
        services.refuse_restore(row, actor=request.user)
        messages.success(request, _("Restore refused."))
    except ValidationError as error:
        messages.error(request, _error(error))
    return redirect("provisioning:restores")


# --- customers ------------------------------------------------------------------------------


def customer_page(view):
    """A customer's page, in the customer's language; anonymous users log in first."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        customer = Customer.objects.filter(pk=customer_id_of(request.user)).first()
        if customer is None:  # staff and logins without a customer
            raise PermissionDenied
        language = request.COOKIES.get("django_language") or customer.language
        with translation.override(language):
            response = view(request, customer, *args, **kwargs)
        response.headers["Content-Language"] = language
        return response

    return customer_only(wrapper)


@require_http_methods(["GET", "POST"])
def credentials(request: HttpRequest, customer: Customer, token: str) -> HttpResponse:
    """GET asks (mail scanners that open links do not spend it); POST shows it once."""
    context = {"token": token}
    if request.method == "POST":
        try:
            context["revealed"] = services.reveal_credentials(
                token, customer_id=customer.pk, actor=request.user
            )
        except ValidationError as error:
            context["error"] = _error(error)
    response = render(request, "provisioning/credentials.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def restore(request: HttpRequest, customer: Customer, pk: int) -> HttpResponse:
    service = get_object_or_404(Service, pk=pk, customer=customer)
    backups = selectors.backups_of(service)
    if request.method == "POST":
        backup = Backup.objects.filter(pk=request.POST.get("backup") or 0).first()
        try:
            if backup is None:
                raise ValidationError(_("Choose a backup."))
            services.request_restore(service, backup, actor=request.user)
        except ValidationError as error:
            messages.error(request, _error(error))
        else:
            messages.success(request, _("Your request was sent; staff will confirm it."))
            return redirect("provisioning:restore", pk)
    return render(
        request,
        "provisioning/restore.html",
        {
            "service": service,
            "backups": backups,
            "fee": services.restore_fee(service),
            "pending": service.restore_requests.filter(
                state=RestoreRequest.State.REQUESTED
            ).first(),
        },
    )

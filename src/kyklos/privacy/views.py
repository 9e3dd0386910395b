"""Public and customer pages of the privacy app: the notice, the cookie banner's choices,
marketing preferences, unsubscribe, and data-subject requests.

A customer is recognised through ``core.personal_data``'s directory (this app imports
only core). Pages extend the portal's base template; there is no inline script or style.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kyklos.core import personal_data as pd
from kyklos.core.forms import add_service_errors
from kyklos.privacy import consent, processor, record, requests
from kyklos.privacy.forms import CustomerRequestForm, PreferencesForm, PublicRequestForm
from kyklos.privacy.models import DataSubjectRequest, DpaAcceptance, NoticeVersion

VISITOR_MAX_AGE = 60 * 60 * 24 * 395  # 13 months: then the banner asks again


def _contact(request):
    if not request.user.is_authenticated or pd.personal_data.directory is None:
        return None
    return pd.personal_data.directory.for_user(request.user)


def customer_page(view):
    """Log-in required, as a customer; the view gets the customer's contact."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        contact = _contact(request)
        if contact is None or contact.customer_id is None:
            return render(request, "portal/no_customer.html", status=403)
        return view(request, contact, *args, **kwargs)

    return wrapper


# --- the notice ---------------------------------------------------------------------------


def _version(number: int | None) -> NoticeVersion:
    if number is None:
        return record.current()
    return get_object_or_404(NoticeVersion, number=number)


@require_GET
def notice(request, number: int | None = None):
    version = _version(number)
    language = translation.get_language()
    context = record.render_context(version, language)
    context["versions"] = NoticeVersion.objects.only("number", "published_at", "significant")
    context["latest_number"] = NoticeVersion.objects.order_by("-number").values_list(
        "number", flat=True
    )[0]
    return render(request, "privacy/notice.html", context)


@require_GET
def notice_pdf(request, number: int):
    from weasyprint import HTML

    version = _version(number)
    language = translation.get_language()
    html = render_to_string(
        "privacy/notice_print.html", record.render_context(version, language), request=request
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"privacy-notice-v{version.number}-{language}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


# --- cookies ------------------------------------------------------------------------------


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def cookies(request):
    """The banner posts here; the page itself lets a visitor change their choice later."""
    if request.method == "GET":
        choices = consent.cookie_choices(request) or {}
        context = {
            "analytics": choices.get(consent.Purpose.ANALYTICS_COOKIES, False),
            "advertising": choices.get(consent.Purpose.ADVERTISING_COOKIES, False),
            "next": _safe_next(request, ""),
        }
        return render(request, "privacy/cookies.html", context)
    choice = request.POST.get("choice")
    if choice == "accept":
        analytics = advertising = True
    elif choice == "reject":
        analytics = advertising = False
    elif choice == "save":
        analytics = request.POST.get("analytics") == "on"
        advertising = request.POST.get("advertising") == "on"
    else:
        return HttpResponse(_("Choose accept, reject or save."), status=400)
    visitor = request.COOKIES.get(consent.VISITOR_COOKIE, "")
    if not visitor or len(visitor) > 64:
        visitor = consent.new_visitor_id()
    contact = _contact(request)
    consent.record(
        purposes={
            consent.Purpose.ANALYTICS_COOKIES: analytics,
            consent.Purpose.ADVERTISING_COOKIES: advertising,
        },
        source=consent.Source.BANNER,
        visitor=visitor,
        customer_id=contact.customer_id if contact else None,
    )
    response = redirect(_safe_next(request, reverse("privacy:notice")))
    response.set_cookie(
        consent.VISITOR_COOKIE,
        visitor,
        max_age=VISITOR_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


# --- marketing preferences and unsubscribe ----------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def preferences(request, contact):
    current = consent.state(customer_id=contact.customer_id)
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        initial={
            "marketing_email": current[pd.MARKETING_EMAIL],
            "surveys": current[pd.SURVEYS],
        },
    )
    if request.method == "POST" and form.is_valid():
        consent.record(
            purposes={
                pd.MARKETING_EMAIL: form.cleaned_data["marketing_email"],
                pd.SURVEYS: form.cleaned_data["surveys"],
            },
            source=consent.Source.PORTAL,
            customer_id=contact.customer_id,
            actor=request.user,
        )
        messages.success(request, _("Your choices were saved."))
        return redirect("privacy:preferences")
    restricted = consent.is_restricted(customer_id=contact.customer_id)
    return render(request, "privacy/preferences.html", {"form": form, "restricted": restricted})


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        data = consent.read_unsubscribe_token(token)
    except ValidationError:
        return render(request, "privacy/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        consent.unsubscribe(token)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=200)
        return render(request, "privacy/unsubscribe.html", {"done": True})
    purpose = consent.Purpose(data["p"]).label
    return render(request, "privacy/unsubscribe.html", {"purpose": purpose, "token": token})


# --- the provider as processor (R9.8) ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@customer_page
def processor_record(request, contact):
    """The customer's record of processing as processor and the data-processing agreement,
    which they accept here (version and time recorded, like the terms)."""
    dpa = processor.current_dpa()
    if request.method == "POST":
        try:
            processor.accept_dpa(
                contact.customer_id,
                version=int(request.POST.get("version") or 0),
                actor=request.user,
            )
        except (ValidationError, ValueError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Thank you: your acceptance of the agreement is recorded."))
        return redirect("privacy:processor")
    language = translation.get_language()
    accepted = DpaAcceptance.objects.filter(customer_id=contact.customer_id).select_related(
        "version"
    )
    context = {
        "entries": processor.record_for(contact.customer_id, language),
        "controller": contact,
        "provider": settings.KYKLOS_PROVIDER,
        "dpo": settings.KYKLOS_DPO,
        "dpa": dpa,
        "dpa_text": dpa.text(language) if dpa else "",
        "accepted": accepted.first(),
        "accepted_current": dpa is not None and any(a.version_id == dpa.pk for a in accepted),
    }
    return render(request, "privacy/processor.html", context)


# --- data-subject requests ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def my_requests(request):
    if not request.user.is_authenticated:
        return redirect("privacy:public_request")
    contact = _contact(request)
    if contact is None or contact.customer_id is None:
        return redirect("privacy:public_request")
    form = CustomerRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            req = requests.submit_as_customer(
                request.user, language=translation.get_language(), **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Request %(number)s was received. We will answer by %(date)s.")
                % {"number": req.pk, "date": req.due_on.isoformat()},
            )
            return redirect("privacy:requests")
    mine = DataSubjectRequest.objects.filter(customer_id=contact.customer_id).order_by(
        "-submitted_at"
    )
    return render(request, "privacy/requests.html", {"form": form, "requests": mine})


@require_http_methods(["GET", "POST"])
def public_request(request):
    form = PublicRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            requests.submit_by_email(language=translation.get_language(), **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "privacy/request_sent.html")
    return render(request, "privacy/public_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
def verify_request(request, token: str):
    """GET shows a button (link scanners must not confirm); POST confirms."""
    if request.method == "GET":
        return render(request, "privacy/verify.html", {"token": token})
    try:
        req = requests.verify(token)
    except ValidationError as exc:
        return render(request, "privacy/verify.html", {"error": " ".join(exc.messages)}, status=404)
    return render(request, "privacy/verify.html", {"request_obj": req, "done": True})


@require_GET
@customer_page
def my_archive(request, contact, pk: int):
    req = get_object_or_404(
        DataSubjectRequest, pk=pk, customer_id=contact.customer_id, status="done"
    )
    return _archive_response(req)


@require_GET
def request_archive(request, pk: int, token: str):
    req = requests.archive_for_token(pk, token)
    if req is None:
        raise Http404
    return _archive_response(req)


def _archive_response(req: DataSubjectRequest):
    if not req.archive:
        raise Http404
    return FileResponse(
        req.archive.open("rb"), as_attachment=True, filename=f"personal-data-{req.pk}.zip"
    )

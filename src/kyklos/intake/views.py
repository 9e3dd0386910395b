"""The public contact page (R1.5): no login; CSRF, honeypot, rate limit, strict CSP."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kyklos.intake import contact
from kyklos.intake.forms import ContactForm


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


@never_cache
@require_http_methods(["GET", "POST"])
def contact_form(request):
    if request.method == "GET":
        return render(request, "intake/contact.html", {"form": ContactForm()})
    address = _client_address(request)
    if contact.is_throttled(address):
        return render(
            request,
            "intake/contact.html",
            {"form": ContactForm(), "throttled": True},
            status=429,
        )
    form = ContactForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/contact.html", {"form": form}, status=400)
    contact.count_submission(address)
    if form.is_bot():
        return redirect("intake:contact_thanks")  # looks like success; nothing is written
    data = form.cleaned_data
    try:
        ticket = contact.submit(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            address=data["address"],
            message=data["message"],
            department=data["department"],
            language=translation.get_language() or "en",
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "intake/contact.html", {"form": form}, status=400)
    messages.success(
        request,
        _("Thank you. Your request is ticket %(number)s; we have sent you a confirmation.")
        % {"number": ticket.number},
    )
    return redirect("intake:contact_thanks")


@require_GET
def contact_thanks(request):
    return render(request, "intake/contact_thanks.html")

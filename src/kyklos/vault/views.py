"""Staff pages of the vault. "Store as credential" on a ticket message (R9.9): the desk
links here by URL name; the message is read through ``core.hooks.credential_source`` and
``services.store(…, source_message=…)`` redacts every copy, so the vault and the desk stay
independent apps (docs/vault.md). Who may use it is declared in :mod:`kyklos.vault.urls`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kyklos.core.forms import add_service_errors
from kyklos.customers.models import Customer
from kyklos.vault import selectors, services
from kyklos.vault.forms import FromMessageForm

TEMPLATE = "vault/from_message.html"


@require_http_methods(["GET", "POST"])
def from_message(request, customer: int, message: int):
    customer = get_object_or_404(Customer, pk=customer)
    try:
        source = selectors.source_message(message, customer)
    except ValidationError as exc:
        context = {"customer": customer, "refused": exc.messages}
        return render(request, TEMPLATE, context, status=400)
    form = FromMessageForm(
        request.POST or None, customer=customer, initial={"service": source.service_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.store(
                customer, actor=request.user, source_message=source.id, **form.credential()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if form.cleaned_data["secret"] in source.body:
                done = _("Stored in the vault. Every copy of the secret in the ticket is removed.")
            else:
                done = _(
                    "Stored in the vault. The secret was not in the message as written, so "
                    "the whole message is removed."
                )
            messages.success(request, done)
            return redirect(source.url)
    context = {"customer": customer, "source": source, "form": form}
    return render(request, TEMPLATE, context, status=400 if form.is_bound else 200)

"""The customer's credentials held for support (R10.3): store them, see what is held,
and collect them all as a file when the contract has ended (the handover)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kyklos.core.forms import add_service_errors
from kyklos.lifecycle.models import Service
from kyklos.portal.scopes import TECHNICAL, scope
from kyklos.vault import services as vault
from kyklos.vault.models import Credential


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Credential.Kind.choices)
    label = forms.CharField(
        label=gettext_lazy("Label"),
        max_length=120,
        help_text=gettext_lazy("What it opens, e.g. “WordPress admin of example.gr”."),
    )
    service = forms.ModelChoiceField(
        label=gettext_lazy("Service"), queryset=Service.objects.none(), required=False
    )
    url = forms.CharField(label=gettext_lazy("Address (URL)"), max_length=400, required=False)
    username = forms.CharField(label=gettext_lazy("Username"), max_length=200, required=False)
    secret = forms.CharField(
        label=gettext_lazy("Password or key"),
        max_length=vault.MAX_SECRET,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), max_length=1000, required=False, widget=forms.Textarea
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(customer=customer)


def _page(request, customer, form=None, status=200):
    credentials = Credential.objects.filter(customer=customer).select_related("service")
    return render(
        request,
        "portal/credentials.html",
        {
            "customer": customer,
            "credentials": credentials,
            "form": form or CredentialForm(customer=customer),
            "handover_ready": credentials.filter(
                status=Credential.Status.ACTIVE, handover_offered_on__isnull=False
            ).exists(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def credentials(request, customer):
    if request.method == "GET":
        return _page(request, customer)
    form = CredentialForm(request.POST, customer=customer)
    if form.is_valid():
        data = form.cleaned_data
        try:
            vault.store(
                customer,
                kind=data["kind"],
                label=data["label"],
                service=data["service"],
                secret=vault.Secret(
                    username=data["username"],
                    secret=data["secret"],
                    url=data["url"],
                    notes=data["notes"],
                ),
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The credential is stored, encrypted."))
            return redirect("portal:credentials")
    return _page(request, customer, form, status=400)


@require_POST
@scope(TECHNICAL)
def handover(request, customer):
    """All the customer's credentials in clear, offered once the contract has ended."""
    if not Credential.objects.filter(
        customer=customer, status=Credential.Status.ACTIVE, handover_offered_on__isnull=False
    ).exists():
        messages.error(request, _("There is nothing to hand over."))
        return redirect("portal:credentials")
    response = HttpResponse(
        vault.handover_export(customer, actor=request.user), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="credentials.json"'
    response["Cache-Control"] = "no-store"
    return response

"""The customer's certificates: expiry, state, download of the chain, renewal from 30
days before expiry (R5.1), and ordering one. A key made for a site hosted elsewhere is
shown once on the answer to the order — in the page and as a download made in the
browser from that page — and is stored nowhere."""

from __future__ import annotations

import base64

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.certificates import selectors as certificate_selectors
from kyklos.certificates import services as certificates
from kyklos.certificates.models import Certificate
from kyklos.core import clock
from kyklos.core.forms import add_service_errors
from kyklos.portal.views import customer_view


class CertificateForm(forms.Form):
    names = forms.CharField(
        label=gettext_lazy("Domain names"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "One or more, separated by spaces or new lines; the first is the main name."
        ),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Validation"),
        choices=Certificate.Kind.choices,
        initial=Certificate.Kind.DV,
        help_text=gettext_lazy(
            "OV and EV certificates are issued after the CA has validated your organisation."
        ),
    )


def _page(request, customer, form=None, status=200):
    now = clock.now()
    rows = []
    for certificate in certificate_selectors.certificates_of(customer.pk):
        opens = certificates.renewal_opens(certificate)
        rows.append(
            {
                "certificate": certificate,
                "renewable": certificate.state == Certificate.State.ISSUED
                and opens is not None
                and now >= opens,
                "renewal_opens": opens,
            }
        )
    return render(
        request,
        "portal/certificates.html",
        {"customer": customer, "rows": rows, "form": form or CertificateForm()},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@customer_view
def certificate_list(request, customer):
    if request.method == "GET":
        return _page(request, customer)
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            requested = certificates.request_certificate(
                customer,
                form.cleaned_data["names"],
                kind=form.cleaned_data["kind"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if requested.private_key_pem:
                return _key_once(request, customer, requested)
            messages.success(request, _("The certificate is ordered."))
            return redirect("portal:certificates")
    return _page(request, customer, form, status=400)


def _key_once(request, customer, requested):
    """The only time the key is seen: the answer to the order, never cached."""
    certificate = requested.certificate
    encoded = base64.b64encode(requested.private_key_pem.encode()).decode()
    response = render(
        request,
        "portal/certificate_key.html",
        {
            "customer": customer,
            "certificate": certificate,
            "key_pem": requested.private_key_pem,
            "key_href": f"data:application/x-pem-file;base64,{encoded}",
            "key_filename": f"{certificate.common_name.replace('*', 'wildcard')}.key.pem",
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@customer_view
def certificate_chain(request, customer, pk: int):
    certificate = certificate_selectors.certificate_of(customer.pk, pk)
    if certificate is None or not certificate.chain_pem:
        raise Http404
    response = HttpResponse(certificate.chain_pem, content_type="application/x-pem-file")
    name = certificate.common_name.replace("*", "wildcard")
    response["Content-Disposition"] = f'attachment; filename="{name}.fullchain.pem"'
    return response


@require_POST
@customer_view
def certificate_renew(request, customer, pk: int):
    certificate = certificate_selectors.certificate_of(customer.pk, pk)
    if certificate is None:
        raise Http404
    try:
        certificates.renew(certificate, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The certificate is being renewed."))
    return redirect("portal:certificates")

"""The customer's quotes and projects in the portal: read a quote (and its PDF), accept
it — the click, with the typed name, is the signature (R7.1) — or decline it; confirm
or decline variations of a project (R7.3).

Like every portal view, another customer's ids give 404; service errors are shown and
nothing is written.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.core.forms import add_service_errors
from kyklos.portal.scopes import BILLING, TECHNICAL, scope
from kyklos.projects import selectors, services
from kyklos.projects.models import Channel, Deliverable, Project, Quote, Variation

VISIBLE = [s for s in Quote.Status.values if s not in (Quote.Status.DRAFT,)]


class AcceptForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    signer_name = forms.CharField(
        label=gettext_lazy("Your full name (your signature)"), max_length=200
    )
    agree = forms.BooleanField(
        label=gettext_lazy("I accept this quote, its payment plan and its terms.")
    )


class ConfirmForm(forms.Form):
    signer_name = forms.CharField(
        label=gettext_lazy("Your full name (your signature)"), max_length=200
    )


def _consent(request, customer, name: str) -> services.Consent:
    return services.Consent(
        channel=Channel.PORTAL,
        signer_name=name,
        signer_email=request.user.email or customer.email,
        ip_address=request.META.get("REMOTE_ADDR") or None,
        user_agent=request.headers.get("User-Agent", "")[:300],
        user=request.user,
    )


def _quotes(customer):
    return Quote.objects.filter(customer=customer, status__in=VISIBLE)


@require_GET
@scope(BILLING)
def quote_list(request, customer):
    context = {
        "customer": customer,
        "quotes": list(_quotes(customer).order_by("-sent_on", "-id")),
        "projects": list(Project.objects.filter(customer=customer).order_by("-created_at", "-id")),
        "balances": selectors.support_balances(customer.pk, months=1),
    }
    return render(request, "portal/quotes.html", context)


@require_http_methods(["GET", "POST"])
@scope(BILLING)
def quote_detail(request, customer, pk: int):
    quote = get_object_or_404(
        _quotes(customer).select_related("sla_version", "acceptance__sla_version"), pk=pk
    )
    form = AcceptForm(
        request.POST if request.method == "POST" else None,
        initial={"version": quote.version, "signer_name": customer.name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            project = services.accept_quote(
                quote,
                version=form.cleaned_data["version"],
                consent=_consent(request, customer, form.cleaned_data["signer_name"]),
                actor=request.user,
            )
        except ValidationError as exc:
            if quote.is_estimate:  # no form to show the error on: nothing to sign (R7.7)
                messages.error(request, " ".join(exc.messages))
                return redirect("portal:quote", pk=quote.pk)
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Thank you: quote %(quote)s is accepted; your project is %(project)s.")
                % {"quote": quote.number, "project": project.number},
            )
            return redirect("portal:project", pk=project.pk)
    sla = quote.sla_version
    context = {
        "customer": customer,
        "quote": quote,
        "lines": list(quote.lines.order_by("position")),
        "form": form,
        # An estimate binds nobody: nothing to accept (R7.7).
        "can_answer": quote.status == Quote.Status.SENT and not quote.is_estimate,
        "sla": sla,
        "sla_text": sla.text(quote.language) if sla else "",
    }
    return render(request, "portal/quote_detail.html", context)


@require_POST
@scope(BILLING)
def quote_decline(request, customer, pk: int):
    quote = get_object_or_404(_quotes(customer), pk=pk)
    try:
        services.decline_quote(quote, reason=request.POST.get("reason", ""), actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.info(request, _("You declined quote %(n)s.") % {"n": quote.number})
    return redirect("portal:quotes")


@require_GET
@scope(BILLING)
def quote_pdf(request, customer, pk: int):
    quote = get_object_or_404(_quotes(customer).select_related("customer"), pk=pk)
    response = HttpResponse(selectors.quote_pdf(quote), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{selectors.quote_filename(quote)}"'
    return response


@require_GET
@scope(BILLING)
def project_detail(request, customer, pk: int):
    project = get_object_or_404(Project, pk=pk, customer=customer)
    context = {
        "customer": customer,
        "project": project,
        "variations": list(project.variations.all()),
        "costs": list(project.third_party_costs.select_related("invoice")),
        "deliverables": list(selectors.deliverables_for(project.pk)),
        "invoices": list(project.invoices.select_related("invoice")),
        "form": ConfirmForm(initial={"signer_name": customer.name}),
    }
    return render(request, "portal/project_detail.html", context)


@require_POST
@scope(BILLING)
def variation_answer(request, customer, pk: int):
    variation = get_object_or_404(
        Variation.objects.select_related("project"), pk=pk, project__customer=customer
    )
    try:
        if request.POST.get("answer") == "confirm":
            form = ConfirmForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Type your full name to confirm."))
            services.confirm_variation(
                variation,
                consent=_consent(request, customer, form.cleaned_data["signer_name"]),
                actor=request.user,
            )
            messages.success(
                request, _("Thank you: %(v)s is confirmed.") % {"v": variation.reference}
            )
        elif request.POST.get("answer") == "decline":
            services.decline_variation(variation, actor=request.user)
            messages.info(request, _("You declined %(v)s.") % {"v": variation.reference})
        else:
            raise ValidationError(_("Confirm or decline the change."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("portal:project", pk=variation.project_id)


# --- proofs to approve (R7.9) and support hours (R7.10, R7.6) ---------------------------------


class ApproveForm(forms.Form):
    signer_name = forms.CharField(label=gettext_lazy("Your full name"), max_length=200)
    agree = forms.BooleanField(
        label=gettext_lazy(
            "I approve this proof. I understand that changes asked after approval are billed."
        )
    )


class ChangesForm(forms.Form):
    comment = forms.CharField(
        label=gettext_lazy("What should change?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _deliverable(customer, pk: int) -> Deliverable:
    return get_object_or_404(
        Deliverable.objects.select_related("project", "revision_of"),
        pk=pk,
        project__customer=customer,
    )


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def deliverable_detail(request, customer, pk: int):
    """A proof or demo: see it, approve it (the typed name and a tick) or ask for changes
    with a comment. Staff record an approval that arrives as an e-mail reply."""
    deliverable = _deliverable(customer, pk)
    answer = request.POST.get("answer") if request.method == "POST" else None
    approve = ApproveForm(
        request.POST if answer == "approve" else None, initial={"signer_name": customer.name}
    )
    changes = ChangesForm(request.POST if answer == "changes" else None, prefix="changes")
    form = approve if answer == "approve" else changes
    if answer in ("approve", "changes") and form.is_valid():
        data = form.cleaned_data
        try:
            if answer == "approve":
                services.approve_deliverable(
                    deliverable,
                    consent=_consent(request, customer, data["signer_name"]),
                    actor=request.user,
                )
                done = _("Thank you: %(d)s is approved.")
            else:
                services.ask_for_changes(
                    deliverable,
                    consent=_consent(request, customer, customer.name),
                    comment=data["comment"],
                    actor=request.user,
                )
                done = _("Thank you: we will send %(d)s again with your changes.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done % {"d": deliverable.reference})
            return redirect("portal:deliverable", pk=deliverable.pk)
    context = {
        "customer": customer,
        "deliverable": deliverable,
        "project": deliverable.project,
        "issues": list(deliverable.issues.select_related("variation")),
        "approve_form": approve,
        "changes_form": changes,
        "can_answer": deliverable.status == Deliverable.Status.SENT,
    }
    return render(request, "portal/deliverable_detail.html", context)


@require_GET
@scope(TECHNICAL)
def deliverable_file(request, customer, pk: int):
    deliverable = _deliverable(customer, pk)
    if not deliverable.file:
        raise Http404
    return FileResponse(
        deliverable.file.open("rb"), as_attachment=True, filename=deliverable.file_name
    )


@require_GET
@scope(TECHNICAL)
def support_hours(request, customer):
    """The customer's support hours (R7.10): this month's balance of each package and the
    months before, and what is left of a training's hours (R7.6)."""
    context = {"customer": customer, "balances": selectors.support_balances(customer.pk)}
    return render(request, "portal/support_hours.html", context)

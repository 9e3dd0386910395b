"""The customer's domains: search with availability and price per term, order, transfer
in (with what the transfer gains, told before paying: R4.8), and the domain page (expiry,
state, name servers, transfer lock, auth code, transfer away, change of registrant, the
choice after the registry refused a name or a transfer: another name or a new auth code,
or the refund as credit or money, R4.10). Another customer's domain answers 404."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.dns import selectors as dns
from kyklos.domains import selectors, services
from kyklos.domains.models import DomainState
from kyklos.portal.scopes import TECHNICAL, scope


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Domain names"),
        max_length=600,
        help_text=gettext_lazy(
            "One or more names, separated by spaces, e.g. example.gr example.com"
        ),
    )


class NameserversForm(forms.Form):
    nameservers = forms.CharField(
        label=gettext_lazy("Name servers"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One host name per line, 2 to 13."),
    )


class RenameForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Another name"), max_length=253)


class TransferForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Domain name"),
        max_length=253,
        help_text=gettext_lazy("The domain registered at another registrar, e.g. example.com"),
    )
    auth_code = forms.CharField(
        label=gettext_lazy("Auth code"),
        max_length=64,
        required=False,
        help_text=gettext_lazy(
            "The transfer code (EPP code) your current registrar gives you; it contains "
            "non-alphanumeric characters."
        ),
    )


class AuthCodeForm(forms.Form):
    auth_code = forms.CharField(label=gettext_lazy("New auth code"), max_length=64)


REFUND_CHOICES = [
    ("credit", gettext_lazy("To my account credit, at once")),
    ("money", gettext_lazy("Back the way I paid (card at once; a bank payment within days)")),
]


class RefundForm(forms.Form):
    refund_to = forms.ChoiceField(
        label=gettext_lazy("Refund"), choices=REFUND_CHOICES, widget=forms.RadioSelect
    )


class OwnerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"), max_length=200, required=False
    )
    street = forms.CharField(label=gettext_lazy("Street address"), max_length=200)
    city = forms.CharField(label=gettext_lazy("City"), max_length=200)
    postal_code = forms.CharField(label=gettext_lazy("Postal code"), max_length=20, required=False)
    country = forms.CharField(
        label=gettext_lazy("Country"), max_length=2, help_text=gettext_lazy("e.g. GR")
    )
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail"), max_length=200)


def _add_errors(form, error: ValidationError) -> None:
    """A service's refusal onto the form: by field where the form has it."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, " ".join(error.messages))
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, " ".join(errors))


def _domain(customer, pk):
    domain = selectors.domain_of(customer.pk, pk)
    if domain is None:
        raise Http404
    return domain


@require_GET
@scope(TECHNICAL)
def domain_list(request, customer):
    return render(
        request,
        "portal/domains.html",
        {"domains": list(selectors.domains_of(customer.pk)), "form": SearchForm()},
    )


@require_GET
@scope(TECHNICAL)
def domain_search(request, customer):
    form = SearchForm(request.GET or None)
    offers = []
    if form.is_valid():
        offers = selectors.availability(form.cleaned_data["q"].replace(",", " ").split())
    return render(request, "portal/domain_search.html", {"form": form, "offers": offers})


@require_POST
@scope(TECHNICAL)
def domain_order(request, customer):
    try:
        years = int(request.POST.get("years", "0"))
    except ValueError:
        years = 0
    try:
        domain = services.order_domain(
            customer=customer, name=request.POST.get("name", ""), years=years, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(
            reverse("portal:domain_search") + "?q=" + request.POST.get("name", "")[:253]
        )
    messages.success(
        request,
        _("%(name)s is ordered. Pay its proforma: the registration starts once it is paid.")
        % {"name": domain.name},
    )
    return redirect("portal:domain", pk=domain.pk)


def _detail(
    request,
    customer,
    domain,
    *,
    auth_code="",
    ns_form=None,
    rename_form=None,
    code_form=None,
    status=200,
):
    transfer = selectors.open_transfer(domain)
    frozen = services.transfer_in_progress(domain)
    changeable = domain.state in (DomainState.ACTIVE, DomainState.GRACE) and not domain.hold
    expires, tld = domain.expires_on, domain.tld
    zone = dns.zone_for(domain.name)
    if zone is not None and (zone.name != domain.name or zone.customer_id != customer.pk):
        zone = None
    return render(
        request,
        "portal/domain_detail.html",
        {
            "domain": domain,
            "transfer": transfer,
            "last_transfer": selectors.last_transfer(domain),
            "frozen": frozen,
            "changeable": changeable,
            "transfer_refusal": services.transfer_refusal(domain) if changeable else None,
            "auth_code": auth_code,
            "ns_form": ns_form
            or NameserversForm(initial={"nameservers": "\n".join(domain.nameservers)}),
            "rename_form": rename_form or RenameForm(),
            "code_form": code_form or AuthCodeForm(),
            "refund_form": RefundForm(initial={"refund_to": "credit"}),
            "incoming": selectors.incoming_transfer(domain),
            "incoming_open": domain.origin == "transfer"
            and domain.state in (DomainState.PENDING, DomainState.TRANSFERRING),
            "owner_change": selectors.open_owner_change(domain),
            "waiting": selectors.waiting_jobs(domain).exists(),
            "zone": zone,
            "records": dns.records(zone) if zone is not None else [],
            "refused": domain.state == DomainState.REFUSED,
            "costs": services.late_costs(domain, domain.expires_on) if expires else None,
            "grace_ends": expires + timedelta(days=tld.grace_days) if expires else None,
            "released_on": expires + timedelta(days=tld.grace_days + tld.redemption_days)
            if expires
            else None,
        },
        status=status,
    )


@require_GET
@scope(TECHNICAL)
def domain_detail(request, customer, pk: int):
    return _detail(request, customer, _domain(customer, pk))


def _act(request, domain, call, done: str):
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("portal:domain", pk=domain.pk)


@require_POST
@scope(TECHNICAL)
def domain_nameservers(request, customer, pk: int):
    domain = _domain(customer, pk)
    form = NameserversForm(request.POST)
    if form.is_valid():
        try:
            services.set_nameservers(
                domain,
                nameservers=form.cleaned_data["nameservers"].split(),
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("nameservers", " ".join(error.messages))
        else:
            messages.success(request, _("The name servers are being changed at the registry."))
            return redirect("portal:domain", pk=domain.pk)
    return _detail(request, customer, domain, ns_form=form, status=400)


@require_POST
@scope(TECHNICAL)
def domain_lock(request, customer, pk: int):
    domain = _domain(customer, pk)
    locked = request.POST.get("locked") == "1"
    return _act(
        request,
        domain,
        lambda: services.set_lock(domain, locked=locked, actor=request.user),
        _("The transfer lock is on.") if locked else _("The transfer lock is off."),
    )


@require_POST
@scope(TECHNICAL)
def domain_auth_code(request, customer, pk: int):
    domain = _domain(customer, pk)
    try:
        code = services.reveal_auth_code(domain, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("portal:domain", pk=domain.pk)
    response = _detail(request, customer, domain, auth_code=code)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
@scope(TECHNICAL)
def domain_transfer(request, customer, pk: int):
    domain = _domain(customer, pk)
    if request.POST.get("cancel") == "1":
        return _act(
            request,
            domain,
            lambda: services.cancel_transfer_out(domain, actor=request.user),
            _("The transfer is cancelled; the code you had is no longer valid."),
        )
    return _act(
        request,
        domain,
        lambda: services.request_transfer_out(domain, actor=request.user),
        _(
            "A new auth code was issued and the lock lifted: reveal the code and give it "
            "to your new registrar."
        ),
    )


@require_http_methods(["POST"])
@scope(TECHNICAL)
def domain_refused(request, customer, pk: int):
    domain = _domain(customer, pk)
    if request.POST.get("choice") == "refund":
        to_credit = request.POST.get("refund_to", "credit") != "money"
        return _act(
            request,
            domain,
            lambda: services.refund_refused(domain, to_credit=to_credit, actor=request.user),
            _("The order is refunded to your account credit.")
            if to_credit
            else _("The order is refunded the way you paid; a bank payment is sent within days."),
        )
    form = RenameForm(request.POST)
    if form.is_valid():
        try:
            services.choose_another_name(domain, name=form.cleaned_data["name"], actor=request.user)
        except ValidationError as error:
            form.add_error("name", " ".join(error.messages))
        else:
            messages.success(request, _("The new name is being registered."))
            return redirect("portal:domain", pk=domain.pk)
    return _detail(request, customer, domain, rename_form=form, status=400)


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def domain_transfer_in(request, customer):
    """Transfer a domain here: the name and its auth code; what the transfer gains is shown
    before ordering (R4.8); the registry is asked once the proforma is paid."""
    if request.method == "POST":
        form = TransferForm(request.POST)
    else:
        form = TransferForm(request.GET or None)
    quote = None
    if form.is_valid():
        try:
            quote = selectors.transfer_quote(form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", " ".join(error.messages))
    if request.method == "POST" and quote is not None:
        try:
            domain = services.order_transfer(
                customer=customer,
                name=form.cleaned_data["name"],
                auth_code=form.cleaned_data["auth_code"],
                actor=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "The transfer of %(name)s is ordered. Pay its proforma: the transfer is "
                    "asked of the registry once it is paid."
                )
                % {"name": domain.name},
            )
            return redirect("portal:domain", pk=domain.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "portal/domain_transfer_in.html", {"form": form, "quote": quote}, status=status
    )


@require_POST
@scope(TECHNICAL)
def domain_transfer_retry(request, customer, pk: int):
    domain = _domain(customer, pk)
    form = AuthCodeForm(request.POST)
    if form.is_valid():
        try:
            services.retry_transfer(
                domain, auth_code=form.cleaned_data["auth_code"], actor=request.user
            )
        except ValidationError as error:
            form.add_error("auth_code", " ".join(error.messages))
        else:
            messages.success(request, _("The transfer is asked again with the new code."))
            return redirect("portal:domain", pk=domain.pk)
    return _detail(request, customer, domain, code_form=form, status=400)


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def domain_owner(request, customer, pk: int):
    """Change the registrant to other particulars (yours are filled in to start from)."""
    domain = _domain(customer, pk)
    if request.method == "POST":
        form = OwnerForm(request.POST)
        if form.is_valid():
            try:
                change = services.change_owner(
                    domain, particulars=form.cleaned_data, actor=request.user
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Pay the proforma of the change: the registry is asked once it is paid.")
                    if change.invoice_id
                    else _("The registrant is being changed at the registry."),
                )
                return redirect("portal:domain", pk=domain.pk)
        status = 400
    else:
        form = OwnerForm(initial=services.particulars_of(customer))
        status = 200
    return render(
        request,
        "portal/domain_owner.html",
        {"domain": domain, "form": form, "fee": domain.tld.owner_change_fee},
        status=status,
    )

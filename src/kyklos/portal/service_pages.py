"""A service's own page, and the choice of another plan with its prorated price."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from kyklos.catalog import selectors as catalog
from kyklos.core import clock
from kyklos.lifecycle import selectors as lifecycle_selectors
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Service, State
from kyklos.portal.forms import PlanChoiceForm
from kyklos.portal.provided import domain_rows, usage_rows
from kyklos.portal.scopes import TECHNICAL, scope


def _service(customer, pk: int) -> Service:
    """One of the customer's services; another customer's id is a 404."""
    return get_object_or_404(
        Service.objects.select_related("product__policy", "parent__product"),
        pk=pk,
        customer=customer,
    )


def _price(service: Service, day):
    """(amount, currency) the service renews at, or None when no price is in force."""
    try:
        price = catalog.price_on(service.product, service.cycle, day)
    except ValidationError:
        return None
    amount = service.agreed_price if service.agreed_price is not None else price.amount
    return amount, price.currency


@require_GET
@scope(TECHNICAL)
def service_detail(request, customer, pk: int):
    """State, dates, price and cycle, add-ons, open documents, usage and the actions the
    service offers now."""
    service = _service(customer, pk)
    today = clock.today()
    renewal = lifecycle.open_renewal(service)
    plan_change = lifecycle_selectors.open_plan_change(service)
    is_main = service.parent_id is None
    expiring = lifecycle_selectors.is_expiring(
        service.state, service.product.policy, service.cycle, service.expires_on, today
    )
    addons = [
        (addon, _price(addon, today))
        for addon in service.addons.select_related("product").order_by("id")
    ]
    next_due = None
    if renewal is not None:
        next_due = renewal.invoice.due_on
    elif service.state in (State.ACTIVE, State.SUSPENDED) and service.auto_renew:
        next_due = service.expires_on if service.cancel_effective_on is None else None
    context = {
        "customer": customer,
        "service": service,
        "state_label": _("Expiring") if expiring else service.get_state_display(),
        "state_class": "expiring" if expiring else service.state,
        "days_left": (service.expires_on - today).days if service.expires_on else None,
        "price": _price(service, today),
        "next_due": next_due,
        "addons": addons,
        "renewal": renewal,
        "plan_change": plan_change,
        "can_renew": is_main
        and lifecycle_selectors.renewal_offered(
            service, open_invoice_id=renewal.invoice_id if renewal else None
        ),
        "can_cancel": lifecycle_selectors.cancellation_offered(service),
        "can_change_plan": bool(lifecycle_selectors.plan_options(service, today=today)),
        "usage": usage_rows(service),
        "domain": domain_rows(service),
        "history": list(lifecycle_selectors.plan_history(service)[:10]),
    }
    return render(request, "portal/service_detail.html", context)


@require_http_methods(["GET", "POST"])
@scope(TECHNICAL)
def service_plan(request, customer, pk: int):
    """The plans the service may move to, each with what it costs or gives back for the
    rest of the paid period; the customer confirms one (PC-1 … PC-4)."""
    service = _service(customer, pk)
    today = clock.today()
    options = lifecycle_selectors.plan_options(service, today=today)
    refusal = None
    if not options:
        refusal = lifecycle_selectors.plan_change_blocked(service, today=today) or _(
            "There is no other plan of this kind to move to."
        )
    form = PlanChoiceForm(request.POST if request.method == "POST" else None, options=options)
    if request.method == "POST" and form.is_valid():
        chosen = next(q.product for q in options if q.product.pk == form.cleaned_data["plan"])
        try:
            change = lifecycle.change_plan(service, chosen, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            if change.invoice_id:
                messages.success(
                    request,
                    _(
                        "Proforma %(number)s was issued for the upgrade; your plan changes to "
                        "%(plan)s when it is paid."
                    )
                    % {"number": change.invoice.number, "plan": chosen.name},
                )
                return redirect("portal:invoice", change.invoice_id)
            if change.amount < 0:
                messages.success(
                    request,
                    _("Your plan is now %(plan)s; the difference was added to your account credit.")
                    % {"plan": chosen.name},
                )
            else:
                messages.success(request, _("Your plan is now %(plan)s.") % {"plan": chosen.name})
            return redirect("portal:service", service.pk)
    context = {
        "customer": customer,
        "service": service,
        "options": options,
        "form": form,
        "refusal": refusal,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/service_plan.html", context, status=status)

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Status

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.schemas import (
    ERRORS,
    ERRORS_WITH_404,
    CancelIn,
    OrderIn,
    OrderOut,
    PlanChangeOut,
    PlanIn,
    ServiceOut,
)
from kyklos.catalog.models import Product
from kyklos.customers.models import Customer
from kyklos.lifecycle import services
from kyklos.lifecycle.models import Renewal

router = Router(tags=["services"])


@router.post("", response={201: OrderOut, **ERRORS}, auth=needs("lifecycle", "add"))
def order_service(request, payload: OrderIn):
    """Order a service: it is pending until its first proforma, returned here, is paid."""
    customer = Customer.objects.filter(pk=payload.customer).first()
    if customer is None:
        raise ValidationError(
            {"customer": _("There is no customer %(id)s.") % {"id": payload.customer}}
        )
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise ValidationError(
            {
                "product": _("There is no product with the code “%(code)s”.")
                % {"code": payload.product}
            }
        )
    service = services.order_service(
        customer=customer,
        product=product,
        cycle=payload.cycle,
        start_date=payload.start_date,
        label=payload.label,
        actor=request.auth,
    )
    proforma = selectors.invoices().get(
        renewals__service=service, renewals__kind=Renewal.Kind.ORDER
    )
    return Status(201, {"service": selectors.services().get(pk=service.pk), "proforma": proforma})


@router.get(
    "/{service_id}",
    response={200: ServiceOut, **ERRORS_WITH_404},
    auth=needs("lifecycle", "view"),
)
def get_service(request, service_id: int):
    return get_or_404(selectors.services(), service_id, _("There is no service %(id)s."))


@router.post(
    "/{service_id}/cancel",
    response={200: ServiceOut, **ERRORS_WITH_404},
    auth=needs("lifecycle", "change"),
)
def cancel_service(request, service_id: int, payload: CancelIn):
    """Ask to stop a service at once or at the end of its period (R3.7, R3.8)."""
    service = get_or_404(selectors.services(), service_id, _("There is no service %(id)s."))
    services.request_cancellation(
        service, when=payload.when, reason=payload.reason, actor=request.auth
    )
    return selectors.services().get(pk=service_id)


@router.post(
    "/{service_id}/plan",
    response={200: PlanChangeOut, **ERRORS_WITH_404},
    auth=needs("lifecycle", "change"),
)
def change_service_plan(request, service_id: int, payload: PlanIn):
    """Move a service to another plan of its product type, prorated on the days left of
    the paid period: an upgrade returns its proforma and moves when it is paid; a
    downgrade moves now and credits the account (PC-1 … PC-4)."""
    service = get_or_404(selectors.services(), service_id, _("There is no service %(id)s."))
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise ValidationError(
            {
                "product": _("There is no product with the code “%(code)s”.")
                % {"code": payload.product}
            }
        )
    change = services.change_plan(service, product, actor=request.auth)
    return {
        "status": change.status,
        "from_product": change.from_product.code,
        "to_product": product.code,
        "days_left": change.days_left,
        "days_in_period": change.days_in_period,
        "amount": str(change.amount),
        "currency": change.currency,
        "proforma": selectors.invoices().get(pk=change.invoice_id) if change.invoice_id else None,
        "service": selectors.services().get(pk=service.pk),
    }

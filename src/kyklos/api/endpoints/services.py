from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Status

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, CancelIn, OrderIn, OrderOut, ServiceOut
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

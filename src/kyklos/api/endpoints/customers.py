from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, CustomerIn, CustomerOut
from kyklos.core.audit import log_request_access
from kyklos.customers import services
from kyklos.customers.models import TermsAcceptance

router = Router(tags=["customers"])


@router.post("", response={201: CustomerOut, **ERRORS}, auth=needs("customers", "add"))
def create_customer(request, payload: CustomerIn):
    """Open a customer account (R1.1, R1.2); terms accepted here are recorded as via API."""
    customer = services.create_customer(
        **payload.model_dump(), channel=TermsAcceptance.Channel.API, actor=request.auth
    )
    return Status(201, customer)


@router.get("", response=list[CustomerOut], auth=needs("customers", "view"))
@paginate(Page)
def list_customers(request):
    """Every page of customers read is logged in each customer's access log."""
    return selectors.customers()


@router.get(
    "/{customer_id}",
    response={200: CustomerOut, **ERRORS_WITH_404},
    auth=needs("customers", "view"),
)
def get_customer(request, customer_id: int):
    customer = get_or_404(selectors.customers(), customer_id, _("There is no customer %(id)s."))
    log_request_access(request, customer.pk, what="customer record")
    return customer

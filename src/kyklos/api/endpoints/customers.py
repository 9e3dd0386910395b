from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.pagination import paginate

from kyklos.api import selectors
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, CustomerIn, CustomerOut
from kyklos.customers import services
from kyklos.customers.models import TermsAcceptance

router = Router(tags=["customers"])


@router.post("", response={201: CustomerOut, **ERRORS})
def create_customer(request, payload: CustomerIn):
    """Open a customer account (R1.1, R1.2); terms accepted here are recorded as via API."""
    customer = services.create_customer(
        **payload.model_dump(), channel=TermsAcceptance.Channel.API, actor=request.auth
    )
    return Status(201, customer)


@router.get("", response=list[CustomerOut])
@paginate(Page)
def list_customers(request):
    return selectors.customers()


@router.get("/{customer_id}", response={200: CustomerOut, **ERRORS_WITH_404})
def get_customer(request, customer_id: int):
    return get_or_404(selectors.customers(), customer_id, _("There is no customer %(id)s."))

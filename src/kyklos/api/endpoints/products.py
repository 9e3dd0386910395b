from ninja import Router, Status
from ninja.pagination import paginate

from kyklos.api import selectors
from kyklos.api.auth import needs
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ProductIn, ProductOut
from kyklos.catalog import services

router = Router(tags=["products"])


@router.post("", response={201: ProductOut, **ERRORS}, auth=needs("catalog", "add"))
def create_product(request, payload: ProductIn):
    """Create a product with its list prices per cycle (R2.2, R2.3)."""
    product = services.create_product(**payload.model_dump(), actor=request.auth)
    return Status(201, selectors.products().get(pk=product.pk))


@router.get("", response=list[ProductOut], auth=needs("catalog", "view"))
@paginate(Page)
def list_products(request):
    return selectors.products()

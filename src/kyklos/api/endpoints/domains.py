"""Domains in the API: availability with prices per term, ordering, a domain's registry
facts, name servers, the transfer lock, a transfer away, and the registry jobs (with the
registry's answer when one failed). The auth code is never in the API: only the owner
reveals it, in the portal (R4.7)."""

from datetime import date
from typing import Annotated

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from kyklos.api.auth import needs
from kyklos.api.errors import get_or_404
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, Id, Input, UtcDatetime
from kyklos.customers.models import Customer
from kyklos.domains import selectors, services
from kyklos.domains.models import Domain, RegistryJob

router = Router(tags=["domains"])
HostName = Annotated[str, Field(min_length=1, max_length=253)]


class OfferOut(Schema):
    name: str
    tld: str
    available: bool | None = Field(description="null when the registry did not answer.")
    reason: str
    prices: dict[str, str] = Field(description="Years → price (excluding VAT).")
    currency: str
    notes: list[str]


class DomainOut(Schema):
    id: int
    name: str
    customer: int
    service: int | None
    state: str
    years: int
    expires_on: date | None
    registered_on: date | None
    nameservers: list[str]
    locked: bool
    hold: str
    registry_statuses: list[str]
    transfer: str | None = Field(description="The open transfer away: requested, pending.")
    synced_at: UtcDatetime | None

    @staticmethod
    def resolve_customer(obj):
        return obj.customer_id

    @staticmethod
    def resolve_service(obj):
        return obj.service_id

    @staticmethod
    def resolve_transfer(obj):
        transfer = selectors.open_transfer(obj)
        return transfer.status if transfer else None


class JobOut(Schema):
    id: int
    operation: str
    status: str
    attempts: int
    error: str
    error_code: str
    created_at: UtcDatetime
    finished_at: UtcDatetime | None


class DomainOrderIn(Input):
    customer: Id
    name: HostName
    years: int = Field(ge=1, le=10)


class NameserversIn(Input):
    nameservers: list[HostName] = Field(min_length=2, max_length=13)


class LockIn(Input):
    locked: bool


class AvailabilityQuery(Schema):
    names: Annotated[str, Field(min_length=1, max_length=1000)] = Field(
        description="Names separated by spaces or commas (at most 20)."
    )


@router.get(
    "/availability", response={200: list[OfferOut], **ERRORS}, auth=needs("domains", "view")
)
def domain_availability(request, query: Query[AvailabilityQuery]):
    """Whether each name can be ordered, its price per term and why not."""
    offers = selectors.availability(query.names.replace(",", " ").split())
    return [
        {
            **offer.__dict__,
            "prices": {str(years): str(price) for years, price in offer.prices.items()},
        }
        for offer in offers
    ]


@router.get("", response=list[DomainOut], auth=needs("domains", "view"))
@paginate(Page)
def list_domains(request, customer: Id | None = None):
    domains = Domain.objects.select_related("tld").order_by("pk")
    if customer is not None:
        domains = domains.filter(customer_id=customer)
    return domains


@router.post("", response={201: DomainOut, **ERRORS}, auth=needs("domains", "add"))
def order_domain(request, payload: DomainOrderIn):
    """Order a registration: the registry is asked only once its proforma is paid (R4.1)."""
    customer = Customer.objects.filter(pk=payload.customer).first()
    if customer is None:
        raise ValidationError(
            {"customer": _("There is no customer %(id)s.") % {"id": payload.customer}}
        )
    domain = services.order_domain(
        customer=customer, name=payload.name, years=payload.years, actor=request.auth
    )
    return Status(201, domain)


def _domain(domain_id: int) -> Domain:
    return get_or_404(
        Domain.objects.select_related("tld"), domain_id, _("There is no domain %(id)s.")
    )


@router.get(
    "/{domain_id}", response={200: DomainOut, **ERRORS_WITH_404}, auth=needs("domains", "view")
)
def get_domain(request, domain_id: int):
    return _domain(domain_id)


@router.put(
    "/{domain_id}/nameservers",
    response={200: DomainOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def set_domain_nameservers(request, domain_id: int, payload: NameserversIn):
    """Change the name servers (frozen while a transfer is pending, R4.7)."""
    return services.set_nameservers(
        _domain(domain_id), nameservers=payload.nameservers, actor=request.auth
    )


@router.put(
    "/{domain_id}/lock",
    response={200: DomainOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def set_domain_lock(request, domain_id: int, payload: LockIn):
    return services.set_lock(_domain(domain_id), locked=payload.locked, actor=request.auth)


@router.post(
    "/{domain_id}/transfer-out",
    response={200: DomainOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def transfer_domain_out(request, domain_id: int):
    """A fresh auth code (revealed to the owner in the portal) and the lock lifted."""
    domain = _domain(domain_id)
    services.request_transfer_out(domain, actor=request.auth)
    domain.refresh_from_db()
    return domain


@router.get(
    "/{domain_id}/jobs",
    response={200: list[JobOut], **ERRORS_WITH_404},
    auth=needs("domains", "view"),
)
def list_domain_jobs(request, domain_id: int):
    """The registry jobs of a domain, newest first, with the registry's answer."""
    return list(RegistryJob.objects.filter(domain=_domain(domain_id)).order_by("-pk")[:100])

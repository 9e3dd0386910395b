"""Domains in the API: availability with prices per term, ordering a registration or a
transfer in (with what the transfer gains, R4.8), a domain's registry facts, name
servers, the transfer lock, a transfer away, a change of registrant, the refund of a
refused name as credit or money (R4.10), and the registry jobs (with the registry's answer
when one failed). Our auth code is never in the API: only the owner reveals it, in the
portal (R4.7); the code of a transfer in is written, never read back."""

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
    transferable: bool = Field(description="Registered elsewhere: it can be transferred here.")


class DomainOut(Schema):
    id: int
    name: str
    customer: int
    service: int | None
    state: str
    origin: str = Field(description="registration or transfer (in).")
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


class TransferOrderIn(Input):
    customer: Id
    name: HostName
    auth_code: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The code the current registrar issued; it has non-alphanumeric characters."
    )


class TransferRetryIn(Input):
    auth_code: Annotated[str, Field(min_length=1, max_length=64)]


class TransferQuoteOut(Schema):
    name: str
    tld: str
    years: int = Field(description="The term the transfer is billed for.")
    price: str = Field(description="Excluding VAT.")
    currency: str
    adds_year: bool | None = Field(
        description="Whether the registry adds a year; null when it could not be told."
    )
    expires_on: date | None
    locked: bool = Field(description="Locked at the current registrar: unlock it there first.")
    notes: list[str]


class TransferNameQuery(Schema):
    name: HostName


class RefundIn(Input):
    to_credit: bool = Field(
        description="true: account credit at once; false: money back the way it was paid."
    )


class RefundOut(Schema):
    id: int
    amount: str
    currency: str
    to_credit: bool
    status: str = Field(description="completed, or payout_pending (staff transfer it).")
    credit_note: str

    @staticmethod
    def resolve_amount(obj):
        return str(obj.amount)

    @staticmethod
    def resolve_credit_note(obj):
        return obj.credit_note.number


class OwnerChangeIn(Input):
    name: Annotated[str, Field(max_length=200)]
    organisation: Annotated[str, Field(max_length=200)] = ""
    street: Annotated[str, Field(max_length=200)]
    city: Annotated[str, Field(max_length=200)]
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: Annotated[str, Field(max_length=2)]
    phone: Annotated[str, Field(max_length=40)] = ""
    email: Annotated[str, Field(max_length=200)]


class OwnerChangeOut(Schema):
    id: int
    status: str = Field(description="awaiting_payment, pending, done, failed.")
    fee: str
    invoice: int | None = Field(description="The proforma to pay first, when charged.")
    handle: str

    @staticmethod
    def resolve_fee(obj):
        return str(obj.fee)

    @staticmethod
    def resolve_invoice(obj):
        return obj.invoice_id


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


@router.get(
    "/transfer-quote",
    response={200: TransferQuoteOut, **ERRORS},
    auth=needs("domains", "view"),
)
def domain_transfer_quote(request, query: Query[TransferNameQuery]):
    """What a transfer in costs and whether it adds a year (R4.8), before ordering."""
    quote = selectors.transfer_quote(query.name)
    return {**quote.__dict__, "price": str(quote.price)}


@router.post("/transfers", response={201: DomainOut, **ERRORS}, auth=needs("domains", "add"))
def order_domain_transfer(request, payload: TransferOrderIn):
    """Order a transfer in with the auth code: asked of the registry once paid (R4.1)."""
    customer = Customer.objects.filter(pk=payload.customer).first()
    if customer is None:
        raise ValidationError(
            {"customer": _("There is no customer %(id)s.") % {"id": payload.customer}}
        )
    domain = services.order_transfer(
        customer=customer, name=payload.name, auth_code=payload.auth_code, actor=request.auth
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


@router.post(
    "/{domain_id}/transfer-in",
    response={200: DomainOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def retry_domain_transfer(request, domain_id: int, payload: TransferRetryIn):
    """A refused transfer in, asked again with a new auth code (the same paid order)."""
    return services.retry_transfer(
        _domain(domain_id), auth_code=payload.auth_code, actor=request.auth
    )


@router.post(
    "/{domain_id}/refund",
    response={200: RefundOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def refund_refused_domain(request, domain_id: int, payload: RefundIn):
    """Refund a name the registry refused (R4.10), as account credit or money back."""
    return services.refund_refused(
        _domain(domain_id), to_credit=payload.to_credit, actor=request.auth
    )


@router.post(
    "/{domain_id}/owner-change",
    response={201: OwnerChangeOut, **ERRORS_WITH_404},
    auth=needs("domains", "change"),
)
def change_domain_owner(request, domain_id: int, payload: OwnerChangeIn):
    """Change the registrant: a proforma first where the TLD charges for it."""
    change = services.change_owner(
        _domain(domain_id), particulars=payload.dict(), actor=request.auth
    )
    return Status(201, change)

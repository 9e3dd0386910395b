"""Certificates by ACME (docs/certificates.md): list, order, read with the chain."""

from __future__ import annotations

from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kyklos.api.auth import needs
from kyklos.api.pagination import Page
from kyklos.api.schemas import ERRORS, ERRORS_WITH_404, Id, Input, UtcDatetime, named_enum
from kyklos.certificates import services
from kyklos.certificates.models import Certificate
from kyklos.customers.models import Customer

router = Router(tags=["certificates"])

CertificateKind = named_enum(Certificate.Kind, "CertificateKind")
CertificateState = named_enum(Certificate.State, "CertificateState")
KeyCustody = named_enum(Certificate.KeyCustody, "CertificateKeyCustody")


class CertificateIn(Input):
    customer: Id
    names: list[str] = Field(
        min_length=1, max_length=100, description="The first is the common name."
    )
    kind: CertificateKind = CertificateKind.DV


class CertificateOut(Schema):
    id: UUID
    customer: int
    names: list[str]
    kind: CertificateKind
    state: CertificateState
    key_custody: KeyCustody
    not_before: UtcDatetime | None
    not_after: UtcDatetime | None
    renewal_opens: UtcDatetime | None
    error: str
    chain_pem: str = Field(description="The certificate and its chain (PEM); empty until issued.")

    @staticmethod
    def resolve_id(obj) -> UUID:
        return obj.uid

    @staticmethod
    def resolve_customer(obj) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_renewal_opens(obj):
        return services.renewal_opens(obj)


class OrderedOut(CertificateOut):
    private_key_pem: str | None = Field(
        description=(
            "For a site hosted elsewhere: the private key, given this once and stored nowhere. "
            "Null when the key is kept sealed here."
        )
    )


@router.get("", response=list[CertificateOut], auth=needs("certificates", "view"))
@paginate(Page)
def list_certificates(request, customer: int | None = None, state: str | None = None):
    """Certificates, newest first, optionally of one customer or in one state."""
    rows = Certificate.objects.order_by("-created_at", "-id")
    if customer is not None:
        rows = rows.filter(customer_id=customer)
    if state is not None:
        rows = rows.filter(state=state)
    return rows


@router.post("", response={201: OrderedOut, **ERRORS}, auth=needs("certificates", "add"))
def order_certificate(request, payload: CertificateIn):
    """Order a certificate: DV is issued by ACME after the answer; OV and EV wait for the
    CA's organisation validation (R5.10)."""
    customer = Customer.objects.filter(pk=payload.customer).first()
    if customer is None:
        from django.core.exceptions import ValidationError

        raise ValidationError(
            {"customer": _("There is no customer %(id)s.") % {"id": payload.customer}}
        )
    requested = services.request_certificate(
        customer, payload.names, kind=payload.kind, actor=request.auth
    )
    certificate = requested.certificate
    certificate.refresh_from_db()
    certificate.private_key_pem = requested.private_key_pem
    return Status(201, certificate)


@router.get(
    "/{uid}", response={200: CertificateOut, **ERRORS_WITH_404}, auth=needs("certificates", "view")
)
def get_certificate(request, uid: UUID):
    certificate = Certificate.objects.filter(uid=uid).first()
    if certificate is None:
        raise HttpError(404, _("There is no certificate %(id)s.") % {"id": uid})
    return certificate

"""Reading certificates (docs/certificates.md)."""

from __future__ import annotations

from django.db.models import QuerySet

from kyklos.certificates.models import Certificate
from kyklos.vault import services as vault


def certificates_of(customer_id: int) -> QuerySet[Certificate]:
    return Certificate.objects.filter(customer_id=customer_id).exclude(
        state=Certificate.State.CANCELLED
    )


def certificate_of(customer_id: int, pk: int) -> Certificate | None:
    """The customer's certificate ``pk``, or None (another customer's too)."""
    return certificates_of(customer_id).filter(pk=pk).first()


def private_key(certificate: Certificate) -> str | None:
    """The sealed private key of a site hosted here, for the job that installs it; never
    for a page. None for a key shown once (not stored)."""
    if certificate.key_custody != Certificate.KeyCustody.VAULT or not certificate.key_purpose:
        return None
    return vault.provider_secret(certificate.key_purpose).get("private_key")


def failed() -> QuerySet[Certificate]:
    return Certificate.objects.filter(state=Certificate.State.FAILED)

"""What the vault reads about customers' contracts (R10.3)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from kyklos.lifecycle.selectors import ended_services, running_services
from kyklos.vault.models import Credential, ProviderSecret


def contract_ended() -> QuerySet[Credential]:
    """Active credentials of customers with at least one ended service and none running:
    what the handover at contract end is about."""
    customer = OuterRef("customer")
    return Credential.objects.filter(status=Credential.Status.ACTIVE).filter(
        Exists(ended_services(customer)), ~Exists(running_services(customer))
    )


def provider_secret_names(purposes) -> dict[str, list[str]]:
    """For each of ``purposes`` that has stored credentials: the names of its values
    (never the values)."""
    return dict(
        ProviderSecret.objects.filter(purpose__in=list(purposes)).values_list("purpose", "names")
    )

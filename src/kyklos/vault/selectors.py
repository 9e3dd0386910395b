"""What the vault reads about customers' contracts (R10.3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from kyklos.core import hooks
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


def source_message(message: int, customer) -> hooks.SourceMessage:
    """The message a credential of ``customer`` arrived in (R9.9), as the app holding it
    describes it (``core.hooks.credential_source``); ValidationError when no app knows it
    or it is on another customer's ticket — the same refusals as ``services.store``."""
    answers = [a for _r, a in hooks.credential_source.send(sender=Credential, message=message)]
    found = next((a for a in answers if a is not None), None)
    if found is None:
        raise ValidationError({"source_message": _("That message was not found.")})
    if found.customer_id != customer.pk:
        raise ValidationError(
            {"source_message": _("That message is on another customer's ticket.")}
        )
    return found

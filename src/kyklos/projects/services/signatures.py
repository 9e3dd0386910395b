"""How a customer says yes to a quote or a variation (R7.1, R7.3): the consent is
checked and recorded as a :class:`~kyklos.projects.models.Signature` with a digest of
exactly what the customer was shown."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.customers.models import Customer
from kyklos.projects.models import (
    Channel,
    Signature,
)
from kyklos.projects.services.inputs import checked_text


def digest(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Consent:
    """How a customer said yes (R7.1): in the portal, or by an e-mail reply.

    Portal: ``user`` (the login), ``ip_address`` and the ``signer_name`` typed in.
    E-mail: ``signer_email`` (one of the customer's addresses), ``source`` (the reply's
    Message-ID or a note identifying it) and ``signed_at`` (when the reply was sent).
    """

    channel: str
    signer_name: str
    signer_email: str = ""
    source: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    user: object = None
    signed_at: datetime | None = None


def _customer_addresses(customer: Customer) -> set[str]:
    found = {customer.email, customer.secondary_email, customer.admin_email, customer.billing_email}
    return {a.strip().lower() for a in found if a}


@dataclass(frozen=True)
class CheckedConsent:
    """A consent that passed :func:`checked_consent`: what is recorded of it."""

    signer_name: str
    signer_email: str
    source: str
    signed_at: datetime


def checked_consent(customer: Customer, consent: Consent, *, actor) -> CheckedConsent:
    """Check ``consent`` given by ``customer`` (R7.1): in the portal by the customer's own
    login, or by an e-mail reply from one of the customer's addresses that staff record.
    Quotes, variations and deliverables (R7.9) use the same checks."""
    now = clock.now()
    name = checked_text(
        consent.signer_name, "signer_name", _("Type the name of the person signing."), 200
    )
    email = (consent.signer_email or "").strip()
    if consent.channel == Channel.PORTAL:
        user = consent.user
        if (
            user is None
            or not getattr(user, "is_authenticated", False)
            or (customer.user_id != user.pk)
        ):
            raise ValidationError(_("Only the customer's own login can accept in the portal."))
        if not consent.ip_address:
            raise ValidationError(_("The portal acceptance has no source address."))
        signed_at = now
        source = f"portal {consent.ip_address}"
        email = email or user.email or customer.email
    elif consent.channel == Channel.EMAIL:
        if acting_user(actor) is None:
            raise ValidationError(_("An e-mail acceptance is recorded by a staff member."))
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"signer_email": _("Give the address the reply came from.")}
            ) from None
        if email.lower() not in _customer_addresses(customer):
            raise ValidationError(
                {
                    "signer_email": _("%(email)s is not an address of this customer.")
                    % {"email": email}
                }
            )
        source = checked_text(
            consent.source,
            "source",
            _("Identify the reply (its Message-ID, or date and subject)."),
            300,
        )
        signed_at = consent.signed_at or now
        if signed_at > now:
            raise ValidationError({"signed_at": _("The reply cannot be dated in the future.")})
    else:
        raise ValidationError({"channel": _("Accept by e-mail reply or in the portal.")})
    return CheckedConsent(name, email, source, signed_at)


def record_signature(
    customer: Customer,
    consent: Consent,
    *,
    subject: str,
    reference: str,
    version: int,
    snapshot: dict,
    actor,
    sla_version=None,
) -> Signature:
    """Check ``consent`` and record it (nothing is written when it is refused)."""
    checked = checked_consent(customer, consent, actor=actor)
    return Signature.objects.create(
        customer=customer,
        subject=subject,
        reference=reference,
        version=version,
        channel=consent.channel,
        signed_at=checked.signed_at,
        signer_name=checked.signer_name,
        signer_email=checked.signer_email,
        source=checked.source,
        ip_address=consent.ip_address or None,
        user_agent=(consent.user_agent or "")[:300],
        user=consent.user if consent.channel == Channel.PORTAL else None,
        recorded_by=acting_user(actor) if consent.channel == Channel.EMAIL else None,
        recorded_at=clock.now(),
        snapshot=snapshot,
        digest=digest(snapshot),
        sla_version=sla_version,
    )

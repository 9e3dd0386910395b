"""The disclosure log (R9.5): personal data given to an authority or a third party.

Personal data leaves the provider only to processors under contract (the record's
recipients) or when the law requires it (a court order, a request of an authority with a
legal basis). Each such disclosure is recorded by staff with the data-protection role —
who received what, on which legal basis and when — and shown to the person in their access
archive (art. 15(1)(c)), unless the law forbids telling them: then it is withheld until a
day, or until staff lift the restriction.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.privacy.models import Disclosure

#: The permission of the data-protection role (granted through kyklos.accounts.roles).
PERMISSION = "privacy.add_disclosure"


def _require_dpo(actor) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(PERMISSION):
        raise PermissionDenied(_("Only the data-protection officer records disclosures."))


@transaction.atomic
def record_disclosure(
    *,
    actor,
    recipient: str,
    recipient_kind: str,
    data: str,
    legal_basis: str,
    disclosed_on: date,
    customer_id: int | None = None,
    email: str = "",
    withheld: bool = False,
    withheld_until: date | None = None,
) -> Disclosure:
    """Record a disclosure about a customer or a person known by e-mail."""
    _require_dpo(actor)
    errors = {}
    if customer_id is None and not email.strip():
        errors["customer_id"] = _("Say whose data was disclosed (a customer or an e-mail).")
    if not recipient.strip():
        errors["recipient"] = _("Say who received the data.")
    if recipient_kind not in Disclosure.RecipientKind.values:
        errors["recipient_kind"] = _("Choose an authority or a third party.")
    if not data.strip():
        errors["data"] = _("Say what was disclosed.")
    if not legal_basis.strip():
        errors["legal_basis"] = _("Give the legal basis (the law or the order).")
    if disclosed_on > clock.today():
        errors["disclosed_on"] = _("A disclosure cannot be dated in the future.")
    if withheld_until is not None and not withheld:
        errors["withheld_until"] = _("A date to withhold until needs the withheld box ticked.")
    if withheld_until is not None and withheld_until <= disclosed_on:
        errors["withheld_until"] = _("Withhold until a day after the disclosure.")
    if errors:
        raise ValidationError(errors)
    disclosure = Disclosure.objects.create(
        customer_id=customer_id,
        email=email.strip(),
        recipient=recipient.strip(),
        recipient_kind=recipient_kind,
        data=data.strip(),
        legal_basis=legal_basis.strip(),
        disclosed_on=disclosed_on,
        withheld=withheld,
        withheld_until=withheld_until,
        recorded_at=clock.now(),
        recorded_by=acting_user(actor),
    )
    log_action(
        disclosure,
        "privacy.disclosure.recorded",
        actor=actor,
        data={"kind": recipient_kind, "withheld": withheld},
    )
    return disclosure


@transaction.atomic
def lift_withholding(disclosure: Disclosure, *, actor) -> Disclosure:
    """The law no longer forbids telling the person: the next access archive shows it."""
    _require_dpo(actor)
    disclosure = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
    if not disclosure.withheld:
        raise ValidationError(_("This disclosure is not withheld."))
    disclosure.withheld, disclosure.withheld_until = False, None
    disclosure.save(update_fields=["withheld", "withheld_until"])
    log_action(disclosure, "privacy.disclosure.lifted", actor=actor)
    return disclosure


def shown(rows, day: date | None = None):
    """The disclosures of ``rows`` the person may be told of on ``day``."""
    day = day or clock.today()
    return [d for d in rows if d.shown_on(day)]

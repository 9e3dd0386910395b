"""The vault's part of the daily run: hand over at contract end, then destroy (R10.3).

When a customer has no service left that is pending, active or suspended, their stored
credentials are offered for handover: the customer is told to download them from the
portal within ``KYKLOS_VAULT_HANDOVER_DAYS`` (30 by default). After that the ciphertexts
are wiped. Both steps are set-based and idempotent (the offer date is the record).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from kyklos.core.audit import log_action_rows
from kyklos.core.registry import registry
from kyklos.customers.models import Customer
from kyklos.notifications.services import build_notice, queue_notices, recipient
from kyklos.vault import selectors, services
from kyklos.vault.models import Credential
from kyklos.vault.notices import EVENT


def handover_days() -> int:
    return getattr(settings, "KYKLOS_VAULT_HANDOVER_DAYS", 30)


def offer_handover(day: date, run=None) -> dict[str, int]:
    """Customers whose contract ended are offered their stored credentials for handover."""
    destroy_on = day + timedelta(days=handover_days())
    with transaction.atomic():
        pending = selectors.contract_ended().filter(handover_offered_on__isnull=True)
        customer_ids = sorted(set(pending.values_list("customer_id", flat=True)))
        if not customer_ids:
            return {}
        Credential.objects.filter(
            customer_id__in=customer_ids,
            status=Credential.Status.ACTIVE,
            handover_offered_on__isnull=True,
        ).update(handover_offered_on=day)
        customers = Customer.objects.filter(pk__in=customer_ids)
        queue_notices(
            [
                build_notice(
                    event=EVENT,
                    customer_id=c.pk,
                    language=c.language,
                    to_email=recipient(EVENT, c),
                    context={"customer_name": c.display_name, "destroy_on": destroy_on.isoformat()},
                    for_date=day,
                )
                for c in customers
            ]
        )
        log_action_rows(
            [
                ("customers.customer", pk, pk, {"destroy_on": destroy_on.isoformat()})
                for pk in customer_ids
            ],
            "vault.handover.offered",
            actor="automation",
        )
    return {"vault_handover_offered": len(customer_ids)}


def destroy_after_handover(day: date, run=None) -> dict[str, int]:
    """Credentials offered for handover are destroyed once the handover period is over."""
    due = selectors.contract_ended().filter(
        handover_offered_on__lte=day - timedelta(days=handover_days())
    )
    count = services.destroy(due, actor="automation", reason="contract ended; handover period over")
    return {"vault_destroyed": count} if count else {}


def register() -> None:
    registry.register_daily_step("vault.offer_handover", offer_handover)
    registry.register_daily_step("vault.destroy_after_handover", destroy_after_handover)

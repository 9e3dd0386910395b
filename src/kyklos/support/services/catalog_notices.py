"""Telling customers of catalogue changes that touch what they hold (R5.8, R5.9).

Support already announces maintenance to the holders of products; these are the same kind
of announcement, made by the daily run:

- **withdrawal** (R5.8, step ``support.product_withdrawal``): a product whose withdrawal is
  decided stops being sold on its day (``catalog.services.take_off_sale``); every live
  service of it gets one notice with the last day it renews and the current product offered
  instead; on the notice's last day (after that day's renewals were billed: the step runs
  after the lifecycle's) its services stop renewing (``auto_renew`` off, audited), so they
  end at their expiry unless moved to the product offered;
- **re-pricing** (R5.9, step ``support.repricing``): a dedicated server priced in another
  currency whose rate moved 20 % or more gets a new list price one month on
  (``catalog.services.reprice``) and every live service of that product and cycle one notice
  with the old and new price and the day it applies — in the same transaction.

Notices are built in bulk and are unique per (event, service, day), so a run repeated on
the same day writes nothing twice.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef

from kyklos.catalog import services as catalog
from kyklos.catalog.models import Product
from kyklos.core.audit import log_action_rows
from kyklos.lifecycle.models import LIVE_STATES, Service
from kyklos.notifications import services as notices
from kyklos.notifications.models import Outbox

ACTOR = "automation"
WITHDRAWN = "product_withdrawn"
REPRICED = "price_change"
AUDIT_TYPE = Service._meta.label_lower


def _not_told(services, event: str, anchor: date):
    told = Outbox.objects.filter(event=event, service_id=OuterRef("pk"), anchor_date=anchor)
    return services.filter(~Exists(told))


def _notice(event: str, service: Service, anchor: date, day: date, context: dict) -> Outbox:
    customer = service.customer
    return notices.build_notice(
        event=event,
        customer_id=customer.pk,
        language=customer.language,
        to_email=notices.recipient(event, customer),
        context={"customer_name": customer.display_name, "service": service.display_label}
        | context,
        for_date=day,
        service_id=service.pk,
        anchor_date=anchor,
    )


def product_withdrawal(day: date) -> dict[str, int]:
    """R5.8 for ``day``: off sale, notices, and renewals ended after the notice."""
    told = stopped = 0
    with transaction.atomic():
        off = catalog.take_off_sale(day, actor=ACTOR)
        products = Product.objects.filter(withdrawn_on__isnull=False).select_related(
            "migration_target"
        )
        for product in products:
            last_renewal = product.renewals_end_on
            live = Service.objects.filter(product=product, state__in=LIVE_STATES)
            if last_renewal > day:
                rows = [
                    _notice(
                        WITHDRAWN,
                        service,
                        last_renewal,
                        day,
                        {
                            "product": product.name,
                            "withdrawn_on": product.withdrawn_on.isoformat(),
                            "renews_until": last_renewal.isoformat(),
                            "offer": product.migration_target.name
                            if product.migration_target
                            else "",
                        },
                    )
                    for service in _not_told(live, WITHDRAWN, last_renewal)
                    .select_related("customer", "product")
                    .order_by("pk")
                ]
                told += notices.queue_notices(rows, batch_size=settings.KYKLOS_BATCH_SIZE)
            else:
                ids = list(live.filter(auto_renew=True).values_list("pk", flat=True))
                if ids:
                    Service.objects.filter(pk__in=ids).update(auto_renew=False)
                    customers = dict(
                        Service.objects.filter(pk__in=ids).values_list("pk", "customer_id")
                    )
                    log_action_rows(
                        [
                            (
                                AUDIT_TYPE,
                                pk,
                                customers[pk],
                                {"product": product.code, "renewed_until": str(last_renewal)},
                            )
                            for pk in ids
                        ],
                        "service.withdrawal_ended_renewal",
                        actor=ACTOR,
                    )
                    stopped += len(ids)
    return {"products_off_sale": len(off), "withdrawal_notices": told, "renewals_ended": stopped}


def repricing(day: date) -> dict[str, int]:
    """R5.9 for ``day``: new prices a month on where the rate moved 20 % or more, and the
    notices to the services they will apply to, in one transaction."""
    told = 0
    with transaction.atomic():
        changes = catalog.reprice(day, actor=ACTOR)
        for change in changes:
            foreign = change.foreign
            effective = change.price.valid_from
            old = (
                Product.objects.get(pk=foreign.product_id)
                .prices.filter(cycle=foreign.cycle, valid_from__lt=effective)
                .order_by("-valid_from")
                .first()
            )
            live = Service.objects.filter(
                product_id=foreign.product_id,
                cycle=foreign.cycle,
                state__in=LIVE_STATES,
                agreed_price__isnull=True,
            )
            rows = [
                _notice(
                    REPRICED,
                    service,
                    effective,
                    day,
                    {
                        "old_amount": str(old.amount) if old else "",
                        "new_amount": str(change.price.amount),
                        "currency": change.price.currency,
                        "rate_currency": foreign.currency,
                        "old_rate": str(change.old_rate),
                        "new_rate": str(change.new_rate),
                        "effective_on": effective.isoformat(),
                    },
                )
                for service in _not_told(live, REPRICED, effective)
                .select_related("customer", "product")
                .order_by("pk")
            ]
            told += notices.queue_notices(rows, batch_size=settings.KYKLOS_BATCH_SIZE)
    return {"repriced": len(changes), "price_notices": told}

"""The naive daily run — the baseline of the benchmarks, never used by Kyklos.

The same rules as :mod:`kyklos.lifecycle.daily` (same order, same offsets, same write
helpers), done the way billing platforms usually do it: a loop over every service, a
few ORM queries to decide what is due for that one service, and its writes in its own
transaction. The benchmark checks that both runs take the same actions.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta

from django.db import transaction

from kyklos.catalog.models import Cycle
from kyklos.catalog.selectors import PriceNotFound, price_on
from kyklos.core import clock
from kyklos.lifecycle import schedule
from kyklos.lifecycle.billing import Charge, issue_for_charges
from kyklos.lifecycle.daily import ACTOR, _notice, _reminder_is_noise, _warning_is_noise
from kyklos.lifecycle.models import LIVE_STATES, Renewal, Service, State
from kyklos.lifecycle.services import end_services, with_addons
from kyklos.lifecycle.transitions import transition_many
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event, Outbox


def run_day_naive(day: date, max_seconds: float = 0) -> tuple[dict[str, int], int, int]:
    """Returns the actions, the services walked and the services there are; with
    ``max_seconds`` it stops walking after that long (for a projection at large sizes)."""
    counts: Counter = Counter()
    started = time.perf_counter()
    services = list(Service.objects.filter(parent__isnull=True).order_by("pk"))
    walked = 0
    with clock.frozen(day):
        for service in services:
            with transaction.atomic():
                _one(service, day, counts)
            walked += 1
            if max_seconds and time.perf_counter() - started > max_seconds:
                break
    return {k: v for k, v in sorted(counts.items()) if v}, walked, len(services)


def _price(service: Service, day: date):
    if service.agreed_price is not None:
        return service.agreed_price
    try:
        return price_on(service.product, service.cycle, day).amount
    except PriceNotFound:
        return None


def _one(service: Service, day: date, counts: Counter) -> None:
    policy = service.product.policy
    # cancellations (R3.7, R3.8)
    if (
        service.cancel_effective_on is not None
        and service.cancel_effective_on <= day
        and service.state in (State.PENDING, State.ACTIVE, State.SUSPENDED)
    ):
        end_services([service.pk], State.CANCELLED, day=day, reason="cancellation", actor=ACTOR)
        counts["service_cancelled"] += 1
        return
    expires = service.expires_on
    if expires is None:
        return
    # the renewal proforma (R3.2)
    if (
        service.state in LIVE_STATES
        and service.auto_renew
        and service.cycle != Cycle.ONE_OFF
        and (service.cancel_effective_on is None or service.cancel_effective_on > expires)
        and expires <= day + timedelta(days=policy.lead_days(service.cycle))
        and expires > day - timedelta(days=policy.terminate_after_days)
        and not Renewal.objects.filter(service=service, period_start=expires).exists()
    ):
        amount = _price(service, day)
        if amount is None:
            counts["renewal_invoice_unpriced"] += 1
        else:
            addons = [(a, _price(a, day)) for a in service.addons.filter(state__in=LIVE_STATES)]
            end = schedule.period_end(expires, service.cycle, (service.started_on or expires).day)
            charge = Charge(
                service=service,
                start=expires,
                end=end,
                amount=amount,
                addons=[(a, x) for a, x in addons if x is not None],
            )
            issue_for_charges([charge], day=day, actor=ACTOR)
            counts["renewal_invoice"] += 1
    # reminders and warnings (R3.3)
    if service.state == State.ACTIVE:
        renewal = (
            Renewal.objects.filter(
                service=service, period_start=expires, status=Renewal.Status.OPEN
            )
            .select_related("invoice")
            .first()
        )
        # R3.4: the same noise rules as the set-based run (lifecycle.daily)
        service.has_open_renewal = renewal is not None
        service.invoice_issued_on = renewal.invoice.issued_on if renewal else None
        if renewal is not None:
            invoice = renewal.invoice
            extra = {
                "invoice_id": invoice.pk,
                "invoice_number": invoice.number,
                "total": str(invoice.total),
                "currency": invoice.currency,
            }
            _notices(
                service,
                day,
                Event.PAYMENT_REMINDER,
                policy.reminder_offsets,
                extra,
                counts,
                lambda offset: _reminder_is_noise(service, offset, policy),
            )
        if service.cancel_effective_on is None:
            _notices(
                service,
                day,
                Event.EXPIRY_WARNING,
                policy.warning_offsets,
                {},
                counts,
                lambda offset: _warning_is_noise(service, offset, policy),
            )
    # suspension and termination (R3.5)
    ends = expires + timedelta(days=policy.terminate_after_days)
    if service.state == State.ACTIVE and expires <= day - timedelta(days=policy.suspend_after_days):
        moved = transition_many(
            with_addons([service.pk]), State.SUSPENDED, day=day, reason="unpaid", actor=ACTOR
        )
        if service.pk in moved:
            stale = day >= ends
            notices.queue_notices(
                [
                    _notice(
                        service,
                        Event.SERVICE_SUSPENDED,
                        day,
                        terminate_on=ends.isoformat(),
                        status=Outbox.Status.SKIPPED if stale else Outbox.Status.QUEUED,
                    )
                ]
            )
            counts["service_suspended"] += 1
            service.state = State.SUSPENDED
    if service.state == State.SUSPENDED and expires <= day - timedelta(
        days=policy.terminate_after_days
    ):
        moved = end_services([service.pk], State.TERMINATED, day=day, reason="unpaid", actor=ACTOR)
        if service.pk in moved:
            notices.queue_notices(
                [_notice(service, Event.SERVICE_TERMINATED, day, terminate_on=ends.isoformat())]
            )
            counts["service_terminated"] += 1


def _notices(service, day, event, offsets, extra, counts, is_noise) -> None:
    for offset, next_offset in sorted(schedule.notice_pairs(offsets), reverse=True):
        if service.expires_on > day + timedelta(days=offset):
            continue
        if Outbox.objects.filter(
            event=event,
            service_id=service.pk,
            anchor_date=service.expires_on,
            offset_days=offset,
        ).exists():
            continue
        live = schedule.still_meaningful(
            day, service.expires_on, offset, next_offset
        ) and not is_noise(offset)
        counts[event if live else f"{event}_skipped"] += 1
        status = Outbox.Status.QUEUED if live else Outbox.Status.SKIPPED
        notices.queue_notices([_notice(service, event, day, offset=offset, status=status, **extra)])

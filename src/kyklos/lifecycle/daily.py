"""The lifecycle's part of the daily run, set-based.

Each step selects what is due on or before ``day`` and not yet done with one query per
group of policies that share an offset, walks the result in keyset batches, and writes
each batch with bulk statements in its own transaction. So the number of statements
grows with the number of batches, never with the number of services, and a run that is
killed leaves every finished batch done and the rest for the next run.

What is "done" is in the data: a period is billed once (``Renewal`` is unique per
service and period start), a notice is queued once (the outbox is unique per event,
service, expiry and offset), and a state change happens once (the state moves on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from kyklos.catalog import selectors as catalog
from kyklos.catalog.models import Cycle, LifecyclePolicy
from kyklos.core.registry import RunContext, registry
from kyklos.lifecycle import notices as service_notices
from kyklos.lifecycle import schedule
from kyklos.lifecycle.billing import Charge, issue_for_charges
from kyklos.lifecycle.models import LIVE_STATES, Renewal, Service, State
from kyklos.lifecycle.services import end_services, with_addons
from kyklos.lifecycle.transitions import transition_many
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event, Outbox

ACTOR = "automation"


#: The ``run`` each step is given (kept under its old name for callers).
Context = RunContext


def batches(qs: QuerySet, size: int, *, select_first: bool = False) -> Iterator[list]:
    """Walk ``qs`` by primary key in batches, one query per batch (a short batch is the
    last one: no query to find the end).

    ``select_first`` sorts by an expression of the key (the same order) so that the
    database cannot walk the primary-key index in order and filter every row on the way:
    for the "not done yet" selections, where few of the rows that pass the filters are
    left after the anti-join, PostgreSQL's estimate makes that walk look cheap, and it
    reads every service (every row version, inside a long transaction). Sorting after
    selecting through ``service_due (state, expires_on)`` reads only the candidates.
    """
    order = (F("pk") + 0).asc() if select_first else "pk"
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by(order)[:size])
        if batch:
            yield batch
        if len(batch) < size:
            return
        last = batch[-1].pk


def _policies(ctx: Context) -> list[LifecyclePolicy]:
    """The policies, read once per run (or chunk) and shared by its steps."""
    return ctx.memo("lifecycle.policies", lambda: list(LifecyclePolicy.objects.all()))


def _grouped(policies, key: Callable[[LifecyclePolicy], object]) -> dict[object, list[int]]:
    groups: dict[object, list[int]] = defaultdict(list)
    for policy in policies:
        groups[key(policy)].append(policy.pk)
    return groups


def _any_of(conditions: list[Q]) -> Q:
    combined = Q(pk__in=[])
    for condition in conditions:
        combined |= condition
    return combined


def _notice(service: Service, event: str, day: date, *, offset=0, **extra) -> Outbox:
    """A notice about the period ending ``service.expires_on`` (its ledger key)."""
    return service_notices.notice(
        service, event, day, anchor_date=service.expires_on, offset=offset, days=offset, **extra
    )


def _main_services() -> QuerySet[Service]:
    return Service.objects.filter(parent__isnull=True, expires_on__isnull=False).select_related(
        "customer", "product__policy"
    )


#: What a notice about a service needs (``lifecycle.notices.context`` and the address): the
#: notice steps load only these columns, not every column of four tables per service.
NOTICE_FIELDS = (
    "id",
    "customer_id",
    "product_id",
    "parent_id",
    "label",
    "expires_on",
    "cycle",
    "auto_renew",
    "customer__id",
    "customer__kind",
    "customer__name",
    "customer__company_name",
    "customer__language",
    "customer__email",
    "customer__admin_email",
    "customer__billing_email",
    "product__id",
    "product__name",
    "product__policy_id",
    "product__policy__id",
    "product__policy__warn_late_fees",
)


# --- cancellations (R3.7, R3.8) ------------------------------------------------------


def apply_cancellations(day: date, ctx: Context) -> dict[str, int]:
    """Cancellations whose effective day has come end their services (with their add-ons)."""
    due = ctx.in_range(Service.objects).filter(
        cancel_effective_on__lte=day,
        parent__isnull=True,
        state__in=(State.PENDING, State.ACTIVE, State.SUSPENDED),
    )
    done = 0
    for batch in batches(due.only("pk"), ctx.batch_size):
        with transaction.atomic():
            done += len(
                end_services(
                    [s.pk for s in batch],
                    State.CANCELLED,
                    day=day,
                    reason="cancellation",
                    actor=ACTOR,
                )
            )
    return {"service_cancelled": done}


# --- renewal proformas (R3.2, R3.7) --------------------------------------------------


def issue_renewal_proformas(day: date, ctx: Context) -> dict[str, int]:
    """Auto-renewing services within their policy's lead days get the next period's proforma."""
    policies = _policies(ctx)
    conditions = []
    for cycle in Cycle.values:
        if cycle == Cycle.ONE_OFF:
            continue
        groups = _grouped(policies, lambda p, c=cycle: (p.lead_days(c), p.terminate_after_days))
        for (lead, grace), ids in groups.items():
            conditions.append(
                Q(
                    cycle=cycle,
                    product__policy_id__in=ids,
                    expires_on__lte=day + timedelta(days=lead),
                    expires_on__gt=day - timedelta(days=grace),
                )
            )
    billed = Renewal.objects.filter(service=OuterRef("pk"), period_start=OuterRef("expires_on"))
    due = (
        ctx.in_range(_main_services())
        .filter(_any_of(conditions), state__in=LIVE_STATES, auto_renew=True)
        .filter(Q(cancel_effective_on__isnull=True) | Q(cancel_effective_on__gt=F("expires_on")))
        .filter(~Exists(billed))
    )
    prices = ctx.memo("catalog.prices", lambda: catalog.price_table(day))
    issued = unpriced = 0
    for batch in batches(due, ctx.batch_size):
        addons = defaultdict(list)
        for addon in Service.objects.filter(
            parent_id__in=[s.pk for s in batch], state__in=LIVE_STATES
        ).select_related("product"):
            addons[addon.parent_id].append(addon)
        charges = []
        for service in batch:
            amount = _amount(service, prices)
            if amount is None:
                unpriced += 1
                continue
            start = service.expires_on
            end = schedule.period_end(start, service.cycle, (service.started_on or start).day)
            extra = [(a, _amount(a, prices)) for a in addons[service.pk]]
            charges.append(
                Charge(
                    service=service,
                    start=start,
                    end=end,
                    amount=amount,
                    addons=[(a, x) for a, x in extra if x is not None],
                )
            )
        with transaction.atomic():
            issued += len(issue_for_charges(charges, day=day, actor=ACTOR))
    result = {"renewal_invoice": issued}
    if unpriced:
        result["renewal_invoice_unpriced"] = unpriced
    return result


def _amount(service: Service, prices: dict):
    if service.agreed_price is not None:
        return service.agreed_price
    price = prices.get((service.product_id, service.cycle))
    return None if price is None else price.amount


# --- reminders and "expires soon" warnings (R3.3) ------------------------------------


def _reminder_is_noise(service: Service, offset: int, policy: LifecyclePolicy) -> bool:
    """R3.4: a reminder whose moment is not after its proforma's issue day says nothing
    the proforma did not (it would go out in the same run, or the day after)."""
    moment = service.expires_on - timedelta(days=offset)
    return service.invoice_issued_on is not None and moment <= service.invoice_issued_on


def _warning_is_noise(service: Service, offset: int, policy: LifecyclePolicy) -> bool:
    """R3.3/R3.4: for a service that renews by itself the renewal proforma and its
    reminders are the notices. An "expires soon" warning due before (or on the day of) the
    proforma is noise — a paid monthly service would hear "expires in 30 days" the day
    after it was renewed — and one due on a reminder's day while the proforma is open
    says the same thing twice."""
    if not service.auto_renew:
        return False
    lead = policy.lead_days(service.cycle)
    if lead is not None and offset >= lead:
        return True
    return service.has_open_renewal and offset in policy.reminder_offsets


def _queue_notices(
    day: date,
    ctx: Context,
    *,
    event: str,
    offsets_of,
    base: QuerySet,
    with_invoice: bool,
    is_noise: Callable[[Service, int, LifecyclePolicy], bool],
) -> dict[str, int]:
    policies = {p.pk: p for p in _policies(ctx)}
    groups: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for policy in _policies(ctx):
        for pair in schedule.notice_pairs(offsets_of(policy)):
            groups[pair].append(policy.pk)
    sent = skipped = 0
    for (offset, next_offset), policy_ids in sorted(groups.items(), reverse=True):
        queued = Outbox.objects.filter(
            event=event,
            service_id=OuterRef("pk"),
            anchor_date=OuterRef("expires_on"),
            offset_days=offset,
        )
        due = (
            ctx.in_range(base)
            .filter(product__policy_id__in=policy_ids, expires_on__lte=day + timedelta(days=offset))
            .filter(~Exists(queued))
            .only(*NOTICE_FIELDS)
        )
        if with_invoice:
            due = due.annotate(
                invoice_id=_open_renewal_field("invoice_id"),
                invoice_number=_open_renewal_field("invoice__number"),
                invoice_total=_open_renewal_field("invoice__total"),
                invoice_currency=_open_renewal_field("invoice__currency"),
                invoice_issued_on=_open_renewal_field("invoice__issued_on"),
            )
        else:
            due = due.annotate(has_open_renewal=Exists(_open_renewal()))
        for batch in batches(due, ctx.batch_size, select_first=True):
            rows = []
            for service in batch:
                live = schedule.still_meaningful(
                    day, service.expires_on, offset, next_offset
                ) and not is_noise(service, offset, policies[service.product.policy_id])
                sent += live
                skipped += not live
                extra = {}
                if with_invoice:
                    extra = {
                        "invoice_id": service.invoice_id,
                        "invoice_number": service.invoice_number,
                        "total": str(service.invoice_total),
                        "currency": service.invoice_currency,
                    }
                rows.append(
                    _notice(
                        service,
                        event,
                        day,
                        offset=offset,
                        status=Outbox.Status.QUEUED if live else Outbox.Status.SKIPPED,
                        **extra,
                    )
                )
            with transaction.atomic():
                notices.queue_notices(rows)
    return {event: sent, f"{event}_skipped": skipped}


def _open_renewal() -> QuerySet[Renewal]:
    return Renewal.objects.filter(
        service=OuterRef("pk"), period_start=OuterRef("expires_on"), status=Renewal.Status.OPEN
    )


def _open_renewal_field(name: str) -> Subquery:
    return Subquery(_open_renewal().values(name)[:1])


def send_payment_reminders(day: date, ctx: Context) -> dict[str, int]:
    """Payment reminders for open renewals, at the policy's offsets from the expiry date."""
    base = _main_services().filter(state=State.ACTIVE).filter(Exists(_open_renewal()))
    return _queue_notices(
        day,
        ctx,
        event=Event.PAYMENT_REMINDER,
        offsets_of=lambda p: p.reminder_offsets,
        base=base,
        with_invoice=True,
        is_noise=_reminder_is_noise,
    )


def send_expiry_warnings(day: date, ctx: Context) -> dict[str, int]:
    """Expiry warnings for active services, at the policy's offsets from the expiry date."""
    base = _main_services().filter(state=State.ACTIVE, cancel_effective_on__isnull=True)
    return _queue_notices(
        day,
        ctx,
        event=Event.EXPIRY_WARNING,
        offsets_of=lambda p: p.warning_offsets,
        base=base,
        with_invoice=False,
        is_noise=_warning_is_noise,
    )


# --- suspension and termination (R3.5) -----------------------------------------------


def _state_step(
    day: date,
    ctx: Context,
    *,
    from_state: str,
    to_state: str,
    event: str,
    after_days: Callable[[LifecyclePolicy], int],
) -> dict[str, int]:
    # Policies whose expiry another app runs (domains: by TLD) are not suspended or
    # terminated here.
    policies = [p for p in _policies(ctx) if not p.expiry_handled_by]
    terminate_after = {p.pk: p.terminate_after_days for p in policies}
    conditions = [
        Q(product__policy_id__in=ids, expires_on__lte=day - timedelta(days=days))
        for days, ids in _grouped(policies, after_days).items()
    ]
    due = (
        ctx.in_range(_main_services())
        .filter(_any_of(conditions), state=from_state)
        .only(*NOTICE_FIELDS)
    )
    moved = 0
    for batch in batches(due, ctx.batch_size, select_first=True):
        by_id = {s.pk: s for s in batch}
        with transaction.atomic():
            if to_state == State.TERMINATED:
                ids = end_services(list(by_id), to_state, day=day, reason="unpaid", actor=ACTOR)
            else:
                ids = transition_many(
                    with_addons(list(by_id)), to_state, day=day, reason="unpaid", actor=ACTOR
                )
            rows = []
            for pk in ids:
                service = by_id.get(pk)
                if service is None:  # an add-on, which follows its parent silently
                    continue
                ends = service.expires_on + timedelta(
                    days=terminate_after[service.product.policy_id]
                )
                # A suspension notice for a service terminated in the same run is stale.
                stale = to_state == State.SUSPENDED and day >= ends
                rows.append(
                    _notice(
                        service,
                        event,
                        day,
                        terminate_on=ends.isoformat(),
                        status=Outbox.Status.SKIPPED if stale else Outbox.Status.QUEUED,
                    )
                )
                moved += 1
            notices.queue_notices(rows)
    return {event: moved}


def suspend_expired(day: date, ctx: Context) -> dict[str, int]:
    """Active services expired for the policy's suspension days are suspended (unpaid)."""
    return _state_step(
        day,
        ctx,
        from_state=State.ACTIVE,
        to_state=State.SUSPENDED,
        event=Event.SERVICE_SUSPENDED,
        after_days=lambda p: p.suspend_after_days,
    )


def terminate_expired(day: date, ctx: Context) -> dict[str, int]:
    """Suspended services expired for the policy's termination days are terminated (unpaid)."""
    return _state_step(
        day,
        ctx,
        from_state=State.SUSPENDED,
        to_state=State.TERMINATED,
        event=Event.SERVICE_TERMINATED,
        after_days=lambda p: p.terminate_after_days,
    )


def register() -> None:
    for func in (
        apply_cancellations,
        issue_renewal_proformas,
        send_payment_reminders,
        send_expiry_warnings,
        suspend_expired,
        terminate_expired,
    ):
        registry.register_daily_step(f"lifecycle.{func.__name__}", func, chunkable=True)

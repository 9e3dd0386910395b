"""What other apps read about services: who may renew or cancel, what runs, what is due.

Reads only. The rules that decide whether a service may be renewed or cancelled live here
once; the guards in :mod:`kyklos.lifecycle.services` and the portal's buttons use them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from kyklos.catalog import selectors as catalog
from kyklos.catalog.models import CYCLE_MONTHS, Cycle, Product, ProductType
from kyklos.core.money import ZERO, round_money
from kyklos.lifecycle import schedule
from kyklos.lifecycle.models import FINAL_STATES, LIVE_STATES, PlanChange, Renewal, Service, State
from kyklos.payments.services import BilledService

#: How a customer's services are listed: main services first, soonest expiry first.
SERVICE_ORDER = ("parent_id", "expires_on", "id")

#: The policy fields :func:`is_expiring` reads (:func:`schedule.notice_window`), for lists
#: that read plain values instead of policies.
NOTICE_POLICY_FIELDS = (
    "lead_days_monthly",
    "lead_days_quarterly",
    "lead_days_semiannual",
    "lead_days_annual",
    "lead_days_biennial",
    "warning_offsets",
)

#: An active service inside its notice window: ``is_expiring(state, policy, cycle,
#: expires_on, today)`` (R3.1).
is_expiring = schedule.is_expiring


class ServiceFacts(Protocol):
    """What the renew and cancel rules read: a :class:`Service` or a row of its values."""

    state: str
    parent_id: int | None
    cycle: str
    cancel_effective_on: date | None


# --- renew and cancel ---------------------------------------------------------------------


def can_renew(service: ServiceFacts) -> bool:
    """Whether the next period may be bought now ("renew now"): an active or suspended
    main subscription on a recurring cycle (add-ons renew with their main service)."""
    return (
        service.parent_id is None
        and service.state in LIVE_STATES
        and service.cycle != Cycle.ONE_OFF
    )


def cancel_refusal(service: ServiceFacts) -> str | None:
    """Why a stop cannot be asked for ``service``, or ``None`` when it can (R3.8)."""
    if service.state in FINAL_STATES:
        return _("This service has already ended.")
    if service.parent_id is not None:
        return _("Cancel the main service; its add-ons end with it.")
    return None


def can_cancel(service: ServiceFacts) -> bool:
    """Whether a stop may be asked for: a main service that has not ended (R3.8)."""
    return cancel_refusal(service) is None


def renewal_offered(service: ServiceFacts, *, open_invoice_id: int | None) -> bool:
    """Whether the customer is offered "renew now": the service can be renewed, no stop
    is scheduled and no proforma is waiting (the customer pays that one instead)."""
    return can_renew(service) and service.cancel_effective_on is None and open_invoice_id is None


def cancellation_offered(service: ServiceFacts) -> bool:
    """Whether the customer is offered a stop: it can be cancelled and none is scheduled."""
    return can_cancel(service) and service.cancel_effective_on is None


def cancellation_effective_on(
    service: Service, *, today: date, when: str = "end_of_period"
) -> date:
    """The first day without service if a stop is asked for ``today``: ``immediate`` or at
    the ``end_of_period``, moved to a month end by a written-notice rule (R3.7, R3.8)."""
    wanted = today if when == "immediate" or not service.expires_on else service.expires_on
    return schedule.cancellation_effective(service.product.policy, today, wanted)


# --- plan changes (upgrade and downgrade) -------------------------------------------------


@dataclass(frozen=True)
class PlanQuote:
    """What moving ``service`` to ``product`` costs today: the price difference prorated
    on the days left of the paid period (PC-1). ``amount`` > 0 is billed, < 0 credited."""

    service: Service
    product: Product
    old_price: Decimal
    new_price: Decimal
    currency: str
    period_start: date
    period_end: date
    days_left: int
    days_in_period: int
    amount: Decimal
    #: What a downgrade credits: the prorated difference with the VAT the period was
    #: billed with (PC-4); zero for an upgrade.
    credit: Decimal = ZERO

    @property
    def magnitude(self) -> Decimal:
        """What is billed or credited, without its sign."""
        return abs(self.amount)

    @property
    def is_upgrade(self) -> bool:
        return self.amount > 0

    @property
    def is_downgrade(self) -> bool:
        return self.amount < 0


def prorate(difference: Decimal, days_left: int, days_in_period: int, currency: str) -> Decimal:
    """``days_left / days_in_period × difference``, rounded once (PC-1)."""
    if days_in_period <= 0 or days_left <= 0:
        return ZERO
    return round_money(difference * Decimal(days_left) / Decimal(days_in_period), currency)


def current_period_start(service: Service) -> date:
    """The first day of the period that ends on the service's expiry."""
    anchor = service.started_on.day if service.started_on else None
    return schedule.add_months(service.expires_on, -CYCLE_MONTHS[Cycle(service.cycle)], anchor)


def open_plan_change(service: Service) -> PlanChange | None:
    """The upgrade of ``service`` whose proforma is waiting for payment, if any."""
    return (
        PlanChange.objects.filter(service=service, status=PlanChange.Status.OPEN)
        .select_related("invoice", "to_product")
        .first()
    )


def plan_change_refusal(service: Service, product: Product, *, today: date) -> str | None:
    """Why ``service`` cannot move to ``product`` today, or None (PC-2). Prices are
    checked by :func:`quote_plan_change`."""
    if service.parent_id is None:
        if product.pk == service.product_id:
            return _("The service is already on this plan.")
        if product.type != service.product.type or product.is_addon:
            return _("A service can move only to another plan of the same kind.")
        if not product.is_active:
            return _("%(p)s is no longer sold.") % {"p": product.name}
    return plan_change_blocked(service, today=today)


def plan_change_blocked(service: Service, *, today: date) -> str | None:
    """Why ``service`` cannot change plan at all today, or None (PC-2)."""
    if service.parent_id is not None:
        return _("An add-on cannot change plan; change the main service.")
    if service.state != State.ACTIVE:
        return _("Only an active service can change plan.")
    if service.cycle == Cycle.ONE_OFF or service.expires_on is None:
        return _("A one-off service has no period to change plan in.")
    if service.expires_on <= today:
        return _("The paid period has ended; renew the service first.")
    if service.cancel_effective_on is not None:
        return _("The service is being cancelled; it cannot change plan.")
    if Renewal.objects.filter(service=service, status=Renewal.Status.OPEN).exists():
        return _("A proforma of this service is waiting for payment; pay it first.")
    if PlanChange.objects.filter(service=service, status=PlanChange.Status.OPEN).exists():
        return _("A plan change of this service is waiting for payment.")
    if PlanChange.objects.filter(service=service, requested_on=today).exists():
        return _("The plan of this service was changed today; try again tomorrow.")
    return None


def _current_price(service: Service, day: date):
    if service.agreed_price is not None:
        currency = catalog.price_on(service.product, service.cycle, day).currency
        return service.agreed_price, currency
    price = catalog.price_on(service.product, service.cycle, day)
    return price.amount, price.currency


def quote_plan_change(service: Service, product: Product, *, today: date) -> PlanQuote:
    """The prorated figures of moving ``service`` to ``product`` today, or a
    ValidationError with the one-line reason it is refused (PC-1, PC-2)."""
    refusal = plan_change_refusal(service, product, today=today)
    if refusal is not None:
        raise ValidationError(refusal)
    return _quote(service, product, today)


def _quote(service: Service, product: Product, today: date) -> PlanQuote:
    old, currency = _current_price(service, today)
    new = catalog.price_on(product, service.cycle, today)  # PriceNotFound: a one-line error
    if new.currency != currency:
        raise ValidationError(_("The two plans are priced in different currencies."))
    start = current_period_start(service)
    days_in_period = (service.expires_on - start).days
    days_left = (service.expires_on - today).days
    amount = prorate(new.amount - old, days_left, days_in_period, currency)
    return PlanQuote(
        service=service,
        product=product,
        old_price=old,
        new_price=new.amount,
        currency=currency,
        period_start=start,
        period_end=service.expires_on,
        days_left=days_left,
        days_in_period=days_in_period,
        amount=amount,
        credit=_with_billed_vat(service, -amount, currency) if amount < 0 else ZERO,
    )


def billed_vat_rate(service: Service) -> Decimal:
    """The VAT rate of the line that billed the service's current period (the period that
    ends at its expiry); zero when no such period is on record (e.g. imported services)."""
    renewal = (
        Renewal.objects.filter(service=service, period_end=service.expires_on)
        .exclude(status=Renewal.Status.VOID)
        .select_related("invoice")
        .order_by("-period_start")
        .first()
    )
    if renewal is None:
        return ZERO
    line = renewal.invoice.lines.filter(product_code=service.product.code).first()
    return line.vat_rate if line is not None else ZERO


def _with_billed_vat(service: Service, net: Decimal, currency: str) -> Decimal:
    return net + round_money(net * billed_vat_rate(service) / 100, currency)


def plan_options(service: Service, *, today: date) -> list[PlanQuote]:
    """The plans ``service`` may move to today with what each costs, cheapest first; empty
    when the service cannot change plan at all."""
    if plan_change_blocked(service, today=today) is not None:
        return []
    candidates = Product.objects.filter(type=service.product.type, is_active=True).exclude(
        pk=service.product_id
    )
    quotes = []
    for product in candidates.exclude(type=ProductType.ADDON):
        try:
            quotes.append(_quote(service, product, today))  # the service was checked above
        except ValidationError:
            continue
    return sorted(quotes, key=lambda q: (q.new_price, q.product.name))


def plan_history(service: Service) -> QuerySet[PlanChange]:
    return PlanChange.objects.filter(service=service).select_related(
        "from_product", "to_product", "invoice"
    )


# --- running services ---------------------------------------------------------------------


def running_services(customer) -> QuerySet[Service]:
    """The services of ``customer`` (a customer, its id or an ``OuterRef``) that have not
    ended: pending, active or suspended."""
    return Service.objects.filter(customer=customer).exclude(state__in=FINAL_STATES)


def ended_services(customer) -> QuerySet[Service]:
    """The services of ``customer`` (a customer, its id or an ``OuterRef``) that ended."""
    return Service.objects.filter(customer=customer, state__in=FINAL_STATES)


def has_running_services(customer) -> bool:
    """Whether ``customer`` (a customer or its id) still has a service that has not ended."""
    return running_services(customer).exists()


# --- lists and forecasts ------------------------------------------------------------------


def services_for_customer(customer_id: int) -> QuerySet[Service]:
    return (
        Service.objects.filter(customer_id=customer_id)
        .select_related("product__policy")
        .order_by(*SERVICE_ORDER)
    )


def with_billed_period(services: QuerySet[Service]) -> QuerySet[Service]:
    """Annotate ``billed``: the current period already has its proforma."""
    return services.annotate(
        billed=Exists(
            Renewal.objects.filter(service=OuterRef("pk"), period_start=OuterRef("expires_on"))
        )
    )


def forecast(service: Service, *, today: date, days: int = 90) -> list[dict]:
    """The dated lifecycle events ahead for ``service`` if nobody pays, within ``days``.

    Uses :func:`schedule.moments`, the same offsets the daily run acts on; moments that
    are already done (a proforma already issued for the period) are left out.
    """
    horizon = today + timedelta(days=days)
    events: list[dict] = []
    if service.cancel_effective_on and service.state in (State.PENDING, *LIVE_STATES):
        events.append(
            {"date": service.cancel_effective_on.isoformat(), "event": "cancel", "offset_days": 0}
        )
    if service.state not in LIVE_STATES or service.expires_on is None or service.parent_id:
        return [e for e in events if today <= date.fromisoformat(e["date"]) <= horizon]
    policy = service.product.policy
    billed = getattr(service, "billed", None)
    if billed is None:
        billed = Renewal.objects.filter(service=service, period_start=service.expires_on).exists()
    for moment in schedule.moments(policy, service.cycle, service.expires_on):
        if moment.kind == schedule.PROFORMA and (billed or not service.auto_renew):
            continue
        if moment.kind == schedule.REMINDER and not (billed or service.auto_renew):
            continue
        if service.state == State.SUSPENDED and moment.kind != schedule.TERMINATE:
            continue
        if service.cancel_effective_on and moment.on >= service.cancel_effective_on:
            continue
        events.append(moment.as_dict())
    return sorted(
        (e for e in events if today <= date.fromisoformat(e["date"]) <= horizon),
        key=lambda e: e["date"],
    )


def billed_services(invoice):
    """The services a proforma billed, as the facts payments needs to compute a refund
    (R6.9, R4.5). The answer to ``hooks.billed_services`` (``LifecycleConfig.ready``)."""
    renewals = Renewal.objects.filter(invoice=invoice).select_related("service__product")
    return [
        BilledService(
            service_id=r.service_id,
            label=r.service.label,
            product_code=r.service.product.code,
            product_type=r.service.product.type,
            refundable=r.service.product.refundable,
            started_on=r.service.started_on,
            period_start=r.period_start,
            first_period=r.kind == Renewal.Kind.ORDER,
        )
        for r in renewals
    ]


# The dates of a service's period and the moments the daily run acts on
# (:mod:`kyklos.lifecycle.schedule`), for other apps that must agree with it.
add_months = schedule.add_months
period_end = schedule.period_end
moments = schedule.moments
notice_pairs = schedule.notice_pairs
still_meaningful = schedule.still_meaningful
PROFORMA = schedule.PROFORMA
REMINDER = schedule.REMINDER
WARNING = schedule.WARNING
SUSPEND = schedule.SUSPEND


# --- figures for the staff console's dashboard --------------------------------------------


def monthly_recurring_revenue(day: date) -> dict[str, Decimal]:
    """Monthly recurring revenue on ``day``, per currency, before VAT: every recurring
    service (add-ons too) that had started and had not ended by ``day`` — active or
    suspended then — at its agreed price or the list price in force on ``day``, divided by
    its cycle's months. Pending and one-off services do not recur. A service that ended
    (terminated, cancelled, fraud) counts until the day its state changed."""
    from kyklos.catalog import selectors as catalog
    from kyklos.catalog.models import CYCLE_MONTHS

    rows = (
        Service.objects.filter(started_on__lte=day)
        .exclude(cycle=Cycle.ONE_OFF)
        .exclude(state=State.PENDING)
        .filter(Q(state__in=LIVE_STATES) | Q(state__in=FINAL_STATES, state_changed_on__gt=day))
        .values_list("product_id", "cycle", "agreed_price")
    )
    prices = catalog.price_table(day)
    totals: dict[str, Decimal] = {}
    for product_id, cycle, agreed in rows:
        price = prices.get((product_id, cycle))
        if price is None and agreed is None:
            continue
        amount = agreed if agreed is not None else price.amount
        currency = getattr(price, "currency", None) or settings.KYKLOS_CURRENCY
        monthly = amount / CYCLE_MONTHS[cycle]
        totals[currency] = totals.get(currency, Decimal("0")) + monthly
    return {c: round_money(v, c) for c, v in sorted(totals.items())}


def renewals_due(today: date, days: int = 30) -> list[dict]:
    """Main services that renew automatically and expire within ``days`` from ``today``,
    per week (``{"week": n, "starts": date, "services": k, "amount": {currency: sum}}``),
    at their agreed or current list price."""
    from kyklos.catalog import selectors as catalog

    rows = (
        Service.objects.filter(
            state__in=LIVE_STATES,
            parent__isnull=True,
            auto_renew=True,
            cancel_effective_on__isnull=True,
            expires_on__gte=today,
            expires_on__lt=today + timedelta(days=days),
        )
        .exclude(cycle=Cycle.ONE_OFF)
        .values_list("product_id", "cycle", "agreed_price", "expires_on")
    )
    prices = catalog.price_table(today)
    weeks = [
        {"week": n + 1, "starts": today + timedelta(days=7 * n), "services": 0, "amount": {}}
        for n in range((days + 6) // 7)
    ]
    for product_id, cycle, agreed, expires_on in rows:
        slot = weeks[(expires_on - today).days // 7]
        price = prices.get((product_id, cycle))
        amount = agreed if agreed is not None else (price.amount if price else Decimal("0"))
        currency = getattr(price, "currency", None) or settings.KYKLOS_CURRENCY
        slot["services"] += 1
        slot["amount"][currency] = slot["amount"].get(currency, Decimal("0")) + amount
    return weeks


def service_by_label(text: str, limit: int = 20) -> QuerySet[Service]:
    """Services whose label (a domain name, a host name) contains ``text``."""
    return (
        Service.objects.filter(label__icontains=text.strip())
        .select_related("customer", "product")
        .order_by("label", "id")[:limit]
    )


@dataclass(frozen=True)
class LateRenewal:
    """A renewal on a proforma paid so close to the service's expiry that the payment may
    not be recorded in time (R3.4)."""

    label: str
    expires_on: date
    due_days: int


def late_renewals(invoice_id: int, *, today: date) -> list[LateRenewal]:
    """The services an open proforma renews whose expiry is nearer than their policy's
    ``payment_due_days`` (5 by default) or already here (R3.4: payment should arrive at
    least that many days before expiry; a later one may miss the renewal)."""
    rows = (
        Renewal.objects.filter(
            invoice_id=invoice_id,
            kind=Renewal.Kind.RENEWAL,
            status=Renewal.Status.OPEN,
            period_start__gte=today,
        )
        .select_related("service__product__policy")
        .order_by("period_start", "service_id")
    )
    late = []
    for renewal in rows:
        due_days = renewal.service.product.policy.payment_due_days
        if (renewal.period_start - today).days < due_days:
            late.append(LateRenewal(renewal.service.label, renewal.period_start, due_days))
    return late

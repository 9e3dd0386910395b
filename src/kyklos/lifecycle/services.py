"""What staff, customers and the API do to services: order, renew now, cancel, restore,
what a paid proforma does to them, and suspension for an unpaid debt.

The daily run's batch steps are in :mod:`kyklos.lifecycle.daily`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.accounts.access import authorize
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, cancel_proformas, issue_documents
from kyklos.catalog import selectors as catalog
from kyklos.catalog import services as catalog_services
from kyklos.catalog.models import Coupon, Cycle, Product
from kyklos.core import clock, hooks
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, round_money
from kyklos.customers.models import Customer
from kyklos.lifecycle import notices as service_notices
from kyklos.lifecycle import schedule
from kyklos.lifecycle.billing import Charge, issue_for_charges
from kyklos.lifecycle.models import (
    FINAL_STATES,
    LIVE_STATES,
    PlanChange,
    Renewal,
    Service,
    State,
)
from kyklos.lifecycle.selectors import (
    PlanQuote,
    can_renew,
    cancel_refusal,
    cancellation_effective_on,
    quote_plan_change,
)
from kyklos.lifecycle.transitions import transition, transition_many
from kyklos.notifications import services as notifications
from kyklos.notifications.models import Event, Outbox
from kyklos.payments import services as payments
from kyklos.payments.models import CreditEntry
from kyklos.payments.selectors import is_on_identity_hold


def _price(service: Service, day: date) -> Decimal:
    if service.agreed_price is not None:
        return service.agreed_price
    return catalog.price_on(service.product, service.cycle, day).amount


@transaction.atomic
def order_service(
    *,
    customer: Customer,
    product: Product,
    cycle: str,
    start_date: date | None = None,
    label: str = "",
    coupon: Coupon | None = None,
    parent: Service | None = None,
    actor=None,
) -> Service:
    """Order a service: it stays pending until the first proforma is paid.

    The customer pays the list price in force at order time (R2.3), plus the setup fee;
    a coupon applies to this first purchase only (R2.4). An add-on takes its parent's
    cycle and runs until the parent's expiry, priced pro rata (R2.5).
    """
    charge = _order_charge(
        customer=customer,
        product=product,
        cycle=cycle,
        start_date=start_date,
        label=label,
        coupon=coupon,
        parent=parent,
        actor=actor,
    )
    issue_for_charges([charge], day=clock.today(), event=Event.INVOICE_ISSUED, actor=actor)
    return charge.service


@dataclass(frozen=True)
class OrderItem:
    """One service of an order of several (:func:`order_services`)."""

    product: Product
    cycle: str
    label: str = ""
    coupon: Coupon | None = None
    #: Add-ons ordered with this service: they attach to it and share its cycle (R2.5).
    addons: tuple[Product, ...] = ()


@transaction.atomic
def order_services(
    *, customer: Customer, items: list[OrderItem], actor=None
) -> tuple[list[Service], Invoice]:
    """Order several services at once — a shop's cart — with one proforma for them all.
    Each item follows the rules of :func:`order_service`, its add-ons attach to it (R2.5);
    one refused item refuses the whole order (nothing is written). Returns the services
    (the items', then their add-ons') and the proforma."""
    if not items:
        raise ValidationError(_("An order needs at least one service."))
    charges = []
    for item in items:
        charge = _order_charge(
            customer=customer,
            product=item.product,
            cycle=item.cycle,
            label=item.label,
            coupon=item.coupon,
            actor=actor,
        )
        for addon in item.addons:
            _attach_new_addon(charge, addon, actor=actor)
        charges.append(charge)
    (invoice,) = issue_for_charges(
        charges, day=clock.today(), event=Event.INVOICE_ISSUED, actor=actor, together=True
    )
    ordered = [charge.service for charge in charges]
    return ordered + [addon for charge in charges for addon, _amount in charge.addons], invoice


def _attach_new_addon(charge: Charge, product: Product, *, actor=None) -> None:
    """An add-on ordered together with its parent (R2.5): the same cycle and first period,
    at its list price for that cycle (plus its setup fee); it starts when the order is
    paid, with its parent."""
    parent = charge.service
    if not product.is_addon or not product.is_active:
        raise ValidationError({"addons": _("%(p)s is not an add-on on sale.") % {"p": product}})
    if not product.addon_for.filter(pk=parent.product_id).exists():
        raise ValidationError({"addons": _("This add-on does not fit that service.")})
    price = catalog.price_on(product, parent.cycle, charge.start)
    addon = Service.objects.create(
        customer=parent.customer,
        product=product,
        parent=parent,
        cycle=parent.cycle,
        state=State.PENDING,
        state_changed_on=charge.start,
        ordered_on=charge.start,
    )
    addon.customer, addon.product = parent.customer, product
    log_action(
        addon,
        "service.ordered",
        actor=actor,
        data={"product": product.code, "cycle": parent.cycle, "parent": parent.pk},
    )
    charge.addons.append((addon, price.amount))
    if price.setup_fee:
        charge.extra_lines.append(
            LineSpec(
                description=_("Setup fee"), unit_price=price.setup_fee, product_code=product.code
            )
        )


def _order_charge(
    *,
    customer: Customer,
    product: Product,
    cycle: str,
    start_date: date | None = None,
    label: str = "",
    coupon: Coupon | None = None,
    parent: Service | None = None,
    actor=None,
) -> Charge:
    """Check an order, create its pending service and return its first period to bill."""
    day = start_date or clock.today()
    if customer.status != Customer.Status.ACTIVE:
        raise ValidationError({"customer": _("This account is locked; it cannot order.")})
    if not product.is_active:
        raise ValidationError({"product": _("%(p)s is no longer sold.") % {"p": product.name}})
    if cycle not in Cycle.values:
        raise ValidationError({"cycle": _("Unknown billing cycle “%(c)s”.") % {"c": cycle}})
    if product.is_addon:
        if parent is None or parent.customer_id != customer.pk or parent.state not in LIVE_STATES:
            raise ValidationError({"parent": _("An add-on needs a live service of the customer.")})
        if not product.addon_for.filter(pk=parent.product_id).exists():
            raise ValidationError({"parent": _("This add-on does not fit that service.")})
        cycle = parent.cycle
    elif parent is not None:
        raise ValidationError({"parent": _("Only add-ons attach to another service.")})
    if len(label) > Service._meta.get_field("label").max_length:
        raise ValidationError({"label": _("A label has at most 200 characters.")})

    price = catalog.price_on(product, cycle, day)
    end = schedule.period_end(day, cycle)
    amount = price.amount
    if parent is not None and parent.expires_on:
        end = parent.expires_on
        full = (schedule.period_end(day, cycle) - day).days or 1
        amount = round_money(price.amount * Decimal((end - day).days) / full, price.currency)
    discount = ZERO
    if coupon is not None:
        discount = catalog_services.coupon_discount(
            coupon, product=product, amount=amount, day=day, is_first_purchase=True
        )
        catalog_services.redeem_coupon(coupon)

    service = Service.objects.create(
        customer=customer,
        product=product,
        parent=parent,
        label=label,
        cycle=cycle,
        state=State.PENDING,
        state_changed_on=day,
        ordered_on=day,
        coupon=coupon,
    )
    service.customer, service.product = customer, product
    log_action(
        service,
        "service.ordered",
        actor=actor,
        data={"product": product.code, "cycle": cycle, "coupon": coupon and coupon.code},
    )
    extra = []
    if price.setup_fee:
        extra.append(
            LineSpec(
                description=_("Setup fee"), unit_price=price.setup_fee, product_code=product.code
            )
        )
    return Charge(
        service=service,
        start=day,
        end=end,
        amount=amount,
        kind=Renewal.Kind.ORDER,
        discount=discount,
        extra_lines=extra,
    )


def open_renewal(service: Service) -> Renewal | None:
    """The unpaid proforma for the service's next period, if one was issued."""
    return (
        Renewal.objects.filter(service=service, status=Renewal.Status.OPEN)
        .select_related("invoice")
        .order_by("-period_start")
        .first()
    )


@transaction.atomic
def renew_now(service: Service, *, actor=None) -> Invoice:
    """Issue the next period's proforma at once ("renew now"); idempotent. A person as
    ``actor`` must be allowed to (their own service, or a staff role: ASVS V8)."""
    authorize(actor, "service.renew", service)
    service = (
        Service.objects.select_for_update().select_related("customer", "product").get(pk=service.pk)
    )
    if not can_renew(service):
        raise ValidationError(_("Only an active or suspended subscription can be renewed."))
    existing = open_renewal(service)
    if existing is not None:
        return existing.invoice
    day = clock.today()
    start = service.expires_on
    addons = list(service.addons.filter(state__in=LIVE_STATES).select_related("product"))
    charge = Charge(
        service=service,
        start=start,
        end=schedule.period_end(start, service.cycle, service.started_on.day),
        amount=_price(service, day),
        addons=[(a, _price(a, day)) for a in addons],
    )
    (invoice,) = issue_for_charges([charge], day=day, actor=actor)
    return invoice


@transaction.atomic
def request_cancellation(
    service: Service, *, when: str = "end_of_period", reason: str = "", actor=None
) -> date:
    """Ask to stop a service (R3.8): ``immediate`` or at the ``end_of_period``.

    Products with a written-notice rule (R3.7) run to the end of the month the rule
    allows, and what renews until then is owed. Returns the first day without service.
    """
    if when not in {"immediate", "end_of_period"}:
        raise ValidationError({"when": _("Say “immediate” or “end_of_period”.")})
    authorize(actor, "service.cancel", service)
    service = (
        Service.objects.select_for_update()
        .select_related("product__policy", "customer")
        .get(pk=service.pk)
    )
    refusal = cancel_refusal(service)
    if refusal is not None:
        raise ValidationError(refusal)
    today = clock.today()
    effective = cancellation_effective_on(service, today=today, when=when)
    Service.objects.filter(pk=service.pk).update(
        cancel_requested_on=today, cancel_effective_on=effective, cancel_reason=reason[:300]
    )
    service.cancel_requested_on, service.cancel_effective_on = today, effective
    log_action(
        service,
        "service.cancellation_requested",
        actor=actor,
        data={"effective_on": effective.isoformat(), "when": when, "reason": reason},
    )
    service_notices.send(
        service, Event.SERVICE_CANCELLED, today, terminate_on=effective.isoformat()
    )
    if effective <= today:
        end_services([service.pk], State.CANCELLED, day=today, reason="cancellation", actor=actor)
    return effective


def with_addons(ids: list[int]) -> list[int]:
    """``ids`` and the add-ons attached to them that have not ended (R2.5)."""
    addon_ids = Service.objects.filter(parent_id__in=ids).exclude(state__in=FINAL_STATES)
    return ids + list(addon_ids.values_list("pk", flat=True))


def end_services(ids: list[int], to: str, *, day: date, reason: str, actor=None) -> list[int]:
    """Cancel or terminate services and their add-ons; void their unpaid proformas."""
    moved = transition_many(with_addons(ids), to, day=day, reason=reason, actor=actor)
    open_renewals = Renewal.objects.filter(service_id__in=moved, status=Renewal.Status.OPEN)
    invoice_ids = list(open_renewals.values_list("invoice_id", flat=True).distinct())
    open_renewals.update(status=Renewal.Status.VOID)
    open_changes = PlanChange.objects.filter(service_id__in=moved, status=PlanChange.Status.OPEN)
    invoice_ids += list(open_changes.values_list("invoice_id", flat=True))
    open_changes.update(status=PlanChange.Status.VOID)
    cancel_proformas(invoice_ids, reason=f"service {to}", actor=actor)
    return moved


# --- plan changes (upgrade and downgrade) -------------------------------------------------


@transaction.atomic
def change_plan(service: Service, product: Product, *, actor=None) -> PlanChange:
    """Move ``service`` to ``product``, another plan of its product type (PC-1 … PC-4).

    The difference between the plans' prices is prorated on the days left of the paid
    period. An upgrade issues a proforma for it and the service moves when it is paid
    (:func:`apply_paid_plan_changes`, from the ``invoice_paid`` hook); a downgrade moves
    at once and the difference, with the VAT it was billed with, becomes account credit;
    an even change moves at once. A refused change writes nothing and says why in one
    line. Returns the :class:`PlanChange` (``status`` open for an upgrade).
    """
    authorize(actor, "service.change_plan", service)
    service = (
        Service.objects.select_for_update()
        .select_related("customer", "product__policy")
        .get(pk=service.pk)
    )
    product = Product.objects.get(pk=product.pk)
    day = clock.today()
    quote = quote_plan_change(service, product, today=day)
    change = PlanChange.objects.create(
        service=service,
        from_product=service.product,
        to_product=product,
        requested_on=day,
        period_end=quote.period_end,
        days_left=quote.days_left,
        days_in_period=quote.days_in_period,
        old_price=quote.old_price,
        new_price=quote.new_price,
        amount=quote.amount,
        currency=quote.currency,
    )
    data = {
        "from": service.product.code,
        "to": product.code,
        "amount": str(quote.amount),
        "currency": quote.currency,
        "days_left": quote.days_left,
        "days_in_period": quote.days_in_period,
    }
    if quote.is_upgrade:
        change.invoice = _bill_upgrade(quote, day, actor)
        change.save(update_fields=["invoice"])
        log_action(
            service,
            "service.plan_change_requested",
            actor=actor,
            data={**data, "invoice": change.invoice.number},
        )
        return change
    if quote.is_downgrade:
        _credit_downgrade(quote, actor)
    _move(change, day, actor, data)
    return change


def _bill_upgrade(quote: PlanQuote, day: date, actor) -> Invoice:
    service, product = quote.service, quote.product
    customer = service.customer
    with translation.override(customer.language):
        description = _("Upgrade of %(service)s to %(plan)s, %(start)s to %(end)s") % {
            "service": service.display_label,
            "plan": product.name,
            "start": day.isoformat(),
            "end": quote.period_end.isoformat(),
        }
    (invoice,) = issue_documents(
        [
            DocumentSpec(
                customer=customer,
                kind=DocumentKind.PROFORMA,
                lines=[
                    LineSpec(
                        description=description,
                        unit_price=quote.amount,
                        product_code=product.code,
                        period_start=day,
                        period_end=quote.period_end,
                    )
                ],
                issued_on=day,
                due_on=day,
                currency=quote.currency,
            )
        ],
        actor=actor,
    )
    service_notices.send(
        service,
        Event.INVOICE_ISSUED,
        day,
        invoice_id=invoice.pk,
        invoice_number=invoice.number,
        total=str(invoice.total),
        currency=invoice.currency,
        due_on=invoice.due_on.isoformat(),
    )
    return invoice


def _credit_downgrade(quote: PlanQuote, actor) -> None:
    """The prorated difference back as account credit, with the VAT rate the current
    period was billed with (``quote.credit``, PC-4)."""
    service = quote.service
    with translation.override(service.customer.language):
        note = _("Downgrade of %(service)s to %(plan)s: %(days)s of %(period)s days") % {
            "service": service.display_label,
            "plan": quote.product.name,
            "days": quote.days_left,
            "period": quote.days_in_period,
        }
    payments.add_credit(
        service.customer,
        amount=quote.credit,
        currency=quote.currency,
        kind=CreditEntry.Kind.ADJUSTMENT,
        note=note,
        actor=actor,
    )


def _move(change: PlanChange, day: date, actor, data: dict) -> None:
    """Put the service on its new plan, close ``change`` and tell the apps that act on
    the servers (``hooks.service_plan_changed``)."""
    service = change.service
    Service.objects.filter(pk=service.pk).update(product=change.to_product, agreed_price=None)
    PlanChange.objects.filter(pk=change.pk).update(status=PlanChange.Status.DONE, done_on=day)
    change.status, change.done_on = PlanChange.Status.DONE, day
    service.refresh_from_db()
    log_action(service, "service.plan_changed", actor=actor, data=data)
    hooks.service_plan_changed.send(
        sender=Service, service=service, previous_product_id=change.from_product_id, actor=actor
    )


def apply_paid_plan_changes(invoice: Invoice, *, actor=None) -> None:
    """An upgrade's proforma was paid: its service moves to the new plan now, if it is
    still live and on the plan it was on when the upgrade was asked for."""
    changes = PlanChange.objects.filter(
        invoice=invoice, status=PlanChange.Status.OPEN
    ).select_related("service", "from_product", "to_product")
    day = clock.today()
    for change in changes:
        service = change.service
        data = {
            "from": change.from_product.code,
            "to": change.to_product.code,
            "paid": invoice.number,
        }
        if service.state not in LIVE_STATES or service.product_id != change.from_product_id:
            PlanChange.objects.filter(pk=change.pk).update(status=PlanChange.Status.VOID)
            log_action(service, "service.plan_change_paid_after_end", actor=actor, data=data)
            continue
        _move(change, day, actor, data)


def suspend_services(ids: list[int], *, day: date, reason: str, actor=None) -> list[int]:
    """Suspend active services and their add-ons for a reason another app decides (a
    domain in redemption: ``domains.advance``); returns the ids moved."""
    return transition_many(
        with_addons(list(ids)), State.SUSPENDED, day=day, reason=reason, actor=actor
    )


@transaction.atomic
def restore_service(service: Service, *, actor, reason: str = "") -> Invoice:
    """Staff restore a terminated service (R3.5, R3.6): a new period from today plus the
    product's restore and reactivation fees; it comes back when that proforma is paid."""
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    service = Service.objects.select_related("customer", "product__policy").get(pk=service.pk)
    if service.state != State.TERMINATED:
        raise ValidationError(_("Only a terminated service can be restored."))
    day = clock.today()
    policy = service.product.policy
    fees = [
        (_("Restore from backup"), policy.restore_fee),
        (_("Reactivation fee"), policy.reactivation_fee),
    ]
    extra = [
        LineSpec(description=label, unit_price=fee, product_code=service.product.code)
        for label, fee in fees
        if fee
    ]
    (invoice,) = issue_for_charges(
        [
            Charge(
                service=service,
                start=day,
                end=schedule.period_end(day, service.cycle),
                amount=_price(service, day),
                kind=Renewal.Kind.RESTORE,
                extra_lines=extra,
            )
        ],
        day=day,
        event=Event.INVOICE_ISSUED,
        actor=actor,
    )
    log_action(
        service,
        "service.restore_requested",
        actor=actor,
        data={"invoice": invoice.number, **({"reason": reason} if reason else {})},
    )
    return invoice


def apply_paid_renewals(invoice: Invoice, *, actor=None) -> None:
    """A proforma was paid: start, extend, reactivate or restore its services.

    Renewals extend from the previous expiry, not from the payment date (R3.6).
    A document held for an identity check (R6.5) waits for the check.
    """
    if is_on_identity_hold(invoice.pk):
        log_action(invoice, "invoice.provisioning_held", actor=actor)
        return
    renewals = list(
        Renewal.objects.filter(invoice=invoice, status=Renewal.Status.OPEN)
        .select_related("service__product__policy", "service__customer")
        .order_by("service__parent_id", "service_id")
    )
    day = clock.today()
    for renewal in renewals:
        _apply(renewal, day, actor)
    Renewal.objects.filter(pk__in=[r.pk for r in renewals]).update(status=Renewal.Status.PAID)
    withdraw_reminders(invoice)


def withdraw_reminders(invoice: Invoice) -> int:
    """R3.4: payment reminders of a document paid before they were sent are withdrawn
    (recorded as skipped, never sent). Returns how many."""
    return Outbox.objects.filter(
        event=Event.PAYMENT_REMINDER, invoice_id=invoice.pk, status=Outbox.Status.QUEUED
    ).update(status=Outbox.Status.SKIPPED, last_error="withdrawn: the document was paid")


def release_identity_hold(invoice: Invoice, *, verified: bool, actor=None) -> None:
    """R6.5: a verified check provisions a paid document's order now; a failed one ends
    the services still pending on it (fraud); the payment is not refunded."""
    if verified:
        if invoice.status == Invoice.Status.PAID:
            apply_paid_renewals(invoice, actor=actor)
        return
    pending = Renewal.objects.filter(
        invoice=invoice, status=Renewal.Status.OPEN, service__state=State.PENDING
    ).values_list("service_id", flat=True)
    end_services(
        list(pending), State.FRAUD, day=clock.today(), reason="identity check failed", actor=actor
    )


def end_refunded(service_ids: list[int], *, actor=None) -> list[int]:
    """A refund gave the money back (R6.9, R4.5): the services end now, cancelled."""
    return end_services(
        list(service_ids), State.CANCELLED, day=clock.today(), reason="refunded", actor=actor
    )


def follow_expiry(service_id: int, expires_on: date, *, reason: str, actor=None) -> None:
    """Another system decides when ``service_id`` expires (a domain transferred in keeps
    its registry's expiry, R4.9): its next renewal is billed for that day. Audited."""
    service = Service.objects.filter(pk=service_id).first()
    if service is None or service.expires_on == expires_on:
        return
    Service.objects.filter(pk=service_id).update(expires_on=expires_on)
    log_action(
        service,
        "service.expiry_set",
        actor=actor,
        data={
            "from": service.expires_on.isoformat() if service.expires_on else None,
            "to": expires_on.isoformat(),
            "reason": reason,
        },
    )


#: The reason the audit trail gives for a suspension or reactivation for debt.
DEBT_SUSPENSION = "collections"
DEBT_PAID = "paid"


@transaction.atomic
def suspend_for_debt(
    customer_ids: set[int] | list[int], *, day: date, actor="automation"
) -> dict[int, list[Service]]:
    """An unpaid debt went past its grace period (R6.6): suspend the customers' active
    main services and their add-ons. Returns the main services suspended, per customer
    (three statements whatever the number of services)."""
    found: dict[int, list[Service]] = defaultdict(list)
    services = list(
        Service.objects.filter(
            customer_id__in=customer_ids, state=State.ACTIVE, parent__isnull=True
        ).select_related("product")
    )
    if not services:
        return found
    moved = set(
        transition_many(
            with_addons([s.pk for s in services]),
            State.SUSPENDED,
            day=day,
            reason=DEBT_SUSPENSION,
            actor=actor,
        )
    )
    for service in services:
        if service.pk in moved:
            found[service.customer_id].append(service)
    return found


@transaction.atomic
def reactivate_after_debt(service_ids, *, day: date, actor=None) -> list[int]:
    """The debt that suspended ``service_ids`` is settled (R3.6): those still suspended
    come back with their add-ons, and their customers are told. Returns the ids moved.

    A service past its expiry stays suspended until it is renewed: paying the debt does
    not pay the next period, and the schedule decides its fate (renewal or termination).
    """
    back = list(
        Service.objects.filter(pk__in=service_ids, state=State.SUSPENDED)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=day))
        .select_related("customer", "product__policy")
    )
    if not back:
        return []
    moved = transition_many(
        with_addons([s.pk for s in back]), State.ACTIVE, day=day, reason=DEBT_PAID, actor=actor
    )
    notifications.queue_notices(
        [
            service_notices.notice(service, Event.SERVICE_REACTIVATED, day)
            for service in back
            if service.pk in moved and service.expires_on
        ]
    )
    return moved


def _apply(renewal: Renewal, day: date, actor) -> None:
    service = renewal.service
    one_off = service.cycle == Cycle.ONE_OFF
    expires = None if one_off else renewal.period_end
    if renewal.kind == Renewal.Kind.ORDER or renewal.kind == Renewal.Kind.RESTORE:
        if service.state not in (State.PENDING, State.TERMINATED):
            return
        Service.objects.filter(pk=service.pk).update(
            started_on=renewal.period_start, expires_on=expires
        )
        transition(service, State.ACTIVE, day=day, reason=renewal.kind, actor=actor)
        return
    if service.state in FINAL_STATES:
        log_action(
            service, "service.paid_after_end", actor=actor, data={"invoice": renewal.invoice_id}
        )
        return
    new_expiry = max(service.expires_on or renewal.period_end, renewal.period_end)
    Service.objects.filter(pk=service.pk).update(expires_on=new_expiry)
    log_action(
        service,
        "service.renewed",
        actor=actor,
        data={"from": renewal.period_start.isoformat(), "to": new_expiry.isoformat()},
    )
    if service.state != State.SUSPENDED:
        # R3.4: a service renewed while it runs hears it from the receipt; a separate
        # "renewed" e-mail each period is noise.
        return
    if not service.product.policy.auto_reactivate:
        return
    transition(service, State.ACTIVE, day=day, reason="paid", actor=actor)
    event = Event.SERVICE_REACTIVATED
    if service.parent_id is None:
        service.expires_on = new_expiry
        service_notices.send(
            service,
            event,
            day,
            period_start=renewal.period_start.isoformat(),
            period_end=renewal.period_end.isoformat(),
        )


def days_to_expiry(service: Service, today: date | None = None) -> int | None:
    if service.expires_on is None:
        return None
    return (service.expires_on - (today or clock.today())).days


def grace_end(service: Service) -> date | None:
    if service.expires_on is None:
        return None
    return service.expires_on + timedelta(days=service.product.policy.terminate_after_days)


# --- by hand: staff act on one service with a reason (R5.6, R3.1) --------------------------

#: The reason code a suspension for abuse carries in the audit trail and in
#: ``hooks.services_changed`` (the staff member's words are in its own event).
ABUSE = "abuse"
#: The reason code of a service brought back, or ended, by staff.
BY_HAND = "by staff"
REASON_LENGTH = 300


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason; it is kept in the audit trail.")})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    return reason


def _locked(service: Service) -> Service:
    return Service.objects.select_for_update().select_related("customer").get(pk=service.pk)


@transaction.atomic
def suspend_by_hand(service: Service, *, reason: str, actor) -> list[int]:
    """Suspend an active service and its add-ons at once, without a notice period, for
    abuse (R5.6: spam, malware, an attacking site, illegal content). Returns the ids
    moved. The lead wires ``provisioning.services.suspend_for_abuse`` behind it."""
    reason = _reason(reason)
    service = _locked(service)
    if service.state != State.ACTIVE:
        raise ValidationError(
            _("Only an active service can be suspended; this one is %(s)s.")
            % {"s": service.get_state_display()}
        )
    moved = transition_many(
        with_addons([service.pk]), State.SUSPENDED, day=clock.today(), reason=ABUSE, actor=actor
    )
    log_action(service, "service.suspended_for_abuse", actor=actor, data={"reason": reason})
    return moved


@transaction.atomic
def unsuspend_by_hand(service: Service, *, reason: str, actor) -> list[int]:
    """Lift a suspension (the abuse was fixed): the service and its add-ons are active
    again. A service past its expiry stays suspended: renewing it decides (R3.6)."""
    reason = _reason(reason)
    service = _locked(service)
    if service.state != State.SUSPENDED:
        raise ValidationError(_("This service is not suspended."))
    today = clock.today()
    if service.expires_on is not None and service.expires_on <= today:
        raise ValidationError(
            _("This service expired on %(d)s; it comes back when its renewal is paid.")
            % {"d": service.expires_on.isoformat()}
        )
    moved = transition_many(
        with_addons([service.pk]), State.ACTIVE, day=today, reason=BY_HAND, actor=actor
    )
    log_action(service, "service.suspension_lifted", actor=actor, data={"reason": reason})
    return moved


@transaction.atomic
def terminate_by_hand(service: Service, *, reason: str, actor) -> list[int]:
    """End an active or suspended main service and its add-ons now (terminated: the
    data goes); its unpaid proformas are cancelled. An active one is suspended first, as
    the lifecycle's states require (R3.1)."""
    reason = _reason(reason)
    service = _locked(service)
    if service.parent_id is not None:
        raise ValidationError(_("Terminate the main service; its add-ons end with it."))
    if service.state not in LIVE_STATES:
        raise ValidationError(
            _("Only an active or suspended service can be terminated; this one is %(s)s.")
            % {"s": service.get_state_display()}
        )
    today = clock.today()
    ids = with_addons([service.pk])
    transition_many(ids, State.SUSPENDED, day=today, reason=BY_HAND, actor=actor)
    moved = end_services([service.pk], State.TERMINATED, day=today, reason=BY_HAND, actor=actor)
    log_action(service, "service.terminated_by_hand", actor=actor, data={"reason": reason})
    return moved


def restore_by_hand(service: Service, *, reason: str, actor) -> Invoice:
    """Staff restore a terminated service with a reason (R3.6; billed from the
    product's restore fee); it comes back when the proforma is paid."""
    return restore_service(service, actor=actor, reason=_reason(reason))

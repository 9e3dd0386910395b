"""Writes on the catalog: products with dated prices (R2.2, R2.3) and coupons (R2.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyklos.catalog.defaults import REFUNDABLE_TYPES
from kyklos.catalog.models import (
    Coupon,
    Cycle,
    ExchangeRate,
    ForeignPrice,
    LifecyclePolicy,
    Price,
    Product,
    ProductType,
)
from kyklos.catalog.selectors import default_policy
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, round_money

PriceSpec = Decimal | int | str | tuple[Decimal | int | str, Decimal | int | str]


def _money(value, field: str) -> Decimal:
    """A non-negative Decimal from a Decimal, int or str (never a float)."""
    if isinstance(value, float | bool):
        raise ValidationError({field: _("Give amounts as Decimal or text, never as a float.")})
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(
            {field: _("%(value)r is not an amount.") % {"value": value}}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError({field: _("An amount cannot be negative.")})
    return amount


def _new_price(product: Product, cycle: str, amount, setup_fee, valid_from: date) -> Price:
    if cycle not in Cycle.values:
        raise ValidationError(
            {
                "cycle": _("%(cycle)s is not a billing cycle; use one of %(cycles)s.")
                % {"cycle": cycle, "cycles": ", ".join(Cycle.values)}
            }
        )
    price = Price(
        product=product,
        cycle=cycle,
        amount=_money(amount, "amount"),
        setup_fee=_money(setup_fee, "setup_fee"),
        currency=settings.KYKLOS_CURRENCY,
        valid_from=valid_from,
    )
    price.full_clean()
    price.amount = round_money(price.amount, price.currency)  # as stored: 6 → 6.00
    price.setup_fee = round_money(price.setup_fee, price.currency)
    price.save()
    return price


def _split(spec: PriceSpec) -> tuple:
    return spec if isinstance(spec, tuple) else (spec, ZERO)


@transaction.atomic
def create_product(
    *,
    code: str,
    type: str,  # noqa: A002 - the model field's name
    name: str,
    prices: dict[str, PriceSpec],
    valid_from: date | None = None,
    policy: LifecyclePolicy | None = None,
    refundable: bool | None = None,
    actor=None,
) -> Product:
    """Create a product with its list prices per cycle from ``valid_from`` (default today).

    ``prices`` maps a cycle to an amount or to ``(amount, setup_fee)``. The policy defaults
    to the one seeded for the type; ``refundable`` to the money-back rule (R6.9). Bad input
    writes nothing.
    """
    if type not in ProductType.values:
        raise ValidationError({"type": _("%(type)s is not a product type.") % {"type": type}})
    policy = policy or default_policy(type)
    if policy is None:
        raise ValidationError(
            {
                "policy": _("There is no lifecycle policy for %(type)s; create one first.")
                % {"type": type}
            }
        )
    if not prices:
        raise ValidationError({"prices": _("Give at least one price.")})
    product = Product(
        code=code,
        type=type,
        name=name,
        policy=policy,
        refundable=type in REFUNDABLE_TYPES if refundable is None else refundable,
    )
    product.full_clean()
    product.save()
    day = valid_from or clock.today()
    for cycle, spec in prices.items():
        amount, setup_fee = _split(spec)
        _new_price(product, cycle, amount, setup_fee, day)
    log_action(
        product,
        "product.created",
        actor=actor,
        data={
            "prices": {cycle: str(_split(spec)[0]) for cycle, spec in prices.items()},
            "valid_from": day.isoformat(),
        },
    )
    return product


@transaction.atomic
def set_price(
    product: Product, *, cycle: str, amount, valid_from: date, setup_fee=ZERO, actor=None
) -> Price:
    """Add a dated price (R2.3): orders from ``valid_from`` on, and renewals issued from
    then, pay it; earlier orders keep the price they were placed at."""
    price = _new_price(product, cycle, amount, setup_fee, valid_from)
    log_action(
        product,
        "product.price_set",
        actor=actor,
        data={
            "cycle": cycle,
            "amount": str(price.amount),
            "setup_fee": str(price.setup_fee),
            "valid_from": valid_from.isoformat(),
        },
    )
    return price


def coupon_discount(
    coupon: Coupon,
    *,
    product: Product,
    amount: Decimal,
    day: date,
    is_first_purchase: bool,
    currency: str | None = None,
) -> Decimal:
    """The discount ``coupon`` gives on ``amount`` for ``product`` on ``day`` (R2.4).

    Zero on renewals. Raises ValidationError (on ``coupon``) when the coupon is not valid
    that day, is used up or is not for that product. Never more than ``amount``.
    """
    amount = _money(amount, "amount")
    if not is_first_purchase:
        return round_money(ZERO, currency or settings.KYKLOS_CURRENCY)
    _check_coupon(coupon, product, day)
    if coupon.percent_off is not None:
        discount = amount * coupon.percent_off / 100
    else:
        discount = coupon.amount_off or ZERO
    return round_money(min(discount, amount), currency or settings.KYKLOS_CURRENCY)


def _check_coupon(coupon: Coupon, product: Product, day: date) -> None:
    if day < coupon.valid_from:
        message = _("The coupon %(code)s is valid from %(day)s.")
        raise ValidationError(
            {"coupon": message % {"code": coupon.code, "day": coupon.valid_from.isoformat()}}
        )
    if coupon.valid_until is not None and day > coupon.valid_until:
        message = _("The coupon %(code)s expired on %(day)s.")
        raise ValidationError(
            {"coupon": message % {"code": coupon.code, "day": coupon.valid_until.isoformat()}}
        )
    if coupon.max_uses is not None and coupon.times_used >= coupon.max_uses:
        raise ValidationError(
            {"coupon": _("The coupon %(code)s has been used up.") % {"code": coupon.code}}
        )
    allowed = {p.pk for p in coupon.products.all()}
    if allowed and product.pk not in allowed:
        raise ValidationError(
            {
                "coupon": _("The coupon %(code)s is not valid for %(product)s.")
                % {"code": coupon.code, "product": product}
            }
        )


def redeem_coupon(coupon: Coupon, *, actor=None) -> Coupon:
    """Count one use of ``coupon``, atomically: concurrent orders can never use a coupon
    more than ``max_uses`` times."""
    with transaction.atomic():
        updated = (
            Coupon.objects.filter(pk=coupon.pk)
            .filter(Q(max_uses__isnull=True) | Q(times_used__lt=F("max_uses")))
            .update(times_used=F("times_used") + 1)
        )
        if not updated:
            raise ValidationError(
                {"coupon": _("The coupon %(code)s has been used up.") % {"code": coupon.code}}
            )
        coupon.refresh_from_db(fields=["times_used"])
        log_action(coupon, "coupon.redeemed", actor=actor, data={"times_used": coupon.times_used})
    return coupon


# --- R5.8: withdrawal from sale --------------------------------------------------------


@transaction.atomic
def withdraw_product(
    product: Product,
    *,
    on: date,
    notice_days: int,
    migration_target: Product | None,
    actor=None,
) -> Product:
    """Withdraw ``product`` from sale from ``on`` (R5.8): no orders from that day; the
    services that hold it renew until ``notice_days`` after it; customers are offered
    ``migration_target``, a current product of the same type. Refused input writes nothing."""
    if product.withdrawn_on is not None:
        raise ValidationError(
            {
                "withdrawn_on": _("%(p)s is already withdrawn from %(d)s.")
                % {"p": product.name, "d": product.withdrawn_on.isoformat()}
            }
        )
    if on < clock.today():
        raise ValidationError({"withdrawn_on": _("A withdrawal cannot start in the past.")})
    if isinstance(notice_days, bool) or not isinstance(notice_days, int):
        raise ValidationError({"withdrawal_notice_days": _("The notice is a number of days.")})
    if not 30 <= notice_days <= 730:
        raise ValidationError(
            {"withdrawal_notice_days": _("The notice must be between 30 and 730 days.")}
        )
    if migration_target is None:
        raise ValidationError(
            {"migration_target": _("Name the current product offered instead (R5.8).")}
        )
    from kyklos.catalog.selectors import is_on_sale

    if (
        migration_target.pk == product.pk
        or migration_target.type != product.type
        or not is_on_sale(migration_target, on)
    ):
        raise ValidationError(
            {
                "migration_target": _(
                    "The product offered instead must be another %(type)s product on sale."
                )
                % {"type": ProductType(product.type).label}
            }
        )
    product.withdrawn_on = on
    product.withdrawal_notice_days = notice_days
    product.migration_target = migration_target
    if on <= clock.today():
        product.is_active = False
    product.save(
        update_fields=["withdrawn_on", "withdrawal_notice_days", "migration_target", "is_active"]
    )
    log_action(
        product,
        "product.withdrawn",
        actor=actor,
        data={
            "withdrawn_on": on.isoformat(),
            "notice_days": notice_days,
            "migration_target": migration_target.code,
        },
    )
    return product


def take_off_sale(day: date, *, actor=None) -> list[int]:
    """Products whose withdrawal day has come stop being sold (set-based); their ids."""
    due = Product.objects.filter(withdrawn_on__lte=day, is_active=True)
    ids = list(due.values_list("pk", flat=True))
    if ids:
        Product.objects.filter(pk__in=ids).update(is_active=False)
        for product in Product.objects.filter(pk__in=ids):
            log_action(product, "product.off_sale", actor=actor, data={"day": day.isoformat()})
    return ids


# --- R5.9: prices in another currency --------------------------------------------------


def _rate(value, field: str = "rate") -> Decimal:
    if isinstance(value, float | bool):
        raise ValidationError({field: _("Give a rate as Decimal or text, never as a float.")})
    try:
        rate = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError({field: _("%(value)r is not a rate.") % {"value": value}}) from None
    if not rate.is_finite() or rate <= 0:
        raise ValidationError({field: _("A rate must be greater than zero.")})
    if rate != rate.quantize(Decimal("0.000001")) or rate >= 10**8:
        raise ValidationError({field: _("A rate has at most 8 digits and 6 decimals.")})
    return rate


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationError({"currency": _("A currency is a three-letter ISO 4217 code.")})
    if code == settings.KYKLOS_CURRENCY:
        raise ValidationError(
            {"currency": _("Prices in %(c)s need no exchange rate.") % {"c": code}}
        )
    return code


def check_rate(currency: str, day: date, rate) -> tuple[str, Decimal]:
    """The currency code and rate as they would be recorded, or the ValidationError."""
    code, value = _currency(currency), _rate(rate)
    if ExchangeRate.objects.filter(currency=code, day=day).exists():
        raise ValidationError(
            {"day": _("A %(c)s rate for %(d)s is already recorded.") % {"c": code, "d": day}}
        )
    return code, value


@transaction.atomic
def record_rate(currency: str, day: date, rate, *, actor=None) -> ExchangeRate:
    """Record what one unit of ``currency`` is worth in the house currency on ``day``."""
    code, value = check_rate(currency, day, rate)
    entry = ExchangeRate.objects.create(currency=code, day=day, rate=value)
    log_action(entry, "rate.recorded", actor=actor, data={"rate": str(value)})
    return entry


@transaction.atomic
def set_foreign_price(
    product: Product, *, cycle: str, currency: str, amount, valid_from: date, actor=None
) -> ForeignPrice:
    """Price a dedicated server in another currency (R5.9): its list price from
    ``valid_from`` is ``amount`` × the rate in force that day, and that rate is the one later
    moves are measured from."""
    from kyklos.catalog.selectors import FOREIGN_PRICED_TYPES, rate_on

    if product.type not in FOREIGN_PRICED_TYPES:
        raise ValidationError(
            {"product": _("Only dedicated servers are priced in another currency (R5.9).")}
        )
    code = _currency(currency)
    value = _money(amount, "amount")
    if value <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    rate = rate_on(code, valid_from)
    if rate is None:
        raise ValidationError(
            {
                "currency": _("No %(c)s rate is recorded on or before %(d)s.")
                % {"c": code, "d": valid_from}
            }
        )
    foreign, _created = ForeignPrice.objects.update_or_create(
        product=product,
        cycle=cycle,
        defaults={
            "currency": code,
            "amount": round_money(value, code),
            "rate_at_pricing": rate.rate,
            "priced_on": valid_from,
        },
    )
    set_price(
        product,
        cycle=cycle,
        amount=round_money(foreign.amount * rate.rate, settings.KYKLOS_CURRENCY),
        valid_from=valid_from,
        actor=actor,
    )
    return foreign


@dataclass(frozen=True)
class Repricing:
    foreign: ForeignPrice
    old_rate: Decimal
    new_rate: Decimal
    price: Price  # the new list price, from ``price.valid_from``


def reprice(day: date, *, notice_days: int = 0, actor=None) -> list[Repricing]:
    """R5.9: every foreign-currency price whose rate moved 20 % or more from the rate at its
    last pricing gets a new list price from the day after the notice (``day`` + one
    month, or ``notice_days`` when given); the new rate becomes the one measured from.
    Call it inside the transaction that tells the customers."""
    from kyklos.catalog.selectors import moved_enough, rate_on

    effective = _one_month_after(day) if not notice_days else day + timedelta(days=notice_days)
    done = []
    for foreign in ForeignPrice.objects.select_related("product").order_by("pk"):
        rate = rate_on(foreign.currency, day)
        if rate is None or not moved_enough(foreign.rate_at_pricing, rate.rate):
            continue
        old_rate = foreign.rate_at_pricing
        amount = round_money(foreign.amount * rate.rate, settings.KYKLOS_CURRENCY)
        price = Price.objects.filter(
            product=foreign.product, cycle=foreign.cycle, valid_from=effective
        ).first()
        if price is None:
            price = set_price(
                foreign.product,
                cycle=foreign.cycle,
                amount=amount,
                valid_from=effective,
                actor=actor,
            )
        foreign.rate_at_pricing, foreign.priced_on = rate.rate, day
        foreign.save(update_fields=["rate_at_pricing", "priced_on"])
        log_action(
            foreign.product,
            "product.repriced",
            actor=actor,
            data={
                "cycle": foreign.cycle,
                "currency": foreign.currency,
                "old_rate": str(old_rate),
                "new_rate": str(rate.rate),
                "amount": str(price.amount),
                "valid_from": effective.isoformat(),
            },
        )
        done.append(Repricing(foreign, old_rate, rate.rate, price))
    return done


def _one_month_after(day: date) -> date:
    """The same day next month (the month's last day when it has no such day)."""
    import calendar

    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))

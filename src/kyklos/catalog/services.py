"""Writes on the catalog: products with dated prices (R2.2, R2.3) and coupons (R2.4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyklos.catalog.defaults import REFUNDABLE_TYPES
from kyklos.catalog.models import Coupon, Cycle, LifecyclePolicy, Price, Product, ProductType
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

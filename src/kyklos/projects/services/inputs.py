"""Checks of what staff and customers type, shared by the project services."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.customers.models import Customer

#: Amounts above this do not fit the document columns.
MAX_AMOUNT = Decimal("999999999999")


def checked_decimal(value, field: str, message: str) -> Decimal:
    if isinstance(value, float):
        raise ValidationError({field: message})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: message}) from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise ValidationError({field: message})
    return number


def checked_amount(value, field: str = "amount") -> Decimal:
    number = checked_decimal(value, field, _("Enter the amount as a number, e.g. 120.50."))
    if number <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return number


def checked_text(value, field: str, message: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters, please.") % {"n": limit}})
    return text


def ensure_active(customer: Customer) -> None:
    if customer.status != Customer.Status.ACTIVE:
        raise ValidationError({"customer": _("This account is locked.")})

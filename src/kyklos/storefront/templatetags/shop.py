"""``{{ amount|money:currency }}``: an amount in the active language's format."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from kyklos.core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency: str = "EUR") -> str:
    if amount is None or amount == "":
        return ""
    return format_money(Decimal(amount), currency or "EUR", get_language() or "en")


@register.filter
def percent(rate) -> str:
    if rate is None:
        return ""
    value = Decimal(rate).normalize()
    return f"{value:f} %"

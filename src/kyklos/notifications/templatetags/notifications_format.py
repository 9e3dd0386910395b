"""Filters that format notice values for the language being rendered.

Notice contexts are JSON, so dates arrive as ISO strings and amounts as decimal strings.
The language is the one active while rendering (``rendering.render_notice`` activates it)::

    {% load notifications_format %}
    {{ expires_on|notice_date }}        1 Μαρτίου 2027
    {{ total|notice_money:currency }}   1.234,50 €
"""

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from django import template
from django.conf import settings
from django.utils import translation

from kyklos.core.money import babel_locale, format_money

register = template.Library()


@register.filter
def notice_date(value: str | date | None) -> str:
    """A date in the active language's long form; empty when there is none."""
    if not value:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(value)
    return format_date(day, format="long", locale=babel_locale(translation.get_language()))


@register.filter
def notice_money(value: str | int | Decimal | None, currency: str = "") -> str:
    """An amount with its currency for the active language; empty when there is none."""
    if value in (None, ""):
        return ""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass amounts as decimal strings")
    return format_money(
        Decimal(value), currency or settings.KYKLOS_CURRENCY, translation.get_language()
    )

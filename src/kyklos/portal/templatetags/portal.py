"""Display helpers for portal templates, in the active language."""

from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kyklos.core.money import format_money

register = template.Library()


@register.simple_tag
def money(amount: Decimal, currency: str) -> str:
    """``{% money invoice.total invoice.currency %}`` → ``1.234,50 €`` in Greek."""
    return format_money(amount, currency, translation.get_language())


@register.filter
def days_left(days: int | None) -> str:
    """Days to expiry in words: "in 12 days", "today", "3 days ago"; empty when unknown."""
    if days is None:
        return ""
    if days == 0:
        return _("today")
    if days > 0:
        return ngettext("in %(days)d day", "in %(days)d days", days) % {"days": days}
    return ngettext("%(days)d day ago", "%(days)d days ago", -days) % {"days": -days}

"""Display helpers for portal templates, in the active language."""

from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kyklos.core import fragments
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


class CachedChromeNode(template.Node):
    """``{% chrome "header" %}…{% endchrome %}``: a part of every page (its header, its
    footer) rendered once per language, path, login state and the page scopes the login
    opens (kyklos.core.fragments),
    with each request's CSRF token put in."""

    def __init__(self, name: str, nodelist: template.NodeList):
        self.name, self.nodelist = name, nodelist

    def render(self, context) -> str:
        request = context.get("request")
        if request is None:
            return self.nodelist.render(context)
        user = context.get("user")
        inputs = (
            request.get_full_path(),
            bool(user and user.is_authenticated),
            tuple(sorted(getattr(request, "portal_pages", ()))),  # the links a login sees
        )

        def render() -> str:
            with context.push(csrf_token=fragments.CSRF_MARKER):
                return self.nodelist.render(context)

        return fragments.cached(request, f"chrome-{self.name}", 0, inputs, render)


@register.tag
def chrome(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError(f"{bits[0]} takes the part's name in quotes")
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    return CachedChromeNode(bits[1].strip("\"'"), nodelist)

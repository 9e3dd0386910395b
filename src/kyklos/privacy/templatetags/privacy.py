"""Template tags of the privacy app.

``{% cookie_banner %}`` renders the banner until the visitor chose (include it in every
public page and the portal); it is rendered once per language and page and kept
(kyklos.core.fragments), with each request's CSRF token put in.
``{% if_consent "analytics" %}…{% endif_consent %}`` renders its content — an analytics
or advertising ``<script src>`` — only with consent for that purpose; without consent the
content is not rendered at all.
"""

from django import template
from django.template.loader import render_to_string

from kyklos.core import fragments
from kyklos.privacy import consent

register = template.Library()

PURPOSES = {
    "analytics": consent.Purpose.ANALYTICS_COOKIES,
    "advertising": consent.Purpose.ADVERTISING_COOKIES,
}


@register.simple_tag(takes_context=True)
def cookie_banner(context) -> str:
    request = context.get("request")
    if request is None or consent.cookie_choices(request) is not None:
        return ""
    here = request.get_full_path()
    return fragments.cached(
        request,
        "cookie-banner",
        0,
        (here,),
        lambda: render_to_string(
            "privacy/_cookie_banner.html", {"next": here, "csrf_token": fragments.CSRF_MARKER}
        ),
    )


class IfConsentNode(template.Node):
    def __init__(self, purpose: str, nodelist: template.NodeList):
        self.purpose, self.nodelist = purpose, nodelist

    def render(self, context) -> str:
        request = context.get("request")
        choices = consent.cookie_choices(request) if request is not None else None
        if choices and choices.get(self.purpose):
            return self.nodelist.render(context)
        return ""


@register.tag
def if_consent(parser, token):
    bits = token.split_contents()
    if len(bits) != 2 or bits[1].strip("\"'") not in PURPOSES:
        raise template.TemplateSyntaxError(
            f"{bits[0]} takes one purpose: {' or '.join(repr(p) for p in PURPOSES)}"
        )
    nodelist = parser.parse(("endif_consent",))
    parser.delete_first_token()
    return IfConsentNode(PURPOSES[bits[1].strip("\"'")], nodelist)

"""The shop's domain search: a documented stand-in until the domains app's registry check
(EPP ``<domain:check>``) takes its place (docs/storefront.md).

:func:`availability` answers from what Kyklos knows without asking a registry:

1. the name's syntax: IDNA 2008 with UTS #46 mapping (the ``idna`` library), every label
   1–63 characters, letters, digits and hyphens, no hyphen at either end, at most 253
   characters in all, exactly one label before the TLD (``example.gr``, not
   ``www.example.gr``);
2. a TLD the shop sells: a domain product whose code is ``domain-<tld>`` (``domain-gr``);
3. no service of ours holds the name (its label), except ended ones.

A name that passes is *probably* free; the registration itself is the registry's word.
4. the domains app's answer (:func:`kyklos.domains.selectors.availability`): a name held
   here or reported taken by its registry is refused; its TLD's shortest term is the cycle
   the shop sells (a ``.gr`` is registered for 2 years, R4.2 data).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import idna
from django.utils.translation import gettext as _

from kyklos.catalog.models import Product, ProductType
from kyklos.catalog.selectors import PriceNotFound, price_on
from kyklos.core import clock
from kyklos.domains import selectors as domain_selectors
from kyklos.lifecycle.models import FINAL_STATES, Service

#: The cycle a domain is sold for in the shop, and the one whose price is shown.
DOMAIN_CYCLE = "annual"


@dataclass(frozen=True)
class Availability:
    name: str  # the name in its A-label (punycode) form, lower case; as typed when invalid
    available: bool
    tld: str
    price: Decimal | None
    reason: str  # why not available, in the active language; "" when available
    product_code: str = ""
    unicode_name: str = ""  # the U-label form, for display
    cycle: str = "annual"  # the term the shop sells it for
    transferable: bool = False  # registered at another registrar: it can be transferred here

    @property
    def display_name(self) -> str:
        return self.unicode_name or self.name


def _refused(name: str, tld: str, reason: str) -> Availability:
    return Availability(name=name, available=False, tld=tld, price=None, reason=reason)


def normalise(name: str) -> tuple[str, str]:
    """The A-label and U-label forms of ``name``; raises ValueError with a message."""
    raw = (name or "").strip().rstrip(".")
    if not raw:
        raise ValueError(_("Enter a domain name, e.g. example.gr."))
    try:
        ascii_name = idna.encode(raw, uts46=True).decode("ascii").lower()
        unicode_name = idna.decode(ascii_name)
    except (idna.IDNAError, UnicodeError):
        raise ValueError(
            _("“%(name)s” is not a valid domain name: use letters, digits and hyphens.")
            % {"name": raw[:80]}
        ) from None
    if len(ascii_name) > 253:
        raise ValueError(_("A domain name has at most 253 characters."))
    labels = ascii_name.split(".")
    if len(labels) != 2:
        raise ValueError(_("Give one name and its ending, e.g. example.gr (not www.example.gr)."))
    return ascii_name, unicode_name


def availability(name: str) -> Availability:
    """Whether ``name`` can be ordered in the shop (see the module's rules)."""
    try:
        ascii_name, unicode_name = normalise(name)
    except ValueError as error:
        return _refused((name or "").strip()[:253], "", str(error))
    tld = ascii_name.rsplit(".", 1)[1]
    product = Product.objects.filter(
        code=f"domain-{tld}", type=ProductType.DOMAIN, is_active=True
    ).first()
    if product is None:
        return _refused(ascii_name, tld, _("We do not register .%(tld)s domains.") % {"tld": tld})
    try:
        price = price_on(product, DOMAIN_CYCLE, clock.today()).amount
    except PriceNotFound:
        return _refused(ascii_name, tld, _("We do not register .%(tld)s domains.") % {"tld": tld})
    held = Service.objects.filter(label__iexact=ascii_name).exclude(state__in=FINAL_STATES).exists()
    if held:
        return _refused(
            ascii_name, tld, _("%(name)s is already registered.") % {"name": unicode_name}
        )
    cycle = DOMAIN_CYCLE
    (offer,) = domain_selectors.availability([ascii_name]) or (None,)
    if offer is not None:
        if offer.available is False and offer.prices:
            refused = _refused(ascii_name, tld, offer.reason)
            if offer.transferable:
                refused = Availability(
                    name=ascii_name,
                    available=False,
                    tld=tld,
                    price=None,
                    reason=offer.reason
                    + " "
                    + _("If it is yours, transfer it here with its auth code (below)."),
                    transferable=True,
                )
            return refused
        if offer.prices:  # the TLD's terms: the shortest one it sells
            years = min(offer.prices)
            cycle = domain_selectors.CYCLE_OF_YEARS.get(years, DOMAIN_CYCLE)
            try:
                price = price_on(product, cycle, clock.today()).amount
            except PriceNotFound:
                cycle = DOMAIN_CYCLE
    return Availability(
        name=ascii_name,
        available=True,
        tld=tld,
        price=price,
        reason="",
        product_code=product.code,
        unicode_name=unicode_name,
        cycle=cycle,
    )

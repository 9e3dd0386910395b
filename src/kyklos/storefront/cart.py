"""The shop's cart: kept in the visitor's session, priced when shown (R2.3, R2.4, R6.3).

The session holds only what the visitor chose — product codes, cycles, domain names, a
coupon code, a country and a VAT id — never a price: :func:`quote` prices the cart from the
price list in force today every time, so a tampered session can change nothing but a choice,
and every choice is checked again when the order is placed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kyklos.billing import selectors as billing
from kyklos.catalog import services as catalog_services
from kyklos.catalog.models import Coupon, Cycle, Product, ProductType
from kyklos.catalog.selectors import PriceNotFound, price_on
from kyklos.core import clock
from kyklos.core.money import ZERO, round_money
from kyklos.customers.services import validate_country
from kyklos.lifecycle.models import Service
from kyklos.storefront import domain_search

SESSION_KEY = "kyklos_cart"
#: At most this many items in one cart.
MAX_ITEMS = 20


def empty() -> dict:
    return {"items": [], "coupon": "", "country": "", "vat_id": ""}


def load(session) -> dict:
    """The session's cart, or an empty one when there is none or it is malformed."""
    cart = session.get(SESSION_KEY)
    if not isinstance(cart, dict) or not isinstance(cart.get("items"), list):
        return empty()
    return {**empty(), **cart}


def save(session, cart: dict) -> None:
    session[SESSION_KEY] = cart


def clear(session) -> None:
    session.pop(SESSION_KEY, None)


def _sellable(code: str) -> Product:
    product = (
        Product.objects.filter(code=str(code or "")[:50], is_active=True)
        .exclude(type=ProductType.ADDON)
        .first()
    )
    if product is None:
        raise ValidationError({"product": _("There is no such product in the shop.")})
    return product


def add_product(cart: dict, *, product_code: str, cycle: str, addons=()) -> dict:
    """The cart with one more product for ``cycle`` at today's price, with the add-ons
    chosen (R2.5: they attach to it and share its cycle); refused (nothing changes) for an
    unknown or withdrawn product, an add-on alone, a domain (use :func:`add_domain`), a
    cycle without a price today, or an add-on that does not fit or has no price for it."""
    product = _sellable(product_code)
    if product.type == ProductType.DOMAIN:
        raise ValidationError({"product": _("Search for a domain name to add a domain.")})
    if cycle not in Cycle.values:
        raise ValidationError({"cycle": _("Choose a billing cycle from the list.")})
    try:
        price_on(product, cycle, clock.today())
    except PriceNotFound:
        raise ValidationError(
            {"cycle": _("%(product)s is not sold for that cycle.") % {"product": product.name}}
        ) from None
    chosen = []
    for code in dict.fromkeys(str(c)[:50] for c in addons):
        addon = product.addons.filter(code=code, is_active=True, type=ProductType.ADDON).first()
        if addon is None:
            raise ValidationError({"addons": _("That add-on does not fit this product.")})
        try:
            price_on(addon, cycle, clock.today())
        except PriceNotFound:
            raise ValidationError(
                {"addons": _("%(addon)s is not sold for that cycle.") % {"addon": addon.name}}
            ) from None
        chosen.append(addon.code)
    item = {"product": product.code, "cycle": cycle, "domain": "", "addons": chosen}
    return _with_item(cart, item)


def add_domain(cart: dict, name: str) -> dict:
    """The cart with the domain ``name`` (checked by :mod:`domain_search`)."""
    found = domain_search.availability(name)
    if not found.available:
        raise ValidationError({"domain": found.reason})
    if any(item.get("domain") == found.name for item in cart["items"]):
        raise ValidationError({"domain": _("%(name)s is already in your cart.") % {"name": name}})
    return _with_item(
        cart,
        {"product": found.product_code, "cycle": found.cycle, "domain": found.name},
    )


def add_transfer(cart: dict, name: str, auth_code: str) -> dict:
    """The cart with the transfer in of ``name``, held at another registrar, with its auth
    code (R4.9: it has non-alphanumeric characters). Its price is its TLD's shortest term;
    whether the transfer adds a year is shown before payment (R4.8). The code stays in
    the server-side session until the order is placed, then in the vault."""
    from kyklos.domains import defaults as domain_defaults
    from kyklos.domains import selectors as domain_selectors
    from kyklos.domains import services as domains

    code = domains.check_incoming_auth_code(auth_code)
    found = domain_selectors.transfer_quote(name)
    if any(item.get("domain") == found.name for item in cart["items"]):
        raise ValidationError(
            {"domain": _("%(name)s is already in your cart.") % {"name": found.name}}
        )
    return _with_item(
        cart,
        {
            "product": domain_defaults.product_code(found.tld),
            "cycle": domain_selectors.CYCLE_OF_YEARS[found.years],
            "domain": found.name,
            "transfer": True,
            "auth_code": code,
            "notes": found.notes,
        },
    )


def _with_item(cart: dict, item: dict) -> dict:
    if len(cart["items"]) >= MAX_ITEMS:
        raise ValidationError(
            _("A cart holds at most %(count)s items; place this order first.")
            % {"count": MAX_ITEMS}
        )
    return {**cart, "items": [*cart["items"], item]}


def remove(cart: dict, index) -> dict:
    """The cart without its item number ``index`` (0-based)."""
    try:
        position = int(index)
    except (TypeError, ValueError):
        position = -1
    if not 0 <= position < len(cart["items"]):
        raise ValidationError(_("That item is no longer in your cart."))
    items = list(cart["items"])
    del items[position]
    return {**cart, "items": items}


def set_coupon(cart: dict, code: str, *, customer=None) -> dict:
    """The cart with the coupon ``code``, if it gives a discount on something in it
    (R2.4); an empty code removes the coupon."""
    code = (code or "").strip()
    if not code:
        return {**cart, "coupon": ""}
    candidate = {**cart, "coupon": code}
    result = quote(candidate, customer=customer)
    if result.coupon_error:
        raise ValidationError({"coupon": result.coupon_error})
    return candidate


def set_buyer(cart: dict, *, country: str, vat_id: str = "") -> dict:
    """The cart with the buyer's country and VAT id, which decide the VAT shown (R6.3)."""
    code = validate_country(country)
    vat_id = (vat_id or "").strip()
    billing.vat_decision(country=code, vat_id=vat_id)  # a bad VAT id raises here
    return {**cart, "country": code, "vat_id": vat_id}


# --- pricing -----------------------------------------------------------------------------


@dataclass
class AddonLine:
    product: Product
    amount: Decimal
    setup_fee: Decimal


@dataclass
class Line:
    index: int
    product: Product
    cycle: str
    domain: str
    amount: Decimal
    setup_fee: Decimal
    discount: Decimal = ZERO
    addons: list[AddonLine] = field(default_factory=list)
    #: A transfer in of ``domain`` (not a registration), with what it gains (R4.8).
    transfer: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def gross(self) -> Decimal:
        extras = sum((a.amount + a.setup_fee for a in self.addons), ZERO)
        return self.amount + self.setup_fee + extras

    @property
    def total(self) -> Decimal:
        return self.gross - self.discount

    @property
    def cycle_label(self) -> str:
        return str(Cycle(self.cycle).label)

    @property
    def display_domain(self) -> str:
        if not self.domain:
            return ""
        try:
            return domain_search.normalise(self.domain)[1]
        except ValueError:
            return self.domain


@dataclass
class Quote:
    lines: list[Line] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # items dropped: no longer sold
    coupon: Coupon | None = None
    coupon_line: int | None = None  # the index of the line the coupon applies to
    coupon_error: str = ""
    country: str = ""
    vat_id: str = ""
    vat_rate: Decimal | None = None
    vat_note: str = ""
    vat_error: str = ""
    currency: str = ""

    @property
    def net(self) -> Decimal:
        return sum((line.gross for line in self.lines), ZERO)

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)

    @property
    def taxable(self) -> Decimal:
        return self.net - self.discount

    @property
    def vat(self) -> Decimal | None:
        if self.vat_rate is None:
            return None
        return round_money(self.taxable * self.vat_rate / 100, self.currency)

    @property
    def total(self) -> Decimal:
        return self.taxable + (self.vat or ZERO)


def _first_purchase(customer) -> bool:
    """R2.4: a customer's first purchase is one made while they hold no service yet."""
    return customer is None or not Service.objects.filter(customer=customer).exists()


def quote(cart: dict, *, customer=None) -> Quote:
    """Price ``cart`` today: each line at the list price in force (R2.3), the coupon on
    the first line it fits if this is the first purchase (R2.4), the VAT for the buyer's
    country and VAT id (R6.3) — the customer's own when logged in."""
    day = clock.today()
    result = Quote(currency=settings.KYKLOS_CURRENCY)
    codes = set()
    for item in cart["items"]:
        if isinstance(item, dict):
            codes.add(str(item.get("product", ""))[:50])
            addons = item.get("addons") or []
            codes.update(str(c)[:50] for c in addons if isinstance(addons, list))
    products = {
        p.code: p
        for p in Product.objects.filter(code__in=codes, is_active=True).prefetch_related(
            "addon_for"
        )
    }
    for index, item in enumerate(cart["items"]):
        product = products.get(item.get("product")) if isinstance(item, dict) else None
        price = _price_or_none(product, item.get("cycle") if product else None, day)
        if price is None or product.is_addon:
            result.problems.append(_("An item of your cart is no longer sold; it was left out."))
            continue
        result.currency = price.currency
        line = Line(
            index=index,
            product=product,
            cycle=price.cycle,
            domain=str(item.get("domain") or ""),
            amount=price.amount,
            setup_fee=price.setup_fee,
            transfer=item.get("transfer") is True,
            notes=[str(n)[:300] for n in item.get("notes") or [] if isinstance(n, str)][:6],
        )
        addons = item.get("addons") or []
        for code in addons if isinstance(addons, list) else ["?"]:
            addon = products.get(str(code)[:50])
            fits = addon is not None and addon.is_addon and product in addon.addon_for.all()
            addon_price = _price_or_none(addon, price.cycle, day) if fits else None
            if addon_price is None:
                result.problems.append(_("An add-on of your cart is no longer sold; left out."))
                continue
            line.addons.append(AddonLine(addon, addon_price.amount, addon_price.setup_fee))
        result.lines.append(line)
    _apply_coupon(result, cart.get("coupon") or "", customer, day)
    _apply_vat(result, cart, customer)
    return result


def _price_or_none(product: Product | None, cycle, day):
    if product is None or not isinstance(cycle, str):
        return None
    try:
        return price_on(product, cycle, day)
    except PriceNotFound:
        return None


def _apply_coupon(result: Quote, code: str, customer, day) -> None:
    code = code.strip()
    if not code:
        return
    coupon = Coupon.objects.filter(code__iexact=code).first()
    if coupon is None:
        result.coupon_error = _("There is no coupon %(code)s.") % {"code": code[:40]}
        return
    if not _first_purchase(customer):
        result.coupon_error = _(
            "Coupons apply only to a first purchase; your account has ordered before."
        )
        return
    errors = []
    for line in result.lines:
        try:
            discount = catalog_services.coupon_discount(
                coupon,
                product=line.product,
                amount=line.amount,
                day=day,
                is_first_purchase=True,
                currency=result.currency,
            )
        except ValidationError as error:
            errors.extend(error.message_dict.get("coupon", error.messages))
            continue
        line.discount = discount
        result.coupon, result.coupon_line = coupon, line.index
        return
    result.coupon_error = (
        errors[0]
        if errors
        else _("The coupon %(code)s applies to nothing in your cart.") % {"code": coupon.code}
    )


def _apply_vat(result: Quote, cart: dict, customer) -> None:
    if customer is not None:
        country, vat_id = customer.country, customer.vat_id
    else:
        country, vat_id = cart.get("country") or "", cart.get("vat_id") or ""
    if not country:
        return
    result.country, result.vat_id = country, vat_id
    try:
        decision = billing.vat_decision(country=country, vat_id=vat_id)
    except ValidationError as error:
        result.vat_error = " ".join(error.messages)
        return
    result.vat_rate, result.vat_note = decision.rate, decision.note

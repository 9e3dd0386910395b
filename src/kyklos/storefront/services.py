"""Writes of the shop: placing an order, signing up, verifying the address, resetting a
forgotten password, publishing the terms (R1.1, R2.3, R2.4, R12.3).

Each is one transaction: refused input raises ValidationError and writes nothing. Mails
that carry a secret (the verification link, the reset link) are sent after the commit
and are not kept in the outbox (decision 0025).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kyklos.accounts import services as accounts
from kyklos.accounts.models import SecurityEvent
from kyklos.catalog.models import ProductType
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.customers import selectors as customer_selectors
from kyklos.customers import services as customers
from kyklos.customers.models import Customer, TermsAcceptance, TermsVersion
from kyklos.domains import services as domains
from kyklos.lifecycle import services as lifecycle
from kyklos.notifications import services as notifications
from kyklos.storefront import cart as carts
from kyklos.storefront import mail
from kyklos.storefront.models import Order, Signup
from kyklos.storefront.notices import TERMS_PUBLISHED

# --- ordering ----------------------------------------------------------------------------


@transaction.atomic
def place_order(customer: Customer, cart: dict, *, actor=None) -> Order:
    """Order every item of ``cart`` for ``customer`` through the lifecycle's ordering
    (prices in force today, R2.3; the coupon on the line it fits, first purchase only,
    R2.4). A domain is ordered as its domain product with the name as the service's label.
    Returns the :class:`Order` with the one proforma to pay; an item that cannot be
    ordered refuses the whole order."""
    priced = carts.quote(cart, customer=customer)
    if priced.problems:  # something changed since it was put in the cart: show it first
        raise ValidationError(priced.problems[0])
    if not priced.lines:
        raise ValidationError(_("Your cart is empty."))
    if priced.coupon_error:
        raise ValidationError({"coupon": priced.coupon_error})
    if priced.vat_error:
        raise ValidationError({"vat_id": priced.vat_error})
    items = []
    codes = {}  # a transfer's name → the auth code the customer gave
    for line in priced.lines:
        if line.transfer:
            codes[line.domain] = str(cart["items"][line.index].get("auth_code") or "")
        elif line.domain and not _domain_still_free(line.domain):
            raise ValidationError(
                {"domain": _("%(name)s is already registered.") % {"name": line.display_domain}}
            )
        items.append(
            lifecycle.OrderItem(
                product=line.product,
                cycle=line.cycle,
                label=line.domain,
                coupon=priced.coupon if line.index == priced.coupon_line else None,
                addons=tuple(addon.product for addon in line.addons),
            )
        )
    services, invoice = lifecycle.order_services(customer=customer, items=items, actor=actor)
    for service in services:  # a domain is registered at its registry once paid (R4.1)
        if service.label and service.product.type == ProductType.DOMAIN:
            domains.attach_order(service, actor=actor, transfer_auth_code=codes.get(service.label))
    order = Order.objects.create(
        customer=customer,
        placed_at=clock.now(),
        invoice=invoice,
        coupon_code=priced.coupon.code if priced.coupon else "",
        placed_by=actor if getattr(actor, "pk", None) else None,
    )
    log_action(
        order,
        "shop.order_placed",
        actor=actor,
        data={"services": [s.pk for s in services], "coupon": order.coupon_code},
    )
    return order


def _domain_still_free(name: str) -> bool:
    from kyklos.storefront import domain_search

    return domain_search.availability(name).available


# --- sign-up -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupForm:
    """What a visitor types to sign up."""

    email: str
    password: str
    name: str
    country: str
    kind: str = Customer.Kind.PERSON
    company_name: str = ""
    vat_id: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    postal_code: str = ""
    adult_confirmed: bool = False
    terms_version: str = ""
    language: str = "en"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _login_taken(email: str) -> bool:
    users = get_user_model()._default_manager.filter(
        Q(username__iexact=email) | Q(email__iexact=email)
    )
    return users.exists() or customer_selectors.email_in_use(email)


def check_signup(form: SignupForm) -> dict:
    """Every problem of a sign-up at once (ValidationError by field), or the particulars
    to keep. The address being taken is *not* a problem here: the visitor is told only
    through the mail (no hint whether an address has an account)."""
    errors: dict = {}
    email = (form.email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    terms = customer_selectors.current_terms()
    if terms is None:
        errors["terms_version"] = [
            _("Sign-up is closed: no terms of service are published yet. Please contact us.")
        ]
    elif form.terms_version != terms.version:
        errors["terms_version"] = [
            _("Please read and accept the current terms of service (version %(version)s).")
            % {"version": terms.version}
        ]
    if not form.adult_confirmed:
        errors["adult_confirmed"] = [_("Customers must be 18 or older; please confirm your age.")]
    if form.kind not in Customer.Kind.values:
        errors["kind"] = [_("Choose a person or a company.")]
    candidate = Customer(
        kind=form.kind,
        name=(form.name or "").strip(),
        company_name=(form.company_name or "").strip(),
        country=(form.country or "").strip().upper(),
        email=email,
        phone=(form.phone or "").strip(),
        address=(form.address or "").strip(),
        city=(form.city or "").strip(),
        postal_code=(form.postal_code or "").strip(),
        language=form.language if form.language in dict(settings.LANGUAGES) else "en",
        created_at=clock.now(),
    )
    try:
        candidate.vat_id = customers.check_new_customer(
            kind=Customer.Kind.PERSON,
            country=candidate.country,
            vat_id=form.vat_id or "",
            adult_confirmed=True,
        )
    except ValidationError as error:
        error.update_error_dict(errors)
    try:
        candidate.full_clean(exclude=[*errors, "user", "created_at"])
    except ValidationError as error:
        error.update_error_dict(errors)
    try:
        password_validation.validate_password(
            form.password or "", get_user_model()(username=email, email=email)
        )
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    return {name: getattr(candidate, name) for name in SIGNUP_FIELDS}


#: The particulars a sign-up asks for and keeps until it is verified.
SIGNUP_FIELDS = (
    "kind",
    "name",
    "company_name",
    "vat_id",
    "country",
    "phone",
    "address",
    "city",
    "postal_code",
    "language",
)


@transaction.atomic
def start_signup(form: SignupForm, *, cart: dict | None = None, request=None) -> Signup | None:
    """Check the sign-up and mail the address (after the commit): a link to verify it,
    valid ``KYKLOS_SIGNUP_LINK_HOURS`` and once; or, when the address already has an
    account, a note saying so with the links to log in and to reset the password. Returns
    the pending sign-up, or None in the second case; the page shows the same either way.
    Mails are limited as reset requests are (per address and per client address)."""
    particulars = check_signup(form)
    email = form.email.strip().lower()
    if not _within_limits("signup", email, request):
        raise TooManyRequests(_("Too many sign-ups from here. Please try again in an hour."))
    now = clock.now()
    Signup.objects.filter(verified_at__isnull=True, expires_at__lt=now).delete()
    if _login_taken(email):
        mail.send_after_commit("account_exists", email, particulars["language"], {})
        return None
    token = secrets.token_urlsafe(32)
    signup = Signup.objects.create(
        email=email,
        password_hash=make_password(form.password),
        particulars=particulars,
        cart=cart or {},
        language=particulars["language"],
        terms_version=form.terms_version,
        adult_confirmed_at=now,
        token_digest=_digest(token),
        created_at=now,
        expires_at=now + timedelta(hours=settings.KYKLOS_SIGNUP_LINK_HOURS),
    )
    log_action(signup, "shop.signup_started", actor="anonymous")
    mail.send_after_commit(
        "verify_email",
        email,
        signup.language,
        {
            "path": reverse("storefront:verify", args=[token]),
            "hours": settings.KYKLOS_SIGNUP_LINK_HOURS,
        },
    )
    return signup


class LinkNotValid(ValidationError):
    """No sign-up waits for this link: made up, or already used."""


LINK_NOT_VALID = gettext_lazy(
    "This link is not valid or was already used. Log in, or sign up again."
)


def pending_signup(token: str) -> Signup | None:
    """The sign-up a link is for while it waits for verification (expired or not)."""
    return Signup.objects.filter(
        token_digest=_digest(token or ""), verified_at__isnull=True
    ).first()


@transaction.atomic
def verify_signup(token: str) -> Signup:
    """Follow the link of a sign-up: the login and the customer are created (the terms'
    version accepted is recorded with the time and the channel, R1.1) and the cart kept at
    sign-up is ordered. The link works once and until it expires. When the cart can no
    longer be ordered as it was (a domain taken meanwhile), the account still opens and
    ``order_problem`` says why, with the cart in ``unordered_cart``."""
    signup = Signup.objects.select_for_update().filter(token_digest=_digest(token or "")).first()
    if signup is None or signup.verified_at is not None:
        raise LinkNotValid(str(LINK_NOT_VALID))
    if signup.expires_at < clock.now():
        raise ValidationError(_("This link has expired. Please sign up again."))
    if _login_taken(signup.email):
        raise ValidationError(_("This address already has an account. Please log in."))
    user = accounts.create_login(email=signup.email, password_hash=signup.password_hash)
    customer = customers.create_customer(
        **signup.particulars,
        email=signup.email,
        adult_confirmed=True,
        terms_version=signup.terms_version,
        channel=TermsAcceptance.Channel.SIGNUP,
        user=user,
        actor=user,
    )
    order, problem, cart = None, "", signup.cart
    if cart and cart.get("items"):
        try:
            with transaction.atomic():  # the account opens even if the cart cannot be ordered
                order = place_order(customer, carts.load({carts.SESSION_KEY: cart}), actor=user)
        except ValidationError as error:
            problem = " ".join(error.messages)
    # What made the sign-up is now the customer's record: the pending copy is emptied.
    Signup.objects.filter(pk=signup.pk).update(
        verified_at=clock.now(),
        customer=customer,
        order=order,
        password_hash="",
        particulars={},
        cart={},
    )
    signup.refresh_from_db()
    log_action(signup, "shop.signup_verified", actor=user)
    # What the page tells: the order could not be placed (the cart goes back to the visitor).
    signup.order_problem, signup.unordered_cart = problem, cart if problem else None
    return signup


# --- password reset ----------------------------------------------------------------------


class TooManyRequests(ValidationError):
    """Too many reset requests for the address or from the client's address."""


def _count(key: str, limit: int) -> bool:
    """Count one request under ``key`` in the current window; False past ``limit``."""
    window = settings.KYKLOS_PASSWORD_RESET_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        used = 1
    return used <= limit


def _within_limits(kind: str, email: str, request) -> bool:
    """Count a mail-sending request per address (hashed) and per client address; False
    when either is over its limit in the window (the same answer for any address)."""
    ip = accounts.client_ip(request) if request is not None else None
    digest = hashlib.sha256(email.encode()).hexdigest()
    limit = settings.KYKLOS_PASSWORD_RESET_PER_ADDRESS
    allowed = _count(f"kyklos:{kind}:address:{digest}", limit)
    if ip:
        per_ip = settings.KYKLOS_PASSWORD_RESET_PER_IP
        allowed = _count(f"kyklos:{kind}:ip:{ip}", per_ip) and allowed
    return allowed


def request_password_reset(email: str, *, request=None) -> None:
    """Mail a reset link to the login with ``email``, if there is one (the caller says the
    same whether there is or not). At most ``KYKLOS_PASSWORD_RESET_PER_ADDRESS`` requests
    per address and ``KYKLOS_PASSWORD_RESET_PER_IP`` per client address in
    ``KYKLOS_PASSWORD_RESET_WINDOW`` seconds: more raise :class:`TooManyRequests`."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None
    if not _within_limits("reset", email, request):
        raise TooManyRequests(_("Too many reset requests. Please try again in an hour."))
    users = get_user_model()._default_manager.filter(
        Q(username__iexact=email) | Q(email__iexact=email), is_active=True
    )
    for user in users:
        if not user.has_usable_password():
            continue
        customer = customer_selectors.customer_for_user(user)
        language = customer.language if customer is not None else settings.LANGUAGE_CODE
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        with transaction.atomic():
            log_action(user, "security.password_reset_requested", actor="anonymous")
            mail.send_after_commit(
                "password_reset",
                user.email or email,
                language,
                {
                    "path": reverse("storefront:reset_confirm", args=[uid, token]),
                    "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
                },
            )


def reset_user(uidb64: str, token: str):
    """The login a reset link is for, while the link is valid, else None. Django's token
    is bound to the password hash and the last login, so it works once; it expires after
    ``PASSWORD_RESET_TIMEOUT`` seconds."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = get_user_model()._default_manager.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def reset_password(uidb64: str, token: str, password: str, *, request=None):
    """Set a new password through a reset link; every open session of the login ends."""
    user = reset_user(uidb64, token)
    if user is None:
        raise ValidationError(
            _("This reset link is not valid: it has expired or was already used.")
        )
    try:
        password_validation.validate_password(password or "", user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = accounts.end_all_sessions(user, reason="password reset")
    accounts.record(
        request,
        SecurityEvent.Kind.PASSWORD_CHANGED,
        user=user,
        data={"reset": "done", "sessions_ended": ended},
    )
    return user


# --- terms -------------------------------------------------------------------------------


@transaction.atomic
def publish_terms(
    *,
    version: str,
    texts: dict[str, str],
    significant: bool = False,
    summary: str = "",
    published_on=None,
    actor=None,
) -> TermsVersion:
    """Publish a version of the terms (``customers.services.publish_terms_version``); a
    significant one queues a ``terms_published`` notice to every active customer in their
    language, in the same transaction (R12.3), in batches of ``KYKLOS_BATCH_SIZE``."""
    terms = customers.publish_terms_version(
        version=version,
        texts=texts,
        significant=significant,
        summary=summary,
        published_on=published_on,
        actor=actor,
    )
    if not terms.significant:
        return terms
    day = clock.today()
    context = {
        "version": terms.version,
        "published_on": terms.published_on.isoformat(),
        "summary": terms.summary,
        "terms_url": settings.KYKLOS_PORTAL_URL.rstrip("/")
        + reverse("storefront:terms_version", args=[terms.version]),
    }
    rows = (
        Customer.objects.filter(status=Customer.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", "language", "admin_email", "email", "name", "company_name", "kind")
    )
    batch, count = [], 0
    for pk, language, admin_email, email, name, company, kind in rows.iterator(chunk_size=2000):
        display = company if kind == Customer.Kind.COMPANY and company else name
        batch.append(
            notifications.build_notice(
                event=TERMS_PUBLISHED,
                customer_id=pk,
                language=language,
                to_email=admin_email or email,
                for_date=day,
                context={**context, "customer_name": display},
            )
        )
        if len(batch) >= settings.KYKLOS_BATCH_SIZE:
            count += notifications.queue_notices(batch)
            batch = []
    count += notifications.queue_notices(batch)
    TermsVersion.objects.filter(pk=terms.pk).update(notified_count=count)
    terms.notified_count = count
    log_action(terms, "terms.notified", actor=actor, data={"notices": count})
    return terms

"""The shop's pages: catalogue, product, cart, checkout, sign-up, verification, the order
placed, the terms, and password reset. Thin: the rules are in ``services``, ``cart`` and
``selectors``. Every page is public: the order placed is paid in the portal."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kyklos.accounts.access import public
from kyklos.core.forms import add_service_errors
from kyklos.customers import selectors as customer_selectors
from kyklos.storefront import cart as carts
from kyklos.storefront import selectors, services
from kyklos.storefront.forms import NewPasswordForm, PasswordResetRequestForm, SignupForm


def _customer(request: HttpRequest):
    return customer_selectors.customer_for_user(request.user)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _first_error(error: ValidationError) -> str:
    return error.messages[0] if error.messages else _("That did not work.")


# --- catalogue ---------------------------------------------------------------------------


@public
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "storefront/home.html",
        {"sections": selectors.catalogue(), "domains": selectors.domain_prices()},
    )


@public
@require_GET
def product(request: HttpRequest, code: str) -> HttpResponse:
    offer = selectors.offer(code)
    if offer is None:
        raise Http404(_("The shop does not sell this product."))
    return render(request, "storefront/product.html", {"offer": offer})


# --- cart --------------------------------------------------------------------------------


def _cart_page(request: HttpRequest, cart: dict, *, status: int = 200, **extra) -> HttpResponse:
    customer = _customer(request)
    context = {
        "quote": carts.quote(cart, customer=customer),
        "cart": cart,
        "customer": customer,
        "countries": customer_selectors.country_choices(),
        **extra,
    }
    if _is_htmx(request):
        # HTMX swaps only 2xx answers: a refusal comes back as the cart with its reason
        # (role="alert"), as the portal's rows do.
        response = render(request, "storefront/_cart.html", {**context, "htmx": True})
    else:
        response = render(request, "storefront/cart.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


@public
@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    return _cart_page(request, carts.load(request.session))


def _cart_change(request: HttpRequest, change) -> HttpResponse:
    """Apply ``change`` to the session's cart; refused → the cart unchanged, with the
    reason (status 400)."""
    cart = carts.load(request.session)
    try:
        changed = change(cart)
    except ValidationError as error:
        return _cart_page(request, cart, status=400, error=_first_error(error))
    carts.save(request.session, changed)
    if _is_htmx(request):
        return _cart_page(request, changed)
    return redirect("storefront:cart")


@public
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    return _cart_change(
        request,
        lambda cart: carts.add_product(
            cart,
            product_code=request.POST.get("product", ""),
            cycle=request.POST.get("cycle", ""),
            addons=request.POST.getlist("addons")[:10],
        ),
    )


@public
@require_POST
def cart_domain(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("domain", "")[:300]
    return _cart_change(request, lambda cart: carts.add_domain(cart, name))


@public
@require_POST
def cart_transfer(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("domain", "")[:300]
    code = request.POST.get("auth_code", "")[:100]
    return _cart_change(request, lambda cart: carts.add_transfer(cart, name, code))


@public
@require_POST
def cart_remove(request: HttpRequest) -> HttpResponse:
    return _cart_change(request, lambda cart: carts.remove(cart, request.POST.get("index")))


@public
@require_POST
def cart_coupon(request: HttpRequest) -> HttpResponse:
    code = request.POST.get("coupon", "")[:40]
    customer = _customer(request)
    return _cart_change(request, lambda cart: carts.set_coupon(cart, code, customer=customer))


@public
@require_POST
def cart_buyer(request: HttpRequest) -> HttpResponse:
    return _cart_change(
        request,
        lambda cart: carts.set_buyer(
            cart,
            country=request.POST.get("country", ""),
            vat_id=request.POST.get("vat_id", "")[:40],
        ),
    )


@public
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """A customer places the order now; a visitor signs up first (the cart goes along)."""
    cart = carts.load(request.session)
    if not cart["items"]:
        return _cart_page(request, cart, status=400, error=_("Your cart is empty."))
    if not request.user.is_authenticated:
        return redirect("storefront:signup")
    customer = _customer(request)
    if customer is None:
        return _cart_page(
            request, cart, status=400, error=_("Only a customer's login can place an order.")
        )
    try:
        order = services.place_order(customer, cart, actor=request.user)
    except ValidationError as error:
        return _cart_page(request, cart, status=400, error=_first_error(error))
    carts.clear(request.session)
    return redirect(_pay_page(order.invoice_id))


# --- sign-up -----------------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("storefront:cart")
    terms = customer_selectors.current_terms()
    cart = carts.load(request.session)
    initial = {"country": cart.get("country") or "", "vat_id": cart.get("vat_id") or ""}
    form = SignupForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and not form.is_valid():
        _add_rule_errors(form, _signup_input(request, form))
    elif request.method == "POST":
        try:
            services.start_signup(
                _signup_input(request, form),
                cart=cart if cart["items"] else None,
                request=request,
            )
        except ValidationError as error:
            _add_rule_errors(form, error=error)
        else:
            carts.clear(request.session)
            request.session["kyklos_signup_sent"] = form.cleaned_data["email"]
            return redirect("storefront:signup_sent")
    status = 400 if form.is_bound else 200
    context = {"form": form, "terms": terms, "quote": carts.quote(cart) if cart["items"] else None}
    return render(request, "storefront/signup.html", context, status=status)


def _signup_input(request: HttpRequest, form: SignupForm) -> services.SignupForm:
    """What the visitor typed, cleaned where the form could clean it, raw elsewhere."""
    data = {name: form.data.get(name, "") for name in form.fields}
    data.update(getattr(form, "cleaned_data", {}))
    accepted = data.get("terms_version", "") if data.get("accept_terms") else ""
    return services.SignupForm(
        email=str(data["email"]),
        password=str(data["password"]),
        name=str(data["name"]),
        country=str(data["country"]),
        kind=str(data["kind"]),
        company_name=str(data["company_name"]),
        vat_id=str(data["vat_id"]),
        phone=str(data["phone"]),
        address=str(data["address"]),
        city=str(data["city"]),
        postal_code=str(data["postal_code"]),
        adult_confirmed=bool(data["adult_confirmed"]),
        terms_version=str(accepted),
        language=request.LANGUAGE_CODE,
    )


def _add_rule_errors(form: SignupForm, signup=None, *, error: ValidationError | None = None):
    """The sign-up rules' errors on the form — all at once, also when the form itself
    already refused some fields (those keep the form's message)."""
    if error is None:
        try:
            services.check_signup(signup)
            return
        except ValidationError as refused:
            error = refused
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    errors = dict(error.error_dict)
    if "terms_version" in errors:
        errors["accept_terms"] = errors.pop("terms_version")
    for field, messages_ in errors.items():
        if field in form.fields and field in form.errors:
            continue
        add_service_errors(form, ValidationError({field: messages_}))


@public
@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    email = request.session.get("kyklos_signup_sent", "")
    return render(request, "storefront/signup_sent.html", {"email": email})


@public
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners that open links must not use the link up); POST
    opens the account and places the order, then sends the visitor to log in, landing on
    the order."""
    if request.method == "GET":
        if services.pending_signup(token) is None:
            return _bad_link(request, token, services.LINK_NOT_VALID, 404)
        return render(request, "storefront/verify.html", {"token": token})
    try:
        signup = services.verify_signup(token)
    except services.LinkNotValid as error:
        return _bad_link(request, token, _first_error(error), 404)
    except ValidationError as error:
        return _bad_link(request, token, _first_error(error), 400)
    request.session.pop("kyklos_signup_sent", None)
    target = _pay_page(signup.order.invoice_id) if signup.order_id else reverse("portal:dashboard")
    messages.success(request, _("Your e-mail address is confirmed. Please log in."))
    if signup.order_problem:
        carts.save(request.session, signup.unordered_cart)
        target = reverse("storefront:cart")
        messages.warning(
            request,
            _("Your order could not be placed: %(reason)s Your cart is kept; please check it.")
            % {"reason": signup.order_problem},
        )
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': target})}")


def _bad_link(request: HttpRequest, token: str, message, status: int) -> HttpResponse:
    context = {"token": token, "error": str(message)}
    return render(request, "storefront/verify.html", context, status=status)


# --- the order placed --------------------------------------------------------------------


def _pay_page(invoice_id: int) -> str:
    """The order's proforma in the portal, which offers the ways to pay it."""
    return reverse("portal:invoice", args=[invoice_id])


# --- terms -------------------------------------------------------------------------------


@public
@require_GET
def terms(request: HttpRequest, version: str | None = None) -> HttpResponse:
    published = list(customer_selectors.published_terms())
    if version is None:
        shown = published[0] if published else None
    else:
        shown = next((t for t in published if t.version == version), None)
        if shown is None:
            raise Http404(_("There is no such version of the terms."))
    current = published[0] if published else None
    return render(
        request,
        "storefront/terms.html",
        {
            "terms": shown,
            "text": shown.text(request.LANGUAGE_CODE) if shown else "",
            "versions": published,
            "current": current,
            "disputes": _consumer_disputes(request.LANGUAGE_CODE),
        },
    )


def _consumer_disputes(language: str) -> str:
    """Where a consumer may take a dispute out of court (R12.4): the same setting as the
    consumer documents (``KYKLOS_CONSUMER_DISPUTES`` for the provider's country)."""
    texts = settings.KYKLOS_CONSUMER_DISPUTES.get(settings.KYKLOS_COUNTRY, {})
    return texts.get(language) or texts.get("en", "")


# --- password reset ----------------------------------------------------------------------


@public
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_password_reset(form.cleaned_data["email"], request=request)
        except services.TooManyRequests as error:
            form.add_error(None, error)
            return render(request, "storefront/reset.html", {"form": form}, status=429)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("storefront:reset_sent")
    status = 400 if form.is_bound else 200
    return render(request, "storefront/reset.html", {"form": form}, status=status)


@public
@require_GET
def reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "storefront/reset_sent.html")


@public
@require_http_methods(["GET", "POST"])
def reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    if services.reset_user(uidb64, token) is None:
        return render(request, "storefront/reset_confirm.html", {"invalid": True}, status=404)
    form = NewPasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reset_password(uidb64, token, form.cleaned_data["password"], request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your password is changed. Please log in."))
            return redirect("portal:login")
    status = 400 if form.is_bound else 200
    return render(request, "storefront/reset_confirm.html", {"form": form}, status=status)

"""Cards in the portal (R6.4, R6.10): the card pay page of a checkout (Stripe.js takes the
card; 3-D Secure on the page), and "Cards and automatic payment" (save a card, remove
it, turn automatic payment of renewals on or off).

The card number never reaches Kyklos: Stripe.js sends it to Stripe and gives us back a
confirmed SetupIntent, which the services check belongs to this customer (and checkout).
These pages alone load Stripe.js; their CSP adds its origin from the same setting.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kyklos.payments.models import Checkout, SavedCard
from kyklos.payments.selectors import auto_pay_on, saved_cards
from kyklos.payments.services import (
    card_checkout,
    card_csp,
    card_page,
    new_card_setup,
    pay_checkout_by_card,
    remove_card,
    save_card,
    set_auto_pay,
)
from kyklos.portal.scopes import BILLING, scope


def _with_stripe(response):
    response._csp_update = card_csp()
    return response


def _one_line(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_http_methods(["GET", "POST"])
@scope(BILLING)
def pay_by_card(request, customer, pk: int):
    try:
        checkout = card_checkout(customer, pk)
    except ValidationError:
        raise Http404 from None
    invoice_url = reverse("portal:invoice", args=[checkout.invoice_id])
    if checkout.status != Checkout.Status.PENDING:
        return redirect(invoice_url)
    if request.method == "POST":
        try:
            status = pay_checkout_by_card(
                checkout,
                request.POST.get("setup_intent", ""),
                save=request.POST.get("save_card") == "on",
                actor=request.user,
            )
        except ValidationError as error:
            messages.error(request, _one_line(error))
            checkout.refresh_from_db()
            if checkout.status != Checkout.Status.PENDING:
                return redirect(invoice_url)
            return redirect("portal:card_pay", checkout.pk)
        if status == "succeeded":
            messages.success(request, _("Your payment was received. Thank you."))
            return redirect(invoice_url)
        # 3-D Secure: the page opens the bank's check, then comes back to the return page.
        return redirect("portal:card_pay", checkout.pk)
    try:
        page = card_page(checkout)
    except ValidationError as error:
        messages.error(request, _one_line(error))
        return redirect(invoice_url)
    context = {
        "checkout": checkout,
        "invoice": checkout.invoice,
        "stripe": page,
        "return_url": reverse("portal:checkout_return", args=[checkout.pk]),
    }
    return _with_stripe(render(request, "portal/card_pay.html", context))


@require_http_methods(["GET", "POST"])
@scope(BILLING)
def cards(request, customer):
    if request.method == "POST":
        try:
            card = save_card(customer, request.POST.get("setup_intent", ""), actor=request.user)
        except ValidationError as error:
            messages.error(request, _one_line(error))
        else:
            messages.success(request, _("Your card %(card)s was saved.") % {"card": card})
        return redirect("portal:cards")
    setup_secret = ""
    try:
        setup_secret = new_card_setup(customer)
    except ValidationError as error:
        messages.error(request, _one_line(error))
    context = {
        "cards": list(saved_cards(customer.pk)),
        "auto_pay": auto_pay_on(customer.pk),
        "stripe": {
            "publishable_key": settings.KYKLOS_PAYMENTS.get("stripe_publishable_key", ""),
            "js_url": settings.KYKLOS_PAYMENTS.get("stripe_js_url", ""),
            "setup_secret": setup_secret,
            "intent_secret": "",
        },
    }
    return _with_stripe(render(request, "portal/cards.html", context))


@require_POST
@scope(BILLING)
def card_remove(request, customer, pk: int):
    if not SavedCard.objects.filter(customer_id=customer.pk, pk=pk).exists():
        raise Http404  # never a card of this account (one already removed gets a message)
    try:
        card = remove_card(customer, pk, actor=request.user)
    except ValidationError as error:
        messages.error(request, _one_line(error))
    else:
        messages.success(request, _("The card %(card)s was removed.") % {"card": card})
    return redirect("portal:cards")


@require_POST
@scope(BILLING)
def auto_pay(request, customer):
    on = request.POST.get("auto_pay") == "on"
    try:
        set_auto_pay(customer, on, actor=request.user)
    except ValidationError as error:
        messages.error(request, _one_line(error))
    else:
        messages.success(
            request,
            _("Automatic payment is on: renewals are charged to your card on their due date.")
            if on
            else _("Automatic payment is off."),
        )
    return redirect("portal:cards")

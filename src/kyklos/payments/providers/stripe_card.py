"""Card payments through Stripe PaymentIntents, with cards kept on file (SetupIntents).

On the pay page Stripe.js collects the card (its card element: the number never reaches
Kyklos) and confirms a SetupIntent made for the checkout; Kyklos then creates and
confirms, server-side, one PaymentIntent for exactly the checkout's amount (idempotency
key per checkout, our checkout named in its metadata). A card that needs 3-D Secure comes
back ``requires_action`` and Stripe.js finishes it on the page (``confirmCardPayment``).
The payment is recorded by whichever comes first: the signed ``payment_intent.succeeded``
webhook, or the page retrieving the intent from Stripe; the checkout's state makes the
second one a no-op.

Saved cards are charged off-session (``off_session=true, confirm=true``) by the
:mod:`kyklos.payments.cards` jobs. The signature and age of webhooks are checked by the
``stripe`` library (``Webhook.construct_event``, tolerance ``webhook_tolerance``).

``KYKLOS_STRIPE_API_BASE`` points the library at a Stripe-compatible server (localstripe
in the tests); the real API is the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kyklos.core.money import quantum
from kyklos.payments.methods import PaymentMethod, ProviderEvent, WebhookRejected
from kyklos.payments.models import Checkout, Method, Payment

if TYPE_CHECKING:  # the SDK is imported where it is used: not at every start-up
    import stripe

#: A test may put a ``stripe.HTTPClient`` here; by default the library's own is used.
HTTP_CLIENT: stripe.HTTPClient | None = None

SUCCEEDED = {"payment_intent.succeeded"}
FAILED = {"payment_intent.payment_failed", "payment_intent.canceled"}
#: Stripe's decline codes that mean "ask the customer to authenticate" (SCA).
AUTHENTICATION_CODES = {"authentication_required", "authentication_not_handled"}


def _config() -> dict:
    return settings.KYKLOS_PAYMENTS


def minor_units(amount: Decimal, currency: str) -> int:
    """Stripe counts in the currency's minor unit (cents for EUR)."""
    return int(amount / quantum(currency))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) * quantum(currency)


def js_origin() -> str:
    """The origin Stripe.js is loaded from (the card pages' CSP allows it)."""
    parts = urlsplit(_config().get("stripe_js_url") or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def csp_update() -> dict[str, list[str]]:
    """What the card pages add to the portal's CSP: Stripe.js, its API and its frames."""
    origin = js_origin()
    api = _config().get("stripe_api_base") or "https://api.stripe.com"
    api_parts = urlsplit(api)
    api_origin = f"{api_parts.scheme}://{api_parts.netloc}"
    sources = sorted({origin, api_origin} - {""})
    return {
        "script-src": [origin] if origin else [],
        "connect-src": ["'self'", *sources],
        "frame-src": [*sources, "https://hooks.stripe.com"] if origin else [],
    }


@dataclass(frozen=True, slots=True)
class Intent:
    """A PaymentIntent reduced to what Kyklos acts on."""

    id: str
    status: str
    amount: Decimal | None
    currency: str
    checkout: str
    client_secret: str = ""
    error_code: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class Card:
    """A payment method's recognisable face: never its number."""

    id: str
    customer: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class CardRefused(Exception):
    """The card or the bank said no (declined, expired, authentication needed)."""

    def __init__(self, message: str, code: str = "", intent_id: str = ""):
        super().__init__(message)
        self.code = code
        self.intent_id = intent_id

    @property
    def needs_authentication(self) -> bool:
        return self.code in AUTHENTICATION_CODES


def _intent(obj) -> Intent:
    data = obj if isinstance(obj, dict) else obj.to_dict()
    currency = str(data.get("currency") or "").upper()
    amount = data.get("amount_received") or data.get("amount")
    error = data.get("last_payment_error") or {}
    return Intent(
        id=data.get("id") or "",
        status=data.get("status") or "",
        amount=from_minor_units(amount, currency) if amount is not None and currency else None,
        currency=currency,
        checkout=str((data.get("metadata") or {}).get("checkout") or ""),
        client_secret=data.get("client_secret") or "",
        error_code=(error.get("decline_code") or error.get("code") or "") if error else "",
        error=(error.get("message") or "") if error else "",
    )


class StripeCard(PaymentMethod):
    identifier = Method.CARD
    verbose_name = _("Card")
    online = True
    provider_refunds = True

    def is_enabled(self) -> bool:
        config = _config()
        return bool(
            config.get("stripe_secret_key")
            and config.get("stripe_webhook_secret")
            and config.get("stripe_publishable_key")
        )

    def client(self) -> stripe.StripeClient:
        import stripe

        base = _config().get("stripe_api_base") or stripe.DEFAULT_API_BASE
        return stripe.StripeClient(
            _config()["stripe_secret_key"],
            http_client=HTTP_CLIENT,
            max_network_retries=2,
            base_addresses={"api": base},
        )

    # --- customers and cards ------------------------------------------------------------

    def create_customer(self, customer) -> str:
        made = self.client().v1.customers.create(
            params={
                "name": customer.display_name,
                "email": customer.billing_email or customer.email,
                "metadata": {"kyklos_customer": str(customer.pk)},
            },
            options={"idempotency_key": f"kyklos-customer-{customer.pk}"},
        )
        return made.id

    def create_setup(self, provider_customer: str, metadata: dict[str, str]) -> tuple[str, str]:
        """A SetupIntent for a card kept for off-session use: (id, client secret)."""
        setup = self.client().v1.setup_intents.create(
            params={
                "customer": provider_customer,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            }
        )
        return setup.id, setup.client_secret

    def retrieve_setup(self, setup_id: str) -> dict:
        return self.client().v1.setup_intents.retrieve(setup_id).to_dict()

    def card(self, payment_method: str, provider_customer: str) -> Card:
        """The card behind ``payment_method``, attached to the customer (a SetupIntent
        attaches it at Stripe; a test server may leave that to us)."""
        client = self.client()
        method = client.v1.payment_methods.retrieve(payment_method).to_dict()
        if not method.get("customer"):
            method = client.v1.payment_methods.attach(
                payment_method, params={"customer": provider_customer}
            ).to_dict()
        card = method.get("card") or {}
        return Card(
            id=method["id"],
            customer=method.get("customer") or "",
            brand=str(card.get("brand") or "card")[:20],
            last4=str(card.get("last4") or "")[:4],
            exp_month=int(card.get("exp_month") or 0),
            exp_year=int(card.get("exp_year") or 0),
        )

    def detach(self, payment_method: str) -> None:
        self.client().v1.payment_methods.detach(payment_method)

    # --- payments -----------------------------------------------------------------------

    def start_checkout(self, checkout: Checkout, *, return_url: str, cancel_url: str) -> str:
        """Prepare the pay page: the customer at Stripe and a SetupIntent that Stripe.js
        confirms with the card typed there. The PaymentIntent is made when the card is
        in (:meth:`pay`), so its amount is always the checkout's."""
        from kyklos.payments import cards

        profile = cards.profile_for(checkout.customer)
        setup_id, _secret = self.create_setup(
            profile.provider_customer,
            {"checkout": str(checkout.pk), "kyklos_customer": str(checkout.customer_id)},
        )
        checkout.setup_reference = setup_id
        checkout.redirect_url = ""
        return ""

    def pay(self, checkout: Checkout, *, provider_customer: str, payment_method: str) -> Intent:
        """Create and confirm the checkout's PaymentIntent with the card (on-session).
        Raises :class:`CardRefused` when the card is declined."""
        params = {
            "amount": minor_units(checkout.amount, checkout.currency),
            "currency": checkout.currency.lower(),
            "customer": provider_customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": {"checkout": str(checkout.pk), "invoice": checkout.invoice.number},
        }
        if not _config().get("stripe_api_base"):
            # Stripe itself: the next action (3-D Secure) is for Stripe.js on our page.
            # (localstripe refuses the parameter and always answers that way.)
            params["use_stripe_sdk"] = True
        return self._confirm(params, f"kyklos-checkout-{checkout.pk}")

    def charge_off_session(
        self, checkout: Checkout, *, provider_customer: str, payment_method: str, key: str
    ) -> Intent:
        """Charge a saved card while the customer is away. Raises :class:`CardRefused`
        (``needs_authentication`` when the bank wants the customer)."""
        params = {
            "amount": minor_units(checkout.amount, checkout.currency),
            "currency": checkout.currency.lower(),
            "customer": provider_customer,
            "payment_method": payment_method,
            "payment_method_types": ["card"],
            "confirm": True,
            "off_session": True,
            "metadata": {"checkout": str(checkout.pk), "invoice": checkout.invoice.number},
        }
        intent = self._confirm(params, key)
        if intent.status == "requires_action":
            # Stripe answers authentication_required with an error; a test server may
            # leave the intent waiting for an action nobody is there to take.
            self.cancel(intent.id)
            raise CardRefused(
                "The bank asks the cardholder to authenticate this payment.",
                "authentication_required",
                intent.id,
            )
        return intent

    def _confirm(self, params: dict, key: str) -> Intent:
        import stripe

        try:
            made = self.client().v1.payment_intents.create(
                params=params, options={"idempotency_key": key}
            )
        except stripe.CardError as error:
            body = error.json_body or {}
            details = body.get("error") or {}
            intent = details.get("payment_intent") or {}
            raise CardRefused(
                error.user_message or str(error),
                details.get("decline_code") or error.code or "card_declined",
                intent.get("id") or "",
            ) from None
        return _intent(made)

    def retrieve(self, intent_id: str) -> Intent:
        return _intent(self.client().v1.payment_intents.retrieve(intent_id))

    def cancel(self, intent_id: str) -> None:
        import stripe

        try:
            self.client().v1.payment_intents.cancel(intent_id)
        except stripe.StripeError:
            pass  # already final: nothing to cancel

    # --- webhooks and refunds -------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        import stripe

        config = _config()
        try:
            event = stripe.Webhook.construct_event(
                body,
                headers.get("Stripe-Signature", ""),
                config["stripe_webhook_secret"],
                tolerance=config["webhook_tolerance"],
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookRejected(f"Stripe signature refused: {error.user_message}") from None
        except ValueError:
            raise WebhookRejected("Stripe event is not valid JSON") from None
        if event.type not in SUCCEEDED | FAILED:
            return ProviderEvent(event_id=event.id, event_type=event.type)
        intent = _intent(event.data.object.to_dict())
        outcome = "failed" if event.type in FAILED else ""
        if event.type in SUCCEEDED and intent.status == "succeeded":
            outcome = "succeeded"
        return ProviderEvent(
            event_id=event.id,
            event_type=event.type,
            checkout_reference=intent.id,
            outcome=outcome,
            amount=intent.amount,
            currency=intent.currency,
            charge_reference=intent.id,
        )

    def refund(self, payment: Payment, amount: Decimal) -> str:
        refund = self.client().v1.refunds.create(
            params={
                "payment_intent": payment.provider_reference,
                "amount": minor_units(amount, payment.currency),
            },
            options={"idempotency_key": f"kyklos-refund-{payment.pk}-{amount}"},
        )
        return refund.id

"""Card payments through Stripe Checkout (the hosted page: no card data and no script
of ours on the page, so the portal's strict CSP stays as it is).

The customer is sent to a Checkout Session for the exact amount of the
:class:`~kyklos.payments.models.Checkout`; Stripe's signed ``checkout.session.*``
events confirm it. The signature and its timestamp are checked by the ``stripe``
library (``Webhook.construct_event``, tolerance ``KYKLOS_PAYMENTS["webhook_tolerance"]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kyklos.core.money import quantum
from kyklos.payments.methods import PaymentMethod, ProviderEvent, WebhookRejected
from kyklos.payments.models import Checkout, Method, Payment

if TYPE_CHECKING:  # the SDK is imported where it is used: not at every start-up
    import stripe

#: Tests put a fake ``stripe.HTTPClient`` here, so no request leaves the machine.
HTTP_CLIENT: stripe.HTTPClient | None = None

SUCCEEDED = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
FAILED = {"checkout.session.async_payment_failed", "checkout.session.expired"}


def _config() -> dict:
    return settings.KYKLOS_PAYMENTS


def minor_units(amount: Decimal, currency: str) -> int:
    """Stripe counts in the currency's minor unit (cents for EUR)."""
    return int(amount / quantum(currency))


def from_minor_units(value: int, currency: str) -> Decimal:
    return Decimal(value) * quantum(currency)


class StripeCard(PaymentMethod):
    identifier = Method.CARD
    verbose_name = _("Card")
    online = True
    provider_refunds = True

    def is_enabled(self) -> bool:
        config = _config()
        return bool(config.get("stripe_secret_key") and config.get("stripe_webhook_secret"))

    def client(self) -> stripe.StripeClient:
        import stripe

        return stripe.StripeClient(
            _config()["stripe_secret_key"], http_client=HTTP_CLIENT, max_network_retries=2
        )

    def start_checkout(self, checkout: Checkout, *, return_url: str, cancel_url: str) -> str:
        invoice = checkout.invoice
        session = self.client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "client_reference_id": str(checkout.pk),
                "customer_email": invoice.customer.billing_email or invoice.customer.email,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": checkout.currency.lower(),
                            "unit_amount": minor_units(checkout.amount, checkout.currency),
                            "product_data": {"name": invoice.number},
                        },
                    }
                ],
                "metadata": {"checkout": str(checkout.pk), "invoice": invoice.number},
                "payment_intent_data": {"metadata": {"invoice": invoice.number}},
                "success_url": return_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"kyklos-checkout-{checkout.pk}"},
        )
        checkout.redirect_url = session.url or ""
        return session.id

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
        session = event.data.object.to_dict()
        outcome = "failed" if event.type in FAILED else ""
        if event.type in SUCCEEDED and session.get("payment_status") == "paid":
            outcome = "succeeded"
        currency = str(session.get("currency") or "").upper()
        amount = session.get("amount_total")
        return ProviderEvent(
            event_id=event.id,
            event_type=event.type,
            checkout_reference=session.get("id") or "",
            outcome=outcome,
            amount=from_minor_units(amount, currency) if amount is not None and currency else None,
            currency=currency,
            charge_reference=session.get("payment_intent") or "",
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

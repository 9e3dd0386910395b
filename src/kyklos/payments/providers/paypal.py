"""PayPal through its official server SDK (``paypal-server-sdk``, Orders v2).

The customer approves an order for the exact amount of the
:class:`~kyklos.payments.models.Checkout` at PayPal, comes back to the portal, which
captures it; PayPal's ``PAYMENT.CAPTURE.COMPLETED`` webhook then records the payment.

Webhooks are verified offline by PayPal's documented algorithm: the signed message is
``<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body>``, the
signature (``PAYPAL-TRANSMISSION-SIG``, base64) is RSA-SHA256 by the key of the X.509
certificate at ``PAYPAL-CERT-URL``, which must be an https URL on a paypal.com host and
a certificate valid now. A transmission older than the tolerance is refused (replay).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kyklos.core import clock
from kyklos.payments.methods import PaymentMethod, ProviderEvent, WebhookRejected
from kyklos.payments.models import Checkout, Method, Payment

if TYPE_CHECKING:  # requests and cryptography are imported where used, not at start-up
    from cryptography import x509

SUCCEEDED = {"PAYMENT.CAPTURE.COMPLETED"}
FAILED = {"PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED"}

#: Certificates by URL; tests put theirs here, so no request leaves the machine.
CERTIFICATES: dict[str, x509.Certificate] = {}


def _config() -> dict:
    return settings.KYKLOS_PAYMENTS


def _certificate(url: str) -> x509.Certificate:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "paypal.com" or host.endswith(".paypal.com")):
        raise WebhookRejected(f"PayPal certificate URL not on paypal.com: {url!r}")
    if url not in CERTIFICATES:
        import requests
        from cryptography import x509

        try:
            response = requests.get(url, timeout=10)
            response.raise_for_status()
            CERTIFICATES[url] = x509.load_pem_x509_certificate(response.content)
        except (requests.RequestException, ValueError) as error:
            raise WebhookRejected(f"PayPal certificate not available: {error}") from None
    return CERTIFICATES[url]


def verify_signature(body: bytes, headers: Mapping[str, str], webhook_id: str) -> None:
    """PayPal's self-verification of a webhook; raises :class:`WebhookRejected`."""
    transmission_id = headers.get("Paypal-Transmission-Id", "")
    transmission_time = headers.get("Paypal-Transmission-Time", "")
    signature = headers.get("Paypal-Transmission-Sig", "")
    algorithm = headers.get("Paypal-Auth-Algo", "")
    if not (transmission_id and transmission_time and signature):
        raise WebhookRejected("PayPal signature headers missing")
    if algorithm and algorithm != "SHA256withRSA":
        raise WebhookRejected(f"PayPal signature algorithm {algorithm!r} not accepted")
    try:
        sent_at = datetime.fromisoformat(transmission_time.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRejected("PayPal transmission time unreadable") from None
    if sent_at.tzinfo is None:
        raise WebhookRejected("PayPal transmission time has no time zone")
    tolerance = timedelta(seconds=_config()["webhook_tolerance"])
    if abs(clock.now() - sent_at) > tolerance:
        raise WebhookRejected("PayPal transmission time outside the tolerance (replay?)")
    certificate = _certificate(headers.get("Paypal-Cert-Url", ""))
    now = clock.now()
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise WebhookRejected("PayPal certificate not valid now")
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body)}"
    try:
        certificate.public_key().verify(
            base64.b64decode(signature, validate=True),
            message.encode(),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError, TypeError):
        raise WebhookRejected("PayPal signature refused") from None


def _amount(value: dict) -> tuple[Decimal | None, str]:
    try:
        return Decimal(str(value["value"])), str(value["currency_code"]).upper()
    except (KeyError, TypeError, InvalidOperation):
        return None, ""


class PayPal(PaymentMethod):
    identifier = Method.PAYPAL
    verbose_name = _("PayPal")
    online = True
    provider_refunds = True

    def is_enabled(self) -> bool:
        config = _config()
        return all(
            config.get(key)
            for key in ("paypal_client_id", "paypal_client_secret", "paypal_webhook_id")
        )

    def client(self):
        from paypalserversdk.configuration import Environment
        from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
        from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

        config = _config()
        return PaypalServersdkClient(
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=config["paypal_client_id"],
                o_auth_client_secret=config["paypal_client_secret"],
            ),
            environment=Environment.SANDBOX if config["paypal_sandbox"] else Environment.PRODUCTION,
        )

    def start_checkout(self, checkout: Checkout, *, return_url: str, cancel_url: str) -> str:
        from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
        from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
        from paypalserversdk.models.order_request import OrderRequest
        from paypalserversdk.models.payment_source import PaymentSource
        from paypalserversdk.models.paypal_wallet import PaypalWallet
        from paypalserversdk.models.paypal_wallet_experience_context import (
            PaypalWalletExperienceContext,
        )
        from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest

        invoice = checkout.invoice
        body = OrderRequest(
            intent=CheckoutPaymentIntent.CAPTURE,
            purchase_units=[
                PurchaseUnitRequest(
                    amount=AmountWithBreakdown(
                        currency_code=checkout.currency, value=f"{checkout.amount:.2f}"
                    ),
                    reference_id=str(checkout.pk),
                    invoice_id=invoice.number,
                    custom_id=str(checkout.pk),
                )
            ],
            payment_source=PaymentSource(
                paypal=PaypalWallet(
                    experience_context=PaypalWalletExperienceContext(
                        return_url=return_url,
                        cancel_url=cancel_url,
                        shipping_preference="NO_SHIPPING",
                        user_action="PAY_NOW",
                    )
                )
            ),
        )
        response = self.client().orders.create_order(
            {"body": body, "paypal_request_id": f"kyklos-checkout-{checkout.pk}"}
        )
        order = response.body
        links = {link.rel: link.href for link in (order.links or [])}
        checkout.redirect_url = links.get("payer-action") or links.get("approve") or ""
        return order.id

    def capture(self, checkout: Checkout) -> None:
        """After the customer approved: capture the order. The payment itself is recorded
        when PayPal's signed ``PAYMENT.CAPTURE.COMPLETED`` arrives."""
        self.client().orders.capture_order(
            {
                "id": checkout.provider_reference,
                "paypal_request_id": f"kyklos-capture-{checkout.pk}",
                "prefer": "return=minimal",
            }
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        verify_signature(body, headers, _config()["paypal_webhook_id"])
        try:
            event = json.loads(body)
            event_id, event_type = str(event["id"]), str(event["event_type"])
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("PayPal event is not a webhook event") from None
        if event_type not in SUCCEEDED | FAILED:
            return ProviderEvent(event_id=event_id, event_type=event_type)
        resource = event.get("resource") or {}
        related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
        amount, currency = _amount(resource.get("amount") or {})
        completed = event_type in SUCCEEDED and resource.get("status") == "COMPLETED"
        return ProviderEvent(
            event_id=event_id,
            event_type=event_type,
            checkout_reference=str(related.get("order_id") or ""),
            outcome="succeeded" if completed else ("failed" if event_type in FAILED else ""),
            amount=amount,
            currency=currency,
            charge_reference=str(resource.get("id") or ""),
        )

    def refund(self, payment: Payment, amount: Decimal) -> str:
        from paypalserversdk.models.money import Money
        from paypalserversdk.models.refund_request import RefundRequest

        response = self.client().payments.refund_captured_payment(
            {
                "capture_id": payment.provider_reference,
                "body": RefundRequest(
                    amount=Money(currency_code=payment.currency, value=f"{amount:.2f}")
                ),
                "paypal_request_id": f"kyklos-refund-{payment.pk}-{amount}",
            }
        )
        return response.body.id

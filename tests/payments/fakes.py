"""Stand-ins for the providers' servers and signers, so no request leaves the machine."""

from __future__ import annotations

import base64
import json
import time
import zlib
from datetime import UTC, datetime, timedelta

import stripe
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

STRIPE_SECRET = "whsec_kyklos_test_secret"
PAYPAL_WEBHOOK_ID = "8PT597110X687430LKGECATA"
PAYPAL_CERT_URL = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"


#: The payment intent a test's events name by default (the card tests put localstripe's here).
INTENT = {"id": "pi_test_3Kyk"}


def stripe_event(
    *,
    event_id="evt_1Q0kyklos",
    event_type="payment_intent.succeeded",
    intent=None,
    amount=15178,
    currency="eur",
    status="succeeded",
) -> bytes:
    """A Stripe event about a PaymentIntent, as Stripe (and localstripe) send them."""
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "type": event_type,
            "livemode": False,
            "data": {
                "object": {
                    "id": intent or INTENT["id"],
                    "object": "payment_intent",
                    "amount": amount,
                    "amount_received": amount if status == "succeeded" else 0,
                    "currency": currency,
                    "status": status,
                    "metadata": {"checkout": "1"},
                }
            },
        }
    ).encode()


def stripe_headers(body: bytes, *, secret=STRIPE_SECRET, age_seconds=0) -> dict:
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=int(time.time()) - age_seconds
    )
    return {"Stripe-Signature": header}


class PayPalSigner:
    """A key and a self-signed certificate standing in for PayPal's signing certificate."""

    def __init__(self, now: datetime):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts")])
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=30))
            .not_valid_after(now + timedelta(days=365))
            .sign(self.key, hashes.SHA256())
        )

    def headers(
        self,
        body: bytes,
        *,
        sent_at: datetime,
        webhook_id=PAYPAL_WEBHOOK_ID,
        cert_url=PAYPAL_CERT_URL,
        transmission_id="b2384410-f8d2-11e9-8883-75d2bd7b7a8e",
    ):
        when = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        message = f"{transmission_id}|{when}|{webhook_id}|{zlib.crc32(body)}".encode()
        signature = self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": when,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }


def paypal_event(
    *,
    event_id="WH-7Y7254563A4550640-11V2185806837105M",
    event_type="PAYMENT.CAPTURE.COMPLETED",
    order_id="5O190127TN364715T",
    value="152.37",
    currency="EUR",
    status="COMPLETED",
) -> bytes:
    return json.dumps(
        {
            "id": event_id,
            "event_version": "1.0",
            "create_time": "2027-04-02T06:00:00.000Z",
            "resource_type": "capture",
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": "Payment completed",
            "resource": {
                "id": "3C679366HH908993F",
                "status": status,
                "amount": {"currency_code": currency, "value": value},
                "final_capture": True,
                "supplementary_data": {"related_ids": {"order_id": order_id}},
            },
        }
    ).encode()

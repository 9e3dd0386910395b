"""The verification links printed as QR codes on a KSeF invoice's visual form.

* **KOD I** (every invoice): ``{qr}/invoice/{seller NIP}/{P_1 as DD-MM-YYYY}/{SHA-256 of
  the FA(3) file, Base64URL}``; under it the KSeF number, or ``OFFLINE`` while the
  invoice has none.
* **KOD II** (offline invoices only): ``{qr}/certificate/Nip/{context NIP}/{seller NIP}/
  {certificate serial}/{hash}/{signature}`` signed with the seller's offline KSeF
  certificate; proves who issued the invoice before KSeF had it.
"""

from __future__ import annotations

import hashlib
from datetime import date

from kyklos.einvoicing.channels.ksef import crypto

#: Environments: API base and QR base (KSeF API 2.0, docs "Środowiska" and "Kody QR").
ENVIRONMENTS = {
    "test": ("https://api-test.ksef.mf.gov.pl/v2", "https://qr-test.ksef.mf.gov.pl"),
    "demo": ("https://api-demo.ksef.mf.gov.pl/v2", "https://qr-demo.ksef.mf.gov.pl"),
    "production": ("https://api.ksef.mf.gov.pl/v2", "https://qr.ksef.mf.gov.pl"),
}
OFFLINE_LABEL = "OFFLINE"


def invoice_hash(body: bytes) -> str:
    return crypto.b64url(hashlib.sha256(body).digest())


def kod_i(qr_base: str, seller_nip: str, issued_on: date, body: bytes) -> str:
    """KOD I: verify and fetch the invoice in KSeF."""
    return f"{qr_base.rstrip('/')}/invoice/{seller_nip}/{issued_on:%d-%m-%Y}/{invoice_hash(body)}"


def kod_ii(
    qr_base: str,
    *,
    context_nip: str,
    seller_nip: str,
    certificate_pem: str,
    private_key_pem: str,
    body: bytes,
) -> str:
    """KOD II: the issuer's offline certificate vouches for an offline invoice."""
    serial = crypto.certificate_serial(certificate_pem)
    base = f"{qr_base.rstrip('/')}/certificate/Nip/{context_nip}/{seller_nip}/{serial}/"
    link = base + invoice_hash(body)
    signed = link.split("://", 1)[-1]
    return f"{link}/{crypto.sign_link(private_key_pem, signed)}"

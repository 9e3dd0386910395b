"""The encryption KSeF API 2.0 demands, with the ``cryptography`` package (no hand-written
crypto):

* the KSeF token, as ``{token}|{timestampMs}``, and the session's symmetric key are
  encrypted with the Ministry's public key (X.509 from ``/security/public-key-certificates``,
  one per usage) by RSAES-OAEP with SHA-256 and MGF1-SHA-256;
* each invoice is encrypted with AES-256-CBC and PKCS#7 padding under the session's key
  and IV; the send request carries the SHA-256 (Base64) and size of the plain and of the
  encrypted file;
* the verification QR codes take the invoice's SHA-256 in Base64URL without padding, and
  KOD II a signature of its link by the seller's offline KSeF certificate (RSASSA-PSS
  SHA-256 with a 32-byte salt, or ECDSA P-256 as r‖s).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric import padding as asym
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OAEP = asym.OAEP(mgf=asym.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def sha256_b64(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def public_key_from_certificate(certificate_b64: str):
    """The RSA public key of a certificate as ``/security/public-key-certificates`` gives
    it (DER, Base64, no PEM armour)."""
    return x509.load_der_x509_certificate(base64.b64decode(certificate_b64)).public_key()


def rsa_oaep(public_key, data: bytes) -> str:
    """``data`` encrypted with RSA-OAEP (SHA-256, MGF1-SHA-256), Base64."""
    return b64(public_key.encrypt(data, OAEP))


def encrypted_token(public_key, token: str, timestamp_ms: int) -> str:
    """The ``encryptedToken`` of ``POST /auth/ksef-token``."""
    return rsa_oaep(public_key, f"{token}|{timestamp_ms}".encode())


@dataclass(frozen=True)
class SessionKey:
    """A fresh AES-256 key and IV for one online session (never reused across sessions)."""

    key: bytes
    iv: bytes

    @classmethod
    def new(cls) -> SessionKey:
        return cls(os.urandom(32), os.urandom(16))

    def encryption_info(self, public_key) -> dict[str, str]:
        return {
            "encryptedSymmetricKey": rsa_oaep(public_key, self.key),
            "initializationVector": b64(self.iv),
        }

    def encrypt(self, data: bytes) -> bytes:
        padder = padding.PKCS7(128).padder()
        padded = padder.update(data) + padder.finalize()
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.iv)).encryptor()
        return encryptor.update(padded) + encryptor.finalize()


def decrypt_aes_cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    """The inverse of :meth:`SessionKey.encrypt` (the test peer uses it)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def invoice_request(session_key: SessionKey, invoice: bytes, *, offline: bool) -> dict:
    """The body of ``POST /sessions/online/{ref}/invoices``."""
    encrypted = session_key.encrypt(invoice)
    return {
        "invoiceHash": sha256_b64(invoice),
        "invoiceSize": len(invoice),
        "encryptedInvoiceHash": sha256_b64(encrypted),
        "encryptedInvoiceSize": len(encrypted),
        "encryptedInvoiceContent": b64(encrypted),
        "offlineMode": offline,
    }


def sign_link(private_key_pem: str, text: str) -> str:
    """KOD II: the signature of the link (without ``https://``) by the private key of the
    seller's offline KSeF certificate, Base64URL."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    data = text.encode()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(
            data, asym.PSS(mgf=asym.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()
        )
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")  # IEEE P1363
    else:  # pragma: no cover - KSeF issues RSA or EC certificates only
        raise ValueError("the offline certificate's key is neither RSA nor EC")
    return b64url(signature)


def certificate_serial(certificate_pem: str) -> str:
    """The serial number of a KSeF certificate in upper-case hex, as KOD II names it."""
    cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    return f"{cert.serial_number:X}"


def crc8(data: bytes) -> int:
    """CRC-8 (polynomial 0x07, initial 0x00): the check digits of a KSeF number."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def is_ksef_number(value: str) -> bool:
    """A KSeF number: 35 characters, ``NIP-YYYYMMDD-XXXXXXXXXXXX-CC`` with CRC-8 ``CC``."""
    if len(value or "") != 35:
        return False
    body, check = value[:32], value[33:]
    return value[32] == "-" and f"{crc8(body.encode()):02X}" == check

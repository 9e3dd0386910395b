"""AES-256-GCM for the credential vault, with a key ring for rotation without downtime.

Keys come from the environment: ``KYKLOS_VAULT_KEYS="k2:<base64 32 bytes>,k1:<…>"``. The
first key encrypts; every key listed decrypts. To rotate: put the new key first, keep
the old one after it, restart, run ``kyklos vault rotate-key`` (it re-encrypts row by
row in small transactions while the system serves), then drop the old key.

A sealed value is ``key id`` + ``nonce`` (12 random bytes) + ciphertext with its tag.
The associated data binds it to its row's uid, so a ciphertext copied onto another row
does not decrypt. In debug mode without keys a development key is derived from the
secret key; outside debug mode the vault refuses to work without configured keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
DEV_KEY_ID = "dev"


class VaultError(Exception):
    """A value cannot be sealed or opened (unknown key, tampered data)."""


@dataclass(frozen=True)
class KeyRing:
    keys: dict[str, bytes]
    current: str

    def seal(self, plaintext: bytes, aad: bytes) -> tuple[str, bytes]:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # not at start-up

        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + AESGCM(self.keys[self.current]).encrypt(nonce, plaintext, aad)
        return self.current, sealed

    def open(self, key_id: str, sealed: bytes, aad: bytes) -> bytes:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self.keys.get(key_id)
        if key is None:
            raise VaultError(
                f"The vault key {key_id!r} is not configured; add it to KYKLOS_VAULT_KEYS."
            )
        try:
            return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
        except InvalidTag as exc:
            raise VaultError("The stored value does not decrypt: it was altered.") from exc


def parse_keys(value: str) -> KeyRing:
    """``"id:base64,id:base64"`` → a key ring whose first key is current."""
    keys: dict[str, bytes] = {}
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep or not key_id.strip():
            raise ImproperlyConfigured(
                "KYKLOS_VAULT_KEYS: each key is written id:base64 (32 bytes), comma-separated."
            )
        try:
            key = base64.urlsafe_b64decode(encoded.strip() + "=" * (-len(encoded.strip()) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"KYKLOS_VAULT_KEYS: key {key_id!r} is not base64.") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"KYKLOS_VAULT_KEYS: key {key_id!r} has {len(key)} bytes, AES-256 needs 32."
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"KYKLOS_VAULT_KEYS: key id {key_id!r} appears twice.")
        keys[key_id.strip()] = key
    if not keys:
        raise ImproperlyConfigured("KYKLOS_VAULT_KEYS names no key.")
    return KeyRing(keys, next(iter(keys)))


def key_ring() -> KeyRing:
    configured = getattr(settings, "KYKLOS_VAULT_KEYS", "")
    if configured:
        return parse_keys(configured)
    if settings.DEBUG:
        derived = hashlib.sha256(b"kyklos-vault-dev:" + settings.SECRET_KEY.encode()).digest()
        return KeyRing({DEV_KEY_ID: derived}, DEV_KEY_ID)
    raise ImproperlyConfigured(
        "The credential vault needs KYKLOS_VAULT_KEYS (generate a key with `kyklos vault new-key`)."
    )


def new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")

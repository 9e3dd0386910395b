"""The credential vault (R10.3): store, reveal, rotate keys, hand over and destroy.

Every path that reads a secret writes an audit event on the customer; revealing needs
the ``vault.reveal_credential`` permission (granted through staff roles), a one-time
code from the staff member's own second factor, and a reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token

from kyklos.core import clock, hooks
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action, log_action_rows
from kyklos.vault import crypto
from kyklos.vault.models import Credential, ProviderSecret

SECRET_FIELDS = ("username", "secret", "url", "notes")
MIN_REASON = 10
MAX_SECRET = 4000


@dataclass(frozen=True)
class Secret:
    username: str
    secret: str
    url: str = ""
    notes: str = ""


def _aad(credential: Credential) -> bytes:
    return f"kyklos-vault:{credential.uid}".encode()


def _seal(credential: Credential, secret: Secret, ring: crypto.KeyRing) -> None:
    payload = json.dumps({f: getattr(secret, f) for f in SECRET_FIELDS}).encode()
    credential.key_id, credential.sealed = ring.seal(payload, _aad(credential))


def _open(credential: Credential, ring: crypto.KeyRing) -> Secret:
    if credential.status == Credential.Status.DESTROYED:
        raise ValidationError(_("This credential was destroyed."))
    payload = ring.open(credential.key_id, bytes(credential.sealed), _aad(credential))
    return Secret(**json.loads(payload))


def _check(kind: str, label: str, secret: Secret) -> None:
    errors = {}
    if kind not in Credential.Kind.values:
        errors["kind"] = _("Choose one of the kinds offered.")
    if not label.strip():
        errors["label"] = _("Give the credential a label, e.g. the site it opens.")
    if not secret.secret:
        errors["secret"] = _("The secret is empty.")
    if any(len(getattr(secret, f)) > MAX_SECRET for f in SECRET_FIELDS):
        errors["secret"] = _("A field is longer than %(max)d characters.") % {"max": MAX_SECRET}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def store(
    customer,
    *,
    kind: str,
    label: str,
    secret: Secret,
    service=None,
    actor=None,
    source_message: int | None = None,
):
    """Store a new credential for ``customer`` (by the customer in the portal or by staff).

    ``source_message``: the support message (a ticket message, or an e-mail that became
    one) the credential arrived in. Once stored, every copy of that message's text holding
    the secret is redacted (R9.9), through ``core.hooks.credential_received``, in the same
    transaction: a message not found, or another customer's, stores nothing."""
    _check(kind, label, secret)
    if service is not None and service.customer_id != customer.pk:
        raise ValidationError({"service": _("That service belongs to another customer.")})
    credential = Credential(
        customer=customer,
        service=service,
        kind=kind,
        label=label.strip(),
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    _seal(credential, secret, crypto.key_ring())
    credential.save()
    log_action(credential, "vault.credential.stored", actor=actor, data={"kind": kind})
    if source_message is not None:
        _redact_source(credential, source_message, secret, actor)
    return credential


def _redact_source(credential: Credential, message: int, secret: Secret, actor) -> None:
    """The message the credential arrived in keeps no copy of it (R9.9)."""
    answers = hooks.credential_received.send(
        sender=Credential,
        message=message,
        customer_id=credential.customer_id,
        secrets=(secret.secret,),
        actor=actor,
    )
    counts = [n for _receiver, n in answers if n is not None]
    if not counts:
        raise ValidationError({"source_message": _("That message was not found.")})
    log_action(
        credential,
        "vault.credential.source_redacted",
        actor=actor,
        data={"message": message, "copies": sum(counts)},
    )


def reveal(credential: Credential, *, actor, otp_token: str, reason: str) -> Secret:
    """The decrypted secret, for a staff member allowed to see it; logged with the reason."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_perm(
        "vault.reveal_credential"
    ):
        log_action(credential, "vault.credential.reveal_refused", actor=actor, data={"why": "role"})
        raise PermissionDenied(_("Your role does not allow revealing credentials."))
    if len(reason.strip()) < MIN_REASON:
        raise ValidationError(
            {"reason": _("Say why you need it (at least %(n)d characters).") % {"n": MIN_REASON}}
        )
    if match_token(actor, (otp_token or "").strip()) is None:
        log_action(
            credential,
            "vault.credential.reveal_refused",
            actor=actor,
            data={"why": "second factor"},
        )
        raise PermissionDenied(_("The one-time code is not valid."))
    secret = _open(credential, crypto.key_ring())
    log_action(
        credential, "vault.credential.revealed", actor=actor, data={"reason": reason.strip()}
    )
    return secret


def handover_export(customer, *, actor) -> bytes:
    """The customer's credentials in clear as JSON, for the handover at contract end."""
    ring = crypto.key_ring()
    items = []
    for credential in Credential.objects.filter(
        customer=customer, status=Credential.Status.ACTIVE
    ).select_related("service"):
        secret = _open(credential, ring)
        items.append(
            {
                "label": credential.label,
                "kind": credential.kind,
                "service": credential.service.label if credential.service else "",
                **{f: getattr(secret, f) for f in SECRET_FIELDS},
            }
        )
    log_action(customer, "vault.handover.exported", actor=actor, data={"credentials": len(items)})
    return json.dumps(
        {"customer": customer.pk, "credentials": items}, ensure_ascii=False, indent=2
    ).encode()


@transaction.atomic
def destroy(credentials, *, actor, reason: str) -> int:
    """Wipe the ciphertext of ``credentials`` (a queryset); the row stays as the record."""
    rows = list(
        credentials.select_for_update()
        .filter(status=Credential.Status.ACTIVE)
        .values_list("pk", "customer_id")
    )
    Credential.objects.filter(pk__in=[pk for pk, _c in rows]).update(
        status=Credential.Status.DESTROYED, sealed=b"", destroyed_at=clock.now()
    )
    log_action_rows(
        [("vault.credential", pk, customer_id, {"reason": reason}) for pk, customer_id in rows],
        "vault.credential.destroyed",
        actor=actor,
    )
    return len(rows)


@dataclass
class RotationResult:
    re_encrypted: int
    remaining: int


def rotate(*, batch_size: int = 500, actor="vault rotate-key") -> RotationResult:
    """Re-encrypt every credential sealed under an older key with the current key.

    Each batch is its own short transaction that locks only its rows (SKIP LOCKED on
    PostgreSQL), so the system keeps serving; reads during rotation open either key.
    """
    ring = crypto.key_ring()
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                Credential.objects.select_for_update(skip_locked=True)
                .filter(status=Credential.Status.ACTIVE)
                .exclude(key_id=ring.current)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                break
            for credential in batch:
                _seal(credential, _open(credential, ring), ring)
            Credential.objects.bulk_update(batch, ["key_id", "sealed"])
            done += len(batch)
    remaining = (
        Credential.objects.filter(status=Credential.Status.ACTIVE)
        .exclude(key_id=ring.current)
        .count()
    )
    if done:
        log_action_rows(
            [("vault.keyring", ring.current, None, {"re_encrypted": done})],
            "vault.key.rotated",
            actor=actor,
        )
    return RotationResult(done, remaining)


# --- the provider's own credentials ----------------------------------------------------------


def _provider_aad(purpose: str) -> bytes:
    return f"kyklos-vault-provider:{purpose}".encode()


@transaction.atomic
def store_provider_secret(purpose: str, values: dict[str, str], *, actor) -> ProviderSecret:
    """Seal ``values`` (names to strings) as the provider's credentials for ``purpose``,
    replacing what was stored; logged without the values."""
    purpose = purpose.strip()
    if not purpose:
        raise ValidationError(_("Say what the credentials are for."))
    cleaned = {str(k).strip(): str(v) for k, v in values.items() if str(k).strip()}
    if not cleaned:
        raise ValidationError(_("Give at least one credential value."))
    if any(len(v) > MAX_SECRET * 4 for v in cleaned.values()):
        raise ValidationError(
            _("A value is longer than %(max)d characters.") % {"max": MAX_SECRET * 4}
        )
    payload = json.dumps(cleaned).encode()
    key_id, sealed = crypto.key_ring().seal(payload, _provider_aad(purpose))
    row, _created = ProviderSecret.objects.update_or_create(
        purpose=purpose,
        defaults={
            "key_id": key_id,
            "sealed": sealed,
            "names": sorted(cleaned),
            "updated_at": clock.now(),
            "updated_by": acting_user(actor),
        },
    )
    log_action_rows(
        [("vault.providersecret", row.pk, None, {"purpose": purpose, "names": sorted(cleaned)})],
        "vault.provider_secret.stored",
        actor=actor,
    )
    return row


def provider_secret(purpose: str) -> dict[str, str]:
    """The provider's credentials for ``purpose`` (empty when none are stored), for the
    job that uses them; never for a page."""
    row = ProviderSecret.objects.filter(purpose=purpose).first()
    if row is None:
        return {}
    ring = crypto.key_ring()
    return json.loads(ring.open(row.key_id, bytes(row.sealed), _provider_aad(purpose)))

"""Certificates by ACME (docs/certificates.md, decision 0030).

1. :func:`request_certificate` — a customer (or staff) asks for a certificate: the key and
   CSR are made now. For a site hosted here the key is sealed in the vault; for a site
   hosted elsewhere it is returned to be shown once and is stored nowhere (R5.1). A DV
   certificate is queued for issuance; OV and EV wait for the CA's organisation
   validation, which staff confirm (:func:`organisation_validated`, R5.10).
2. :func:`issue_due` — the durable job (enqueued after the commit; the daily sweep finds
   what a lost job left): claims due certificates like e-invoicing's transmissions
   (decision 0018), runs the ACME order outside any transaction — DNS-01 through the
   zones hosted here (``dns.services.set_challenge``), HTTP-01 answered by
   ``/.well-known/acme-challenge/<token>`` elsewhere — and records the attempt with the
   CA's answer. Temporary failures retry with backoff (``KYKLOS_CERTIFICATES``); a
   refusal or too many attempts fail the certificate for staff.
3. :func:`renew` / :func:`renew_due` — from 30 days before expiry (R5.1), by the customer
   or by the daily step ``certificates.renew``; the same CSR is ordered again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from acme import crypto_util
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyklos.certificates import acme_client
from kyklos.certificates.models import Attempt, Certificate, HttpChallenge
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.tasks import enqueue
from kyklos.dns import selectors as dns_selectors
from kyklos.dns import services as dns
from kyklos.vault import services as vault

log = logging.getLogger(__name__)
State = Certificate.State
MAX_NAMES = 100
MAX_RAW = 200_000


def option(name: str) -> int:
    return int(settings.KYKLOS_CERTIFICATES[name])


def renewal_opens(certificate: Certificate) -> datetime | None:
    """When the certificate may be renewed (R5.1): RENEW_DAYS before it expires."""
    if certificate.not_after is None:
        return None
    return certificate.not_after - timedelta(days=option("RENEW_DAYS"))


# --- ordering --------------------------------------------------------------------------------


@dataclass
class Requested:
    certificate: Certificate
    #: The private key, PEM, for a site hosted elsewhere: show it once, never store it.
    private_key_pem: str | None = None


def clean_names(names, customer_id: int) -> list[str]:
    """The names checked: domain names (a wildcard only where DNS-01 can prove it), at most
    MAX_NAMES, none in a zone hosted here for another customer."""
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    cleaned: list[str] = []
    for raw in names or []:
        text = str(raw).strip().lower().rstrip(".")
        wildcard = text.startswith("*.")
        base = text[2:] if wildcard else text
        base = dns.domain_name(base)
        zone = dns_selectors.zone_for(base)
        if zone is not None and zone.customer_id != customer_id:
            raise ValidationError(
                _("%(name)s is in a zone hosted here for another customer.") % {"name": base}
            )
        if wildcard and zone is None:
            raise ValidationError(
                _("A wildcard (%(name)s) needs its zone hosted here (DNS-01).") % {"name": text}
            )
        name = f"*.{base}" if wildcard else base
        if name not in cleaned:
            cleaned.append(name)
    if not cleaned:
        raise ValidationError(_("Give at least one domain name."))
    if len(cleaned) > MAX_NAMES:
        raise ValidationError(_("A certificate has at most %(n)d names.") % {"n": MAX_NAMES})
    return cleaned


def hosted_here(names: list[str], customer_id: int) -> bool:
    """Whether the site is hosted here: every name is in a zone of the customer's that
    belongs to a hosting service (dns.services.HOSTING_TYPES)."""
    for name in names:
        zone = dns_selectors.zone_for(name.removeprefix("*."))
        if zone is None or zone.customer_id != customer_id or zone.service_id is None:
            return False
        if zone.service.product.type not in dns.HOSTING_TYPES:
            return False
    return True


def _key_and_csr(names: list[str]) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    csr = crypto_util.make_csr(pem, names)
    return pem.decode(), csr.decode()


@transaction.atomic
def request_certificate(
    customer, names, *, kind: str = Certificate.Kind.DV, service=None, actor=None
) -> Requested:
    """Order a certificate for ``names`` (see the module). Refused input writes nothing."""
    if kind not in Certificate.Kind.values:
        raise ValidationError(_("Choose DV, OV or EV."))
    if service is not None and service.customer_id != customer.pk:
        raise ValidationError(_("That service belongs to another customer."))
    cleaned = clean_names(names, customer.pk)
    here = hosted_here(cleaned, customer.pk)
    key_pem, csr_pem = _key_and_csr(cleaned)
    certificate = Certificate(
        customer=customer,
        service=service,
        names=cleaned,
        kind=kind,
        state=State.PENDING if kind == Certificate.Kind.DV else State.AWAITING_ORGANISATION,
        key_custody=Certificate.KeyCustody.VAULT if here else Certificate.KeyCustody.SHOWN_ONCE,
        csr_pem=csr_pem,
        created_at=clock.now(),
    )
    if here:
        certificate.key_purpose = f"certificates:key:{certificate.uid}"
        vault.store_provider_secret(certificate.key_purpose, {"private_key": key_pem}, actor=actor)
    certificate.save()
    log_action(
        certificate,
        "certificates.requested",
        actor=actor,
        data={"names": cleaned, "kind": kind, "key": certificate.key_custody},
    )
    if certificate.state == State.PENDING:
        _queue([certificate.pk])
    return Requested(certificate, None if here else key_pem)


def _queue(ids: list[int]) -> None:
    from kyklos.certificates import tasks

    enqueue(tasks.issue_certificates, ids)


@transaction.atomic
def organisation_validated(certificate: Certificate, *, actor) -> Certificate:
    """Staff confirm the CA validated the organisation (R5.10): the OV/EV certificate is
    queued for issuance."""
    row = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if row.state != State.AWAITING_ORGANISATION:
        raise ValidationError(
            _(
                "Only a certificate awaiting organisation validation can be released; "
                "this one is %(state)s."
            )
            % {"state": row.get_state_display()}
        )
    Certificate.objects.filter(pk=row.pk).update(
        state=State.PENDING, organisation_validated_at=clock.now(), attempts=0, error=""
    )
    log_action(row, "certificates.organisation_validated", actor=actor)
    _queue([row.pk])
    row.refresh_from_db()
    return row


@transaction.atomic
def renew(certificate: Certificate, *, actor) -> Certificate:
    """Renew an issued certificate — from RENEW_DAYS (30) before it expires (R5.1)."""
    row = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if row.state != State.ISSUED:
        raise ValidationError(
            _("Only an issued certificate is renewed; this one is %(state)s.")
            % {"state": row.get_state_display()}
        )
    opens = renewal_opens(row)
    if opens is not None and clock.now() < opens:
        raise ValidationError(
            _("This certificate can be renewed from %(day)s (30 days before it expires).")
            % {"day": opens.date().isoformat()}
        )
    _start_renewals(Certificate.objects.filter(pk=row.pk), actor=actor)
    row.refresh_from_db()
    return row


def _start_renewals(rows, *, actor) -> list[int]:
    ids = list(rows.values_list("pk", flat=True))
    if ids:
        Certificate.objects.filter(pk__in=ids, state=State.ISSUED).update(
            state=State.PENDING,
            renewals=F("renewals") + 1,
            attempts=0,
            error="",
            next_attempt_at=None,
        )
        for certificate in Certificate.objects.filter(pk__in=ids):
            log_action(certificate, "certificates.renewal_started", actor=actor)
        _queue(ids)
    return ids


def renew_due(day: date) -> dict[str, int]:
    """The daily step: issued certificates that expire within RENEW_DAYS of ``day`` are
    renewed (set-based; the job runs after the step commits)."""
    limit = datetime.combine(
        day + timedelta(days=option("RENEW_DAYS")), time.max, tzinfo=clock.now().tzinfo
    )
    due = Certificate.objects.filter(state=State.ISSUED, not_after__lte=limit)
    started = _start_renewals(due, actor="automation")
    from kyklos.certificates import tasks

    enqueue(tasks.issue_pending)
    return {"certificates_renewals_started": len(started)} if started else {}


@transaction.atomic
def issue_again(certificate: Certificate, *, actor) -> Certificate:
    """Staff queue a failed certificate again (its attempts start again)."""
    row = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if row.state != State.FAILED:
        raise ValidationError(
            _("Only failed certificates are tried again; this one is %(state)s.")
            % {"state": row.get_state_display()}
        )
    Certificate.objects.filter(pk=row.pk).update(
        state=State.PENDING, attempts=0, next_attempt_at=None, claim=""
    )
    log_action(row, "certificates.retried", actor=actor, data={"previous_error": row.error[:500]})
    _queue([row.pk])
    row.refresh_from_db()
    return row


# --- the issuing job -------------------------------------------------------------------------


def _due(now) -> Q:
    stale = now - timedelta(seconds=option("STALE_SECONDS"))
    return (
        Q(state=State.PENDING)
        | Q(state=State.RETRY, next_attempt_at__lte=now)
        | Q(state=State.ISSUING, claimed_at__lt=stale)
    )


def claim(*, ids=None, limit: int = 20) -> tuple[str, list[Certificate]]:
    token = uuid.uuid4().hex
    now = clock.now()
    with transaction.atomic():
        due = Certificate.objects.filter(_due(now))
        if ids is not None:
            due = due.filter(pk__in=list(ids))
        picked = list(
            due.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if picked:
            Certificate.objects.filter(pk__in=picked).filter(_due(now)).update(
                state=State.ISSUING, claim=token, claimed_at=now, attempts=F("attempts") + 1
            )
    return token, list(Certificate.objects.filter(claim=token, state=State.ISSUING).order_by("pk"))


def _account_purpose() -> str:
    return f"certificates:acme-account:{acme_client.directory_url()}"


def _account() -> acme_client.Account:
    stored = vault.provider_secret(_account_purpose())
    if stored.get("key"):
        return acme_client.Account(stored["key"], stored.get("uri", ""))
    account = acme_client.Account(acme_client.new_account_key())
    _save_account(account)
    return account


def _save_account(account: acme_client.Account) -> None:
    vault.store_provider_secret(
        _account_purpose(), {"key": account.key_json, "uri": account.uri}, actor="certificates"
    )


def _method_for(name: str) -> str:
    return "dns-01" if dns_selectors.zone_for(name) is not None else "http-01"


def _publish(name: str, method: str, token: str, validation: str) -> None:
    if method == "http-01":
        HttpChallenge.objects.update_or_create(
            token=token,
            defaults={"key_authorization": validation, "name": name, "created_at": clock.now()},
        )
        return
    try:
        zone = dns.set_challenge(name, [validation])
    except ValidationError as error:
        raise acme_client.AcmeRefused(" ".join(error.messages)) from None
    zone = dns.push_now(zone)
    if zone.sync != zone.Sync.SYNCED:
        raise acme_client.AcmeTemporary(
            _("The zone %(zone)s could not be published for the challenge: %(error)s")
            % {"zone": zone.name, "error": zone.error}
        )


def _withdraw(name: str, method: str, token: str) -> None:
    try:
        if method == "http-01":
            HttpChallenge.objects.filter(token=token).delete()
        else:
            dns.clear_challenge(name)
    except Exception:  # cleaning up must not hide the order's outcome
        log.exception("certificates: withdrawing the %s challenge of %s failed", method, name)


def _attempt(certificate: Certificate, token: str) -> str:
    started = clock.now()
    try:
        issued = acme_client.obtain(
            certificate.csr_pem.encode(),
            _account(),
            email=getattr(settings, "KYKLOS_ACME_EMAIL", ""),
            method_for=_method_for,
            publish=_publish,
            withdraw=_withdraw,
            save_account=_save_account,
            timeout=option("ORDER_TIMEOUT_SECONDS"),
        )
    except acme_client.AcmeRefused as error:
        return _record(
            certificate,
            token,
            started,
            Attempt.Result.REFUSED,
            error=str(error),
            response=error.response,
        )
    except acme_client.AcmeTemporary as error:
        return _record(
            certificate,
            token,
            started,
            Attempt.Result.TEMPORARY,
            error=str(error),
            response=error.response,
        )
    except ImproperlyConfigured as error:
        return _record(certificate, token, started, Attempt.Result.TEMPORARY, error=str(error))
    except Exception as error:  # a bug or an unforeseen failure: a deploy fixes it
        log.exception("certificates: issuing %s failed unexpectedly", certificate.pk)
        return _record(
            certificate,
            token,
            started,
            Attempt.Result.TEMPORARY,
            error=f"{type(error).__name__}: {error}",
        )
    return _record(certificate, token, started, Attempt.Result.ISSUED, issued=issued)


def backoff(attempts: int) -> timedelta:
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, option("MAX_BACKOFF_SECONDS")))


def _record(certificate, token, started, result, *, error="", response="", issued=None) -> str:
    now = clock.now()
    changes: dict = {"claim": ""}
    if result == Attempt.Result.ISSUED:
        leaf = x509.load_pem_x509_certificate(issued.fullchain_pem.encode())
        changes |= {
            "state": State.ISSUED,
            "chain_pem": issued.fullchain_pem,
            "serial": format(leaf.serial_number, "x"),
            "not_before": leaf.not_valid_before_utc,
            "not_after": leaf.not_valid_after_utc,
            "issued_at": now,
            "next_attempt_at": None,
            "error": "",
        }
    elif result == Attempt.Result.TEMPORARY and certificate.attempts < option("MAX_ATTEMPTS"):
        changes |= {
            "state": State.RETRY,
            "next_attempt_at": now + backoff(certificate.attempts),
            "error": error,
        }
    else:
        if result == Attempt.Result.TEMPORARY:
            error = _("Gave up after %(n)d attempts: %(error)s") % {
                "n": certificate.attempts,
                "error": error,
            }
        changes |= {"state": State.FAILED, "next_attempt_at": None, "error": error}
    with transaction.atomic():
        Attempt.objects.create(
            certificate=certificate,
            number=Attempt.objects.filter(certificate=certificate).count() + 1,
            sender=token,
            started_at=started,
            finished_at=now,
            result=result,
            methods=issued.methods if issued else {},
            error=error,
            response=(response or "")[:MAX_RAW],
        )
        moved = Certificate.objects.filter(pk=certificate.pk, claim=token).update(**changes)
        if moved and changes["state"] == State.ISSUED:
            log_action(
                certificate,
                "certificates.issued",
                actor="certificates",
                data={"serial": changes["serial"], "not_after": changes["not_after"].isoformat()},
            )
        if moved and changes["state"] == State.FAILED:
            log_action(
                certificate,
                "certificates.failed",
                actor="certificates",
                data={"error": error[:500]},
            )
    return changes["state"] if moved else "superseded"


def issue_due(*, ids=None, limit: int | None = None) -> Counter:
    """Issue every due certificate (of ``ids`` only, when given); the count per new state.
    Call it outside any transaction."""
    ids = None if ids is None else list(ids)
    counts: Counter = Counter()
    tried = 0
    while limit is None or tried < limit:
        token, held = claim(ids=ids, limit=20 if limit is None else min(20, limit - tried))
        if not held:
            break
        for certificate in held:
            counts[_attempt(certificate, token)] += 1
        tried += len(held)
    return counts

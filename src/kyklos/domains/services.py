"""Domains: ordering, the registry jobs, transfers, auth codes, holds and the daily advance
through grace, redemption and release (docs/domains.md, decision 0028).

The path of an order (R4.1):

1. :func:`order_domain` checks the name against its TLD's data (terms, R4.10 repeated
   unpaid .gr orders) and orders the service through the lifecycle: a proforma, the
   domain ``pending``. Nothing happens at the registry before payment.
2. Payment activates the service; ``core.hooks.services_changed`` (to ``active``) reaches
   :func:`services_activated`, which writes a ``register`` job (unique per domain) and
   enqueues the worker after the commit. A paid renewal (``core.hooks.invoice_paid``,
   :func:`invoice_paid`) writes a ``renew`` job unique per billed period.
3. :func:`run_due` claims due jobs (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), talks
   to the registry **outside any transaction** and records each attempt with the raw EPP
   exchange. A temporary failure (the registry down, a dropped connection, 2400/2502)
   retries with exponential backoff; a refusal, or too many attempts, ends ``failed`` with
   the registry's message for staff (admin: retry). Every operation checks the registry's
   state before acting again, so a lost answer never doubles a registration or a renewal.
4. A name taken meanwhile (2302 on create) leaves the domain ``refused``: the customer
   picks another name (:func:`choose_another_name`, the same paid order) or takes a refund
   (:func:`refund_refused`: a credit note, then account credit or money back to the way
   they paid, as they choose — R4.10).

A transfer in (:func:`order_transfer`, R4.8, R4.9) follows the same path with the auth
code the customer gave (kept in the vault): after payment a ``transfer_in`` job asks the
registry; the domain is ``transferring`` until the registry says it is ours (at once, or
at a later sync), then active with the registry's expiry, which the service's next renewal
follows. A refusal (bad code, locked) tells staff and the customer, who gives a new code
(:func:`retry_transfer`) or takes the refund. A .gr withdrawn within its days (R4.5,
``payments.refunds``) is deleted at the registry (:func:`withdrawn`). A change of registrant
(:func:`change_owner`) is billed first where the TLD charges for it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from kyklos.billing import services as billing
from kyklos.billing.models import Invoice
from kyklos.catalog.models import Cycle
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.core.tasks import enqueue
from kyklos.customers.models import Customer
from kyklos.domains.models import (
    ENDED_STATES,
    HELD_STATES,
    Domain,
    DomainState,
    JobAttempt,
    OwnerChange,
    RegistrarAccount,
    RegistryJob,
    Tld,
    Transfer,
)
from kyklos.domains.registrars import plugin
from kyklos.domains.registrars.base import (
    Contact,
    PermanentFailure,
    RegistrarError,
    RegistryDomain,
    TemporaryFailure,
)
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Renewal, Service
from kyklos.lifecycle.models import State as ServiceState
from kyklos.notifications import services as notifications
from kyklos.payments import services as payments
from kyklos.vault import services as vault

log = logging.getLogger(__name__)
Op = RegistryJob.Operation
Status = RegistryJob.Status
ACTOR = "domains"
#: years → the billing cycle a term is sold on.
CYCLE_OF_YEARS = {1: Cycle.ANNUAL, 2: Cycle.BIENNIAL}
YEARS_OF_CYCLE = {v: k for k, v in CYCLE_OF_YEARS.items()}
MAX_RAW = 200_000


def option(name: str) -> int:
    return int(settings.KYKLOS_DOMAINS[name])


# --- names and TLDs -------------------------------------------------------------------------


def normalise(name: str) -> str:
    """The ASCII (IDNA 2008, punycode) form of ``name``, lower case; a name that is not a
    host name is refused in one line."""
    text = (name or "").strip().rstrip(".").lower()
    if not text or "." not in text:
        raise ValidationError(
            {"name": _("Give the full domain name with its ending, e.g. example.gr.")}
        )
    try:
        ascii_name = idna.encode(text, uts46=True).decode()
    except idna.IDNAError:
        raise ValidationError(
            {"name": _("%(name)s is not a valid domain name.") % {"name": name.strip()[:100]}}
        ) from None
    if len(ascii_name) > 253 or any(len(label) > 63 for label in ascii_name.split(".")):
        raise ValidationError({"name": _("The domain name is too long.")})
    return ascii_name


def tld_of(name: str) -> Tld:
    """The longest TLD suffix of ``name`` that Kyklos sells (``com.gr`` before ``gr``)."""
    labels = name.split(".")
    suffixes = [".".join(labels[i:]) for i in range(1, len(labels))]
    found = {t.suffix: t for t in Tld.objects.filter(suffix__in=suffixes, active=True)}
    for suffix in suffixes:
        if suffix in found:
            return found[suffix]
    raise ValidationError(
        {"name": _("Names ending in .%(suffix)s are not sold here.") % {"suffix": labels[-1]}}
    )


def check_term(tld: Tld, years: int) -> str:
    """The billing cycle of a ``years`` term of ``tld``; a term the TLD does not sell (a
    .gr in 1 year) is refused."""
    if years not in tld.terms or years not in CYCLE_OF_YEARS:
        sold = [t for t in tld.terms if t in CYCLE_OF_YEARS]
        raise ValidationError(
            {
                "years": _(".%(tld)s is registered for %(terms)s years only.")
                % {"tld": tld.suffix, "terms": ", ".join(str(t) for t in sold) or "—"}
            }
        )
    return CYCLE_OF_YEARS[years]


# --- ordering (R4.1, R4.10) -----------------------------------------------------------------


@transaction.atomic
def order_domain(*, customer: Customer, name: str, years: int, actor=None) -> Domain:
    """Order the registration of ``name`` for ``years``: the service and its proforma are
    made by the lifecycle; the registry is asked only after payment (R4.1)."""
    name = normalise(name)
    tld = tld_of(name)
    cycle = check_term(tld, years)
    if tld.product_id is None:
        raise ValidationError(
            {"name": _("No price is set for .%(tld)s yet.") % {"tld": tld.suffix}}
        )
    _check_orderable(name, tld)
    service = lifecycle.order_service(
        customer=customer, product=tld.product, cycle=cycle, label=name, actor=actor
    )
    return _pending(name, tld, customer, service, years, actor)


def check_incoming_auth_code(code: str) -> str:
    """The auth code a customer gives for a transfer in, stripped; refused in one line
    when empty, too long, or without a non-alphanumeric character (R4.9)."""
    code = (code or "").strip()
    if not code:
        raise ValidationError(
            {"auth_code": _("Give the auth code (EPP code) your current registrar issued.")}
        )
    if len(code) > 64 or any(c.isspace() or not c.isprintable() for c in code):
        raise ValidationError(
            {"auth_code": _("An auth code has at most 64 characters and no spaces.")}
        )
    if code.isalnum():
        raise ValidationError(
            {
                "auth_code": _(
                    "An auth code contains non-alphanumeric characters (such as - ! # @); "
                    "check the code your current registrar gave you."
                )
            }
        )
    return code


def transfer_term(tld: Tld) -> int:
    """The years a transfer in of ``tld`` is billed for: its shortest term."""
    sold = sorted(t for t in tld.terms if t in CYCLE_OF_YEARS)
    if not sold:
        raise ValidationError(
            {"name": _("No price is set for .%(tld)s yet.") % {"tld": tld.suffix}}
        )
    return sold[0]


@transaction.atomic
def order_transfer(*, customer: Customer, name: str, auth_code: str, actor=None) -> Domain:
    """Order the transfer in of ``name``, held at another registrar, with its auth code:
    a proforma for the TLD's shortest term; the registry is asked only once it is paid
    (R4.1). Before ordering, :func:`kyklos.domains.selectors.transfer_quote` tells the
    customer whether the transfer adds a year (R4.8)."""
    name = normalise(name)
    tld = tld_of(name)
    code = check_incoming_auth_code(auth_code)
    years = transfer_term(tld)
    if tld.product_id is None:
        raise ValidationError(
            {"name": _("No price is set for .%(tld)s yet.") % {"tld": tld.suffix}}
        )
    _check_orderable(name, tld)
    service = lifecycle.order_service(
        customer=customer,
        product=tld.product,
        cycle=CYCLE_OF_YEARS[years],
        label=name,
        actor=actor,
    )
    return _pending_transfer(_pending(name, tld, customer, service, years, actor), code, actor)


def _pending_transfer(domain: Domain, code: str, actor) -> Domain:
    # Its name servers and lock are the current registrar's until the name is ours.
    Domain.objects.filter(pk=domain.pk).update(
        origin=Domain.Origin.TRANSFER, nameservers=[], locked=False
    )
    domain.origin, domain.nameservers, domain.locked = Domain.Origin.TRANSFER, [], False
    vault.store_provider_secret(domain.incoming_code_purpose, {"code": code}, actor=ACTOR)
    Transfer.objects.create(
        domain=domain,
        direction=Transfer.Direction.IN,
        status=Transfer.Status.REQUESTED,
        auth_code_serial=0,
        requested_at=clock.now(),
    )
    log_action(domain, "domain.transfer_in_ordered", actor=actor)
    return domain


def incoming_auth_code(domain: Domain) -> str:
    try:
        return vault.provider_secret(domain.incoming_code_purpose).get("code", "")
    except Exception:  # noqa: BLE001 - none stored
        return ""


def _check_orderable(name: str, tld: Tld) -> None:
    """Not held here, and (R4.10) not ordered again and again while earlier orders of the
    same name stay unpaid; a one-line ValidationError otherwise."""
    if Domain.objects.filter(name=name, state__in=HELD_STATES).exists():
        raise ValidationError({"name": _("%(name)s is already registered.") % {"name": name}})
    if tld.unpaid_order_limit is not None:
        unpaid = Domain.objects.filter(name=name, state=DomainState.PENDING).count()
        if unpaid >= tld.unpaid_order_limit:
            raise ValidationError(
                {
                    "name": _(
                        "%(name)s has an unpaid order already; pay or cancel it before "
                        "ordering it again."
                    )
                    % {"name": name}
                }
            )


def _pending(name: str, tld: Tld, customer: Customer, service: Service, years: int, actor):
    """The domain row of an order: pending until its proforma is paid (R4.1)."""
    day = clock.today()
    domain = Domain.objects.create(
        name=name,
        tld=tld,
        customer=customer,
        service=service,
        state=DomainState.PENDING,
        state_changed_on=day,
        years=years,
        ordered_on=day,
        nameservers=list(default_nameservers()),
        whois_verify_by=(
            day + timedelta(days=tld.whois_verification_days)
            if tld.whois_verification_days
            else None
        ),
        created_at=clock.now(),
    )
    log_action(domain, "domain.ordered", actor=actor, data={"years": years, "tld": tld.suffix})
    return domain


@transaction.atomic
def attach_order(
    service: Service, *, actor=None, transfer_auth_code: str | None = None
) -> Domain | None:
    """A domain service ordered with other items (the shop's cart, one proforma): its
    pending domain row, so that the payment registers it like :func:`order_domain` does.
    The name, the term (the service's cycle) and R4.10 are checked the same way; a refusal
    is a one-line ValidationError and the caller's transaction writes nothing. None when
    the service's product is not the one its TLD is sold at (``Tld.product``): such a
    product is not a registration this app carries out (nor is a TLD it does not know)."""
    try:
        name = normalise(service.label)
        tld = tld_of(name)
    except ValidationError:
        if transfer_auth_code is not None:
            raise
        return None
    if tld.product_id != service.product_id:
        if transfer_auth_code is not None:
            raise ValidationError(
                {"domain": _("Transfers of .%(tld)s are not offered.") % {"tld": tld.suffix}}
            )
        return None
    years = YEARS_OF_CYCLE.get(service.cycle)
    if transfer_auth_code is not None:
        code = check_incoming_auth_code(transfer_auth_code)
        if years != transfer_term(tld):
            raise ValidationError(
                {
                    "years": _("A transfer of .%(tld)s is ordered for %(n)d years.")
                    % {"tld": tld.suffix, "n": transfer_term(tld)}
                }
            )
        _check_orderable(name, tld)
        domain = _pending(name, tld, service.customer, service, years, actor)
        return _pending_transfer(domain, code, actor)
    check_term(tld, years or 0)
    _check_orderable(name, tld)
    return _pending(name, tld, service.customer, service, years, actor)


@transaction.atomic
def record_existing(service: Service, *, nameservers: list[str] | None = None, actor=None):
    """A domain service of a name registered before Kyklos ran it (an import, the demo):
    the domain row with the service's expiry, without asking the registry (the daily sync
    does). Returns the domain, or None when the label is not a name of a known TLD."""
    try:
        name = normalise(service.label)
        tld = tld_of(name)
    except ValidationError:
        return None
    existing = Domain.objects.filter(service=service).first()
    if existing is not None:
        return existing
    day = clock.today()
    expired = service.expires_on is not None and service.expires_on < day
    domain = Domain.objects.create(
        name=name,
        tld=tld,
        customer_id=service.customer_id,
        service=service,
        state=DomainState.GRACE if expired else DomainState.ACTIVE,
        state_changed_on=day,
        years=YEARS_OF_CYCLE.get(service.cycle, 1),
        ordered_on=service.ordered_on,
        registered_on=service.started_on,
        expires_on=service.expires_on,
        nameservers=list(nameservers or default_nameservers()),
        locked=True,
        created_at=clock.now(),
    )
    log_action(domain, "domain.recorded", actor=actor, data={"service": service.pk})
    return domain


def default_nameservers() -> list[str]:
    """The provider's name servers (the hosted DNS), set on every new registration."""
    return [h.lower() for h in getattr(settings, "KYKLOS_DNS_NAMESERVERS", ()) if h]


def services_activated(service_ids: list[int], *, actor=None) -> int:
    """Paid orders activated their services: the pending domains among them get their
    registration job (one per domain), run after the commit. Returns how many."""
    domains = list(Domain.objects.filter(service_id__in=service_ids, state=DomainState.PENDING))
    if not domains:
        return 0
    day = clock.today()
    transfers = [d for d in domains if d.origin == Domain.Origin.TRANSFER]
    registrations = [d for d in domains if d.origin != Domain.Origin.TRANSFER]
    Domain.objects.filter(pk__in=[d.pk for d in registrations]).update(
        state=DomainState.REGISTERING, state_changed_on=day
    )
    Domain.objects.filter(pk__in=[d.pk for d in transfers]).update(
        state=DomainState.TRANSFERRING, state_changed_on=day
    )
    for domain in registrations:
        _job(domain, Op.REGISTER, f"register:{domain.pk}:{domain.name}", {"years": domain.years})
    for domain in transfers:
        _transfer_job(domain)
    _kick()
    return len(domains)


def _transfer_job(domain: Domain) -> int:
    """The ``transfer_in`` job: one per transfer asked (a new code is a new transfer)."""
    transfer = (
        domain.transfers.filter(direction=Transfer.Direction.IN)
        .order_by("-requested_at", "-pk")
        .first()
    )
    tld = Tld.objects.get(pk=domain.tld_id)
    return _job(
        domain,
        Op.TRANSFER_IN,
        f"transfer_in:{domain.pk}:{transfer.pk if transfer else 0}",
        {"years": 1 if tld.transfer_adds_year else 0},
    )


def invoice_paid(invoice: Invoice, *, actor=None) -> int:
    """A paid proforma: each renewal period it billed for a held domain gets its renew
    job (unique per period). A domain in redemption is restored only when both its renewal
    and its redemption fee (R4.3) are paid, whichever is paid last. A paid change of
    registrant goes to the registry."""
    owner_changes_paid(invoice)
    renewals = list(Renewal.objects.filter(invoice=invoice, kind=Renewal.Kind.RENEWAL))
    fee_of = list(Domain.objects.filter(redemption_invoice=invoice, state=DomainState.REDEMPTION))
    for domain in fee_of:  # the fee is paid: the renewal paid before it, if any, goes ahead
        renewals += list(
            Renewal.objects.filter(
                service_id=domain.service_id,
                kind=Renewal.Kind.RENEWAL,
                status=Renewal.Status.PAID,
                period_end__gt=domain.expires_on,
            )
        )
    if not renewals:
        return 0
    by_service = {
        d.service_id: d
        for d in Domain.objects.filter(
            service_id__in=[r.service_id for r in renewals], state__in=HELD_STATES
        )
        .exclude(state=DomainState.REGISTERING)
        .select_related("redemption_invoice")
    }
    made = 0
    for renewal in renewals:
        domain = by_service.get(renewal.service_id)
        if domain is None:
            continue
        if domain.state == DomainState.REDEMPTION and not _fee_paid(domain):
            log_action(domain, "domain.renewal_waits_for_redemption_fee", actor=actor)
            continue
        years = max(1, (renewal.period_end.year - renewal.period_start.year) or 1)
        made += _job(
            domain,
            Op.RENEW,
            f"renew:{renewal.pk}",
            {"years": years, "period_end": renewal.period_end.isoformat()},
        )
    if made:
        _kick()
    return made


def _fee_paid(domain: Domain) -> bool:
    fee = domain.redemption_invoice
    return fee is None or fee.status == Invoice.Status.PAID


def _issue_redemption_fees(domains: list[Domain], day: date) -> None:
    """A proforma for each domain's redemption fee (R4.3), issued as redemption begins."""
    charged = [d for d in domains if d.tld.redemption_fee > 0 and d.redemption_invoice_id is None]
    if not charged:
        return
    specs = [
        billing.DocumentSpec(
            customer=d.customer,
            kind="proforma",
            issued_on=day,
            due_on=d.expires_on + timedelta(days=d.tld.grace_days + d.tld.redemption_days),
            lines=[
                billing.LineSpec(
                    description=_("Redemption fee for %(name)s") % {"name": d.name},
                    unit_price=d.tld.redemption_fee,
                    product_code=d.tld.product.code if d.tld.product_id else "",
                )
            ],
        )
        for d in charged
    ]
    for domain, invoice in zip(
        charged, billing.issue_documents(specs, actor="automation"), strict=True
    ):
        Domain.objects.filter(pk=domain.pk).update(redemption_invoice=invoice)


# --- jobs: writing and claiming -------------------------------------------------------------


def _job(domain: Domain, operation: str, key: str, params: dict | None = None) -> int:
    """Write the job unless one with ``key`` exists (a repeated hook never doubles it);
    returns 1 when written."""
    key = key[:120]
    if RegistryJob.objects.filter(key=key).exists():
        return 0
    try:
        with transaction.atomic():
            RegistryJob.objects.create(
                domain=domain,
                operation=operation,
                key=key,
                params=params or {},
                status=Status.PENDING,
                cltrid=f"KYK-{uuid.uuid4().hex[:20]}",
                created_at=clock.now(),
            )
    except IntegrityError:
        return 0
    return 1


def _kick() -> None:
    from kyklos.domains import tasks

    enqueue(tasks.run_jobs)


def _due(now) -> Q:
    stale = now - timedelta(seconds=option("STALE_SECONDS"))
    waiting = Q(status__in=[Status.PENDING, Status.RETRY]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return waiting | Q(status=Status.RUNNING, claimed_at__lt=stale)


def claim(*, limit: int | None = None) -> tuple[str, list[RegistryJob]]:
    """Take up to ``limit`` due jobs for this worker (as e-invoicing's ``claim``)."""
    token = uuid.uuid4().hex
    now = clock.now()
    with transaction.atomic():
        picked = list(
            RegistryJob.objects.filter(_due(now))
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[: limit or option("BATCH")]
        )
        if not picked:
            return token, []
        RegistryJob.objects.filter(pk__in=picked).filter(_due(now)).update(
            status=Status.RUNNING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    held = RegistryJob.objects.filter(claim=token, status=Status.RUNNING).select_related(
        "domain__tld__registrar", "domain__customer"
    )
    return token, list(held.order_by("pk"))


def backoff(attempts: int) -> timedelta:
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, option("MAX_BACKOFF_SECONDS")))


@dataclass
class Answer:
    result: str
    data: dict
    error: str = ""
    code: str = ""
    request: str = ""
    response: str = ""


def run_due(*, limit: int | None = None) -> Counter:
    """Run every due job, batch after batch; returns the count per new status. Call it
    outside any transaction: each claim and each answer commits on its own."""
    counts: Counter = Counter()
    tried = 0
    while limit is None or tried < limit:
        token, held = claim(limit=option("BATCH") if limit is None else limit - tried)
        if not held:
            break
        by_account: dict[int | None, list[RegistryJob]] = defaultdict(list)
        for job in held:
            by_account[job.domain.tld.registrar_id].append(job)
        for jobs in by_account.values():
            counts.update(_run_with(jobs, token))
        tried += len(held)
    return counts


def _connect(account: RegistrarAccount | None):
    if account is None or not account.enabled:
        raise TemporaryFailure(_("No enabled registrar account serves this TLD."))
    credentials = vault.provider_secret(account.credentials_purpose)
    registrar = plugin(account.plugin, dict(account.settings), credentials)
    registrar.open()
    return registrar


def _run_with(jobs: list[RegistryJob], token: str) -> Counter:
    """One registry session for ``jobs`` (same registrar account)."""
    counts: Counter = Counter()
    started = clock.now()
    try:
        registrar = _connect(jobs[0].domain.tld.registrar)
    except RegistrarError as error:
        for job in jobs:
            counts[_record(job, token, started, _failure(error))] += 1
        return counts
    except Exception as error:  # noqa: BLE001 - e.g. the vault has no login: try later
        log.exception("domains: cannot open a registry session")
        answer = Answer(JobAttempt.Result.TEMPORARY, {}, f"{type(error).__name__}: {error}")
        for job in jobs:
            counts[_record(job, token, started, answer)] += 1
        return counts
    try:
        for job in jobs:
            started = clock.now()
            registrar.log = []
            answer = _attempt(registrar, job)
            counts[_record(job, token, started, answer)] += 1
            if (
                answer.result == JobAttempt.Result.TEMPORARY
                and getattr(registrar, "sock", 1) is None
            ):
                registrar.open()  # the session broke; the next job needs a new one
    except RegistrarError as error:
        for job in jobs:
            if RegistryJob.objects.filter(pk=job.pk, claim=token, status=Status.RUNNING).exists():
                counts[_record(job, token, clock.now(), _failure(error))] += 1
    finally:
        registrar.close()
    return counts


def _failure(error: RegistrarError) -> Answer:
    result = (
        JobAttempt.Result.TEMPORARY
        if isinstance(error, TemporaryFailure)
        else JobAttempt.Result.PERMANENT
    )
    return Answer(result, {}, str(error), error.code, error.request, error.response)


def _exchange(registrar) -> tuple[str, str]:
    entries = getattr(registrar, "log", [])
    return (
        "\n\n".join(r for r, _ in entries)[:MAX_RAW],
        "\n\n".join(s for _, s in entries)[:MAX_RAW],
    )


def _attempt(registrar, job: RegistryJob) -> Answer:
    """Do ``job`` at the registry; never raises."""
    try:
        data = OPERATIONS[job.operation](registrar, job)
    except RegistrarError as error:
        answer = _failure(error)
        answer.request, answer.response = _exchange(registrar)
        return answer
    except Exception as error:  # noqa: BLE001 - a bug or a transport surprise: try later
        log.exception("domains: job %s failed unexpectedly", job.pk)
        return Answer(JobAttempt.Result.TEMPORARY, {}, f"{type(error).__name__}: {error}")
    request, response = _exchange(registrar)
    return Answer(JobAttempt.Result.DONE, data or {}, request=request, response=response)


def _record(job: RegistryJob, token: str, started, answer: Answer) -> str:
    """Write the attempt, move the job on and apply what the registry did to the domain."""
    now = clock.now()
    changes: dict[str, Any] = {"claim": ""}
    if answer.result == JobAttempt.Result.DONE:
        changes |= {
            "status": Status.DONE,
            "result": answer.data,
            "finished_at": now,
            "next_attempt_at": None,
            "error": "",
            "error_code": "",
        }
    elif answer.result == JobAttempt.Result.TEMPORARY and job.attempts < option("MAX_ATTEMPTS"):
        changes |= {
            "status": Status.RETRY,
            "next_attempt_at": now + backoff(job.attempts),
            "error": answer.error,
            "error_code": answer.code[:20],
        }
    else:
        error = answer.error
        if answer.result == JobAttempt.Result.TEMPORARY:
            error = _("Gave up after %(n)d attempts: %(error)s") % {
                "n": job.attempts,
                "error": answer.error,
            }
        changes |= {
            "status": Status.FAILED,
            "next_attempt_at": None,
            "finished_at": now,
            "error": error,
            "error_code": answer.code[:20],
        }
    with transaction.atomic():
        JobAttempt.objects.create(
            job=job,
            number=JobAttempt.objects.filter(job=job).count() + 1,
            started_at=started,
            finished_at=now,
            result=answer.result,
            code=answer.code[:20],
            error=answer.error,
            request=answer.request,
            response=answer.response,
        )
        moved = RegistryJob.objects.filter(pk=job.pk, claim=token).update(**changes)
        if not moved:
            return "superseded"
        if changes["status"] == Status.DONE:
            APPLY.get(job.operation, _nothing)(job, answer.data)
        elif changes["status"] == Status.FAILED:
            _failed(
                job,
                changes["error"],
                answer.code,
                refused=answer.result == JobAttempt.Result.PERMANENT,
            )
    return changes["status"]


def _nothing(job, data) -> None:
    return None


# --- the operations at the registry (idempotent: they look before they act) -----------------


def contact_of(customer: Customer) -> Contact:
    """The registrant from the customer's particulars (R1.2)."""
    return Contact(
        handle=f"KYK{customer.pk}"[:16],
        name=customer.name,
        organisation=customer.company_name,
        street=customer.address,
        city=customer.city,
        postal_code=customer.postal_code,
        country=(customer.country or "GR").upper(),
        phone=_phone(customer.phone),
        email=customer.email,
    )


def _phone(text: str) -> str:
    """EPP's phone form ``+CC.NUMBER`` from what the customer typed (empty if unusable)."""
    digits = "".join(ch for ch in text or "" if ch.isdigit())
    if not digits:
        return ""
    if (text or "").strip().startswith("+") and len(digits) > 3:
        return f"+{digits[:2]}.{digits[2:]}"
    return f"+30.{digits}"


def _info_or_none(registrar, name: str) -> RegistryDomain | None:
    try:
        return registrar.info(name)
    except PermanentFailure as error:
        if error.code == "2303":
            return None
        raise


def op_register(registrar, job: RegistryJob) -> dict:
    domain = job.domain
    contact = contact_of(domain.customer)
    registrar.create_contact(contact, cltrid=f"{job.cltrid}-C")
    # The same code on every try: a retry after a lost answer finds the name made with it.
    code = current_auth_code(domain) or _new_auth_code(domain)
    try:
        made = registrar.register(
            domain.name,
            years=int(job.params.get("years", domain.years)),
            registrant=contact.handle,
            nameservers=list(domain.nameservers),
            auth_code=code,
            cltrid=job.cltrid,
        )
    except PermanentFailure as error:
        if error.code != "2302":
            raise
        # Exists: ours from an earlier try whose answer was lost, or someone else's.
        found = registrar.info(domain.name)
        if found.sponsor != registrar.sponsor or found.registrant != contact.handle:
            raise
        made = found
    found = registrar.info(domain.name)
    data = _facts(found, contact=contact.handle)
    if not data["created_on"] and made.created_on:
        data["created_on"] = made.created_on.isoformat()
    return data


def op_renew(registrar, job: RegistryJob) -> dict:
    domain = job.domain
    years = int(job.params.get("years", 1))
    found = registrar.info(domain.name)
    restored = False
    if found.in_redemption:
        if not domain.tld.restore_supported:
            raise PermanentFailure(_("This registry does not restore names from redemption."))
        registrar.restore(domain.name, report=_restore_report(domain), cltrid=f"{job.cltrid}-RS")
        restored = True
        found = registrar.info(domain.name)
    target = job.params.get("target")
    if target is None:
        # The registry's expiry when the job first ran, plus the term: fixed once, so a
        # retry after a lost answer sees the renewal done instead of renewing again.
        target = _add_years(found.expires_on, years).isoformat()
        RegistryJob.objects.filter(pk=job.pk).update(params={**job.params, "target": target})
        job.params["target"] = target
    if found.expires_on and found.expires_on.isoformat() >= target:
        return {**_facts(found), "restored": restored, "renewed": True}
    registrar.renew(domain.name, years=years, current_expiry=found.expires_on, cltrid=job.cltrid)
    return {**_facts(registrar.info(domain.name)), "restored": restored, "renewed": True}


def _restore_report(domain: Domain) -> dict[str, str]:
    now = clock.now()
    return {
        "preData": f"{domain.name} registrant {domain.contact_handle}",
        "postData": f"{domain.name} registrant {domain.contact_handle}",
        "delTime": (now - timedelta(days=1)).isoformat(),
        "resTime": now.isoformat(),
        "resReason": "Registrant renewed late.",
        "statement1": "The information in this report is true to best of this registrar's "
        "knowledge.",
        "statement2": "The registrar has not restored the name in order to assume the "
        "rights to use or sell it.",
    }


def op_nameservers(registrar, job: RegistryJob) -> dict:
    wanted = [h.lower() for h in job.params.get("nameservers", [])]
    found = registrar.info(job.domain.name)
    if found.pending_transfer:
        raise PermanentFailure(_("Name servers cannot change while a transfer is pending."))
    add = [h for h in wanted if h not in found.nameservers]
    remove = [h for h in found.nameservers if h not in wanted]
    if add or remove:
        registrar.set_nameservers(job.domain.name, add=add, remove=remove, cltrid=job.cltrid)
    return _facts(registrar.info(job.domain.name))


def _status_op(status: str, on: bool):
    def run(registrar, job: RegistryJob) -> dict:
        found = registrar.info(job.domain.name)
        if (status in found.statuses) != on:
            registrar.set_statuses(
                job.domain.name,
                add=[status] if on else [],
                remove=[] if on else [status],
                cltrid=job.cltrid,
            )
        return _facts(registrar.info(job.domain.name))

    return run


def op_auth_code(registrar, job: RegistryJob) -> dict:
    code = current_auth_code(job.domain)
    registrar.set_auth_code(job.domain.name, auth_code=code, cltrid=job.cltrid)
    return {"serial": job.params.get("serial")}


def op_approve_transfer(registrar, job: RegistryJob) -> dict:
    found = registrar.info(job.domain.name)
    if found.sponsor == registrar.sponsor and found.pending_transfer:
        registrar.approve_transfer(job.domain.name, cltrid=job.cltrid)
    return _facts(registrar.info(job.domain.name), registrar)


def op_transfer_in(registrar, job: RegistryJob) -> dict:
    """Ask for the transfer with the customer's code, unless the name is ours already or
    our earlier request (whose answer was lost) is pending."""
    domain = job.domain
    found = _info_or_none(registrar, domain.name)
    if found is None:
        raise PermanentFailure(
            _("The registry does not know %(name)s.") % {"name": domain.name}, code="2303"
        )
    if found.sponsor == registrar.sponsor:
        return {**_facts(found, registrar), "completed": True}
    code = incoming_auth_code(domain)
    if found.pending_transfer:
        try:
            if registrar.transfer_query(domain.name, auth_code=code) == "pending":
                return {**_facts(found, registrar), "completed": False}
        except PermanentFailure:
            pass  # another registrar's transfer: ours is refused below
    registrar.transfer_in(
        domain.name,
        auth_code=code,
        years=int(job.params.get("years", 0)) or None,
        cltrid=job.cltrid,
    )
    found = registrar.info(domain.name)
    return {**_facts(found, registrar), "completed": found.sponsor == registrar.sponsor}


def op_delete(registrar, job: RegistryJob) -> dict:
    """Delete a withdrawn name (R4.5): the delete-prohibited status we may have set is
    lifted first; a name already gone is done."""
    domain = job.domain
    found = _info_or_none(registrar, domain.name)
    if found is None:
        return {"deleted": True}
    if found.sponsor != registrar.sponsor:
        raise PermanentFailure(
            _("%(name)s is held by another registrar.") % {"name": domain.name}, code="2201"
        )
    if "clientDeleteProhibited" in found.statuses:
        registrar.set_statuses(
            domain.name, add=[], remove=["clientDeleteProhibited"], cltrid=f"{job.cltrid}-U"
        )
    registrar.delete(domain.name, cltrid=job.cltrid)
    return {"deleted": True}


def op_owner_change(registrar, job: RegistryJob) -> dict:
    """A new registrant contact from the particulars, then the domain's registrant."""
    change = OwnerChange.objects.get(pk=job.params["change"])
    contact = Contact(handle=change.handle, **_contact_fields(change.particulars))
    registrar.create_contact(contact, cltrid=f"{job.cltrid}-C")
    found = registrar.info(job.domain.name)
    if found.registrant != contact.handle:
        registrar.set_registrant(job.domain.name, registrant=contact.handle, cltrid=job.cltrid)
    return {**_facts(registrar.info(job.domain.name)), "contact": contact.handle}


def op_sync(registrar, job: RegistryJob) -> dict:
    found = _info_or_none(registrar, job.domain.name)
    if found is None:
        return {"gone": True, "ours": False}
    return _facts(found, registrar)


def _facts(found: RegistryDomain, registrar=None, **extra) -> dict:
    """What the services keep of a ``domain:info``: JSON-ready."""
    data = {
        "registry_id": found.registry_id,
        "sponsor": found.sponsor,
        "statuses": list(found.statuses),
        "nameservers": list(found.nameservers),
        "expires_on": found.expires_on.isoformat() if found.expires_on else None,
        "created_on": found.created_on.isoformat() if found.created_on else None,
    }
    if registrar is not None:
        data["ours"] = found.sponsor == registrar.sponsor
    return {**data, **extra}


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


OPERATIONS = {
    Op.REGISTER: op_register,
    Op.RENEW: op_renew,
    Op.RESTORE: op_renew,
    Op.NAMESERVERS: op_nameservers,
    Op.LOCK: _status_op("clientTransferProhibited", True),
    Op.UNLOCK: _status_op("clientTransferProhibited", False),
    Op.HOLD: _status_op("clientHold", True),
    Op.UNHOLD: _status_op("clientHold", False),
    Op.AUTH_CODE: op_auth_code,
    Op.APPROVE_TRANSFER: op_approve_transfer,
    Op.SYNC: op_sync,
    Op.TRANSFER_IN: op_transfer_in,
    Op.DELETE: op_delete,
    Op.OWNER_CHANGE: op_owner_change,
}


# --- applying what the registry did ---------------------------------------------------------


def _apply_facts(domain: Domain, data: dict, **more) -> dict:
    """The registry's facts onto the domain row (expiry, statuses, name servers)."""
    changes: dict[str, Any] = {"synced_at": clock.now(), **more}
    if data.get("expires_on"):
        changes["expires_on"] = date.fromisoformat(data["expires_on"])
    if "statuses" in data:
        changes["registry_statuses"] = data["statuses"]
        changes["locked"] = "clientTransferProhibited" in data["statuses"]
    if data.get("nameservers") is not None and "nameservers" in data:
        changes["nameservers"] = data["nameservers"]
    if data.get("registry_id"):
        changes["registry_id"] = data["registry_id"]
    Domain.objects.filter(pk=domain.pk).update(**changes)
    return changes


def _applied_register(job: RegistryJob, data: dict) -> None:
    domain = job.domain
    day = clock.today()
    _apply_facts(
        domain,
        data,
        state=DomainState.ACTIVE,
        state_changed_on=day,
        registered_on=date.fromisoformat(data["created_on"]) if data.get("created_on") else day,
        contact_handle=data.get("contact", ""),
    )
    log_action(
        domain, "domain.registered", actor=ACTOR, data={"expires_on": data.get("expires_on")}
    )
    host_zone(domain)
    # Registration locks the name against transfers by default.
    _job(domain, Op.LOCK, f"lock:register:{domain.pk}")
    _kick()


def hosts_here(domain: Domain) -> bool:
    """The domain points at the provider's name servers (the default for a new one)."""
    ours = set(default_nameservers())
    return bool(ours) and set(domain.nameservers) <= ours


def host_zone(domain: Domain) -> None:
    """A zone on the provider's DNS from the template, when the name points here (the
    push to PowerDNS runs after the commit)."""
    domain.refresh_from_db(fields=["nameservers"])
    if not hosts_here(domain):
        return
    from kyklos.dns import services as dns  # requests, PowerDNS's client: not at start

    try:
        dns.ensure_zone(
            domain.name, customer_id=domain.customer_id, service_id=domain.service_id, actor=ACTOR
        )
    except ValidationError as error:  # e.g. hosted for another customer: staff decide
        log.warning("domains: no zone for %s: %s", domain.name, "; ".join(error.messages))


def _remove_zone(name: str, actor) -> None:
    from kyklos.dns import services as dns

    dns.remove_zone(name, actor=actor)


def _applied_renew(job: RegistryJob, data: dict) -> None:
    domain = job.domain
    day = clock.today()
    _apply_facts(domain, data, state=DomainState.ACTIVE, state_changed_on=day, last_renewed_on=day)
    log_action(
        domain,
        "domain.renewed",
        actor=ACTOR,
        data={"expires_on": data.get("expires_on"), "restored": data.get("restored", False)},
    )


def _applied_transfer_in(job: RegistryJob, data: dict) -> None:
    domain = Domain.objects.select_related("service", "customer").get(pk=job.domain_id)
    if data.get("completed"):
        _transfer_completed(domain, data)
        return
    domain.transfers.filter(
        direction=Transfer.Direction.IN, status=Transfer.Status.REQUESTED
    ).update(status=Transfer.Status.PENDING)
    log_action(domain, "domain.transfer_in_pending", actor=ACTOR)


def _transfer_completed(domain: Domain, data: dict) -> None:
    """The name is ours at the registry (R4.9): active with the registry's expiry, which
    the service's next renewal follows; the customer's code is spent and ours replaces it
    (R4.7); the lock goes on."""
    if domain.state != DomainState.TRANSFERRING:
        return
    day = clock.today()
    _apply_facts(
        domain,
        data,
        state=DomainState.ACTIVE,
        state_changed_on=day,
        registered_on=day,
    )
    domain.refresh_from_db()
    domain.transfers.filter(
        direction=Transfer.Direction.IN,
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
    ).update(status=Transfer.Status.COMPLETED, finished_at=clock.now())
    vault.store_provider_secret(domain.incoming_code_purpose, {"code": "-"}, actor=ACTOR)
    if domain.service_id and domain.expires_on:
        lifecycle.follow_expiry(
            domain.service_id, domain.expires_on, reason="domain transferred in", actor=ACTOR
        )
    _new_auth_code(domain)
    _job(
        domain,
        Op.AUTH_CODE,
        f"auth:{domain.pk}:{domain.auth_code_serial}",
        {"serial": domain.auth_code_serial},
    )
    _job(domain, Op.LOCK, f"lock:transfer_in:{domain.pk}")
    notifications.queue_notice(
        event="domain_transferred_in",
        customer=domain.customer,
        service_id=domain.service_id,
        for_date=day,
        context={
            "domain": domain.name,
            "expires_on": domain.expires_on.isoformat() if domain.expires_on else "",
        },
    )
    log_action(
        domain,
        "domain.transferred_in",
        actor=ACTOR,
        data={"expires_on": data.get("expires_on"), "from": data.get("sponsor")},
    )
    host_zone(domain)
    _kick()


def _transfer_refused(domain: Domain, reason: str, code: str = "") -> None:
    """The registry (or the current registrar) refused the transfer in: staff see the
    failed job; the customer is told why and may give a new code or take the refund."""
    moved = Domain.objects.filter(pk=domain.pk, state=DomainState.TRANSFERRING).update(
        state=DomainState.REFUSED, state_changed_on=clock.today()
    )
    if not moved:
        return
    domain.transfers.filter(
        direction=Transfer.Direction.IN,
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
    ).update(status=Transfer.Status.REFUSED, finished_at=clock.now())
    customer = Customer.objects.get(pk=domain.customer_id)
    notifications.queue_notice(
        event="domain_transfer_refused",
        customer=customer,
        service_id=domain.service_id,
        for_date=clock.today(),
        context={"domain": domain.name, "reason": reason[:300]},
    )
    log_action(
        domain, "domain.transfer_in_refused", actor=ACTOR, data={"code": code, "reason": reason}
    )


def _applied_delete(job: RegistryJob, data: dict) -> None:
    log_action(job.domain, "domain.deleted_at_registry", actor=ACTOR)


def _applied_owner_change(job: RegistryJob, data: dict) -> None:
    change = OwnerChange.objects.get(pk=job.params["change"])
    OwnerChange.objects.filter(pk=change.pk).update(
        status=OwnerChange.Status.DONE, finished_at=clock.now()
    )
    _apply_facts(job.domain, data, contact_handle=data.get("contact", ""))
    log_action(job.domain, "domain.owner_changed", actor=ACTOR, data={"change": change.pk})


def _applied_sync(job: RegistryJob, data: dict) -> None:
    domain = Domain.objects.select_related("service", "customer").get(pk=job.domain_id)
    if domain.state == DomainState.TRANSFERRING:
        if data.get("gone"):
            _transfer_refused(domain, _("The registry no longer knows the name."))
        elif data.get("ours"):
            _transfer_completed(domain, data)
        elif "pendingTransfer" not in data.get("statuses", []):
            _transfer_refused(domain, _("The current registrar rejected the transfer."))
        return
    if not data.get("ours", True):
        _transferred_away(domain, data)
        return
    _apply_facts(domain, data)
    pending = "pendingTransfer" in data.get("statuses", [])
    outgoing = domain.transfers.filter(
        direction=Transfer.Direction.OUT,
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
    )
    if pending and outgoing.exists():
        outgoing.update(status=Transfer.Status.PENDING)
        # The owner asked for it: approve at once rather than wait out the registry's days.
        _job(domain, Op.APPROVE_TRANSFER, f"approve:{domain.pk}:{domain.auth_code_serial}")
        _kick()


def _applied_approve(job: RegistryJob, data: dict) -> None:
    domain = Domain.objects.select_related("service").get(pk=job.domain_id)
    if not data.get("ours", True):
        _transferred_away(domain, data)


def _transferred_away(domain: Domain, data: dict) -> None:
    """The name now belongs to another registrar: the transfer is complete, the service
    ends, and the code that moved it is spent (R4.7: a fresh one replaces it)."""
    if domain.state == DomainState.TRANSFERRED:
        return
    day = clock.today()
    Domain.objects.filter(pk=domain.pk).update(
        state=DomainState.TRANSFERRED, state_changed_on=day, synced_at=clock.now()
    )
    domain.transfers.filter(
        direction=Transfer.Direction.OUT,
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
    ).update(
        status=Transfer.Status.COMPLETED,
        finished_at=clock.now(),
        gaining_registrar=(data.get("sponsor") or "")[:100],
    )
    _spend_auth_code(domain)
    _remove_zone(domain.name, ACTOR)
    if domain.service_id:
        lifecycle.end_services(
            [domain.service_id],
            ServiceState.CANCELLED,
            day=day,
            reason="transferred away",
            actor=ACTOR,
        )
    log_action(domain, "domain.transferred_away", actor=ACTOR, data={"to": data.get("sponsor")})


def _applied_status(job: RegistryJob, data: dict) -> None:
    _apply_facts(job.domain, data)


APPLY = {
    Op.REGISTER: _applied_register,
    Op.RENEW: _applied_renew,
    Op.RESTORE: _applied_renew,
    Op.NAMESERVERS: _applied_status,
    Op.LOCK: _applied_status,
    Op.UNLOCK: _applied_status,
    Op.HOLD: _applied_status,
    Op.UNHOLD: _applied_status,
    Op.SYNC: _applied_sync,
    Op.APPROVE_TRANSFER: _applied_approve,
    Op.TRANSFER_IN: _applied_transfer_in,
    Op.DELETE: _applied_delete,
    Op.OWNER_CHANGE: _applied_owner_change,
}


def _failed(job: RegistryJob, error: str, code: str, *, refused: bool = True) -> None:
    """A job ended failed: staff see it (admin, audit); a registration refused because the
    name was taken meanwhile leaves the customer a choice (R4.1)."""
    domain = job.domain
    log_action(
        domain,
        "domain.registry_job_failed",
        actor=ACTOR,
        data={"operation": job.operation, "code": code, "error": error[:500]},
    )
    if job.operation == Op.REGISTER and code in ("2302", "2306", "2305", "2004"):
        Domain.objects.filter(pk=domain.pk, state=DomainState.REGISTERING).update(
            state=DomainState.REFUSED, state_changed_on=clock.today()
        )
    if job.operation == Op.TRANSFER_IN and refused:
        # The registry answered no (bad code, locked, not eligible); a registry that stayed
        # down until the attempts ran out is staff's to retry, not the customer's to answer.
        _transfer_refused(domain, error, code)
    if job.operation == Op.OWNER_CHANGE:
        OwnerChange.objects.filter(pk=job.params.get("change")).update(
            status=OwnerChange.Status.FAILED, finished_at=clock.now()
        )


@transaction.atomic
def retry(job: RegistryJob, *, actor) -> RegistryJob:
    """Staff run a failed job again (its attempts start again) after the commit."""
    row = RegistryJob.objects.select_for_update().get(pk=job.pk)
    if row.status != Status.FAILED:
        raise ValidationError(
            _("Only failed jobs are run again; this one is %(status)s.")
            % {"status": row.get_status_display()}
        )
    RegistryJob.objects.filter(pk=row.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claim=""
    )
    back = DomainState.TRANSFERRING if row.operation == Op.TRANSFER_IN else DomainState.REGISTERING
    if row.operation in (Op.REGISTER, Op.TRANSFER_IN):
        Domain.objects.filter(pk=row.domain_id, state=DomainState.REFUSED).update(state=back)
    log_action(
        row.domain, "domain.registry_job_retried", actor=actor, data={"previous": row.error[:500]}
    )
    _kick()
    row.refresh_from_db()
    return row


# --- name taken meanwhile (R4.1, R4.10) -----------------------------------------------------


@transaction.atomic
def choose_another_name(domain: Domain, *, name: str, actor=None) -> Domain:
    """The name was taken before payment arrived: the same paid order registers another
    name of the same TLD and term."""
    row = Domain.objects.select_for_update().select_related("tld").get(pk=domain.pk)
    if row.state != DomainState.REFUSED:
        raise ValidationError(_("Only a name the registry refused is replaced."))
    new = normalise(name)
    if tld_of(new).pk != row.tld_id:
        raise ValidationError(
            {
                "name": _("Choose a name ending in .%(tld)s (the order paid for).")
                % {"tld": row.tld.suffix}
            }
        )
    if Domain.objects.filter(name=new, state__in=HELD_STATES).exists():
        raise ValidationError({"name": _("%(name)s is already registered.") % {"name": new}})
    old = row.name
    Domain.objects.filter(pk=row.pk).update(
        name=new,
        state=DomainState.REGISTERING,
        state_changed_on=clock.today(),
        origin=Domain.Origin.REGISTRATION,
    )
    if row.service_id:
        Service.objects.filter(pk=row.service_id).update(label=new)
    row.refresh_from_db()
    _job(row, Op.REGISTER, f"register:{row.pk}:{new}", {"years": row.years})
    log_action(row, "domain.name_replaced", actor=actor, data={"from": old, "to": new})
    _kick()
    return row


@transaction.atomic
def refund_refused(domain: Domain, *, to_credit: bool = True, actor=None):
    """The registry refused the name (taken meanwhile, a transfer refused) and the
    customer takes the refund (R4.10), as they choose: account credit at once, or money
    back the way they paid (a card through its provider; a bank payment becomes a refund
    staff pay out). A credit note for the domain's line; the order ends. Returns the
    payments app's refund."""
    row = Domain.objects.select_for_update().get(pk=domain.pk)
    if row.state != DomainState.REFUSED:
        raise ValidationError(_("Only a name the registry refused is refunded."))
    renewal = (
        Renewal.objects.filter(service_id=row.service_id, kind=Renewal.Kind.ORDER)
        .select_related("invoice")
        .first()
    )
    document = (
        Invoice.objects.filter(related_id=renewal.invoice_id, kind__in=["invoice", "receipt"])
        .order_by("pk")
        .first()
        if renewal
        else None
    )
    if document is None:
        raise ValidationError(_("The order's paid document was not found; ask support."))
    refund = payments.issue_refund(
        document,
        kind="registry_refused",
        to_credit=to_credit,
        service_ids=[row.service_id],
        reason=_("Refund: the registry refused %(name)s") % {"name": row.name},
        actor=actor,
    )
    Domain.objects.filter(pk=row.pk).update(
        state=DomainState.RELEASED, state_changed_on=clock.today()
    )
    log_action(
        row,
        "domain.refunded",
        actor=actor,
        data={"credit_note": refund.credit_note.number, "to_credit": to_credit},
    )
    return refund


@transaction.atomic
def retry_transfer(domain: Domain, *, auth_code: str, actor=None) -> Domain:
    """The registry refused a paid transfer in; the customer gives a new auth code and the
    same paid order asks again."""
    row = Domain.objects.select_for_update().get(pk=domain.pk)
    if row.state != DomainState.REFUSED or row.origin != Domain.Origin.TRANSFER:
        raise ValidationError(_("Only a refused transfer is asked again."))
    code = check_incoming_auth_code(auth_code)
    if Domain.objects.filter(name=row.name, state__in=HELD_STATES).exists():
        raise ValidationError({"name": _("%(name)s is already registered.") % {"name": row.name}})
    vault.store_provider_secret(row.incoming_code_purpose, {"code": code}, actor=ACTOR)
    Transfer.objects.create(
        domain=row,
        direction=Transfer.Direction.IN,
        status=Transfer.Status.REQUESTED,
        auth_code_serial=0,
        requested_at=clock.now(),
    )
    Domain.objects.filter(pk=row.pk).update(
        state=DomainState.TRANSFERRING, state_changed_on=clock.today()
    )
    _transfer_job(row)
    log_action(row, "domain.transfer_in_asked_again", actor=actor)
    _kick()
    row.refresh_from_db()
    return row


# --- withdrawal of a new .gr (R4.5) ---------------------------------------------------------


def withdrawn(service_ids: list[int], *, actor=None) -> int:
    """A new registration was withdrawn and refunded (``payments.refunds``, R4.5): the
    name is deleted at the registry (a durable ``delete`` job), its zone removed; a
    registration not yet asked of the registry is not asked. Returns how many."""
    domains = list(
        Domain.objects.select_for_update().filter(
            service_id__in=service_ids, state__in=[*HELD_STATES, DomainState.PENDING]
        )
    )
    for domain in domains:
        Domain.objects.filter(pk=domain.pk).update(
            state=DomainState.WITHDRAWN, state_changed_on=clock.today()
        )
        waiting = domain.jobs.filter(
            operation=Op.REGISTER, status__in=[Status.PENDING, Status.RETRY]
        ).update(
            status=Status.FAILED,
            finished_at=clock.now(),
            error=_("Withdrawn by the customer before the registry was asked."),
        )
        if not waiting and domain.state != DomainState.PENDING:
            _job(domain, Op.DELETE, f"delete:{domain.pk}:{domain.name}")
        _remove_zone(domain.name, actor or ACTOR)
        log_action(domain, "domain.withdrawn", actor=actor)
    if domains:
        _kick()
    return len(domains)


# --- change of registrant -------------------------------------------------------------------

#: The particulars of a registrant, as a form or the API gives them.
PARTICULARS = ("name", "organisation", "street", "city", "postal_code", "country", "phone", "email")


def _contact_fields(particulars: dict) -> dict:
    return {k: str(particulars.get(k, "") or "") for k in PARTICULARS}


def check_particulars(particulars: dict) -> dict:
    """The new registrant's particulars, cleaned; every problem at once, by field."""
    from django.core.validators import validate_email

    data = {k: str(particulars.get(k, "") or "").strip() for k in PARTICULARS}
    errors: dict[str, list[str]] = {}
    for key in ("name", "street", "city", "country", "email"):
        if not data[key]:
            errors[key] = [_("This field is required.")]
    for key, value in data.items():
        if len(value) > 200:
            errors[key] = [_("At most 200 characters.")]
    if data["country"] and (len(data["country"]) != 2 or not data["country"].isalpha()):
        errors["country"] = [_("Give the country as its two-letter code, e.g. GR.")]
    data["country"] = data["country"].upper()
    if data["email"]:
        try:
            validate_email(data["email"])
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if errors:
        raise ValidationError(errors)
    data["phone"] = _phone(data["phone"])
    return data


def particulars_of(customer: Customer) -> dict:
    """A customer's own particulars, as a new registrant (R1.2)."""
    contact = contact_of(customer)
    return {k: getattr(contact, k) for k in PARTICULARS}


@transaction.atomic
def change_owner(domain: Domain, *, particulars: dict, actor=None) -> OwnerChange:
    """Change the registrant of ``domain`` to ``particulars`` (another person or company,
    or the customer's own): where the TLD charges for it, a proforma first and the change
    at the registry once it is paid; a free one is asked of the registry at once."""
    row = _owned_active(domain)
    if transfer_in_progress(row):
        raise ValidationError(_("The registrant cannot change while a transfer is pending."))
    if row.owner_changes.filter(
        status__in=[OwnerChange.Status.AWAITING_PAYMENT, OwnerChange.Status.PENDING]
    ).exists():
        raise ValidationError(_("A change of registrant of this domain is already under way."))
    data = check_particulars(particulars)
    fee = row.tld.owner_change_fee
    change = OwnerChange.objects.create(
        domain=row,
        particulars=data,
        handle="",
        fee=fee,
        status=OwnerChange.Status.AWAITING_PAYMENT if fee > 0 else OwnerChange.Status.PENDING,
        requested_at=clock.now(),
    )
    OwnerChange.objects.filter(pk=change.pk).update(handle=f"KYKO{change.pk}"[:16])
    change.handle = f"KYKO{change.pk}"[:16]
    if fee > 0:
        (invoice,) = billing.issue_documents(
            [
                billing.DocumentSpec(
                    customer=row.customer,
                    kind="proforma",
                    issued_on=clock.today(),
                    due_on=clock.today() + timedelta(days=7),
                    lines=[
                        billing.LineSpec(
                            description=_("Change of registrant of %(name)s") % {"name": row.name},
                            unit_price=fee,
                            product_code=row.tld.product.code if row.tld.product_id else "",
                        )
                    ],
                )
            ],
            actor=actor,
        )
        OwnerChange.objects.filter(pk=change.pk).update(invoice=invoice)
        change.invoice = invoice
    else:
        _owner_change_job(change)
    log_action(
        row, "domain.owner_change_asked", actor=actor, data={"change": change.pk, "fee": str(fee)}
    )
    return change


def _owner_change_job(change: OwnerChange) -> None:
    _job(change.domain, Op.OWNER_CHANGE, f"owner:{change.pk}", {"change": change.pk})
    _kick()


def owner_changes_paid(invoice: Invoice) -> int:
    """A paid proforma of a change of registrant: the change goes to the registry."""
    changes = list(
        OwnerChange.objects.filter(
            invoice=invoice, status=OwnerChange.Status.AWAITING_PAYMENT
        ).select_related("domain")
    )
    for change in changes:
        OwnerChange.objects.filter(pk=change.pk).update(status=OwnerChange.Status.PENDING)
        _owner_change_job(change)
    return len(changes)


# --- auth codes (R4.7, R4.9) ----------------------------------------------------------------

#: The characters of an auth code: letters, digits and punctuation registries accept.
PUNCTUATION = "-!#%+=?@"


def generate_auth_code(length: int = 16) -> str:
    """A random code with lower and upper case letters, digits and at least two
    non-alphanumeric characters (R4.9)."""
    alphabet = string.ascii_letters + string.digits + PUNCTUATION
    while True:
        code = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            sum(c in PUNCTUATION for c in code) >= 2
            and any(c.isdigit() for c in code)
            and any(c.islower() for c in code)
            and any(c.isupper() for c in code)
        ):
            return code


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _stored(domain: Domain) -> dict[str, str]:
    try:
        return vault.provider_secret(domain.auth_code_purpose)
    except Exception:  # noqa: BLE001 - none stored yet
        return {}


def _new_auth_code(domain: Domain) -> str:
    """Store (in the vault) a code never used for this domain before, and return it."""
    stored = _stored(domain)
    used = set(filter(None, stored.get("used", "").split(",")))
    if stored.get("code"):
        used.add(_digest(stored["code"]))
    code = generate_auth_code()
    while _digest(code) in used:
        code = generate_auth_code()
    serial = int(stored.get("serial", "0")) + 1
    vault.store_provider_secret(
        domain.auth_code_purpose,
        {"code": code, "serial": str(serial), "used": ",".join(sorted(used))},
        actor=ACTOR,
    )
    Domain.objects.filter(pk=domain.pk).update(auth_code_serial=serial)
    domain.auth_code_serial = serial
    return code


def _spend_auth_code(domain: Domain) -> None:
    _new_auth_code(domain)


def current_auth_code(domain: Domain) -> str:
    return _stored(domain).get("code", "")


def used_auth_code_digests(domain: Domain) -> set[str]:
    return set(filter(None, _stored(domain).get("used", "").split(",")))


def reveal_auth_code(domain: Domain, *, user) -> str:
    """The auth code, for the domain's owner only, with an audit event (R4.7)."""
    if domain.customer.user_id != getattr(user, "pk", None):
        raise ValidationError(_("Only the domain's owner sees its auth code."))
    if domain.state not in (DomainState.ACTIVE, DomainState.GRACE):
        raise ValidationError(_("This domain has no auth code now."))
    code = current_auth_code(domain)
    if not code:
        raise ValidationError(_("The auth code is being issued; try again in a minute."))
    log_action(
        domain, "domain.auth_code_revealed", actor=user, data={"serial": domain.auth_code_serial}
    )
    return code


# --- owner actions --------------------------------------------------------------------------


def _owned_active(domain: Domain) -> Domain:
    row = Domain.objects.select_for_update().select_related("tld").get(pk=domain.pk)
    if row.state not in (DomainState.ACTIVE, DomainState.GRACE):
        raise ValidationError(
            _("%(name)s is %(state)s; it cannot be changed now.")
            % {"name": row.name, "state": row.get_state_display()}
        )
    if row.hold:
        raise ValidationError(_("%(name)s is on hold; contact support.") % {"name": row.name})
    return row


def transfer_in_progress(domain: Domain) -> bool:
    return domain.transfers.filter(
        direction=Transfer.Direction.OUT, status=Transfer.Status.PENDING
    ).exists() or "pendingTransfer" in (domain.registry_statuses or [])


@transaction.atomic
def set_nameservers(domain: Domain, *, nameservers: list[str], actor=None) -> Domain:
    """Change the name servers (2 to 13 host names); frozen during a transfer (R4.7)."""
    row = _owned_active(domain)
    if transfer_in_progress(row):
        raise ValidationError(_("Name servers cannot change while a transfer is pending."))
    hosts = []
    for host in nameservers:
        host = (host or "").strip().rstrip(".").lower()
        if not host:
            continue
        try:
            hosts.append(normalise(host))
        except ValidationError:
            raise ValidationError(
                {"nameservers": _("%(host)s is not a host name.") % {"host": host[:100]}}
            ) from None
    if not 2 <= len(set(hosts)) <= 13:
        raise ValidationError({"nameservers": _("Give from 2 to 13 different name servers.")})
    hosts = list(dict.fromkeys(hosts))
    Domain.objects.filter(pk=row.pk).update(nameservers=hosts)
    _job(row, Op.NAMESERVERS, f"ns:{row.pk}:{uuid.uuid4().hex}", {"nameservers": hosts})
    log_action(row, "domain.nameservers_changed", actor=actor, data={"nameservers": hosts})
    _kick()
    row.refresh_from_db()
    return row


def transfer_refusal(domain: Domain) -> str | None:
    """Why ``domain`` may not leave now (R4.6, R4.7), or None."""
    if domain.hold:
        return _("The domain is on hold.")
    if domain.state not in (DomainState.ACTIVE, DomainState.GRACE):
        return _("Only an active domain is transferred.")
    if domain.last_renewed_on and domain.tld.transfer_lock_days:
        free_on = domain.last_renewed_on + timedelta(days=domain.tld.transfer_lock_days)
        if clock.today() < free_on:
            return _(
                "A domain cannot change registrar until %(day)s (60 days after a renewal)."
            ) % {"day": free_on.isoformat()}
    if domain.registered_on and domain.tld.transfer_lock_days:
        free_on = domain.registered_on + timedelta(days=domain.tld.transfer_lock_days)
        if clock.today() < free_on:
            return _("A new registration cannot change registrar until %(day)s.") % {
                "day": free_on.isoformat()
            }
    return None


@transaction.atomic
def set_lock(domain: Domain, *, locked: bool, actor=None) -> Domain:
    row = _owned_active(domain)
    if not locked and (why := transfer_refusal(row)):
        raise ValidationError(why)
    Domain.objects.filter(pk=row.pk).update(locked=locked)
    op = Op.LOCK if locked else Op.UNLOCK
    _job(row, op, f"{op}:{row.pk}:{uuid.uuid4().hex}")
    log_action(row, "domain.locked" if locked else "domain.unlocked", actor=actor)
    _kick()
    row.refresh_from_db()
    return row


@transaction.atomic
def request_transfer_out(domain: Domain, *, actor=None) -> Transfer:
    """The owner wants to move the name away: a fresh auth code (R4.7: never reused) set at
    the registry, the lock lifted; the owner reveals the code and gives it to the new
    registrar. Refused while the rules forbid a transfer (60 days after a renewal, hold)."""
    row = _owned_active(domain)
    why = transfer_refusal(row)
    if why:
        raise ValidationError(why)
    if row.transfers.filter(
        direction=Transfer.Direction.OUT,
        status__in=[Transfer.Status.REQUESTED, Transfer.Status.PENDING],
    ).exists():
        raise ValidationError(_("A transfer of this domain is already under way."))
    _new_auth_code(row)
    transfer = Transfer.objects.create(
        domain=row,
        direction=Transfer.Direction.OUT,
        status=Transfer.Status.REQUESTED,
        auth_code_serial=row.auth_code_serial,
        requested_at=clock.now(),
    )
    _job(
        row, Op.AUTH_CODE, f"auth:{row.pk}:{row.auth_code_serial}", {"serial": row.auth_code_serial}
    )
    _job(row, Op.UNLOCK, f"unlock:transfer:{transfer.pk}")
    Domain.objects.filter(pk=row.pk).update(locked=False)
    log_action(row, "domain.transfer_out_requested", actor=actor, data={"transfer": transfer.pk})
    _kick()
    return transfer


@transaction.atomic
def cancel_transfer_out(domain: Domain, *, actor=None) -> None:
    """The owner changed their mind: the code given out is spent and replaced, the lock
    goes back on."""
    row = Domain.objects.select_for_update().get(pk=domain.pk)
    open_ = row.transfers.filter(direction=Transfer.Direction.OUT, status=Transfer.Status.REQUESTED)
    if not open_.exists():
        raise ValidationError(_("No transfer waits to be cancelled."))
    open_.update(status=Transfer.Status.CANCELLED, finished_at=clock.now())
    _new_auth_code(row)
    _job(
        row, Op.AUTH_CODE, f"auth:{row.pk}:{row.auth_code_serial}", {"serial": row.auth_code_serial}
    )
    _job(row, Op.LOCK, f"lock:cancel:{row.pk}:{row.auth_code_serial}")
    Domain.objects.filter(pk=row.pk).update(locked=True)
    log_action(row, "domain.transfer_out_cancelled", actor=actor)
    _kick()


# --- staff: registrar hold (R4.11) and WHOIS verification (R4.6) ----------------------------


@transaction.atomic
def put_on_hold(domain: Domain, *, reason: str, actor, kind: str = Domain.Hold.REGISTRAR) -> Domain:
    """Registrar (client) hold: the name stops resolving and cannot be transferred."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the hold.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    row = Domain.objects.select_for_update().get(pk=domain.pk)
    if row.state not in (DomainState.ACTIVE, DomainState.GRACE):
        raise ValidationError(_("Only an active domain is put on hold."))
    if row.hold:
        raise ValidationError(_("%(name)s is on hold already.") % {"name": row.name})
    Domain.objects.filter(pk=row.pk).update(hold=kind, hold_reason=reason)
    _job(row, Op.HOLD, f"hold:{row.pk}:{uuid.uuid4().hex}")
    log_action(row, "domain.hold", actor=actor, data={"kind": kind, "reason": reason})
    _kick()
    row.refresh_from_db()
    return row


@transaction.atomic
def lift_hold(domain: Domain, *, reason: str, actor) -> Domain:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for lifting the hold.")})
    row = Domain.objects.select_for_update().get(pk=domain.pk)
    if not row.hold:
        raise ValidationError(_("%(name)s is not on hold.") % {"name": row.name})
    changes: dict[str, Any] = {"hold": Domain.Hold.NONE, "hold_reason": ""}
    if row.hold == Domain.Hold.WHOIS:
        changes["whois_verified_at"] = clock.now()
    Domain.objects.filter(pk=row.pk).update(**changes)
    _job(row, Op.UNHOLD, f"unhold:{row.pk}:{uuid.uuid4().hex}")
    log_action(row, "domain.hold_lifted", actor=actor, data={"reason": reason})
    _kick()
    row.refresh_from_db()
    return row


@transaction.atomic
def mark_whois_verified(domain: Domain, *, actor) -> None:
    Domain.objects.filter(pk=domain.pk).update(whois_verified_at=clock.now())
    log_action(domain, "domain.whois_verified", actor=actor)


# --- the daily run --------------------------------------------------------------------------


def _groups() -> dict[tuple[int, int], list[int]]:
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    for pk, grace, redemption in Tld.objects.values_list("pk", "grace_days", "redemption_days"):
        groups[(grace, redemption)].append(pk)
    return groups


def late_costs(domain: Domain, day: date) -> dict[str, str]:
    """What renewing late costs (R4.4): the renewal price, the redemption fee and the
    days each window ends."""
    from kyklos.domains import selectors

    tld = domain.tld
    expires = domain.expires_on
    price = selectors.renewal_price(domain, day)
    return {
        "domain": domain.name,
        "expires_on": expires.isoformat(),
        "grace_ends_on": (expires + timedelta(days=tld.grace_days)).isoformat(),
        "released_on": (expires + timedelta(days=tld.grace_days + tld.redemption_days)).isoformat(),
        "renewal_price": str(price) if price is not None else "",
        "redemption_fee": str(tld.redemption_fee),
        "redemption_total": str(round_money((price or Decimal("0")) + tld.redemption_fee, "EUR")),
        "currency": settings.KYKLOS_CURRENCY,
    }


def advance(day: date) -> dict[str, int]:
    """Move expired domains on by their TLD's data, set-based (one statement per state and
    group of TLDs that share grace and redemption days): active → grace → redemption →
    released; a day missed is caught up (a domain long expired goes straight to the state
    it is due). Each move writes a notice stating the late-renewal cost (R4.4); a release
    ends the service. WHOIS verifications not answered in time put the domain on hold
    (R4.6)."""
    counts: Counter = Counter()
    for (grace, redemption), tld_ids in _groups().items():
        base = Domain.objects.filter(tld_id__in=tld_ids, expires_on__isnull=False)
        release_before = day - timedelta(days=grace + redemption)
        counts["domains_released"] += _move(
            base.filter(
                state__in=[DomainState.ACTIVE, DomainState.GRACE, DomainState.REDEMPTION],
                expires_on__lte=release_before,
            ),
            DomainState.RELEASED,
            day,
        )
        if redemption:
            counts["domains_in_redemption"] += _move(
                base.filter(
                    state__in=[DomainState.ACTIVE, DomainState.GRACE],
                    expires_on__lte=day - timedelta(days=grace),
                ),
                DomainState.REDEMPTION,
                day,
            )
        if grace:
            counts["domains_in_grace"] += _move(
                base.filter(state=DomainState.ACTIVE, expires_on__lte=day),
                DomainState.GRACE,
                day,
            )
    counts["domains_whois_hold"] += _whois_holds(day)
    return {k: v for k, v in counts.items() if v}


EVENT_OF = {
    DomainState.GRACE: "domain_grace",
    DomainState.REDEMPTION: "domain_redemption",
    DomainState.RELEASED: "domain_released",
}


def _move(queryset, to: str, day: date) -> int:
    moved = 0
    size = settings.KYKLOS_BATCH_SIZE
    while True:
        batch = list(
            queryset.select_related("tld__product", "customer", "service").order_by("pk")[:size]
        )
        if not batch:
            return moved
        with transaction.atomic():
            ids = [d.pk for d in batch]
            Domain.objects.filter(pk__in=ids).update(state=to, state_changed_on=day)
            rows = []
            for domain in batch:
                context = late_costs(domain, day)
                rows.append(
                    notifications.build_notice(
                        event=EVENT_OF[to],
                        customer_id=domain.customer_id,
                        language=domain.customer.language,
                        to_email=notifications.recipient(EVENT_OF[to], domain.customer),
                        for_date=day,
                        service_id=domain.service_id,
                        anchor_date=domain.expires_on,
                        context={"customer_name": domain.customer.display_name, **context},
                    )
                )
            notifications.queue_notices(rows)
            log_action_many(batch, f"domain.{to}", day)
            if to == DomainState.REDEMPTION:
                _issue_redemption_fees(batch, day)
            if to == DomainState.RELEASED:
                unpaid = [d.redemption_invoice_id for d in batch if d.redemption_invoice_id]
                if unpaid:
                    billing.cancel_proformas(unpaid, reason="domain released", actor="automation")
            services = [d.service_id for d in batch if d.service_id]
            if services and to in (DomainState.REDEMPTION, DomainState.RELEASED):
                # In redemption the name stops working: the service is suspended (a paid
                # restore reactivates it); at release it ends.
                lifecycle.suspend_services(
                    services, day=day, reason=f"domain {to}", actor="automation"
                )
            if to == DomainState.RELEASED:
                for domain in batch:
                    _remove_zone(domain.name, "automation")
            if services and to == DomainState.RELEASED:
                lifecycle.end_services(
                    services,
                    ServiceState.TERMINATED,
                    day=day,
                    reason="domain released",
                    actor="automation",
                )
        moved += len(batch)
        if len(batch) < size:
            return moved


def log_action_many(domains: list[Domain], action: str, day: date) -> None:
    from kyklos.core.audit import log_action_rows

    log_action_rows(
        [("domains.domain", d.pk, d.customer_id, {"on": day.isoformat()}) for d in domains],
        action,
        actor="automation",
    )


def _whois_holds(day: date) -> int:
    late = Domain.objects.filter(
        state=DomainState.ACTIVE,
        hold=Domain.Hold.NONE,
        whois_verify_by__lt=day,
        whois_verified_at__isnull=True,
    )
    count = 0
    for domain in late:
        put_on_hold(
            domain,
            reason=_("WHOIS verification not answered by %(day)s")
            % {"day": domain.whois_verify_by.isoformat()},
            actor="automation",
            kind=Domain.Hold.WHOIS,
        )
        count += 1
    return count


def sync_day(day: date) -> dict[str, int]:
    """Ask the registry about every held domain once a day (expiry, statuses, transfers):
    one ``sync`` job per domain and day, run after the commit."""
    held = Domain.objects.filter(
        state__in=[
            DomainState.ACTIVE,
            DomainState.GRACE,
            DomainState.REDEMPTION,
            DomainState.TRANSFERRING,
        ]
    ).values_list("pk", flat=True)
    now = clock.now()
    rows = [
        RegistryJob(
            domain_id=pk,
            operation=Op.SYNC,
            key=f"sync:{pk}:{day.isoformat()}",
            status=Status.PENDING,
            cltrid=f"KYK-{uuid.uuid4().hex[:20]}",
            created_at=now,
        )
        for pk in held
    ]
    RegistryJob.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    if rows:
        _kick()
    return {"domains_sync_jobs": len(rows)} if rows else {}


def sync_now(domain: Domain) -> None:
    """A sync job for ``domain`` now (after the commit)."""
    _job(domain, Op.SYNC, f"sync:{domain.pk}:{uuid.uuid4().hex}")
    _kick()


def ended(domain: Domain) -> bool:
    return domain.state in ENDED_STATES


def save_registrar(account: RegistrarAccount, *, credentials: dict[str, str] | None, actor):
    """Save a registrar account; its login and password go into the vault."""
    if account.plugin not in ("epp",):
        raise ValidationError(
            {"plugin": _("Unknown registrar plug-in %(p)s.") % {"p": account.plugin}}
        )
    if not isinstance(account.settings, dict) or not account.settings.get("host"):
        raise ValidationError({"settings": _("The settings need at least a host.")})
    with transaction.atomic():
        account.save()
        if credentials:
            missing = [k for k in ("login", "password") if not credentials.get(k)]
            if missing:
                raise ValidationError(
                    {"credentials": _("Missing: %(names)s.") % {"names": ", ".join(missing)}}
                )
            vault.store_provider_secret(account.credentials_purpose, credentials, actor=actor)
    return account

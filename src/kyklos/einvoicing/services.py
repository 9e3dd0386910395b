"""Transmissions: every issued tax document reported once on each channel that applies.

The path of a document (docs/einvoicing.md, decision 0018):

1. :func:`create_transmissions` — when documents are issued (``core.hooks.documents_issued``,
   inside the issuing transaction): one ``pending`` transmission per tax document and
   enabled channel of the seller's country, in one bulk insert; a send job is enqueued
   for after the commit (``core.tasks.enqueue``). :func:`catch_up` does the same, set-based,
   for documents that have none yet (a channel enabled later, a missed hook).
2. :func:`send_due` — a sender *claims* due transmissions (``pending``, ``retry`` whose
   time has come, or ``sending`` left by a crashed sender) in a short transaction: rows
   locked with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, moved to ``sending``
   with the sender's claim token, so two senders never hold the same row. It then calls
   the channel outside any transaction and records the answer in another short one:
   ``sent`` with the identifiers (a duplicate answer too), ``retry`` with exponential
   backoff after a :class:`TemporaryFailure`, ``failed`` after a
   :class:`PermanentFailure` or too many attempts. Every attempt keeps the raw request
   and response (:class:`Attempt`).
3. :func:`resend` — staff send a failed transmission again.
4. :func:`cancel_transmission` — staff cancel, at the system, a transmission made in error
   (channels with ``cancel``: myDATA); the document itself stays issued.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils.translation import gettext as _

from kyklos.billing.models import TAX_DOCUMENT_KINDS, Invoice, Transmission
from kyklos.core import clock
from kyklos.core.audit import log_action, log_action_rows
from kyklos.core.bulk import insert_many
from kyklos.core.tasks import enqueue
from kyklos.einvoicing.channels.base import (
    ChannelError,
    Credentials,
    Outcome,
    TemporaryFailure,
)
from kyklos.einvoicing.models import Attempt, ChannelConfig
from kyklos.einvoicing.registry import ChannelUnavailable, channels
from kyklos.vault import services as vault
from kyklos.vault.selectors import provider_secret_names

log = logging.getLogger(__name__)
Status = Transmission.Status
TAX_KINDS = [str(k) for k in TAX_DOCUMENT_KINDS]
#: Raw exchanges longer than this are cut (with a note) before they are stored.
MAX_RAW = 2_000_000


def option(name: str) -> int:
    return int(settings.KYKLOS_EINVOICING[name])


def seller_country(invoice: Invoice) -> str:
    return (invoice.seller or {}).get("country") or settings.KYKLOS_COUNTRY


# --- configuration --------------------------------------------------------------------------


def check_config(config: ChannelConfig) -> dict[str, Any]:
    """Refuse a configuration whose channel is unknown or whose settings the channel
    rejects; returns the settings as the channel cleaned them."""
    if config.channel not in channels:
        raise ValidationError(
            {
                "channel": _("No channel is called %(code)s; known: %(known)s.")
                % {"code": config.channel, "known": ", ".join(channels.codes())}
            }
        )
    if len(config.country or "") != 2 or not config.country.isalpha():
        raise ValidationError({"country": _("Give the seller country as two letters, e.g. GR.")})
    config.country = config.country.upper()
    if not isinstance(config.settings, dict):
        raise ValidationError({"settings": _("The settings are a JSON object.")})
    if not config.enabled:
        return config.settings
    try:
        channel = channels.get(config.channel)
    except ChannelUnavailable as error:
        raise ValidationError({"channel": str(error)}) from None
    if config.country not in getattr(channel, "countries", frozenset()):
        raise ValidationError(
            {
                "country": _("%(channel)s does not apply to sellers in %(country)s.")
                % {"channel": channel.label, "country": config.country}
            }
        )
    validate = getattr(channel, "validate_settings", None)
    if validate is None:
        return config.settings
    try:
        cleaned = validate(dict(config.settings))
    except ValidationError as error:
        raise ValidationError({"settings": error.messages}) from None
    return config.settings if cleaned is None else cleaned


@transaction.atomic
def save_config(config: ChannelConfig, *, credentials: dict[str, str] | None = None, actor=None):
    """Save a channel configuration (checked), and its credentials into the vault when
    given; enabling a channel without credentials for its environment is refused."""
    config.settings = check_config(config)
    if credentials:
        vault.store_provider_secret(config.credentials_purpose, credentials, actor=actor)
    if config.enabled:
        _check_credentials(config)
    config.updated_at = clock.now()
    config.save()
    log_action_rows(
        [
            (
                "einvoicing.channelconfig",
                config.pk,
                None,
                {
                    "channel": config.channel,
                    "country": config.country,
                    "enabled": config.enabled,
                    "environment": config.environment,
                    "credentials_changed": bool(credentials),
                },
            )
        ],
        "einvoicing.channel.configured",
        actor=actor,
    )
    return config


def _check_credentials(config: ChannelConfig) -> None:
    """An enabled channel has its credentials for the environment: every name the channel
    reads (``credential_fields``), and no name it does not know."""
    stored = set(
        provider_secret_names([config.credentials_purpose]).get(config.credentials_purpose, ())
    )
    if not stored:
        raise ValidationError(
            {"credentials": _("Enter the credentials for this environment before enabling it.")}
        )
    channel = channels.get(config.channel)
    needed = tuple(getattr(channel, "credential_fields", ()))
    if not needed:
        return
    missing = [name for name in needed if name not in stored]
    known = {*needed, *getattr(channel, "optional_credential_fields", ())}
    unknown = sorted(stored - known)
    if missing or unknown:
        raise ValidationError(
            {
                "credentials": _("%(channel)s reads the credentials %(known)s; %(problem)s.")
                % {
                    "channel": channel.label,
                    "known": ", ".join(sorted(known)),
                    "problem": (_("missing: %(names)s") % {"names": ", ".join(missing)})
                    if missing
                    else (_("unknown: %(names)s") % {"names": ", ".join(unknown)}),
                }
            }
        )


def parse_credentials(text: str) -> dict[str, str]:
    """``name=value`` per line (blank lines ignored) → a dict; a line without ``=`` is
    refused."""
    values: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValidationError(
                {"credentials": _("Line %(n)d is not name=value.") % {"n": number}}
            )
        values[name.strip()] = value.strip()
    return values


def _enabled_configs() -> dict[str, list[ChannelConfig]]:
    by_country: dict[str, list[ChannelConfig]] = defaultdict(list)
    for config in ChannelConfig.objects.filter(enabled=True).order_by("channel"):
        by_country[config.country].append(config)
    return by_country


# --- creating transmissions -----------------------------------------------------------------


def create_transmissions(invoice_ids: Iterable[int]) -> int:
    """One pending transmission per tax document of ``invoice_ids`` and enabled channel
    of its seller's country, written in one bulk insert inside the caller's transaction;
    the send job runs after the commit. Proformas get none. Returns the number made."""
    ids = list(invoice_ids)
    configs = _enabled_configs() if ids else {}
    if not configs:
        return 0
    now = clock.now()
    rows = []
    documents = Invoice.objects.filter(pk__in=ids, kind__in=TAX_KINDS).only(
        "pk", "seller", "issued_on"
    )
    for document in documents:
        for config in configs.get(seller_country(document), ()):
            if document.issued_on >= config.applies_from:
                rows.append(_new(document.pk, config, now))
    insert_many(rows)
    if rows:
        from kyklos.einvoicing import tasks

        enqueue(tasks.send_documents, sorted({r.invoice_id for r in rows}))
    return len(rows)


def _new(invoice_id: int, config: ChannelConfig, now) -> Transmission:
    return Transmission(
        invoice_id=invoice_id,
        authority=config.channel,
        environment=config.environment,
        status=Status.PENDING,
        created_at=now,
    )


def missing(config: ChannelConfig):
    """Tax documents of ``config``'s seller country and period without a transmission on
    its channel."""
    has = Transmission.objects.filter(invoice=OuterRef("pk"), authority=config.channel)
    documents = Invoice.objects.filter(
        kind__in=TAX_KINDS, issued_on__gte=config.applies_from
    ).exclude(Exists(has))
    if config.country == settings.KYKLOS_COUNTRY:
        return documents.filter(Q(seller__country=config.country) | ~Q(seller__has_key="country"))
    return documents.filter(seller__country=config.country)


def catch_up(*, batch_size: int | None = None) -> int:
    """Create the transmissions that documents of enabled channels lack (set-based, in
    batches; a row made meanwhile by the issuing hook is skipped). Returns how many."""
    size = batch_size or settings.KYKLOS_BATCH_SIZE
    made = 0
    now = clock.now()
    for configs in _enabled_configs().values():
        for config in configs:
            while True:
                ids = list(missing(config).order_by("pk").values_list("pk", flat=True)[:size])
                if not ids:
                    break
                with transaction.atomic():
                    Transmission.objects.bulk_create(
                        [_new(pk, config, now) for pk in ids], ignore_conflicts=True
                    )
                made += len(ids)
    return made


# --- sending --------------------------------------------------------------------------------


def _due(now) -> Q:
    stale = now - timedelta(seconds=option("STALE_SECONDS"))
    waiting = Q(status__in=[Status.PENDING, Status.RETRY]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return waiting | Q(status=Status.SENDING, claimed_at__lt=stale)


def claim(*, invoice_ids: Iterable[int] | None = None, limit: int | None = None):
    """Take up to ``limit`` due transmissions for this sender: (token, transmissions).

    PostgreSQL: the candidate rows are locked with ``FOR UPDATE SKIP LOCKED`` so a second
    sender takes others; SQLite: the transaction holds the database's write lock. The
    update repeats the due condition, and the sender reads back only the rows that carry
    its token, so a row is never held by two senders."""
    token = uuid.uuid4().hex
    now = clock.now()
    with transaction.atomic():
        due = Transmission.objects.filter(_due(now))
        if invoice_ids is not None:
            due = due.filter(invoice_id__in=list(invoice_ids))
        picked = list(
            due.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[: limit or option("BATCH")]
        )
        if not picked:
            return token, []
        Transmission.objects.filter(pk__in=picked).filter(_due(now)).update(
            status=Status.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1
        )
    held = Transmission.objects.filter(claim=token, status=Status.SENDING).select_related("invoice")
    return token, list(held.order_by("pk"))


@dataclass
class Answer:
    """What one attempt came to."""

    result: str
    outcome: Outcome | None = None
    error: str = ""
    code: str = ""
    request: str = ""
    response: str = ""


def _attempt(transmission: Transmission, configs: dict) -> Answer:
    """Build and send ``transmission``'s document; never raises."""
    return _ask(lambda: _send(transmission, configs), transmission, "sending")


def _ask(call, transmission: Transmission, doing: str) -> Answer:
    """What ``call()`` — an exchange with the system, returning an Outcome (or an Answer
    of its own) — came to; never raises."""
    try:
        outcome = call()
    except TemporaryFailure as error:
        return Answer(
            Attempt.Result.TEMPORARY, None, str(error), error.code, error.request, error.response
        )
    except ChannelError as error:  # PermanentFailure, or a channel's own kind of refusal
        return Answer(
            Attempt.Result.PERMANENT, None, str(error), error.code, error.request, error.response
        )
    except Exception as error:  # a bug or an unforeseen transport error: try again later
        log.exception("e-invoicing: %s transmission %s failed unexpectedly", doing, transmission.pk)
        return Answer(Attempt.Result.TEMPORARY, None, f"{type(error).__name__}: {error}")
    if isinstance(outcome, Answer):
        return outcome
    result = Attempt.Result.DUPLICATE if outcome.duplicate else Attempt.Result.SENT
    return Answer(result, outcome, request=outcome.request, response=outcome.response)


def _send(transmission: Transmission, configs: dict) -> Outcome | Answer:
    """Build and send the document (raises what the channel raises)."""
    document = transmission.invoice
    config = configs.get((transmission.authority, seller_country(document)))
    if config is None or not config.enabled:
        raise TemporaryFailure(
            _("The channel %(code)s is not enabled for sellers in %(country)s.")
            % {"code": transmission.authority, "country": seller_country(document)}
        )
    try:
        channel = channels.get(transmission.authority)
    except ChannelUnavailable as error:
        raise TemporaryFailure(str(error)) from None
    options = {
        **config.settings,
        "environment": transmission.environment,
        "country": config.country,
    }
    if not channel.applies_to(document, options):
        return Answer(Attempt.Result.NOT_REQUIRED)
    credentials = Credentials(vault.provider_secret(config.credentials_purpose))
    payload = channel.build(document, options)
    return channel.send(document, payload, options, credentials)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th temporary failure: BACKOFF × 2^(attempts−1),
    at most MAX_BACKOFF."""
    seconds = option("BACKOFF_SECONDS") * 2 ** max(0, min(attempts - 1, 30))
    return timedelta(seconds=min(seconds, option("MAX_BACKOFF_SECONDS")))


def _cut(text: str) -> str:
    text = text or ""
    return text if len(text) <= MAX_RAW else text[:MAX_RAW] + "\n… (cut)"


def _record(transmission: Transmission, token: str, started, answer: Answer) -> str:
    """Write the attempt and move the transmission on; returns its new status."""
    now = clock.now()
    changes: dict[str, Any] = {"claim": "", "answered_at": now}
    if answer.result in (Attempt.Result.SENT, Attempt.Result.DUPLICATE):
        ids = {k: str(v) for k, v in answer.outcome.identifiers.items()}
        changes |= {
            "status": Status.SENT,
            "identifiers": ids,
            "mark": (ids.get("mark") or ids.get("ksef_number") or "")[:100],
            "uid": ids.get("uid", "")[:100],
            "qr_url": ids.get("qr_url", "")[:1000],
            "duplicate": answer.result == Attempt.Result.DUPLICATE,
            "next_attempt_at": None,
            "error": "",
            "error_code": "",
        }
    elif answer.result == Attempt.Result.NOT_REQUIRED:
        changes |= {"status": Status.NOT_REQUIRED, "next_attempt_at": None, "error": ""}
    elif answer.result == Attempt.Result.TEMPORARY and transmission.attempts < option(
        "MAX_ATTEMPTS"
    ):
        changes |= {
            "status": Status.RETRY,
            "next_attempt_at": now + backoff(transmission.attempts),
            "error": answer.error,
            "error_code": answer.code[:100],
        }
    else:
        changes |= {
            "status": Status.FAILED,
            "next_attempt_at": None,
            "error": answer.error
            if answer.result == Attempt.Result.PERMANENT
            else _("Gave up after %(n)d attempts: %(error)s")
            % {"n": transmission.attempts, "error": answer.error},
            "error_code": answer.code[:100],
        }
    with transaction.atomic():
        _write_attempt(transmission, token, started, now, answer)
        # Only the holder of the claim moves the row; a sender whose claim was taken over
        # (it was presumed dead) leaves the row to the one that took it.
        moved = Transmission.objects.filter(pk=transmission.pk, claim=token).update(**changes)
        if moved and changes["status"] == Status.SENT:
            _wake_corrections(transmission, now)
        if moved and changes["status"] == Status.FAILED:
            log_action(
                transmission.invoice,
                "einvoicing.transmission_failed",
                actor="einvoicing",
                data={"channel": transmission.authority, "error": changes["error"][:500]},
            )
    return changes["status"] if moved else "superseded"


def _write_attempt(
    transmission: Transmission, token: str, started, now, answer: Answer, *, action=None
) -> Attempt:
    """The attempt's row, numbered after the transmission's earlier ones, with the raw
    exchange (cut when huge)."""
    return Attempt.objects.create(
        transmission=transmission,
        number=Attempt.objects.filter(transmission=transmission).count() + 1,
        action=action or Attempt.Action.SEND,
        sender=token,
        started_at=started,
        finished_at=now,
        result=answer.result,
        request=_cut(answer.request),
        response=_cut(answer.response),
        error=answer.error,
        code=answer.code[:100],
    )


def _wake_corrections(original: Transmission, now) -> None:
    """The corrections of a document just reported that wait for its identifier (a
    credit note needs the invoice's MARK or KSeF number, decision 0018): due now, and sent
    by a job after the commit rather than after their own backoff."""
    waiting = Transmission.objects.filter(
        authority=original.authority,
        status=Status.RETRY,
        invoice__related_id=original.invoice_id,
        invoice__kind__in=TAX_KINDS,
    )
    ids = list(waiting.values_list("invoice_id", flat=True))
    if ids:
        waiting.update(next_attempt_at=now)
        from kyklos.einvoicing import tasks

        enqueue(tasks.send_documents, ids)


def send_due(*, invoice_ids: Iterable[int] | None = None, limit: int | None = None) -> Counter:
    """Send every due transmission (of ``invoice_ids`` only, when given), batch after
    batch, until none is due or ``limit`` were tried. Returns the count per new status.
    Call it outside any transaction: each claim and each answer commits on its own."""
    ids = None if invoice_ids is None else list(invoice_ids)
    counts: Counter = Counter()
    tried = 0
    configs = {(c.channel, c.country): c for c in ChannelConfig.objects.all()}
    while limit is None or tried < limit:
        batch = option("BATCH") if limit is None else min(option("BATCH"), limit - tried)
        token, held = claim(invoice_ids=ids, limit=batch)
        if not held:
            break
        for transmission in held:
            started = clock.now()
            counts[_record(transmission, token, started, _attempt(transmission, configs))] += 1
        tried += len(held)
    return counts


# --- staff ----------------------------------------------------------------------------------


@transaction.atomic
def resend(transmission: Transmission, *, actor) -> Transmission:
    """Put a failed transmission back in the queue (its attempts start again) and send it
    after the commit. Anything but a failed one is refused."""
    row = Transmission.objects.select_for_update().select_related("invoice").get(pk=transmission.pk)
    if row.status != Status.FAILED:
        raise ValidationError(
            _("Only failed transmissions are sent again; this one is %(status)s.")
            % {"status": row.get_status_display()}
        )
    Transmission.objects.filter(pk=row.pk).update(
        status=Status.PENDING, attempts=0, next_attempt_at=None, claim=""
    )
    log_action(
        row.invoice,
        "einvoicing.transmission_resent",
        actor=actor,
        data={"channel": row.authority, "previous_error": row.error[:500]},
    )
    from kyklos.einvoicing import tasks

    enqueue(tasks.send_documents, [row.invoice_id])
    row.refresh_from_db()
    return row


#: A claim on a sent transmission held while staff cancel it (``claim`` is 32 characters).
CANCEL_CLAIM = "cancel-"


#: The longest cancellation reason kept (refused beyond, never cut short).
REASON_LENGTH = 500


def cancel_transmission(transmission: Transmission, *, reason: str, actor) -> Transmission:
    """Cancel at the national system a transmission made in error, as its API allows
    (myDATA ``CancelInvoice``). Only a ``sent`` transmission on a channel with ``cancel``
    is cancelled; KSeF has none (an invoice in KSeF is corrected by a correction). The
    tax document stays issued: an issued document is corrected with a credit note.

    The checks read only (a refusal writes nothing); the row is then claimed so no one else
    cancels it meanwhile, the channel is called **outside any transaction** (call this
    outside one), and the attempt is recorded with its raw exchange in one short
    transaction: on success the transmission becomes ``cancelled``, keeps its MARK, gains
    ``cancellation_mark`` in its identifiers, and an audit event keeps the reason; on a
    refusal it stays ``sent`` and the system's answer is raised as a ValidationError."""
    reason = (reason or "").strip()
    row, channel, config = _cancellable(transmission, reason)
    token = (CANCEL_CLAIM + uuid.uuid4().hex)[:32]
    started = clock.now()
    taken = Transmission.objects.filter(pk=row.pk, status=Status.SENT, claim=row.claim).update(
        claim=token, claimed_at=started
    )
    if not taken:
        raise ValidationError(_("This transmission changed meanwhile; look at it again."))
    options = {**config.settings, "environment": row.environment, "country": config.country}
    answer = _ask(
        lambda: channel.cancel(
            row.mark, options, Credentials(vault.provider_secret(config.credentials_purpose))
        ),
        row,
        "cancelling",
    )
    return _record_cancel(row, token, started, answer, reason=reason, actor=actor)


def _cancellable(transmission: Transmission, reason: str):
    """(row, channel, configuration) of a transmission that may be cancelled, or a
    ValidationError saying why not."""
    if not reason:
        raise ValidationError(_("Give the reason for cancelling the transmission."))
    if len(reason) > REASON_LENGTH:
        raise ValidationError(_("A reason has at most %(n)d characters.") % {"n": REASON_LENGTH})
    row = Transmission.objects.select_related("invoice").get(pk=transmission.pk)
    if row.status != Status.SENT or not row.mark:
        raise ValidationError(
            _("Only reported transmissions are cancelled; this one is %(status)s.")
            % {"status": row.get_status_display()}
        )
    try:
        channel = channels.get(row.authority)
    except ChannelUnavailable as error:
        raise ValidationError(str(error)) from None
    if not callable(getattr(channel, "cancel", None)):
        raise ValidationError(
            _(
                "%(channel)s has no cancellation: correct %(number)s by issuing a credit "
                "note (its correction)."
            )
            % {"channel": channel.label, "number": row.invoice.number}
        )
    if (
        CANCEL_CLAIM in row.claim
        and row.claimed_at
        and row.claimed_at > clock.now() - timedelta(seconds=option("STALE_SECONDS"))
    ):
        raise ValidationError(_("Someone is cancelling this transmission already."))
    country = seller_country(row.invoice)
    config = ChannelConfig.objects.filter(channel=row.authority, country=country).first()
    if config is None or config.environment != row.environment:
        raise ValidationError(
            _(
                "%(channel)s is not configured for the %(environment)s environment of "
                "sellers in %(country)s."
            )
            % {
                "channel": channel.label,
                "environment": row.get_environment_display(),
                "country": country,
            }
        )
    return row, channel, config


def _record_cancel(row: Transmission, token: str, started, answer: Answer, *, reason, actor):
    """Write the cancellation attempt and, when the system cancelled it, the new state and
    the audit event; raise the system's answer when it did not."""
    now = clock.now()
    cancelled = answer.result in (Attempt.Result.SENT, Attempt.Result.DUPLICATE)
    with transaction.atomic():
        _write_attempt(row, token, started, now, answer, action=Attempt.Action.CANCEL)
        held = Transmission.objects.filter(pk=row.pk, claim=token)
        if not cancelled:
            held.update(claim="")
        else:
            ids = {k: str(v) for k, v in answer.outcome.identifiers.items()}
            identifiers = {**row.identifiers, **ids, "mark": row.mark}
            held.update(status=Status.CANCELLED, identifiers=identifiers, claim="")
            log_action(
                row.invoice,
                "einvoicing.transmission_cancelled",
                actor=actor,
                data={
                    "channel": row.authority,
                    "mark": row.mark,
                    "cancellation_mark": identifiers.get("cancellation_mark", ""),
                    "reason": reason,
                },
            )
    if not cancelled:
        raise ValidationError(
            _("%(channel)s did not cancel %(mark)s: %(answer)s")
            % {
                "channel": channels.label(row.authority),
                "mark": row.mark,
                "answer": f"{answer.error} ({answer.code})" if answer.code else answer.error,
            }
        )
    row.refresh_from_db()
    return row


def report_day(day: date) -> dict[str, int]:
    """The daily step's work: create what is missing, queue a sweep after the commit,
    and tell billing staff what is still unreported."""
    from kyklos.einvoicing import notices, selectors, tasks

    made = catch_up()
    enqueue(tasks.send_pending)
    summary = selectors.unreported_summary(day)
    told = notices.tell_billing(day, summary)
    counts = {"einvoicing_transmissions_created": made}
    if told:
        counts["einvoicing_unreported_notices"] = 1
    return counts

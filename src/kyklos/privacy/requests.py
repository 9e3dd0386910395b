"""Data-subject requests (R9.3, GDPR art. 12, 15–22).

Identity: a logged-in customer's request is theirs at once; anyone else confirms their
e-mail address through a link (the request counts as received when confirmed). The
deadline is 30 days from receipt; staff may extend it once by up to two months, with a
reason, before the first deadline passes, and the person is told (art. 12(3)).

Access and portability produce a zip from every app's exporter; erasure anonymises through
every app's eraser and explains per category what was kept and why (R1.4); restriction and
objection stop non-essential processing and marketing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import zipfile
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from kyklos.core import clock, messaging
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.personal_data import Subject, personal_data
from kyklos.privacy import consent
from kyklos.privacy.models import DataSubjectRequest, Restriction
from kyklos.privacy.record import category_facts
from kyklos.privacy.retention import add_months

Kind = DataSubjectRequest.Kind
Status = DataSubjectRequest.Status

ANSWER_DAYS = 30
MAX_EXTENSION_MONTHS = 2
VERIFY_HOURS = 72
#: Staff are warned when a deadline is this many days away (at most once per threshold).
WARN_DAYS = (0, 1, 3, 7)

VERIFY_EVENT = "privacy_request_verify"
RECEIVED_EVENT = "privacy_request_received"
EXTENDED_EVENT = "privacy_request_extended"
ANSWERED_EVENT = "privacy_request_answered"
STAFF_EVENT = "privacy_request_deadline"

LANGUAGES = ("el", "en", "pl")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _url(name: str, *args) -> str:
    return settings.KYKLOS_PORTAL_URL.rstrip("/") + reverse(name, args=args)


def _check(kind: str, email: str, language: str) -> None:
    errors = {}
    if kind not in Kind.values:
        errors["kind"] = _("Choose what you are asking for.")
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = _("Enter a valid e-mail address.")
    if language not in LANGUAGES:
        errors["language"] = _("Unknown language.")
    if errors:
        raise ValidationError(errors)


def _receive(req: DataSubjectRequest) -> None:
    now = clock.now()
    req.status, req.received_at = Status.OPEN, now
    req.due_on = now.astimezone(clock.provider_tz()).date() + timedelta(days=ANSWER_DAYS)


def _message(req: DataSubjectRequest, event: str, **context) -> messaging.Message:
    return messaging.Message(
        event=event,
        to_email=req.email,
        language=req.language,
        customer_id=req.customer_id,
        context={
            "customer_name": req.name or req.email,
            "request_number": req.pk,
            "request_kind": str(Kind(req.kind).label),
            **context,
        },
    )


def _queue(req: DataSubjectRequest, event: str, **context) -> None:
    with translation.override(req.language):
        messaging.queue([_message(req, event, **context)])


@transaction.atomic
def submit_as_customer(
    user, *, kind: str, details: str = "", language: str = ""
) -> DataSubjectRequest:
    """A logged-in customer's request: identity confirmed by the login."""
    contact = personal_data.directory.for_user(user) if personal_data.directory else None
    if contact is None or contact.customer_id is None:
        raise ValidationError(_("Only a customer's login can file a request this way."))
    language = language or contact.language
    _check(kind, contact.email, language)
    req = DataSubjectRequest(
        kind=kind,
        customer_id=contact.customer_id,
        name=contact.name,
        email=contact.email,
        language=language,
        details=details.strip(),
        submitted_at=clock.now(),
    )
    _receive(req)
    req.save()
    log_action(req, "privacy.request.received", actor=user, data={"kind": kind})
    _queue(req, RECEIVED_EVENT, due_on=req.due_on.isoformat())
    return req


@transaction.atomic
def submit_by_email(
    *, kind: str, email: str, name: str = "", details: str = "", language: str = "en"
):
    """Anyone's request: stored unverified, with a confirmation link sent to ``email``.
    Returns the request (the token is only in the e-mail)."""
    email = (email or "").strip()
    _check(kind, email, language)
    token = secrets.token_urlsafe(32)
    req = DataSubjectRequest.objects.create(
        kind=kind,
        status=Status.UNVERIFIED,
        name=name.strip()[:200],
        email=email,
        language=language,
        details=details.strip(),
        submitted_at=clock.now(),
        verification_digest=_digest(token),
    )
    log_action(req, "privacy.request.submitted", data={"kind": kind})
    _queue(req, VERIFY_EVENT, verify_url=_url("privacy:verify_request", token), hours=VERIFY_HOURS)
    return req


@transaction.atomic
def verify(token: str) -> DataSubjectRequest:
    """Confirm the e-mail address of a request: it is received now, the clock starts."""
    req = (
        DataSubjectRequest.objects.select_for_update()
        .filter(verification_digest=_digest(token or ""))
        .first()
    )
    if req is None or req.submitted_at < clock.now() - timedelta(hours=VERIFY_HOURS):
        raise ValidationError(_("This confirmation link is not valid or has expired."))
    if req.status != Status.UNVERIFIED:
        return req
    _receive(req)
    req.verification_digest = ""
    req.save(update_fields=["status", "received_at", "due_on", "verification_digest"])
    log_action(req, "privacy.request.verified")
    _queue(req, RECEIVED_EVENT, due_on=req.due_on.isoformat())
    return req


def _open(req: DataSubjectRequest) -> DataSubjectRequest:
    req = DataSubjectRequest.objects.select_for_update().get(pk=req.pk)
    if req.status != Status.OPEN:
        raise ValidationError(_("Only an open request can be handled."))
    return req


@transaction.atomic
def extend(req: DataSubjectRequest, *, months: int, reason: str, actor) -> DataSubjectRequest:
    """Extend the deadline by 1 or 2 months (art. 12(3)); allowed once, before the first
    deadline passes, with a reason that the person is told."""
    req = _open(req)
    if not reason or not reason.strip():
        raise ValidationError({"extension_reason": _("An extension needs a reason.")})
    if months not in range(1, MAX_EXTENSION_MONTHS + 1):
        raise ValidationError({"months": _("The deadline can be extended by one or two months.")})
    if req.extended_to is not None:
        raise ValidationError(_("The deadline was already extended."))
    if clock.today() > req.due_on:
        raise ValidationError(_("The first deadline has passed; it can no longer be extended."))
    req.extended_to = add_months(req.due_on, months)
    req.extension_reason = reason.strip()
    req.extension_notified_at = clock.now()
    req.warned_days = None
    req.save(
        update_fields=["extended_to", "extension_reason", "extension_notified_at", "warned_days"]
    )
    log_action(
        req, "privacy.request.extended", actor=actor, data={"to": req.extended_to.isoformat()}
    )
    _queue(
        req, EXTENDED_EVENT, extended_to=req.extended_to.isoformat(), reason=req.extension_reason
    )
    return req


def subject_of(req: DataSubjectRequest) -> Subject:
    """Who the request is about: the customer (and their login), or the confirmed e-mail."""
    if req.customer_id is None:
        return Subject(email=req.email)
    directory = personal_data.directory
    user_id = directory.user_id_for_customer(req.customer_id) if directory else None
    return Subject(customer_id=req.customer_id, user_id=user_id)


@transaction.atomic
def fulfil(req: DataSubjectRequest, *, actor, response: str = "") -> DataSubjectRequest:
    """Carry out an open request of a kind Kyklos can carry out itself."""
    req = _open(req)
    handler = {
        Kind.ACCESS: _access,
        Kind.PORTABILITY: _access,
        Kind.ERASURE: _erase,
        Kind.RESTRICTION: _restrict,
        Kind.OBJECTION: _object,
        Kind.RECTIFICATION: _rectified,
    }[req.kind]
    handler(req, actor, response)
    req.status, req.completed_at, req.handled_by = Status.DONE, clock.now(), acting_user(actor)
    req.response = req.response or response.strip()
    req.save()
    log_action(req, f"privacy.request.{req.kind}_done", actor=actor, data=_summary(req))
    _queue(
        req,
        ANSWERED_EVENT,
        response=req.response,
        download_url=_url("privacy:request_archive", req.pk, _archive_token(req))
        if req.archive
        else "",
    )
    return req


@transaction.atomic
def reject(req: DataSubjectRequest, *, actor, reason: str) -> DataSubjectRequest:
    """Refuse a request (e.g. manifestly unfounded, art. 12(5)); the person is told why and
    that they may complain to the authority."""
    req = _open(req)
    if not reason or not reason.strip():
        raise ValidationError({"response": _("Say why the request is refused.")})
    req.status, req.completed_at, req.handled_by = Status.REJECTED, clock.now(), acting_user(actor)
    req.response = reason.strip()
    req.save(update_fields=["status", "completed_at", "handled_by", "response"])
    log_action(req, "privacy.request.rejected", actor=actor)
    _queue(req, ANSWERED_EVENT, response=req.response, download_url="")
    return req


def _summary(req) -> dict:
    return {"kind": req.kind, "categories": sorted(req.outcome.get("categories", {}))}


def _rectified(req, actor, response) -> None:
    if not response.strip():
        raise ValidationError({"response": _("Say what was corrected.")})


def _access(req, actor, response) -> None:
    content, categories = build_archive(subject_of(req), language=req.language)
    req.archive.save(
        f"request-{req.pk}-{secrets.token_hex(8)}.zip", ContentFile(content), save=False
    )
    req.outcome = {"categories": categories}
    req.response = response.strip() or _("Your data is ready to download.")


def _erase(req, actor, response) -> None:
    subject = subject_of(req)
    blockers = personal_data.erasure_blockers(subject)
    if blockers:
        raise ValidationError(" ".join(blockers))
    report = erase(subject)
    req.outcome = {"categories": report}
    lines = [_("What was erased and what was kept:")]
    for category, r in sorted(report.items()):
        line = f"- {category}: " + _("%(a)d anonymised, %(d)d deleted, %(k)d kept") % {
            "a": r["anonymised"],
            "d": r["deleted"],
            "k": r["kept"],
        }
        if r["kept"] and r["kept_reason"]:
            line += " — " + r["kept_reason"]
        lines.append(line)
    req.response = "\n".join(([response.strip()] if response.strip() else []) + lines)
    # The request itself now only needs to prove it was answered.
    req.details = ""


def _restrict(req, actor, response) -> None:
    Restriction.objects.create(
        customer_id=req.customer_id,
        email=req.email if req.customer_id is None else "",
        reason=_("Restriction requested (art. 18)")[:300],
        request=req,
        started_at=clock.now(),
    )
    req.outcome = {"restricted": True}
    req.response = response.strip() or _(
        "Processing of your data is restricted: only what the law or your contract requires "
        "continues, and you get no marketing."
    )


def _object(req, actor, response) -> None:
    """Objection to direct marketing (art. 21(2)–(3)): always honoured — every marketing
    consent withdrawn and direct marketing stopped."""
    consent.record(
        purposes={p: False for p in consent.Purpose.values},
        source=consent.Source.REQUEST,
        customer_id=req.customer_id,
        email=req.email if req.customer_id is None else "",
        actor=actor,
    )
    req.outcome = {"objection": True}
    req.response = response.strip() or _(
        "Your objection is recorded: we no longer use your data for marketing, surveys or "
        "analytics."
    )


@transaction.atomic
def lift_restriction(restriction: Restriction, *, actor, reason: str) -> Restriction:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the restriction is lifted.")})
    if restriction.lifted_at is not None:
        raise ValidationError(_("The restriction was already lifted."))
    restriction.lifted_at = clock.now()
    restriction.save(update_fields=["lifted_at"])
    log_action(restriction, "privacy.restriction.lifted", actor=actor, data={"reason": reason})
    return restriction


# --- archive and erasure ------------------------------------------------------------------


def erase(subject: Subject) -> dict[str, dict]:
    """Run every app's eraser; per data category, what was anonymised, deleted and kept
    and under which legal hold."""
    by_category: dict[str, dict] = {}
    entries = {e.label: e for e in personal_data.all()}
    for label, erased in personal_data.erase(subject).items():
        entry = entries[label]
        row = by_category.setdefault(
            entry.category, {"anonymised": 0, "deleted": 0, "kept": 0, "kept_reason": ""}
        )
        row["anonymised"] += erased.anonymised
        row["deleted"] += erased.deleted
        row["kept"] += erased.kept
        reason = erased.kept_reason or (entry.legal_hold if erased.kept else "")
        if erased.kept and reason and reason not in row["kept_reason"]:
            row["kept_reason"] = "; ".join(filter(None, [row["kept_reason"], reason]))
    return by_category


def build_archive(subject: Subject, *, language: str = "en") -> tuple[bytes, list[str]]:
    """A zip: ``data.json`` (everything), one CSV per data category, and a README listing
    the categories with their purposes, legal bases, recipients and retention."""
    exported = personal_data.export(subject)
    entries = {e.label: e for e in personal_data.all()}
    by_category: dict[str, dict[str, list[dict]]] = defaultdict(dict)
    for label, rows in exported.items():
        if rows:
            by_category[entries[label].category][label] = rows
    facts = category_facts(language)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(by_category, indent=2, ensure_ascii=False, default=str)
        )
        for category, models in sorted(by_category.items()):
            archive.writestr(f"{category}.csv", _csv(models))
        archive.writestr("README.txt", _readme(sorted(by_category), facts, language))
    return buffer.getvalue(), sorted(by_category)


def _csv(models: dict[str, list[dict]]) -> str:
    columns: list[str] = ["record_type"]
    for rows in models.values():
        for row in rows:
            columns += [k for k in row if k not in columns]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for label, rows in models.items():
        for row in rows:
            writer.writerow({"record_type": label, **{k: _cell(v) for k, v in row.items()}})
    return out.getvalue()


def _cell(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return "" if value is None else str(value)


def _readme(categories: list[str], facts: dict, language: str) -> str:
    with translation.override(language):
        lines = [
            _("Your personal data held by %(provider)s")
            % {"provider": settings.KYKLOS_PROVIDER["name"]},
            _("Exported on %(date)s.") % {"date": clock.today().isoformat()},
            "",
            _("data.json holds everything; each CSV file holds one category of data."),
            "",
        ]
        for code in categories:
            fact = facts.get(code, {})
            lines += [
                f"== {fact.get('name', code)} ({code}.csv)",
                _("Purposes: %(v)s") % {"v": "; ".join(fact.get("purposes", [])) or "—"},
                _("Legal basis: %(v)s") % {"v": "; ".join(fact.get("legal_bases", [])) or "—"},
                _("Recipients: %(v)s") % {"v": ", ".join(fact.get("recipients", [])) or "—"},
                _("Retention: %(v)s") % {"v": fact.get("retention", "—")},
                "",
            ]
    return "\n".join(lines)


ARCHIVE_SALT = "kyklos.privacy.archive"


def _archive_token(req: DataSubjectRequest) -> str:
    from django.core import signing

    return signing.dumps({"r": req.pk}, salt=ARCHIVE_SALT)


def archive_for_token(pk: int, token: str) -> DataSubjectRequest | None:
    """The request whose archive a signed link (valid 30 days) opens, or None."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=ARCHIVE_SALT, max_age=timedelta(days=30))
    except signing.BadSignature:
        return None
    if data.get("r") != pk:
        return None
    return DataSubjectRequest.objects.filter(pk=pk, status=Status.DONE).exclude(archive="").first()


# --- the staff queue --------------------------------------------------------------------


def queue():
    """Open requests, most urgent first."""
    from django.db.models.functions import Coalesce

    return (
        DataSubjectRequest.objects.filter(status=Status.OPEN)
        .annotate(deadline_on=Coalesce("extended_to", "due_on"))
        .order_by("deadline_on", "id")
    )


def warn_deadlines(day: date) -> dict[str, int]:
    """Daily step: tell the privacy contact about open requests whose deadline is 7, 3 or 1
    day(s) away or today/passed — once per threshold (the most urgent one reached). One
    SELECT; an INSERT and an UPDATE per threshold only when there is something to say."""
    due = list(
        queue()
        .filter(deadline_on__lte=day + timedelta(days=max(WARN_DAYS)))
        .exclude(warned_days=min(WARN_DAYS))
        .values("pk", "kind", "deadline_on", "warned_days")
    )
    by_threshold: dict[int, list[dict]] = defaultdict(list)
    for r in due:
        left = (r["deadline_on"] - day).days
        threshold = min(t for t in WARN_DAYS if t >= left) if left <= max(WARN_DAYS) else None
        if threshold is not None and (r["warned_days"] is None or r["warned_days"] > threshold):
            by_threshold[threshold].append({**r, "days_left": left})
    contact = settings.KYKLOS_DPO["email"]
    for threshold, rows in by_threshold.items():
        messaging.queue(
            messaging.Message(
                event=STAFF_EVENT,
                to_email=contact,
                language=settings.LANGUAGE_CODE,
                context={
                    "request_number": r["pk"],
                    "request_kind": r["kind"],
                    "deadline": r["deadline_on"].isoformat(),
                    "days_left": r["days_left"],
                    "admin_url": _url("admin:privacy_datasubjectrequest_change", r["pk"]),
                },
            )
            for r in rows
        )
        DataSubjectRequest.objects.filter(pk__in=[r["pk"] for r in rows]).update(
            warned_days=threshold
        )
    return {"privacy_request_warnings": sum(len(rows) for rows in by_threshold.values())}


def expire_unverified(day: date) -> dict[str, int]:
    """Daily step: unconfirmed requests are deleted once their link has expired."""
    limit = clock.start_of_day(day) - timedelta(hours=VERIFY_HOURS)
    stale = DataSubjectRequest.objects.filter(status=Status.UNVERIFIED, submitted_at__lt=limit)
    ids = list(stale.values_list("pk", flat=True))
    if ids:
        DataSubjectRequest.objects.filter(pk__in=ids).delete()
    return {"privacy_unverified_requests_deleted": len(ids)}


ARCHIVE_DAYS = 30


def drop_old_archives(day: date) -> dict[str, int]:
    """Daily step: a download archive is a full copy of someone's data; it is removed 30
    days after the answer (the download link expires then too). One UPDATE."""
    from django.core.files.storage import default_storage

    limit = clock.start_of_day(day) - timedelta(days=ARCHIVE_DAYS)
    rows = DataSubjectRequest.objects.filter(completed_at__lt=limit).exclude(archive="")
    names = list(rows.values_list("archive", flat=True))
    if not names:
        return {"privacy_archives_removed": 0}
    DataSubjectRequest.objects.filter(archive__in=names).update(archive="")
    transaction.on_commit(lambda: [default_storage.delete(n) for n in names])
    return {"privacy_archives_removed": len(names)}


def deadline_of(req: DataSubjectRequest) -> date | None:
    return req.extended_to or req.due_on


__all__ = ["add_months"]

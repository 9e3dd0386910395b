"""Writes on customers: accounts, particulars, change requests, terms, locking (R1)."""

from __future__ import annotations

import copy
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.customers.models import (
    ChangeRequest,
    Customer,
    ParticularsChange,
    TermsAcceptance,
    TermsVersion,
)
from kyklos.customers.vat import validate_country, validate_vat_id

__all__ = [
    "EDITABLE_FIELDS",
    "FIELDS_NEEDING_APPROVAL",
    "PARTICULARS",
    "accept_terms",
    "approve_change",
    "check_new_customer",
    "create_customer",
    "lock_customer",
    "publish_terms_version",
    "reject_change",
    "request_change",
    "update_particulars",
    "validate_change",
    "validate_document",
    "validate_vat_id",
]

#: A customer's particulars, in the order forms and exports show them.
PARTICULARS = (
    "name",
    "company_name",
    "vat_id",
    "tax_office",
    "address",
    "city",
    "postal_code",
    "country",
    "phone",
    "email",
    "secondary_email",
    "admin_email",
    "billing_email",
    "language",
)
#: Particulars a customer changes directly; each change is kept in the history (R1.3).
EDITABLE_FIELDS = (
    "name",
    "phone",
    "address",
    "city",
    "postal_code",
    "tax_office",
    "email",
    "secondary_email",
    "admin_email",
    "billing_email",
    "language",
)
#: Particulars that change only through an approved ChangeRequest with a document (R1.3).
FIELDS_NEEDING_APPROVAL = frozenset({"vat_id", "company_name", "country"})

#: Supporting documents: extension → the bytes such a file starts with.
DOCUMENT_SIGNATURES = {
    ".pdf": b"%PDF-",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
    ".png": b"\x89PNG\r\n\x1a\n",
}
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def _merge(errors: dict, error: ValidationError) -> None:
    error.update_error_dict(errors)


def _ensure_active(customer: Customer) -> None:
    if customer.status == Customer.Status.LOCKED:
        raise ValidationError(_("The account is locked; its particulars can no longer change."))


# --- accounts ----------------------------------------------------------------------------


@transaction.atomic
def create_customer(
    *,
    kind: str,
    name: str,
    email: str,
    country: str,
    language: str = "el",
    company_name: str = "",
    vat_id: str = "",
    tax_office: str = "",
    address: str = "",
    city: str = "",
    postal_code: str = "",
    phone: str = "",
    secondary_email: str = "",
    admin_email: str = "",
    billing_email: str = "",
    adult_confirmed: bool = False,
    terms_version: str | None = None,
    channel: str = TermsAcceptance.Channel.STAFF,
    user=None,
    actor=None,
) -> Customer:
    """Open a customer account (R1.1, R1.2). Every error is reported at once; bad input
    writes nothing."""
    now = clock.now()
    customer = Customer(
        kind=kind,
        name=name.strip(),
        email=email.strip(),
        country=(country or "").strip().upper(),
        language=language,
        company_name=company_name.strip(),
        tax_office=tax_office.strip(),
        address=address.strip(),
        city=city.strip(),
        postal_code=postal_code.strip(),
        phone=phone.strip(),
        secondary_email=secondary_email.strip(),
        admin_email=admin_email.strip(),
        billing_email=billing_email.strip(),
        adult_confirmed_at=now if adult_confirmed else None,
        user=user,
        created_at=now,
    )
    errors: dict = {}
    try:
        customer.vat_id = check_new_customer(
            kind=kind, country=customer.country, vat_id=vat_id, adult_confirmed=adult_confirmed
        )
    except ValidationError as error:
        _merge(errors, error)
    if terms_version is not None:
        try:
            _check_terms(terms_version, channel)
        except ValidationError as error:
            _merge(errors, error)
    try:
        customer.full_clean(exclude=[f for f in errors if f != "__all__"])
    except ValidationError as error:
        _merge(errors, error)
    if errors:
        raise ValidationError(errors)
    customer.save()
    if terms_version is not None:
        _record_terms(customer, terms_version, channel, actor)
    log_action(customer, "customer.created", actor=actor, data={"kind": kind, "channel": channel})
    return customer


def check_new_customer(*, kind: str, country: str, vat_id: str, adult_confirmed: bool) -> str:
    """The checks of a new account beyond the model's own: country code, VAT id and age
    (R1.1). Returns the normalised VAT id; raises one ValidationError with every problem."""
    errors: dict = {}
    normalised = ""
    try:
        validate_country(country)
        if vat_id.strip():
            normalised = validate_vat_id(vat_id, country)
    except ValidationError as error:
        _merge(errors, error)
    if kind == Customer.Kind.PERSON and not adult_confirmed:
        errors["adult_confirmed"] = [_("Customers must be 18 or older; please confirm your age.")]
    if errors:
        raise ValidationError(errors)
    return normalised


def _check_terms(version: str, channel: str) -> None:
    if not version or not version.strip():
        raise ValidationError({"terms_version": _("Give the version of the terms accepted.")})
    if channel not in TermsAcceptance.Channel.values:
        raise ValidationError({"channel": _("Unknown channel %(channel)s.") % {"channel": channel}})


def _record_terms(customer: Customer, version: str, channel: str, actor) -> TermsAcceptance:
    acceptance = TermsAcceptance.objects.create(
        customer=customer, version=version.strip(), channel=channel, accepted_at=clock.now()
    )
    log_action(
        customer,
        "customer.terms_accepted",
        actor=actor,
        data={"version": acceptance.version, "channel": channel},
    )
    return acceptance


@transaction.atomic
def accept_terms(customer: Customer, *, version: str, channel: str, actor=None) -> TermsAcceptance:
    """Record that the customer accepted ``version`` of the terms through ``channel`` (R1.1)."""
    _check_terms(version, channel)
    return _record_terms(customer, version, channel, actor)


#: The languages every published version of the terms is written in (R12.1).
TERMS_LANGUAGES = ("el", "en", "pl")


@transaction.atomic
def publish_terms_version(
    *,
    version: str,
    texts: dict[str, str],
    significant: bool = False,
    summary: str = "",
    published_on=None,
    actor=None,
) -> TermsVersion:
    """Publish a new version of the terms (R12.3): a version name not used before, the
    text in Greek, English and Polish, from ``published_on`` (default today, never before
    the newest version). Every error is reported at once; bad input writes nothing.

    Notifying customers of a significant version is the caller's part (notices sit above
    this app): ``storefront.services.publish_terms``."""
    version = (version or "").strip()
    summary = (summary or "").strip()
    day = published_on or clock.today()
    errors: dict = {}
    if not version:
        errors["version"] = [_("Give the version's name, e.g. 2027-03.")]
    elif len(version) > TermsVersion._meta.get_field("version").max_length:
        errors["version"] = [_("A version's name has at most 20 characters.")]
    elif TermsVersion.objects.filter(version=version).exists():
        errors["version"] = [
            _("Version %(version)s is already published; a change is a new version.")
            % {"version": version}
        ]
    for language in TERMS_LANGUAGES:
        if not (texts.get(language) or "").strip():
            errors[f"text_{language}"] = [_("Give the text of the terms in every language.")]
    latest = TermsVersion.objects.order_by("-published_on").values_list("published_on", flat=True)
    newest = latest.first()
    if newest is not None and day < newest:
        errors["published_on"] = [
            _("A new version cannot be dated before the newest one (%(day)s).")
            % {"day": newest.isoformat()}
        ]
    if significant and not summary:
        errors["summary"] = [_("Say what changed: the notice to customers tells them.")]
    if len(summary) > TermsVersion._meta.get_field("summary").max_length:
        errors["summary"] = [_("The summary has at most 300 characters.")]
    if errors:
        raise ValidationError(errors)
    terms = TermsVersion.objects.create(
        version=version,
        published_on=day,
        significant=significant,
        summary=summary,
        created_at=clock.now(),
        **{f"text_{language}": texts[language].strip() for language in TERMS_LANGUAGES},
    )
    log_action(
        terms,
        "terms.published",
        actor=actor,
        data={"version": version, "significant": significant, "from": day.isoformat()},
    )
    return terms


@transaction.atomic
def lock_customer(customer: Customer, *, actor, reason: str) -> Customer:
    """End the relationship (R1.4): the account is locked and its login disabled; nothing is
    deleted, billing records stay for the statutory period."""
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the account is locked.")})
    if customer.status == Customer.Status.LOCKED:
        raise ValidationError(_("The account is already locked."))
    customer.status = Customer.Status.LOCKED
    customer.save(update_fields=["status"])
    if customer.user is not None and customer.user.is_active:
        customer.user.is_active = False
        customer.user.save(update_fields=["is_active"])
    log_action(customer, "customer.locked", actor=actor, data={"reason": reason.strip()})
    return customer


# --- particulars -------------------------------------------------------------------------


@transaction.atomic
def update_particulars(customer: Customer, *, actor=None, **changes) -> list[ParticularsChange]:
    """Change particulars that need no approval; one history row per changed field (R1.3).

    Returns the history rows written (none when nothing actually changed).
    """
    _ensure_active(customer)
    _refuse_fields_outside(changes)
    candidate = copy.copy(customer)
    for field, value in changes.items():
        setattr(candidate, field, value.strip() if isinstance(value, str) else value)
    changed = [f for f in changes if getattr(candidate, f) != getattr(customer, f)]
    if not changed:
        return []
    candidate.full_clean(exclude=[f.name for f in Customer._meta.fields if f.name not in changed])
    now, user = clock.now(), acting_user(actor)
    rows = [
        ParticularsChange(
            customer=customer,
            field=field,
            old_value=getattr(customer, field),
            new_value=getattr(candidate, field),
            changed_at=now,
            changed_by=user,
        )
        for field in changed
    ]
    for field in changed:
        setattr(customer, field, getattr(candidate, field))
    customer.save(update_fields=changed)
    ParticularsChange.objects.bulk_create(rows)
    log_action(customer, "customer.particulars_changed", actor=actor, data={"fields": changed})
    return rows


def _refuse_fields_outside(changes: dict) -> None:
    needing = sorted(set(changes) & FIELDS_NEEDING_APPROVAL)
    if needing:
        raise ValidationError(
            {
                field: _(
                    "A change of this field needs a supporting document and staff approval: "
                    "please file a change request."
                )
                for field in needing
            }
        )
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError(
            _("These are not particulars a customer can change: %(fields)s.")
            % {"fields": ", ".join(unknown)}
        )


# --- change requests ---------------------------------------------------------------------


def validate_document(document: UploadedFile | None) -> None:
    """A supporting document is a PDF, JPEG or PNG of at most 10 MB, judged by its name
    and by its first bytes."""
    if not document:
        raise ValidationError({"document": _("Attach a supporting document (PDF, JPEG or PNG).")})
    signature = DOCUMENT_SIGNATURES.get(Path(document.name or "").suffix.lower())
    if signature is None:
        raise ValidationError({"document": _("The document must be a PDF, JPEG or PNG file.")})
    if document.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"document": _("The document is larger than 10 MB.")})
    document.seek(0)
    head = document.read(len(signature))
    document.seek(0)
    if head != signature:
        raise ValidationError(
            {
                "document": _("The file %(name)s is damaged or not of the type its name says.")
                % {"name": Path(document.name).name}
            }
        )


def validate_change(customer: Customer, *, field: str, new_value: str, document) -> str:
    """Check a change request before it is filed; returns the normalised new value.

    Errors name the fields ``field``, ``new_value`` and ``document`` (as in a request form).
    """
    _ensure_active(customer)
    if field not in ChangeRequest.Field.values:
        raise ValidationError({"field": _("This field does not need a change request.")})
    if ChangeRequest.objects.filter(
        customer=customer, field=field, status=ChangeRequest.Status.PENDING
    ).exists():
        raise ValidationError(
            {"field": _("A change of this field is already waiting for approval.")}
        )
    value = _normalised_value(customer, field, new_value, _country_after_pending(customer))
    if value == getattr(customer, field):
        raise ValidationError({"new_value": _("That is already the current value.")})
    validate_document(document)
    return value


def _country_after_pending(customer: Customer) -> str:
    """The country a VAT id must match: a pending country change, else the current one."""
    pending = (
        ChangeRequest.objects.filter(
            customer=customer,
            field=ChangeRequest.Field.COUNTRY,
            status=ChangeRequest.Status.PENDING,
        )
        .values_list("new_value", flat=True)
        .first()
    )
    return pending or customer.country


def _normalised_value(customer: Customer, field: str, new_value: str, country: str) -> str:
    value = (new_value or "").strip()
    if not value:
        raise ValidationError({"new_value": _("Enter the new value.")})
    try:
        if field == ChangeRequest.Field.VAT_ID:
            return validate_vat_id(value, country)
        if field == ChangeRequest.Field.COUNTRY:
            return validate_country(value)
    except ValidationError as error:
        raise ValidationError({"new_value": error.messages}) from error
    if len(value) > Customer._meta.get_field(field).max_length:
        raise ValidationError({"new_value": _("The new value is too long.")})
    return value


@transaction.atomic
def request_change(
    customer: Customer, *, field: str, new_value: str, document: UploadedFile, actor=None
) -> ChangeRequest:
    """File a change of VAT id, company name or country with its document (R1.3). The value
    changes only when staff approve it."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    value = validate_change(locked, field=field, new_value=new_value, document=document)
    change = ChangeRequest(customer=locked, field=field, new_value=value, requested_at=clock.now())
    change.document.save(Path(document.name).name, document, save=False)
    change.save()
    log_action(change, "customer.change_requested", actor=actor, data={"field": field})
    return change


def _locked_pending(change_request: ChangeRequest) -> ChangeRequest:
    change = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if change.status != ChangeRequest.Status.PENDING:
        raise ValidationError(
            _("This request was already decided (%(status)s).")
            % {"status": change.get_status_display()}
        )
    return change


def _decide(change: ChangeRequest, status: str, actor, note: str = "") -> None:
    change.status = status
    change.decided_at = clock.now()
    change.decided_by = acting_user(actor)
    change.decision_note = note
    change.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])


def _sync(target: ChangeRequest, source: ChangeRequest) -> None:
    for name in ("status", "decided_at", "decided_by_id", "decision_note"):
        setattr(target, name, getattr(source, name))


@transaction.atomic
def approve_change(change_request: ChangeRequest, *, actor) -> ChangeRequest:
    """Apply a pending change; the old value stays in the history (R1.3)."""
    change = _locked_pending(change_request)
    customer = Customer.objects.select_for_update().get(pk=change.customer_id)
    _ensure_active(customer)
    value = _normalised_value(customer, change.field, change.new_value, customer.country)
    old_value = getattr(customer, change.field)
    setattr(customer, change.field, value)
    customer.full_clean(exclude=[f.name for f in Customer._meta.fields if f.name != change.field])
    customer.save(update_fields=[change.field])
    _decide(change, ChangeRequest.Status.APPROVED, actor)
    ParticularsChange.objects.create(
        customer=customer,
        field=change.field,
        old_value=old_value,
        new_value=value,
        changed_at=change.decided_at,
        changed_by=acting_user(actor),
        change_request=change,
    )
    log_action(change, "customer.change_approved", actor=actor, data={"field": change.field})
    _sync(change_request, change)
    return change


@transaction.atomic
def reject_change(change_request: ChangeRequest, *, actor, note: str) -> ChangeRequest:
    """Refuse a pending change, saying why; the customer's value stays as it was."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the change is rejected.")})
    if len(note) > ChangeRequest._meta.get_field("decision_note").max_length:
        raise ValidationError({"note": _("The note is too long (at most 300 characters).")})
    change = _locked_pending(change_request)
    _decide(change, ChangeRequest.Status.REJECTED, actor, note)
    log_action(change, "customer.change_rejected", actor=actor, data={"field": change.field})
    _sync(change_request, change)
    return change

"""The registry of personal data: every app declares what personal data it holds.

Privacy (access, portability and erasure requests, the retention engine) imports only
core, so each app that stores personal data registers here, in the ``register()`` of its
``personal_data`` module (found by :func:`kyklos.core.registry.autodiscover`), one entry
per model: which fields are personal, the data category they belong to, a
function that exports a subject's rows and one that erases (anonymises) them.

A test walks every installed model and fails when a model has a field that looks like
personal data (name, e-mail, phone, address, IP, …) and is neither registered nor
declared free of personal data with a reason — so a new app cannot forget.

Besides the exporters and erasers, apps plug in here:

- **retention targets** (:meth:`PersonalDataRegistry.register_retention`): what a data
  category's retention rule (kept as data by the privacy app) deletes or anonymises, as a
  queryset, the date the period counts from and the action — the engine runs one UPDATE
  or DELETE per target per batch;
- **erasure checks** (:meth:`PersonalDataRegistry.register_erasure_check`): reasons why a
  subject cannot be erased yet (a running contract);
- the **directory** (:meth:`PersonalDataRegistry.set_directory`, from customers): who a
  login or an e-mail address is, and the customers to tell about a new privacy notice;
- the **processing check** (:meth:`PersonalDataRegistry.set_processing_check`, from
  privacy): whether a purpose that needs consent (marketing, surveys …) may be pursued for
  a person now; any app asks :meth:`PersonalDataRegistry.may_process`;
- the **retention source** (:meth:`PersonalDataRegistry.set_retention_source`, from
  privacy): the cutoff of a data category's retention rule on a day, for an app that
  deletes its own data on that rule (devices fold activity into statistics first) —
  :meth:`PersonalDataRegistry.retention_cutoff`; the notice shows the same rule;
- **processor sources** (:meth:`PersonalDataRegistry.register_processor_source`, from
  lifecycle): which customers' data the provider processes on their behalf (R9.8: hosted
  sites and mailboxes, chat conversations), by the kind of service.

A model is registered (or declared exempt) once, a retention target once per data
category and model: a second registration is refused rather than replacing the first.
The markers of erased data and the legal hold of tax records, which several apps'
registrations share, are here too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Protocol

from django.db import models
from django.db.models import Q, QuerySet

from kyklos.core import discovery

# --- purposes -----------------------------------------------------------------------------

#: Purposes of processing that need the person's consent (R9.2). Anything else an app does
#: for the contract, a legal obligation or security is "essential" and needs none.
MARKETING_EMAIL = "marketing_email"
ANALYTICS_COOKIES = "analytics_cookies"
ADVERTISING_COOKIES = "advertising_cookies"
SURVEYS = "surveys"
CONSENT_PURPOSES = (MARKETING_EMAIL, ANALYTICS_COOKIES, ADVERTISING_COOKIES, SURVEYS)
ESSENTIAL = "essential"

#: The data category of the audit trail and the admin's log: erased last, so that what the
#: other erasers log about the erasure is pseudonymised too.
AUDIT_TRAIL = "audit_trail"

# --- shared by several apps' registrations -------------------------------------------------

#: The name an erased customer (and the buyer on their documents) is given.
ERASED_NAME = "Erased customer"
#: An erased customer's e-mail address is ``erased-<id>@`` this domain.
ERASED_DOMAIN = "erased.invalid"
#: Why tax documents, and the payments that settle them, keep personal data (R9.4).
TAX_HOLD = (
    "Tax documents (invoices, receipts, credit notes) keep the buyer's name, address and VAT "
    "id for the tax period that the law sets (Greece: 5 years from the end of the fiscal "
    "year); then they are anonymised too."
)


@dataclass(frozen=True)
class Subject:
    """The person a request is about: a customer, or someone known only by e-mail.

    :meth:`PersonalDataRegistry.identify` fills in ``user_ids`` (every login of the person)
    and ``identifiers`` (login names, names, e-mail addresses, phone numbers) before the
    exporters and erasers run, from the sources apps registered — so an eraser that runs
    after the login was anonymised still knows what to look for in free text.
    """

    customer_id: int | None = None
    email: str = ""
    user_id: int | None = None
    user_ids: tuple[int, ...] = ()
    identifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.customer_id is None and not self.email and self.user_id is None:
            raise ValueError("A data subject needs a customer, a user or an e-mail address.")


@dataclass
class Erased:
    """What an eraser did: rows anonymised or deleted, and what it kept and why."""

    anonymised: int = 0
    deleted: int = 0
    kept: int = 0
    kept_reason: str = ""

    def __add__(self, other: Erased) -> Erased:
        reasons = [r for r in (self.kept_reason, other.kept_reason) if r]
        return Erased(
            self.anonymised + other.anonymised,
            self.deleted + other.deleted,
            self.kept + other.kept,
            "; ".join(dict.fromkeys(reasons)),
        )


@dataclass(frozen=True)
class Contact:
    """How to reach a person: for notices about privacy (new notice, requests)."""

    customer_id: int | None
    name: str
    email: str
    language: str


class Directory(Protocol):
    """Who people are; provided by the customers app."""

    def for_user(self, user: Any) -> Contact | None: ...

    def for_customer(self, customer_id: int) -> Contact | None: ...

    def customer_ids_for_email(self, email: str) -> list[int]: ...

    def user_id_for_customer(self, customer_id: int) -> int | None: ...

    def audience(self, batch_size: int) -> Iterator[list[Contact]]:
        """Current customers (not locked), in batches, for notices to all of them."""
        ...


DELETE = "delete"
ANONYMISE = "anonymise"


@dataclass(frozen=True)
class RetentionTarget:
    """What a data category's retention rule applies to in one model.

    ``queryset()`` gives the rows the rule may touch (default: all), annotated if needed
    with ``date_field`` — the date or datetime the retention period counts from (e.g. when
    the relationship ended). ``pending`` narrows it to rows still holding personal data, so
    that anonymising is idempotent. ``values()`` are the ``update()`` arguments of an
    anonymisation (expressions allowed); ``files`` are file fields whose files are removed
    from storage with the rows.
    """

    category: str
    model: type[models.Model]
    date_field: str
    action: str
    values: Callable[[], dict[str, Any]] | None = None
    queryset: Callable[[], QuerySet] | None = None
    pending: Q | None = None
    files: tuple[str, ...] = ()
    order: int = 100
    note: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label

    def candidates(self) -> QuerySet:
        qs = self.queryset() if self.queryset else self.model._default_manager.all()
        return qs.filter(self.pending) if self.pending is not None else qs


@dataclass(frozen=True)
class Identity:
    """What an app knows identifies a subject: their logins (id → login name) and the
    words (names, e-mail addresses, phone numbers) that name them."""

    logins: dict[int, str] = field(default_factory=dict)
    words: tuple[str, ...] = ()


IdentitySource = Callable[[Subject], Identity]
ProcessingCheck = Callable[..., bool]
RetentionSource = Callable[[str, date], "date | None"]


@dataclass(frozen=True)
class ProcessedFor:
    """A customer on whose behalf the provider processes personal data (R9.8): the kind of
    service (a product type code) and how many such services run."""

    customer_id: int
    kind: str
    services: int = 1


#: ``source(customer_ids)`` → what each customer (all customers when None) has running.
ProcessorSource = Callable[["Iterable[int] | None"], Iterable[ProcessedFor]]
ErasureCheck = Callable[["Subject"], str | None]


Exporter = Callable[[Subject], Iterable[dict[str, Any]]]
Eraser = Callable[[Subject], Erased]


@dataclass(frozen=True)
class PersonalDataEntry:
    model: type[models.Model]
    category: str
    fields: tuple[str, ...]
    exporter: Exporter
    eraser: Eraser
    legal_hold: str = ""

    @property
    def label(self) -> str:
        return self.model._meta.label


def _discovered(name: str, doc: str) -> property:
    """A registry attribute whose reading first discovers the apps' extension modules
    (:mod:`kyklos.core.discovery`): a reader never sees a registry that is not yet full.
    The registering methods write the private attribute and discover nothing."""
    private = f"_{name}"

    def read(self):
        discovery.ensure()
        return getattr(self, private)

    def write(self, value) -> None:
        setattr(self, private, value)

    return property(read, write, doc=doc)


@dataclass
class PersonalDataRegistry:
    _entries: dict[str, PersonalDataEntry] = field(default_factory=dict)
    _exempt: dict[str, str] = field(default_factory=dict)
    _retention: list[RetentionTarget] = field(default_factory=list)
    _erasure_checks: list[ErasureCheck] = field(default_factory=list)
    _identity_sources: list[IdentitySource] = field(default_factory=list)
    _directory: Directory | None = None
    _processing_check: ProcessingCheck | None = None
    _retention_source: RetentionSource | None = None
    _processor_sources: list[ProcessorSource] = field(default_factory=list)

    entries = _discovered("entries", "Registered models by label.")
    exempt = _discovered("exempt", "Models declared free of personal data, with the reason.")
    retention = _discovered("retention", "Retention targets, in registration order.")
    erasure_checks = _discovered("erasure_checks", "Reasons a subject cannot be erased yet.")
    identity_sources = _discovered("identity_sources", "What identifies a subject.")
    directory = _discovered("directory", "Who people are (from customers).")
    processing_check = _discovered("processing_check", "May a purpose be pursued (privacy).")
    retention_source = _discovered("retention_source", "A category's cutoff (privacy).")
    processor_sources = _discovered("processor_sources", "Whose data is processed (R9.8).")

    def register(
        self,
        model: type[models.Model],
        *,
        category: str,
        fields: Iterable[str],
        exporter: Exporter,
        eraser: Eraser,
        legal_hold: str = "",
    ) -> None:
        names = tuple(fields)
        known = {f.name for f in model._meta.get_fields()}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"{model._meta.label} has no field(s) {', '.join(unknown)}")
        self._refuse_twice(model)
        self._entries[model._meta.label] = PersonalDataEntry(
            model, category, names, exporter, eraser, legal_hold
        )

    def declare_exempt(self, model: type[models.Model], reason: str) -> None:
        """Say that a model whose field names look personal holds no personal data."""
        if not reason.strip():
            raise ValueError("An exemption needs a reason.")
        self._refuse_twice(model)
        self._exempt[model._meta.label] = reason

    def _refuse_twice(self, model: type[models.Model]) -> None:
        label = model._meta.label
        if label in self._entries:
            raise ValueError(f"The personal data of {label} is already registered.")
        if label in self._exempt:
            raise ValueError(f"{label} is already declared free of personal data.")

    def all(self) -> list[PersonalDataEntry]:
        return sorted(self.entries.values(), key=lambda e: (e.category, e.label))

    def export(self, subject: Subject) -> dict[str, list[dict[str, Any]]]:
        subject = self.identify(subject)
        return {e.label: list(e.exporter(subject)) for e in self.all()}

    def erase(self, subject: Subject) -> dict[str, Erased]:
        """Run every eraser, on the subject as :meth:`identify` completes it (before any
        eraser changes what identifies the person). Call :meth:`erasure_blockers` first:
        erasing a subject whose contract still runs would anonymise what the contract
        needs."""
        subject = self.identify(subject)
        entries = sorted(self.all(), key=lambda e: e.category == AUDIT_TRAIL)
        return {e.label: e.eraser(subject) for e in entries}

    # --- identity ---------------------------------------------------------------------

    def register_identity_source(self, source: IdentitySource) -> None:
        """``source(subject)`` tells the logins and words that identify the subject."""
        if source not in self._identity_sources:
            self._identity_sources.append(source)

    def identify(self, subject: Subject) -> Subject:
        """``subject`` with ``user_ids`` and ``identifiers`` from every identity source
        (words shorter than 3 characters are left out: they would match anything)."""
        logins: dict[int, str] = {}
        words: dict[str, None] = {}
        if subject.user_id is not None:
            logins[subject.user_id] = ""
        if subject.email:
            words[subject.email.strip()] = None
        for source in self.identity_sources:
            identity = source(subject)
            for pk, name in identity.logins.items():
                logins[pk] = name or logins.get(pk, "")
            words.update(dict.fromkeys(w.strip() for w in identity.words))
        words.update(dict.fromkeys(name for name in logins.values()))
        return replace(
            subject,
            user_ids=tuple(sorted(logins)),
            identifiers=tuple(w for w in words if len(w) >= 3),
        )

    # --- erasure checks ---------------------------------------------------------------

    def register_erasure_check(self, check: ErasureCheck) -> None:
        """``check(subject)`` returns why the subject cannot be erased now, or None."""
        if check not in self._erasure_checks:
            self._erasure_checks.append(check)

    def erasure_blockers(self, subject: Subject) -> list[str]:
        return [reason for check in self.erasure_checks if (reason := check(subject))]

    # --- retention --------------------------------------------------------------------

    def register_retention(
        self,
        category: str,
        model: type[models.Model],
        *,
        date_field: str,
        action: str,
        values: Callable[[], dict[str, Any]] | dict[str, Any] | None = None,
        queryset: Callable[[], QuerySet] | None = None,
        pending: Q | None = None,
        files: Iterable[str] = (),
        order: int = 100,
        note: str = "",
    ) -> RetentionTarget:
        """Declare that ``category``'s retention rule deletes or anonymises rows of
        ``model`` whose ``date_field`` is older than the rule's period."""
        if action not in (DELETE, ANONYMISE):
            raise ValueError(f"A retention action is {DELETE!r} or {ANONYMISE!r}, not {action!r}.")
        if action == ANONYMISE and not values:
            raise ValueError("An anonymising retention target needs the values it writes.")
        if action == ANONYMISE and pending is None:
            raise ValueError("An anonymising retention target needs ``pending`` (rows not done).")
        if not category.strip():
            raise ValueError("A retention target needs a data category.")
        target = RetentionTarget(
            category=category,
            model=model,
            date_field=date_field,
            action=action,
            values=(lambda v=values: dict(v)) if isinstance(values, dict) else values,
            queryset=queryset,
            pending=pending,
            files=tuple(files),
            order=order,
            note=note,
        )
        if any((t.category, t.label) == (category, target.label) for t in self._retention):
            raise ValueError(
                f"A retention target of {target.label} in {category!r} is already registered."
            )
        self._retention.append(target)
        return target

    def retention_targets(self) -> list[RetentionTarget]:
        return sorted(self.retention, key=lambda t: (t.order, t.category, t.label))

    def categories(self) -> set[str]:
        """Every data category an app registered personal data or a retention target in."""
        return {e.category for e in self.entries.values()} | {t.category for t in self.retention}

    # --- directory and processing check -----------------------------------------------

    def set_directory(self, directory: Directory) -> None:
        self._directory = directory

    def set_processing_check(self, check: ProcessingCheck) -> None:
        """``check(purpose, *, customer_id=None, email="") -> bool``; set by privacy."""
        self._processing_check = check

    def may_process(self, purpose: str, *, customer_id: int | None = None, email: str = "") -> bool:
        """Whether ``purpose`` may be pursued for this person now (consent given, not
        restricted or objected to). Essential processing always may. Without a check
        installed, purposes that need consent never may."""
        if purpose == ESSENTIAL:
            return True
        if self.processing_check is None:
            return False
        return self.processing_check(purpose, customer_id=customer_id, email=email)

    # --- retention rules read by the apps that apply them themselves -------------------

    def set_retention_source(self, source: RetentionSource) -> None:
        """``source(category, day)`` → the cutoff of the category's rule; set by privacy."""
        self._retention_source = source

    def retention_cutoff(self, category: str, day: date) -> date | None:
        """Records of ``category`` dated before the returned day have expired on ``day``
        under the category's retention rule (data, shown in the privacy notice). None: the
        rule keeps them while the purpose lasts, or no rule is installed — keep them."""
        if self.retention_source is None:
            return None
        return self.retention_source(category, day)

    # --- processing on customers' behalf (R9.8) ----------------------------------------

    def register_processor_source(self, source: ProcessorSource) -> None:
        if source not in self._processor_sources:
            self._processor_sources.append(source)

    def processed_for(self, customer_ids: Iterable[int] | None = None) -> list[ProcessedFor]:
        """Every (customer, kind of service) whose personal data the provider processes on
        the customer's behalf now; ``customer_ids`` narrows it."""
        ids = None if customer_ids is None else list(customer_ids)
        return [row for source in self.processor_sources for row in source(ids)]


personal_data = PersonalDataRegistry()

#: Field names that suggest personal data; the completeness test uses them.
PERSONAL_FIELD_HINTS = (
    "name",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "mobile",
    "address",
    "street",
    "ip",
    "ip_address",
    "vat_id",
    "tax_id",
    "birth",
    "user_agent",
    "sender",
)


def looks_personal(field_name: str) -> bool:
    """Whether a field's name suggests personal data: it is one of the hints, or one of
    its ``_``-separated words is (``buyer_name``, ``to_email``, ``last_login_ip``)."""
    name = field_name.lower()
    return name in PERSONAL_FIELD_HINTS or any(w in PERSONAL_FIELD_HINTS for w in name.split("_"))


def personal_looking_fields(model: type[models.Model]) -> list[str]:
    """The model's own columns whose names suggest personal data."""
    return [
        f.name
        for f in model._meta.get_fields()
        if getattr(f, "concrete", False) and not f.is_relation and looks_personal(f.name)
    ]

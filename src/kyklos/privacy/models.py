"""Privacy as data (R9): the record of processing and the notice made from it, the
consent ledger, retention rules and their reports, data-subject requests, restrictions
and the breach register.

Texts that the privacy notice shows are kept per language in JSON (``{"el": …, "en": …,
"pl": …}``), so the notice is generated from the record in every language Kyklos speaks.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kyklos.core import personal_data as pd

#: EU member states plus Iceland, Liechtenstein and Norway: no transfer safeguard needed.
EEA = frozenset(
    (
        "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO"
    ).split()
)


def localized(texts: dict | None, language: str | None = None) -> str:
    """The text in ``language`` (default: the active one), else English, else any."""
    texts = texts or {}
    language = language or translation.get_language() or "en"
    return texts.get(language) or texts.get("en") or next(iter(texts.values()), "")


class LegalBasis(models.TextChoices):
    """GDPR art. 6(1)."""

    CONSENT = "consent", _("Consent (art. 6(1)(a) GDPR)")
    CONTRACT = "contract", _("Performance of a contract (art. 6(1)(b) GDPR)")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (art. 6(1)(c) GDPR)")
    LEGITIMATE_INTEREST = "legitimate_interest", _("Legitimate interest (art. 6(1)(f) GDPR)")


class DataCategory(models.Model):
    """A category of personal data; apps register their models under its ``code``."""

    code = models.SlugField(max_length=40, unique=True)
    names = models.JSONField(help_text=_('The name per language: {"el": …, "en": …, "pl": …}'))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "data categories"

    def __str__(self) -> str:
        return self.code

    def name(self, language: str | None = None) -> str:
        return localized(self.names, language)


class RetentionRule(models.Model):
    """How long a data category is kept (R9.4). The retention engine applies it to every
    target that apps registered for the category in ``core.personal_data``."""

    class Anchor(models.TextChoices):
        COLLECTED = "collected", _("from collection")
        PROCESSED = "processed", _("after it has been processed")
        RELATIONSHIP_END = "relationship_end", _("after the customer relationship ends")
        FISCAL_YEAR_END = "fiscal_year_end", _("from the end of the fiscal year")
        COMPLETED = "completed", _("after the request is completed")

    category = models.OneToOneField(DataCategory, on_delete=models.CASCADE, related_name="rule")
    months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("Empty: kept while the purpose lasts and never deleted automatically."),
    )
    anchor = models.CharField(max_length=20, choices=Anchor.choices, default=Anchor.COLLECTED)
    note = models.JSONField(default=dict, blank=True, help_text=_("Why, per language."))

    class Meta:
        ordering = ["category__position", "category__code"]

    def __str__(self) -> str:
        return f"{self.category.code}: {self.describe('en')}"

    def describe(self, language: str | None = None) -> str:
        """The rule in words, e.g. "3 months from collection"."""
        from kyklos.privacy.retention import describe_rule

        return describe_rule(self.months, self.anchor, language)


class Recipient(models.Model):
    """Who receives personal data: processors under contract, other recipients and
    authorities (R9.5)."""

    class Role(models.TextChoices):
        PROCESSOR = "processor", _("Processor")
        RECIPIENT = "recipient", _("Recipient")
        AUTHORITY = "authority", _("Public authority")

    name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices)
    country = models.CharField(max_length=2, help_text=_("ISO 3166 code where data is processed"))
    descriptions = models.JSONField(
        default=dict, blank=True, help_text=_("What they do, per language")
    )
    safeguards = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Transfers outside the EEA: the safeguard (art. 46), per language"),
    )

    class Meta:
        ordering = ["role", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def outside_eea(self) -> bool:
        return self.country.upper() not in EEA


class ProcessingActivity(models.Model):
    """One entry of the record of processing activities (art. 30, R9.1)."""

    code = models.SlugField(max_length=40, unique=True)
    names = models.JSONField(help_text=_("The activity's name per language"))
    purposes = models.JSONField(help_text=_("Its purpose per language"))
    legal_basis = models.CharField(max_length=20, choices=LegalBasis.choices)
    categories = models.ManyToManyField(DataCategory, related_name="activities")
    recipients = models.ManyToManyField(Recipient, related_name="activities", blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "processing activities"

    def __str__(self) -> str:
        return self.code


class NoticeVersion(models.Model):
    """A published version of the privacy notice: a frozen snapshot of the record."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField()
    snapshot = models.JSONField()
    digest = models.CharField(max_length=64)
    significant = models.BooleanField(default=False)
    summary = models.JSONField(default=dict, blank=True, help_text=_("What changed, per language"))
    notified_at = models.DateTimeField(null=True, blank=True)
    notified_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number}"


class ConsentEvent(models.Model):
    """One consent given or withdrawn (R9.2). Append-only: the current state of a person's
    consent for a purpose is their latest event for it."""

    class Purpose(models.TextChoices):
        MARKETING_EMAIL = pd.MARKETING_EMAIL, _("Marketing e-mails")
        ANALYTICS_COOKIES = pd.ANALYTICS_COOKIES, _("Analytics cookies")
        ADVERTISING_COOKIES = pd.ADVERTISING_COOKIES, _("Advertising cookies")
        SURVEYS = pd.SURVEYS, _("Surveys")

    class Source(models.TextChoices):
        PORTAL = "portal", _("Customer portal")
        BANNER = "banner", _("Cookie banner")
        IMPORT = "import", _("Import")
        STAFF = "staff", _("Staff")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")
        REQUEST = "request", _("Data-subject request")

    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    visitor = models.CharField(max_length=64, blank=True, db_index=True)
    purpose = models.CharField(max_length=24, choices=Purpose.choices)
    given = models.BooleanField()
    notice_version = models.PositiveIntegerField(null=True, blank=True)
    at = models.DateTimeField()
    source = models.CharField(max_length=12, choices=Source.choices)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["purpose", "-at"], name="consent_purpose_at")]

    def __str__(self) -> str:
        return f"{self.purpose} {'given' if self.given else 'withdrawn'} ({self.source})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Consent events are append-only.")
        super().save(*args, **kwargs)

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id


class Restriction(models.Model):
    """Processing restricted (art. 18) or objected to (art. 21) for a person: while active,
    nothing but essential processing and no marketing."""

    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    reason = models.CharField(max_length=300)
    request = models.ForeignKey(
        "DataSubjectRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"restriction {self.customer_id or self.email}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id


class RetentionRun(models.Model):
    """One run of the retention engine; its lines say what was deleted or anonymised."""

    day = models.DateField(db_index=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"retention {self.day} ({self.total})"


class RetentionReportLine(models.Model):
    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=40)
    target = models.CharField(max_length=100)
    action = models.CharField(max_length=10)
    rule = models.CharField(max_length=200)
    cutoff = models.DateField()
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["run", "category", "target"]

    def __str__(self) -> str:
        return f"{self.category} {self.target}: {self.action} {self.count}"


class DataSubjectRequest(models.Model):
    """A request under GDPR art. 15–21 (R9.3), answered within 30 days of receipt,
    extendable by up to two months with a reason given to the person (art. 12(3))."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access to my data")
        PORTABILITY = "portability", _("A copy of my data to take elsewhere (portability)")
        RECTIFICATION = "rectification", _("Correct my data (rectification)")
        ERASURE = "erasure", _("Erase my data")
        RESTRICTION = "restriction", _("Restrict the processing of my data")
        OBJECTION = "objection", _("Object to processing (e.g. marketing)")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Waiting for e-mail confirmation")
        OPEN = "open", pgettext_lazy("not yet closed", "Open")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=14, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField()
    language = models.CharField(max_length=2, default="en")
    details = models.TextField(blank=True)
    submitted_at = models.DateTimeField()
    verification_digest = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the identity was confirmed; the clock starts.")
    )
    due_on = models.DateField(null=True, blank=True)
    extended_to = models.DateField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extension_notified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    response = models.TextField(blank=True, help_text=_("What was done, or why not"))
    outcome = models.JSONField(default=dict, blank=True)
    archive = models.FileField(upload_to="privacy/archives/", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    warned_days = models.SmallIntegerField(
        null=True, blank=True, help_text=_("The last deadline warning sent to staff (days left).")
    )

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"], name="dsr_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.status})"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id

    @property
    def deadline(self):
        return self.extended_to or self.due_on

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED)


class Breach(models.Model):
    """A personal-data breach (art. 33–34, R9.6): the authority must be told within 72 hours
    of awareness unless the breach is unlikely to result in a risk to people."""

    class SubjectsDecision(models.TextChoices):
        UNDECIDED = "undecided", _("Not decided yet")
        NOTIFY = "notify", _("Notify the people affected (high risk)")
        NOT_REQUIRED = "not_required", _("No notification of the people affected needed")

    title = models.CharField(max_length=200)
    aware_at = models.DateTimeField(
        help_text=_("When the provider became aware; the clock starts.")
    )
    occurred_at = models.DateTimeField(null=True, blank=True)
    nature = models.TextField(
        help_text=_("What happened (confidentiality, integrity, availability)")
    )
    data_categories = models.TextField(help_text=_("Categories of personal data concerned"))
    subject_categories = models.TextField(blank=True, help_text=_("Categories of people concerned"))
    subjects_approx = models.PositiveIntegerField(help_text=_("Approximate number of people"))
    records_approx = models.PositiveIntegerField(help_text=_("Approximate number of records"))
    consequences = models.TextField(help_text=_("Likely consequences"))
    measures = models.TextField(help_text=_("Measures taken or proposed, including mitigation"))
    risk_to_people = models.BooleanField(
        default=True, help_text=_("Untick only if the breach is unlikely to result in a risk.")
    )
    authority_notified_at = models.DateTimeField(null=True, blank=True)
    authority_reference = models.CharField(max_length=100, blank=True)
    delay_reason = models.TextField(
        blank=True, help_text=_("Required when notified after 72 hours")
    )
    subjects_decision = models.CharField(
        max_length=12, choices=SubjectsDecision.choices, default=SubjectsDecision.UNDECIDED
    )
    subjects_decision_reason = models.TextField(blank=True)
    subjects_notified_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    warned_hours = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-aware_at", "-id"]
        verbose_name_plural = "breaches"

    def __str__(self) -> str:
        return self.title

    @property
    def deadline(self):
        return self.aware_at + timedelta(hours=72)


# --- the provider as a processor for its customers (R9.8) -------------------------------


class ProcessorActivity(models.Model):
    """Processing the provider carries out on behalf of its customers (GDPR art. 28,
    30(2), R9.8): hosted sites and mailboxes, chat conversations. A customer's record as
    processor lists the activities whose ``service_kinds`` (product type codes) they have
    running, with the sub-processors and the transfers outside the EEA."""

    code = models.SlugField(max_length=40, unique=True)
    names = models.JSONField(help_text=_("The activity's name per language"))
    processing = models.JSONField(
        help_text=_("The categories of processing carried out for the customer, per language")
    )
    data = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("The personal data and the people concerned, per language"),
    )
    measures = models.JSONField(
        default=dict,
        blank=True,
        help_text=_("Technical and organisational security measures (art. 32), per language"),
    )
    service_kinds = models.JSONField(
        default=list,
        help_text=_('The product types that bring this processing, e.g. ["shared_hosting"]'),
    )
    subprocessors = models.ManyToManyField(
        Recipient, related_name="processor_activities", blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("processing on behalf of customers")
        verbose_name_plural = _("processing on behalf of customers")

    def __str__(self) -> str:
        return self.code


class SubprocessorChange(models.Model):
    """A sub-processor added to or removed from an activity, and the notice of it to the
    customers concerned (art. 28(2): they are told and may object)."""

    class Change(models.TextChoices):
        ADDED = "added", _("Added")
        REMOVED = "removed", _("Removed")

    activity = models.ForeignKey(ProcessorActivity, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(Recipient, null=True, on_delete=models.SET_NULL, related_name="+")
    recipient_name = models.CharField(max_length=200)
    change = models.CharField(max_length=8, choices=Change.choices)
    announced_at = models.DateTimeField()
    effective_on = models.DateField()
    customers_notified = models.PositiveIntegerField(default=0)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-announced_at", "-id"]

    def __str__(self) -> str:
        return f"{self.activity.code}: {self.recipient_name} {self.change}"


class DpaVersion(models.Model):
    """A published text of the data-processing agreement (art. 28(3)), per language.
    Published versions are never edited: a change is a new version."""

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField()
    texts = models.JSONField(help_text=_("The agreement per language"))
    summary = models.JSONField(default=dict, blank=True, help_text=_("What changed"))

    class Meta:
        ordering = ["-number"]
        verbose_name = _("data-processing agreement version")

    def __str__(self) -> str:
        return f"DPA v{self.number}"

    def text(self, language: str | None = None) -> str:
        return localized(self.texts, language)


class DpaAcceptance(models.Model):
    """A customer's acceptance of a DPA version: version, time and channel, like the terms."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        STAFF = "staff", _("Staff")

    customer_id = models.BigIntegerField(db_index=True)
    version = models.ForeignKey(DpaVersion, on_delete=models.PROTECT, related_name="acceptances")
    accepted_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    user_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("data-processing agreement acceptance")
        verbose_name_plural = _("data-processing agreement acceptances")
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer_id", "version"], name="dpa_accepted_once")
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} accepted DPA v{self.version.number}"

    @property
    def audit_customer_id(self) -> int:
        return self.customer_id


# --- disclosures (R9.5) -----------------------------------------------------------------


class Disclosure(models.Model):
    """Personal data disclosed to an authority or a third party (R9.5): who received
    what, on which legal basis and when. The person sees it in their access archive
    unless the law forbids telling them (``withheld_until``: until that day; no day:
    until staff lift it)."""

    class RecipientKind(models.TextChoices):
        AUTHORITY = "authority", _("Public authority or court")
        THIRD_PARTY = "third_party", _("Third party")

    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    email = models.EmailField(blank=True, db_index=True)
    recipient = models.CharField(_("disclosed to"), max_length=200)
    recipient_kind = models.CharField(max_length=12, choices=RecipientKind.choices)
    data = models.TextField(_("what was disclosed"))
    legal_basis = models.CharField(
        _("legal basis"),
        max_length=300,
        help_text=_("The law or order that required it, e.g. a court order's number"),
    )
    disclosed_on = models.DateField()
    withheld = models.BooleanField(
        default=False, help_text=_("The law forbids telling the person (e.g. a gag order).")
    )
    withheld_until = models.DateField(
        null=True, blank=True, help_text=_("Empty while withheld: until staff lift it.")
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-disclosed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.disclosed_on}: {self.recipient}"

    @property
    def audit_customer_id(self) -> int | None:
        return self.customer_id

    def shown_on(self, day) -> bool:
        """Whether the person may be told on ``day``."""
        if not self.withheld:
            return True
        return self.withheld_until is not None and self.withheld_until <= day

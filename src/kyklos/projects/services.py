"""Quotes, projects and hours (R7): every write goes through here.

Quotes
    :func:`draft_quote` → :func:`revise_quote` … → :func:`send_quote` → the customer
    accepts (:func:`accept_quote`, in the portal or by an e-mail reply staff record) or
    declines; :func:`expire_quotes` (daily) closes those past their validity.
Projects
    Acceptance opens the project and asks for the deposit (a proforma, R7.2); the
    project starts when the deposit is paid (``invoice_paid``). Monthly plans get
    :func:`issue_interim_invoice`; :func:`deliver_project` issues the final invoice, due
    30 days after delivery, with confirmed variations added or deducted (R7.3). Paying
    the final invoice passes ownership of the work to the customer (R7.5).
Hours
    :func:`log_time` (R7.4) and :func:`bill_time`.

Milestone and hours invoices are tax documents issued open (R6.1: "for a project
milestone"); the deposit is a proforma, because a project whose deposit is never paid
never starts and leaves nothing to correct.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.audit import log_action, log_action_rows
from kyklos.core.money import ZERO, percent_of, round_money
from kyklos.customers.models import Customer
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event
from kyklos.projects import notices as events
from kyklos.projects import rates
from kyklos.projects.models import (
    Channel,
    PaymentPlan,
    Project,
    ProjectInvoice,
    Quote,
    QuoteLine,
    Signature,
    TimeEntry,
    Variation,
)

DEFAULT_VALIDITY_DAYS = 14
MAX_MINUTES = 24 * 60
#: Amounts above this do not fit the document columns.
MAX_AMOUNT = Decimal("999999999999")


# --- input ------------------------------------------------------------------------------


def _decimal(value, field: str, message: str) -> Decimal:
    if isinstance(value, float):
        raise ValidationError({field: message})
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: message}) from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise ValidationError({field: message})
    return number


def _amount(value, field: str = "amount") -> Decimal:
    number = _decimal(value, field, _("Enter the amount as a number, e.g. 120.50."))
    if number <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    return number


def _text(value, field: str, message: str, limit: int) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters, please.") % {"n": limit}})
    return text


def _ensure_active(customer: Customer) -> None:
    if customer.status != Customer.Status.ACTIVE:
        raise ValidationError({"customer": _("This account is locked.")})


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@dataclass(frozen=True, slots=True)
class QuoteLineSpec:
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")


def _get(item, name: str, default=None):
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _quote_lines(lines: Iterable, currency: str) -> list[QuoteLine]:
    """Checked, unsaved lines: a description, a positive quantity, a price of zero or more."""
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Iterable):
        raise ValidationError({"lines": _("Give the lines as a list.")})
    built = []
    for position, item in enumerate(lines, start=1):
        where = {"n": position}
        description = _text(
            _get(item, "description"),
            "lines",
            _("Line %(n)d needs a description.") % where,
            300,
        )
        quantity = _decimal(
            _get(item, "quantity", "1"),
            "lines",
            _("Line %(n)d: the quantity must be a number.") % where,
        )
        if quantity <= 0 or quantity != quantity.quantize(Decimal("0.001")):
            raise ValidationError(
                {
                    "lines": _("Line %(n)d: the quantity must be positive, at most 3 decimals.")
                    % where
                }
            )
        unit_price = _decimal(
            _get(item, "unit_price"),
            "lines",
            _("Line %(n)d: the unit price must be a number, e.g. 120.50.") % where,
        )
        if unit_price < 0:
            raise ValidationError(
                {"lines": _("Line %(n)d: the unit price cannot be negative.") % where}
            )
        unit_price = round_money(unit_price, currency)
        built.append(
            QuoteLine(
                position=position,
                description=description,
                quantity=quantity,
                unit_price=unit_price,
                amount=round_money(unit_price * quantity, currency),
            )
        )
    return built


def _plan(plan: str, deposit_percent, final_due_days: int) -> tuple[str, Decimal, int]:
    if plan not in PaymentPlan.values:
        raise ValidationError({"plan": _("Unknown payment plan “%(p)s”.") % {"p": plan}})
    if deposit_percent is None:
        deposit_percent = Decimal("50") if plan == PaymentPlan.DEPOSIT else ZERO
    percent = _decimal(deposit_percent, "deposit_percent", _("The deposit is a percentage."))
    if not ZERO <= percent < 100:
        raise ValidationError(
            {"deposit_percent": _("Give the deposit as a percentage from 0 to 99.99.")}
        )
    if not isinstance(final_due_days, int) or not 0 <= final_due_days <= 365:
        raise ValidationError(
            {"final_due_days": _("Give the days for the final invoice as 0 to 365.")}
        )
    return plan, percent, final_due_days


# --- quotes -----------------------------------------------------------------------------


@transaction.atomic
def draft_quote(
    customer: Customer,
    *,
    title: str,
    lines: Iterable,
    source: str = "",
    actor,
    validity_days: int = DEFAULT_VALIDITY_DAYS,
    plan: str = PaymentPlan.DEPOSIT,
    deposit_percent=None,
    final_due_days: int = 30,
    hourly_rate=None,
    notes: str = "",
) -> Quote:
    """A draft quote for ``customer`` (R7.1, R8.5). ``lines`` are mappings or objects
    with ``description``, ``unit_price`` and optionally ``quantity`` (default 1); a draft
    may have no lines yet (a request from a ticket that staff price later), but cannot
    be sent without them. ``source`` says where the request came from (a ticket)."""
    _ensure_active(customer)
    title = _text(title, "title", _("A quote needs a title."), 200)
    currency = settings.KYKLOS_CURRENCY
    built = _quote_lines(lines, currency)
    plan, percent, final_due_days = _plan(plan, deposit_percent, final_due_days)
    if not isinstance(validity_days, int) or not 1 <= validity_days <= 365:
        raise ValidationError({"validity_days": _("A quote is valid 1 to 365 days.")})
    rate = None if hourly_rate in (None, "") else _amount(hourly_rate, "hourly_rate")
    quote = Quote.objects.create(
        customer=customer,
        title=title,
        source=str(source or "")[:100],
        currency=currency,
        language=customer.language,
        validity_days=validity_days,
        plan=plan,
        deposit_percent=percent,
        final_due_days=final_due_days,
        hourly_rate=rate,
        notes=str(notes or ""),
        subtotal=sum((ln.amount for ln in built), ZERO),
        created_at=clock.now(),
        created_by=_user(actor),
    )
    quote.number = f"Q-{quote.created_at.year}-{quote.pk:06d}"
    Quote.objects.filter(pk=quote.pk).update(number=quote.number)
    for line in built:
        line.quote = quote
    QuoteLine.objects.bulk_create(built)
    log_action(
        quote,
        "projects.quote.drafted",
        actor=actor,
        data={"number": quote.number, "subtotal": str(quote.subtotal), "source": quote.source},
    )
    return quote


def _locked_quote(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().select_related("customer").get(pk=quote.pk)


@transaction.atomic
def revise_quote(
    quote: Quote,
    *,
    actor,
    title: str | None = None,
    lines: Iterable | None = None,
    notes: str | None = None,
    validity_days: int | None = None,
) -> Quote:
    """Change a draft, or make a new version of a sent quote (it must be sent again:
    the customer can accept only the version they were shown)."""
    quote = _locked_quote(quote)
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise ValidationError(
            _("A %(status)s quote cannot be changed.") % {"status": quote.get_status_display()}
        )
    changes = {}
    if title is not None:
        changes["title"] = _text(title, "title", _("A quote needs a title."), 200)
    if notes is not None:
        changes["notes"] = str(notes)
    if validity_days is not None:
        if not isinstance(validity_days, int) or not 1 <= validity_days <= 365:
            raise ValidationError({"validity_days": _("A quote is valid 1 to 365 days.")})
        changes["validity_days"] = validity_days
    built = None if lines is None else _quote_lines(lines, quote.currency)
    if built is not None:
        changes["subtotal"] = sum((ln.amount for ln in built), ZERO)
    was_sent = quote.status == Quote.Status.SENT
    if was_sent:
        changes.update(
            version=quote.version + 1, status=Quote.Status.DRAFT, sent_on=None, valid_until=None
        )
    Quote.objects.filter(pk=quote.pk).update(**changes)
    if built is not None:
        quote.lines.all().delete()
        for line in built:
            line.quote = quote
        QuoteLine.objects.bulk_create(built)
    quote.refresh_from_db()
    log_action(
        quote,
        "projects.quote.revised",
        actor=actor,
        data={"version": quote.version, "subtotal": str(quote.subtotal), "was_sent": was_sent},
    )
    return quote


@transaction.atomic
def send_quote(quote: Quote, *, actor) -> Quote:
    """Send a draft to the customer: valid from today for its validity days (R7.1).

    The e-mail carries the quote as a PDF and a Reply-To address that is read, so that
    the customer can accept by replying; the portal link accepts with one click.
    """
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Only a draft quote can be sent."))
    _ensure_active(quote.customer)
    if not quote.lines.exists() or quote.subtotal <= 0:
        raise ValidationError({"lines": _("A quote needs lines with a total above zero.")})
    today = clock.today()
    quote.status, quote.sent_on = Quote.Status.SENT, today
    quote.valid_until = today + timedelta(days=quote.validity_days)
    Quote.objects.filter(pk=quote.pk).update(
        status=quote.status, sent_on=today, valid_until=quote.valid_until
    )
    log_action(
        quote,
        "projects.quote.sent",
        actor=actor,
        data={"version": quote.version, "valid_until": quote.valid_until.isoformat()},
    )
    notices.queue_notice(
        event=events.QUOTE_SENT,
        customer=quote.customer,
        for_date=today,
        context={
            "quote_number": quote.number,
            "quote_title": quote.title,
            "version": quote.version,
            "total": str(quote.subtotal),
            "currency": quote.currency,
            "valid_until": quote.valid_until.isoformat(),
            "reply_to": settings.KYKLOS_PROVIDER["email"],
        },
        attachments=[{"kind": events.QUOTE_PDF, "id": quote.pk}],
        headers={"Reply-To": settings.KYKLOS_PROVIDER["email"]},
    )
    return quote


def quote_snapshot(quote: Quote) -> dict:
    """Exactly what the customer is shown of a version of ``quote``."""
    return {
        "number": quote.number,
        "version": quote.version,
        "title": quote.title,
        "currency": quote.currency,
        "lines": [
            {
                "description": ln.description,
                "quantity": str(ln.quantity),
                "unit_price": str(ln.unit_price),
                "amount": str(ln.amount),
            }
            for ln in quote.lines.order_by("position")
        ],
        "subtotal": str(quote.subtotal),
        "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
        "plan": quote.plan,
        "deposit_percent": str(quote.deposit_percent),
        "final_due_days": quote.final_due_days,
        "hourly_rate": None if quote.hourly_rate is None else str(quote.hourly_rate),
        "notes": quote.notes,
    }


def digest(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Consent:
    """How a customer said yes (R7.1): in the portal, or by an e-mail reply.

    Portal: ``user`` (the login), ``ip_address`` and the ``signer_name`` typed in.
    E-mail: ``signer_email`` (one of the customer's addresses), ``source`` (the reply's
    Message-ID or a note identifying it) and ``signed_at`` (when the reply was sent).
    """

    channel: str
    signer_name: str
    signer_email: str = ""
    source: str = ""
    ip_address: str | None = None
    user_agent: str = ""
    user: object = None
    signed_at: datetime | None = None


def _customer_addresses(customer: Customer) -> set[str]:
    found = {customer.email, customer.secondary_email, customer.admin_email, customer.billing_email}
    return {a.strip().lower() for a in found if a}


def _signature(
    customer: Customer,
    consent: Consent,
    *,
    subject: str,
    reference: str,
    version: int,
    snapshot: dict,
    actor,
) -> Signature:
    """Check ``consent`` and record it (nothing is written when it is refused)."""
    now = clock.now()
    name = _text(consent.signer_name, "signer_name", _("Type the name of the person signing."), 200)
    email = (consent.signer_email or "").strip()
    if consent.channel == Channel.PORTAL:
        user = consent.user
        if (
            user is None
            or not getattr(user, "is_authenticated", False)
            or (customer.user_id != user.pk)
        ):
            raise ValidationError(_("Only the customer's own login can accept in the portal."))
        if not consent.ip_address:
            raise ValidationError(_("The portal acceptance has no source address."))
        signed_at = now
        source = f"portal {consent.ip_address}"
        email = email or user.email or customer.email
    elif consent.channel == Channel.EMAIL:
        if _user(actor) is None:
            raise ValidationError(_("An e-mail acceptance is recorded by a staff member."))
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError(
                {"signer_email": _("Give the address the reply came from.")}
            ) from None
        if email.lower() not in _customer_addresses(customer):
            raise ValidationError(
                {
                    "signer_email": _("%(email)s is not an address of this customer.")
                    % {"email": email}
                }
            )
        source = _text(
            consent.source,
            "source",
            _("Identify the reply (its Message-ID, or date and subject)."),
            300,
        )
        signed_at = consent.signed_at or now
        if signed_at > now:
            raise ValidationError({"signed_at": _("The reply cannot be dated in the future.")})
    else:
        raise ValidationError({"channel": _("Accept by e-mail reply or in the portal.")})
    return Signature.objects.create(
        customer=customer,
        subject=subject,
        reference=reference,
        version=version,
        channel=consent.channel,
        signed_at=signed_at,
        signer_name=name,
        signer_email=email,
        source=source,
        ip_address=consent.ip_address or None,
        user_agent=(consent.user_agent or "")[:300],
        user=consent.user if consent.channel == Channel.PORTAL else None,
        recorded_by=_user(actor) if consent.channel == Channel.EMAIL else None,
        recorded_at=now,
        snapshot=snapshot,
        digest=digest(snapshot),
    )


@transaction.atomic
def accept_quote(quote: Quote, *, version: int, consent: Consent, actor=None) -> Project:
    """The customer accepts ``version`` of a sent quote (R7.1): the acceptance is
    recorded as the signature, the project opens and the deposit is asked for (R7.2)."""
    quote = _locked_quote(quote)
    customer = quote.customer
    # A timely e-mail reply still counts when staff record it after the quote expired.
    late_reply_ok = consent.channel == Channel.EMAIL and quote.status == Quote.Status.EXPIRED
    if quote.status != Quote.Status.SENT and not late_reply_ok:
        raise ValidationError(
            _("Quote %(number)s is %(status)s; it cannot be accepted.")
            % {"number": quote.number, "status": quote.get_status_display().lower()}
        )
    if version != quote.version:
        raise ValidationError(
            {
                "version": _(
                    "Quote %(number)s has changed since version %(v)s; please review "
                    "the current version %(current)d."
                )
                % {"number": quote.number, "v": version, "current": quote.version}
            }
        )
    _ensure_active(customer)
    signed_on = (consent.signed_at or clock.now()).astimezone(clock.provider_tz()).date()
    if signed_on > quote.valid_until:
        raise ValidationError(
            _("Quote %(number)s expired on %(day)s; ask us for a new one.")
            % {"number": quote.number, "day": quote.valid_until.isoformat()}
        )
    if signed_on < quote.sent_on:
        raise ValidationError({"signed_at": _("The reply is older than the quote.")})
    signature = _signature(
        customer,
        consent,
        subject=Signature.Subject.QUOTE,
        reference=quote.reference,
        version=quote.version,
        snapshot=quote_snapshot(quote),
        actor=actor,
    )
    now = clock.now()
    Quote.objects.filter(pk=quote.pk).update(
        status=Quote.Status.ACCEPTED, acceptance=signature, decided_at=now
    )
    quote.status, quote.acceptance, quote.decided_at = Quote.Status.ACCEPTED, signature, now
    log_action(
        quote,
        "projects.quote.accepted",
        actor=actor or consent.user,
        data={
            "version": quote.version,
            "channel": consent.channel,
            "signature": signature.pk,
            "digest": signature.digest,
        },
    )
    return _open_project(quote, actor=actor or consent.user)


def _open_project(quote: Quote, *, actor) -> Project:
    today = clock.today()
    has_deposit = quote.deposit_percent > 0
    project = Project.objects.create(
        customer=quote.customer,
        quote=quote,
        title=quote.title,
        status=Project.Status.AWAITING_DEPOSIT if has_deposit else Project.Status.IN_PROGRESS,
        currency=quote.currency,
        plan=quote.plan,
        deposit_percent=quote.deposit_percent,
        final_due_days=quote.final_due_days,
        hourly_rate=quote.hourly_rate,
        contract_amount=quote.subtotal,
        accepted_on=today,
        started_on=None if has_deposit else today,
        created_at=clock.now(),
    )
    project.number = f"P-{project.created_at.year}-{project.pk:06d}"
    Project.objects.filter(pk=project.pk).update(number=project.number)
    log_action(
        project,
        "projects.project.opened",
        actor=actor,
        data={"quote": quote.number, "contract_amount": str(project.contract_amount)},
    )
    deposit = None
    if has_deposit:
        amount = percent_of(project.contract_amount, project.deposit_percent, project.currency)
        with override(quote.customer.language):
            description = _("Deposit %(percent)s%% — project %(number)s: %(title)s") % {
                "percent": f"{project.deposit_percent.normalize():f}",
                "number": project.number,
                "title": project.title,
            }
        deposit = _issue(
            project,
            ProjectInvoice.Kind.DEPOSIT,
            amount,
            description,
            document_kind=DocumentKind.PROFORMA,
            due_on=today,
            actor=actor,
        )
    notices.queue_notice(
        event=events.QUOTE_ACCEPTED,
        customer=quote.customer,
        for_date=today,
        context={
            "quote_number": quote.number,
            "quote_title": quote.title,
            "project_number": project.number,
            "version": quote.version,
            "deposit_number": deposit.number if deposit else "",
            "deposit_total": str(deposit.total) if deposit else "",
            "currency": project.currency,
        },
    )
    return project


@transaction.atomic
def decline_quote(quote: Quote, *, reason: str = "", actor=None) -> Quote:
    """The customer says no (portal, or staff record their answer)."""
    return _close_quote(quote, Quote.Status.DECLINED, reason, actor, "projects.quote.declined")


@transaction.atomic
def withdraw_quote(quote: Quote, *, reason: str = "", actor) -> Quote:
    """Staff take a draft or sent quote back."""
    return _close_quote(
        quote,
        Quote.Status.WITHDRAWN,
        reason,
        actor,
        "projects.quote.withdrawn",
        allowed=(Quote.Status.DRAFT, Quote.Status.SENT),
    )


def _close_quote(quote, status, reason, actor, action, allowed=(Quote.Status.SENT,)) -> Quote:
    quote = _locked_quote(quote)
    if quote.status not in allowed:
        raise ValidationError(
            _("A %(status)s quote cannot be %(to)s.")
            % {
                "status": quote.get_status_display().lower(),
                "to": Quote.Status(status).label.lower(),
            }
        )
    now = clock.now()
    Quote.objects.filter(pk=quote.pk).update(
        status=status, decided_at=now, decision_note=str(reason or "")[:300]
    )
    quote.status, quote.decided_at = status, now
    log_action(quote, action, actor=actor, data={"reason": reason})
    return quote


def expire_quotes(day: date, run=None) -> dict[str, int]:
    """Daily step: sent quotes whose last valid day is before ``day`` expire (R7.1).
    Set-based and idempotent: one select, one update, one audit insert."""
    rows = list(
        Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=day).values_list(
            "pk", "customer_id", "valid_until"
        )
    )
    if not rows:
        return {"quote_expired": 0}
    with transaction.atomic():
        Quote.objects.filter(pk__in=[pk for pk, _c, _v in rows], status=Quote.Status.SENT).update(
            status=Quote.Status.EXPIRED, decided_at=clock.now()
        )
        log_action_rows(
            (
                (Quote._meta.label_lower, pk, customer_id, {"valid_until": valid.isoformat()})
                for pk, customer_id, valid in rows
            ),
            "projects.quote.expired",
            actor="automation",
        )
    return {"quote_expired": len(rows)}


# --- project invoices -------------------------------------------------------------------


def _issue(
    project: Project,
    kind: str,
    amount: Decimal,
    description: str,
    *,
    due_on: date,
    actor,
    document_kind: str | None = None,
) -> Invoice:
    """Issue one document for ``project`` through billing and link it. Billing announces
    tax documents (with their PDF); a deposit proforma is announced here."""
    customer = project.customer
    day = clock.today()
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=customer,
            kind=document_kind or billing.tax_document_kind(customer),
            lines=[
                billing.LineSpec(
                    description=description, unit_price=amount, product_code=project.number
                )
            ],
            issued_on=day,
            due_on=due_on,
            currency=project.currency,
        ),
        actor=actor,
    )
    ProjectInvoice.objects.create(
        project=project, kind=kind, invoice=invoice, amount=amount, created_at=clock.now()
    )
    if invoice.kind != DocumentKind.PROFORMA:
        return invoice  # billing announces tax documents itself, with their PDF
    notices.queue_notice(
        event=Event.INVOICE_ISSUED,
        customer=customer,
        invoice_id=invoice.pk,
        for_date=day,
        context={
            "invoice_number": invoice.number,
            "total": str(invoice.total),
            "currency": invoice.currency,
            "due_on": invoice.due_on.isoformat(),
            "service_label": project.title,
        },
    )
    return invoice


def _locked_project(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("customer").get(pk=project.pk)


def invoiced_amount(project: Project, kinds=None) -> Decimal:
    """Net amount of the project's documents that are not cancelled."""
    links = project.invoices.exclude(invoice__status=Invoice.Status.CANCELLED)
    if kinds:
        links = links.filter(kind__in=kinds)
    return links.aggregate(total=Sum("amount"))["total"] or ZERO


def variations_total(project: Project) -> Decimal:
    total = ZERO
    for variation in project.variations.filter(status=Variation.Status.CONFIRMED):
        total += variation.signed_amount
    return total


def final_amount(project: Project) -> Decimal:
    """Contract + confirmed added work − confirmed omitted work − what was already
    invoiced (deposit, interim invoices), all net (R7.2, R7.3)."""
    return project.contract_amount + variations_total(project) - invoiced_amount(project)


@transaction.atomic
def issue_interim_invoice(project: Project, *, amount, description: str = "", actor) -> Invoice:
    """A monthly interim invoice on a large project (R7.2), due on receipt."""
    project = _locked_project(project)
    if project.plan != PaymentPlan.MONTHLY:
        raise ValidationError(_("Only projects on the monthly plan get interim invoices."))
    if project.status != Project.Status.IN_PROGRESS:
        raise ValidationError(_("Interim invoices are for projects in progress."))
    amount = round_money(_amount(amount), project.currency)
    left = final_amount(project)
    if amount >= left:
        raise ValidationError(
            {
                "amount": _("%(a)s would leave nothing for the final invoice (%(left)s left).")
                % {"a": amount, "left": left}
            }
        )
    number = project.invoices.filter(kind=ProjectInvoice.Kind.INTERIM).count() + 1
    with override(project.customer.language):
        text = description.strip() or _("Interim invoice %(n)d — project %(number)s: %(title)s") % {
            "n": number,
            "number": project.number,
            "title": project.title,
        }
    invoice = _issue(
        project, ProjectInvoice.Kind.INTERIM, amount, text[:300], due_on=clock.today(), actor=actor
    )
    log_action(
        project,
        "projects.project.interim_invoiced",
        actor=actor,
        data={"invoice": invoice.number, "amount": str(amount)},
    )
    return invoice


@transaction.atomic
def deliver_project(project: Project, *, delivered_on: date | None = None, actor) -> Invoice:
    """The work is delivered: the final invoice is issued, due ``final_due_days`` after
    delivery (R7.2), with confirmed variations (R7.3)."""
    project = _locked_project(project)
    if project.status != Project.Status.IN_PROGRESS:
        raise ValidationError(
            _("A project %(status)s cannot be delivered.")
            % {"status": project.get_status_display().lower()}
        )
    today = clock.today()
    delivered_on = delivered_on or today
    if delivered_on > today or (project.started_on and delivered_on < project.started_on):
        raise ValidationError(
            {"delivered_on": _("The delivery date must be between the start and today.")}
        )
    if project.variations.filter(status=Variation.Status.PROPOSED).exists():
        raise ValidationError(
            _("Variations are still waiting for the customer; confirm or withdraw them first.")
        )
    amount = final_amount(project)
    if amount <= 0:
        raise ValidationError(
            _("Nothing is left to invoice (%(amount)s); a refund needs a credit note.")
            % {"amount": amount}
        )
    with override(project.customer.language):
        description = _("Final invoice — project %(number)s: %(title)s") % {
            "number": project.number,
            "title": project.title,
        }
    invoice = _issue(
        project,
        ProjectInvoice.Kind.FINAL,
        amount,
        description[:300],
        due_on=delivered_on + timedelta(days=project.final_due_days),
        actor=actor,
    )
    Project.objects.filter(pk=project.pk).update(
        status=Project.Status.DELIVERED, delivered_on=delivered_on
    )
    project.status, project.delivered_on = Project.Status.DELIVERED, delivered_on
    log_action(
        project,
        "projects.project.delivered",
        actor=actor,
        data={
            "delivered_on": delivered_on.isoformat(),
            "final_invoice": invoice.number,
            "amount": str(amount),
        },
    )
    return invoice


@transaction.atomic
def cancel_project(project: Project, *, reason: str, actor) -> Project:
    """Stop a project that has not been delivered; its unpaid deposit request is voided.
    Issued tax documents stay (a credit note corrects them, in billing)."""
    project = _locked_project(project)
    if project.status not in (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS):
        raise ValidationError(_("Only a project not yet delivered can be cancelled."))
    reason = _text(reason, "reason", _("Say why the project is cancelled."), 300)
    proformas = list(
        project.invoices.filter(invoice__kind=DocumentKind.PROFORMA).values_list(
            "invoice_id", flat=True
        )
    )
    billing.cancel_proformas(proformas, reason=f"project {project.number} cancelled", actor=actor)
    Project.objects.filter(pk=project.pk).update(status=Project.Status.CANCELLED)
    project.status = Project.Status.CANCELLED
    log_action(project, "projects.project.cancelled", actor=actor, data={"reason": reason})
    return project


def on_invoice_paid(invoice: Invoice, *, actor=None) -> None:
    """``invoice_paid``: a paid deposit starts its project; a paid final invoice passes
    ownership of the work to the customer (R7.5) and completes the project."""
    link = (
        ProjectInvoice.objects.filter(invoice_id=invoice.pk)
        .select_related("project__customer")
        .first()
    )
    if link is None:
        return
    project = link.project
    day = invoice.paid_on or clock.today()
    if link.kind == ProjectInvoice.Kind.DEPOSIT:
        if project.status == Project.Status.AWAITING_DEPOSIT:
            Project.objects.filter(pk=project.pk).update(
                status=Project.Status.IN_PROGRESS, started_on=day
            )
            log_action(
                project, "projects.project.started", actor=actor, data={"deposit": invoice.number}
            )
    elif link.kind == ProjectInvoice.Kind.FINAL and project.ownership_transferred_on is None:
        Project.objects.filter(pk=project.pk).update(
            status=Project.Status.COMPLETED, completed_on=day, ownership_transferred_on=day
        )
        log_action(
            project,
            "projects.project.ownership_transferred",
            actor=actor,
            data={"final_invoice": invoice.number, "on": day.isoformat()},
        )
        notices.queue_notice(
            event=events.PROJECT_COMPLETED,
            customer=project.customer,
            for_date=clock.today(),
            context={
                "project_number": project.number,
                "project_title": project.title,
                "transferred_on": day.isoformat(),
            },
        )


# --- variations (R7.3) ------------------------------------------------------------------


@transaction.atomic
def propose_variation(project: Project, *, kind: str, description: str, amount, actor) -> Variation:
    """Staff propose added or omitted work; the customer is asked to confirm it before
    the work starts (R7.3)."""
    project = _locked_project(project)
    if project.status not in (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS):
        raise ValidationError(_("Variations are for projects not yet delivered."))
    if kind not in Variation.Kind.values:
        raise ValidationError({"kind": _("Say whether work is added or omitted.")})
    description = _text(description, "description", _("Describe the work."), 300)
    amount = round_money(_amount(amount), project.currency)
    if kind == Variation.Kind.OMITTED and amount > final_amount(project):
        raise ValidationError({"amount": _("More than is left to invoice on this project.")})
    position = (
        project.variations.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    variation = Variation.objects.create(
        project=project,
        position=position,
        kind=kind,
        description=description,
        amount=amount,
        proposed_at=clock.now(),
        proposed_by=_user(actor),
    )
    variation.project = project
    log_action(
        variation,
        "projects.variation.proposed",
        actor=actor,
        data={"kind": kind, "amount": str(amount)},
    )
    notices.queue_notice(
        event=events.VARIATION_PROPOSED,
        customer=project.customer,
        for_date=clock.today(),
        context={
            "project_number": project.number,
            "project_title": project.title,
            "variation": variation.reference,
            "kind": kind,
            "description": description,
            "amount": str(amount),
            "currency": project.currency,
        },
        headers={"Reply-To": settings.KYKLOS_PROVIDER["email"]},
    )
    return variation


def variation_snapshot(variation: Variation) -> dict:
    return {
        "project": variation.project.number,
        "variation": variation.reference,
        "kind": variation.kind,
        "description": variation.description,
        "amount": str(variation.amount),
        "currency": variation.project.currency,
    }


def _locked_variation(variation: Variation) -> Variation:
    return (
        Variation.objects.select_for_update()
        .select_related("project__customer")
        .get(pk=variation.pk)
    )


@transaction.atomic
def confirm_variation(variation: Variation, *, consent: Consent, actor=None) -> Variation:
    """The customer confirms a variation, in the portal or by e-mail (R7.3)."""
    variation = _locked_variation(variation)
    if variation.status != Variation.Status.PROPOSED:
        raise ValidationError(_("This variation is no longer waiting for an answer."))
    signature = _signature(
        variation.project.customer,
        consent,
        subject=Signature.Subject.VARIATION,
        reference=variation.reference,
        version=1,
        snapshot=variation_snapshot(variation),
        actor=actor,
    )
    now = clock.now()
    Variation.objects.filter(pk=variation.pk).update(
        status=Variation.Status.CONFIRMED, confirmation=signature, decided_at=now
    )
    variation.status, variation.confirmation, variation.decided_at = (
        Variation.Status.CONFIRMED,
        signature,
        now,
    )
    log_action(
        variation,
        "projects.variation.confirmed",
        actor=actor or consent.user,
        data={"channel": consent.channel, "signature": signature.pk},
    )
    return variation


@transaction.atomic
def decline_variation(variation: Variation, *, actor=None) -> Variation:
    return _close_variation(variation, Variation.Status.DECLINED, actor)


@transaction.atomic
def withdraw_variation(variation: Variation, *, actor) -> Variation:
    return _close_variation(variation, Variation.Status.WITHDRAWN, actor)


def _close_variation(variation, status, actor) -> Variation:
    variation = _locked_variation(variation)
    if variation.status != Variation.Status.PROPOSED:
        raise ValidationError(_("This variation is no longer waiting for an answer."))
    Variation.objects.filter(pk=variation.pk).update(status=status, decided_at=clock.now())
    variation.status = status
    log_action(variation, f"projects.variation.{status}", actor=actor)
    return variation


# --- hours (R7.4) -----------------------------------------------------------------------


def _minutes(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            text = str(value).strip()
            if not text.isdigit():
                raise ValueError
            value = int(text)
        except (TypeError, ValueError):
            raise ValidationError(
                {"minutes": _("Give the time in whole minutes, e.g. 25.")}
            ) from None
    if not 1 <= value <= MAX_MINUTES:
        raise ValidationError(
            {"minutes": _("Give between 1 and %(max)d minutes.") % {"max": MAX_MINUTES}}
        )
    return value


@transaction.atomic
def log_time(
    customer: Customer,
    *,
    minutes,
    description: str,
    rate=None,
    project: Project | None = None,
    reference: str = "",
    actor,
    worked_on: date | None = None,
) -> TimeEntry:
    """Log hourly work for ``customer`` (R7.4). Billed at ``rate`` when given (an agreed
    rate), else the project's, else the customer's agreed rate, else the standard rate in
    force on ``worked_on`` (default today). Entries with the same ``reference`` are one
    request: it is billed at least 15 minutes, then by the minute."""
    minutes = _minutes(minutes)
    description = _text(description, "description", _("Describe the work done."), 300)
    reference = " ".join(str(reference or "").split())[:100]
    given = None if rate in (None, "") else _amount(rate, "rate")
    today = clock.today()
    worked_on = worked_on or today
    if worked_on > today:
        raise ValidationError({"worked_on": _("Time cannot be logged for a future day.")})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    _ensure_active(customer)
    if project is not None:
        if project.customer_id != customer.pk:
            raise ValidationError({"project": _("That project belongs to another customer.")})
        if project.status in (Project.Status.CANCELLED, Project.Status.COMPLETED):
            raise ValidationError({"project": _("That project is closed.")})
    chosen = rates.rate_for(customer.pk, day=worked_on, project=project, given=given)
    before = 0
    if reference:
        before = (
            TimeEntry.objects.filter(customer=customer, reference=reference).aggregate(
                total=Sum("minutes")
            )["total"]
            or 0
        )
    billable = rates.billable_increment(before, minutes)
    entry = TimeEntry.objects.create(
        customer=customer,
        project=project,
        worked_on=worked_on,
        minutes=minutes,
        billable_minutes=billable,
        rate=round_money(chosen.amount, chosen.currency),
        rate_source=chosen.source,
        currency=chosen.currency,
        amount=rates.amount_for(chosen.amount, billable, chosen.currency),
        description=description,
        reference=reference,
        created_at=clock.now(),
        created_by=_user(actor),
    )
    log_action(
        entry,
        "projects.time.logged",
        actor=actor,
        data={
            "minutes": minutes,
            "billable_minutes": billable,
            "rate": str(entry.rate),
            "amount": str(entry.amount),
            "reference": reference,
        },
    )
    return entry


def unbilled_time(customer_id: int, *, through: date | None = None, project=None):
    entries = TimeEntry.objects.filter(customer_id=customer_id, invoice__isnull=True)
    if through is not None:
        entries = entries.filter(worked_on__lte=through)
    if project is not None:
        entries = entries.filter(project=project)
    return entries.order_by("worked_on", "id")


def _time_line(entry: TimeEntry, language: str) -> billing.LineSpec:
    with override(language):
        label = _("%(day)s %(text)s — %(billed)d min at %(rate)s/h") % {
            "day": entry.worked_on.isoformat(),
            "text": entry.description,
            "billed": entry.billable_minutes,
            "rate": entry.rate,
        }
        if entry.reference:
            label = f"{label} ({entry.reference})"
    return billing.LineSpec(
        description=label[:300],
        unit_price=entry.amount,
        product_code="hours",
        period_start=entry.worked_on,
        period_end=entry.worked_on,
    )


@transaction.atomic
def bill_time(
    customer: Customer, *, through: date | None = None, project: Project | None = None, actor
) -> Invoice | None:
    """Invoice the customer's unbilled hours up to ``through`` (default today), one line
    per entry with something to bill; returns the document, or None when nothing is due.
    Entries of a request billed nothing more (inside its 15 minutes) are marked billed
    with it."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    through = through or clock.today()
    entries = list(unbilled_time(customer.pk, through=through, project=project))
    charged = [e for e in entries if e.amount > 0]
    if not charged:
        return None
    currencies = {e.currency for e in charged}
    if len(currencies) > 1:
        raise ValidationError(_("Hours in several currencies; bill them one currency at a time."))
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=customer,
            kind=billing.tax_document_kind(customer),
            lines=[_time_line(e, customer.language) for e in charged],
            issued_on=clock.today(),
            currency=currencies.pop(),
        ),
        actor=actor,
    )
    TimeEntry.objects.filter(pk__in=[e.pk for e in entries]).update(invoice=invoice)
    log_action(
        invoice,
        "projects.time.billed",
        actor=actor,
        data={"entries": len(entries), "through": through.isoformat()},
    )
    return invoice  # billing announces the tax document, with its PDF

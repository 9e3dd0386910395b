"""Quotes (R7.1): :func:`draft_quote` → :func:`revise_quote` … → :func:`send_quote` → the
customer accepts (:func:`accept_quote`, in the portal or by an e-mail reply staff record) or
declines; :func:`expire_quotes` (daily) closes those past their validity. Acceptance opens
the project and asks for the deposit (a proforma, R7.2)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing.models import DocumentKind
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action, log_action_rows
from kyklos.core.money import ZERO, percent_of, round_money
from kyklos.customers.models import Customer
from kyklos.notifications import services as notices
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
)
from kyklos.projects.services.inputs import (
    checked_amount,
    checked_decimal,
    checked_text,
    ensure_active,
)
from kyklos.projects.services.invoices import issue_project_document
from kyklos.projects.services.signatures import Consent, record_signature
from kyklos.projects.services.sla import current_sla

DEFAULT_VALIDITY_DAYS = 14


@dataclass(frozen=True, slots=True)
class QuoteLineSpec:
    description: str
    unit_price: Decimal | None = None
    quantity: Decimal = Decimal("1")
    #: Hours of a kind of work: ``quantity`` is hours, priced at the kind's rate (R7.4).
    kind: object = None
    rush: bool = False


def _get(item, name: str, default=None):
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _quote_lines(lines: Iterable, currency: str, customer_id: int) -> list[QuoteLine]:
    """Checked, unsaved lines: a description, a positive quantity, a price of zero or more.
    A line of hours of a ``kind`` of work without a price is priced at the rate in force
    today for that kind and the customer (rush: the rush rate; R7.4, R7.7)."""
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Iterable):
        raise ValidationError({"lines": _("Give the lines as a list.")})
    built = []
    for position, item in enumerate(lines, start=1):
        where = {"n": position}
        description = checked_text(
            _get(item, "description"),
            "lines",
            _("Line %(n)d needs a description.") % where,
            300,
        )
        quantity = checked_decimal(
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
        kind = rates.work_kind(_get(item, "kind"))
        rush = bool(_get(item, "rush", False))
        price = _get(item, "unit_price")
        if kind is not None and price in (None, ""):
            price = rates.rate_for(customer_id, day=clock.today(), kind=kind, rush=rush).amount
        unit_price = checked_decimal(
            price,
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
                kind=kind,
                rush=rush,
            )
        )
    return built


def _plan(plan: str, deposit_percent, final_due_days: int) -> tuple[str, Decimal, int]:
    if plan not in PaymentPlan.values:
        raise ValidationError({"plan": _("Unknown payment plan “%(p)s”.") % {"p": plan}})
    if deposit_percent is None:
        deposit_percent = Decimal("50") if plan == PaymentPlan.DEPOSIT else ZERO
    percent = checked_decimal(deposit_percent, "deposit_percent", _("The deposit is a percentage."))
    if not ZERO <= percent < 100:
        raise ValidationError(
            {"deposit_percent": _("Give the deposit as a percentage from 0 to 99.99.")}
        )
    if not isinstance(final_due_days, int) or not 0 <= final_due_days <= 365:
        raise ValidationError(
            {"final_due_days": _("Give the days for the final invoice as 0 to 365.")}
        )
    return plan, percent, final_due_days


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
    is_estimate: bool = False,
) -> Quote:
    """A draft quote for ``customer`` (R7.1, R8.5). ``lines`` are mappings or objects
    with ``description``, ``unit_price`` and optionally ``quantity`` (default 1); a draft
    may have no lines yet (a request from a ticket that staff price later), but cannot
    be sent without them. ``source`` says where the request came from (a ticket).
    ``is_estimate``: an estimate, which binds nobody and cannot be accepted (R7.7)."""
    ensure_active(customer)
    title = checked_text(title, "title", _("A quote needs a title."), 200)
    currency = settings.KYKLOS_CURRENCY
    built = _quote_lines(lines, currency, customer.pk)
    plan, percent, final_due_days = _plan(plan, deposit_percent, final_due_days)
    if not isinstance(validity_days, int) or not 1 <= validity_days <= 365:
        raise ValidationError({"validity_days": _("A quote is valid 1 to 365 days.")})
    rate = None if hourly_rate in (None, "") else checked_amount(hourly_rate, "hourly_rate")
    quote = Quote.objects.create(
        customer=customer,
        title=title,
        is_estimate=bool(is_estimate),
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
        created_by=acting_user(actor),
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
        data={
            "number": quote.number,
            "subtotal": str(quote.subtotal),
            "source": quote.source,
            "estimate": quote.is_estimate,
        },
    )
    return quote


def _locked_quote(quote: Quote) -> Quote:
    return (
        Quote.objects.select_for_update(of=("self", "customer"))
        .select_related("customer", "sla_version")
        .get(pk=quote.pk)
    )


@transaction.atomic
def revise_quote(
    quote: Quote,
    *,
    actor,
    title: str | None = None,
    lines: Iterable | None = None,
    notes: str | None = None,
    validity_days: int | None = None,
    is_estimate: bool | None = None,
) -> Quote:
    """Change a draft, or make a new version of a sent quote (it must be sent again:
    the customer can accept only the version they were shown). ``is_estimate=False``
    turns an estimate into a binding quote (and back)."""
    quote = _locked_quote(quote)
    if quote.status not in (Quote.Status.DRAFT, Quote.Status.SENT):
        raise ValidationError(
            _("A %(status)s quote cannot be changed.") % {"status": quote.get_status_display()}
        )
    changes = {}
    if title is not None:
        changes["title"] = checked_text(title, "title", _("A quote needs a title."), 200)
    if notes is not None:
        changes["notes"] = str(notes)
    if validity_days is not None:
        if not isinstance(validity_days, int) or not 1 <= validity_days <= 365:
            raise ValidationError({"validity_days": _("A quote is valid 1 to 365 days.")})
        changes["validity_days"] = validity_days
    if is_estimate is not None:
        changes["is_estimate"] = bool(is_estimate)
    built = None if lines is None else _quote_lines(lines, quote.currency, quote.customer_id)
    if built is not None:
        changes["subtotal"] = sum((ln.amount for ln in built), ZERO)
    was_sent = quote.status == Quote.Status.SENT
    if was_sent:
        changes.update(
            version=quote.version + 1,
            status=Quote.Status.DRAFT,
            sent_on=None,
            valid_until=None,
            sla_version=None,
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
    """Send a draft to the customer: valid from today for its validity days (R7.1), with
    the SLA version in force today attached (R7.7).

    The e-mail carries the quote as a PDF and a Reply-To address that is read, so that
    the customer can accept by replying; the portal link accepts with one click. An
    estimate is sent as such: no validity, nothing to accept (R7.7).
    """
    quote = _locked_quote(quote)
    if quote.status != Quote.Status.DRAFT:
        raise ValidationError(_("Only a draft quote can be sent."))
    ensure_active(quote.customer)
    if not quote.lines.exists() or quote.subtotal <= 0:
        raise ValidationError({"lines": _("A quote needs lines with a total above zero.")})
    sla = current_sla()
    if sla is None:
        raise ValidationError(_("Publish the service level agreement before sending quotes."))
    today = clock.today()
    quote.status, quote.sent_on, quote.sla_version = Quote.Status.SENT, today, sla
    quote.valid_until = None if quote.is_estimate else today + timedelta(days=quote.validity_days)
    Quote.objects.filter(pk=quote.pk).update(
        status=quote.status, sent_on=today, valid_until=quote.valid_until, sla_version=sla
    )
    log_action(
        quote,
        "projects.quote.sent",
        actor=actor,
        data={
            "version": quote.version,
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
            "estimate": quote.is_estimate,
            "sla_version": sla.number,
        },
    )
    context = {
        "quote_number": quote.number,
        "quote_title": quote.title,
        "version": quote.version,
        "total": str(quote.subtotal),
        "currency": quote.currency,
        "sla_version": sla.number,
    }
    headers = {}
    if not quote.is_estimate:  # an estimate asks for no reply: nothing to accept (R7.7)
        context.update(
            valid_until=quote.valid_until.isoformat(), reply_to=settings.KYKLOS_PROVIDER["email"]
        )
        headers = {"Reply-To": settings.KYKLOS_PROVIDER["email"]}
    notices.queue_notice(
        event=events.ESTIMATE_SENT if quote.is_estimate else events.QUOTE_SENT,
        customer=quote.customer,
        for_date=today,
        context=context,
        attachments=[{"kind": events.QUOTE_PDF, "id": quote.pk}],
        headers=headers,
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
        "sla_version": quote.sla_version.number if quote.sla_version_id else None,
        "sla_digest": quote.sla_version.digest if quote.sla_version_id else None,
    }


@transaction.atomic
def accept_quote(quote: Quote, *, version: int, consent: Consent, actor=None) -> Project:
    """The customer accepts ``version`` of a sent quote (R7.1): the acceptance is
    recorded as the signature, the project opens and the deposit is asked for (R7.2)."""
    quote = _locked_quote(quote)
    customer = quote.customer
    if quote.is_estimate:
        raise ValidationError(
            _(
                "%(number)s is an estimate: it binds nobody and cannot be accepted; "
                "ask us for a quote."
            )
            % {"number": quote.number}
        )
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
    ensure_active(customer)
    signed_on = (consent.signed_at or clock.now()).astimezone(clock.provider_tz()).date()
    if signed_on > quote.valid_until:
        raise ValidationError(
            _("Quote %(number)s expired on %(day)s; ask us for a new one.")
            % {"number": quote.number, "day": quote.valid_until.isoformat()}
        )
    if signed_on < quote.sent_on:
        raise ValidationError({"signed_at": _("The reply is older than the quote.")})
    signature = record_signature(
        customer,
        consent,
        subject=Signature.Subject.QUOTE,
        reference=quote.reference,
        version=quote.version,
        snapshot=quote_snapshot(quote),
        actor=actor,
        sla_version=quote.sla_version,
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
            "sla_version": quote.sla_version.number if quote.sla_version_id else None,
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
        deposit = issue_project_document(
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

"""Collections (R6.6) and late interest (R6.7).

Which documents are chased: open **tax documents** (invoices and receipts issued for
delivered work — project milestones, billed hours, interest). Proformas are requests to
pay: an unpaid renewal proforma lets the service expire (the lifecycle's job), and an
unpaid project deposit means the project never starts; neither is a debt.

The daily step :func:`run_collections` works set-based: per step one query per group,
bulk writes, and "done" kept in the data (the case's stage and last reminder), so a
second run for the same day finds nothing to do and a missed day is caught up.

Interest is charged on project documents (``projects.ProjectInvoice``) only, from the day
after the interest-free period; :func:`charge_interest` invoices what has accrued up to a
day, on request or at each month end (the daily step :func:`month_end_interest`).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.audit import log_action, log_action_rows, log_actions
from kyklos.core.money import ZERO, round_money
from kyklos.customers.models import Customer
from kyklos.lifecycle import notices as service_notices
from kyklos.lifecycle.models import Service, State
from kyklos.lifecycle.services import with_addons
from kyklos.lifecycle.transitions import transition_many
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event
from kyklos.payments.models import Payment
from kyklos.projects.models import ProjectInvoice
from kyklos.receivables import interest
from kyklos.receivables import notices as events
from kyklos.receivables.models import CollectionCase, CollectionPolicy, InterestCharge

ACTOR = "automation"
CHASED_KINDS = (DocumentKind.INVOICE, DocumentKind.RECEIPT)
CASE_TYPE = CollectionCase._meta.label_lower
ESCALATED = (CollectionCase.Stage.NOTICE_SENT, CollectionCase.Stage.IN_COLLECTION)


def current_policy() -> CollectionPolicy:
    """The policy with code ``default``, or the built-in defaults (R6.6: 30 days' grace;
    R6.7: 20% a year) when staff have not saved one."""
    return CollectionPolicy.objects.filter(code="default").first() or CollectionPolicy(
        code="default",
        name="Default",
        reminder_days=[7, 21, 28],
    )


def reductions(invoice_ids: list[int]) -> dict[int, list[tuple[date, Decimal]]]:
    """What lowered each document's balance, and when: payments (on their day) and
    credit notes (on their issue day). Two queries."""
    found: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for invoice_id, day, amount in Payment.objects.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id", "paid_on", "amount"
    ):
        found[invoice_id].append((day, amount))
    for invoice_id, day, amount in Invoice.objects.filter(
        related_id__in=invoice_ids, kind=DocumentKind.CREDIT_NOTE
    ).values_list("related_id", "issued_on", "total"):
        found[invoice_id].append((day, amount))
    return found


def outstanding(invoices: list[Invoice]) -> dict[int, Decimal]:
    """What is still owed on each document: its total less payments and credit notes."""
    less = reductions([i.pk for i in invoices])
    return {i.pk: i.total - sum((a for _d, a in less[i.pk]), ZERO) for i in invoices}


# --- the daily run -----------------------------------------------------------------------


def run_collections(day: date, run=None) -> dict[str, int]:
    """Daily step: close what was settled, open cases for documents past due, send the
    reminders due, escalate after the grace period, hand over to collection."""
    policy = current_policy()
    result = {"collection_closed": close_settled_cases(day)}
    result["collection_opened"] = open_cases(day)
    result.update(send_reminders(day, policy))
    result["collection_escalated"] = escalate(day, policy)
    result["collection_handed_over"] = hand_over(day, policy)
    return result


def _batch_size() -> int:
    return settings.KYKLOS_BATCH_SIZE


def _batches(qs, size: int):
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def close_settled_cases(day: date) -> int:
    """Cases whose document is no longer open are closed (paid, wholly credited or
    cancelled); services they suspended come back when the customer is clear."""
    closed = 0
    customers: set[int] = set()
    for status, outcome in (
        (Invoice.Status.PAID, CollectionCase.Outcome.PAID),
        (Invoice.Status.CREDITED, CollectionCase.Outcome.CREDITED),
        (Invoice.Status.CANCELLED, CollectionCase.Outcome.CANCELLED),
    ):
        rows = list(
            CollectionCase.objects.exclude(stage=CollectionCase.Stage.CLOSED)
            .filter(invoice__status=status)
            .values_list("pk", "customer_id", "suspended_service_ids")
        )
        if not rows:
            continue
        with transaction.atomic():
            CollectionCase.objects.filter(pk__in=[pk for pk, _c, _s in rows]).update(
                stage=CollectionCase.Stage.CLOSED, closed_on=day, outcome=outcome
            )
            log_action_rows(
                ((CASE_TYPE, pk, customer, {"outcome": outcome}) for pk, customer, _s in rows),
                "receivables.case.closed",
                actor=ACTOR,
            )
        customers.update(customer for _pk, customer, suspended in rows if suspended)
        closed += len(rows)
    # Only customers whose closed cases had suspended services (paid ones were handled
    # at payment time, so in practice: credited or cancelled documents, which are rare).
    for customer_id in sorted(customers):
        with transaction.atomic():
            _reactivate_if_clear(customer_id, day, ACTOR)
    return closed


def open_cases(day: date) -> int:
    """A case for every open tax document past its due date (R6.6: payable on receipt)."""
    has_case = CollectionCase.objects.filter(invoice=OuterRef("pk"))
    due = (
        Invoice.objects.filter(kind__in=CHASED_KINDS, status=Invoice.Status.OPEN, due_on__lt=day)
        .filter(~Exists(has_case))
        .only("pk", "customer_id")
    )
    opened = 0
    for batch in _batches(due, _batch_size()):
        with transaction.atomic():
            CollectionCase.objects.bulk_create(
                [
                    CollectionCase(invoice=i, customer_id=i.customer_id, opened_on=day)
                    for i in batch
                ],
                ignore_conflicts=True,
            )
        opened += len(batch)
    return opened


def _open_cases():
    return CollectionCase.objects.filter(invoice__status=Invoice.Status.OPEN).select_related(
        "invoice", "customer"
    )


def _case_context(case: CollectionCase, owed: Decimal, **extra) -> dict:
    invoice = case.invoice
    return {
        "customer_name": case.customer.display_name,
        "invoice_number": invoice.number,
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "total": str(owed),
        "currency": invoice.currency,
        **extra,
    }


def send_reminders(day: date, policy: CollectionPolicy) -> dict[str, int]:
    """For each case, the latest reminder whose day has come, if not sent yet; earlier
    ones whose moment passed (a missed run) are not sent late. One query per offset."""
    offsets = sorted(set(policy.reminder_days))
    sent = 0
    for index, offset in enumerate(offsets):
        later = offsets[index + 1] if index + 1 < len(offsets) else None
        due = (
            _open_cases()
            .filter(
                stage=CollectionCase.Stage.OVERDUE,
                invoice__due_on__lte=day - timedelta(days=offset),
                # past the grace the formal notice goes out instead
                invoice__due_on__gte=day - timedelta(days=policy.grace_days),
            )
            .filter(Q(last_reminder_days__isnull=True) | Q(last_reminder_days__lt=offset))
        )
        if later is not None:
            due = due.filter(invoice__due_on__gt=day - timedelta(days=later))
        for batch in _batches(due, _batch_size()):
            owed = outstanding([c.invoice for c in batch])
            rows = []
            for case in batch:
                case.last_reminder_days, case.reminders_sent = offset, case.reminders_sent + 1
                grace_ends = case.invoice.due_on + timedelta(days=policy.grace_days)
                rows.append(
                    notices.build_notice(
                        event=events.COLLECTION_REMINDER,
                        customer_id=case.customer_id,
                        language=case.customer.language,
                        to_email=notices.recipient(events.COLLECTION_REMINDER, case.customer),
                        for_date=day,
                        invoice_id=case.invoice_id,
                        context=_case_context(
                            case,
                            owed[case.invoice_id],
                            days_overdue=(day - case.invoice.due_on).days,
                            grace_ends=grace_ends.isoformat(),
                        ),
                    )
                )
            with transaction.atomic():
                CollectionCase.objects.bulk_update(batch, ["last_reminder_days", "reminders_sent"])
                notices.queue_notices(rows)
                log_actions(
                    ((c, {"days": offset}) for c in batch), "receivables.case.reminded", actor=ACTOR
                )
            sent += len(batch)
    return {"collection_reminder": sent}


def escalate(day: date, policy: CollectionPolicy) -> int:
    """After the grace period (R6.6): suspend the customer's active services through the
    lifecycle, and send the formal notice (a PDF) through the outbox."""
    due = _open_cases().filter(
        stage=CollectionCase.Stage.OVERDUE,
        invoice__due_on__lt=day - timedelta(days=policy.grace_days),
    )
    escalated = 0
    for batch in _batches(due, _batch_size()):
        with transaction.atomic():
            suspended = _suspend_services({c.customer_id for c in batch}, day, policy)
            owed = outstanding([c.invoice for c in batch])
            pay_by = day + timedelta(days=policy.collection_after_days)
            rows = []
            for case in batch:
                case.stage = CollectionCase.Stage.NOTICE_SENT
                case.notice_sent_on = day
                case.suspended_service_ids = [s.pk for s in suspended[case.customer_id]]
                rows.append(
                    notices.build_notice(
                        event=events.FORMAL_NOTICE,
                        customer_id=case.customer_id,
                        language=case.customer.language,
                        to_email=notices.recipient(events.FORMAL_NOTICE, case.customer),
                        for_date=day,
                        invoice_id=case.invoice_id,
                        context=_case_context(
                            case,
                            owed[case.invoice_id],
                            pay_by=pay_by.isoformat(),
                            services=", ".join(
                                s.display_label for s in suspended[case.customer_id]
                            ),
                        ),
                        attachments=[{"kind": events.FORMAL_NOTICE_PDF, "id": case.pk}],
                    )
                )
            CollectionCase.objects.bulk_update(
                batch, ["stage", "notice_sent_on", "suspended_service_ids"]
            )
            notices.queue_notices(rows)
            log_actions(
                (
                    (c, {"suspended": c.suspended_service_ids, "pay_by": pay_by.isoformat()})
                    for c in batch
                ),
                "receivables.case.formal_notice",
                actor=ACTOR,
            )
        escalated += len(batch)
    return escalated


def _suspend_services(
    customer_ids: set[int], day: date, policy: CollectionPolicy
) -> dict[int, list[Service]]:
    """Suspend the customers' active main services and their add-ons; returns the main
    services suspended per customer (three statements per call)."""
    found: dict[int, list[Service]] = defaultdict(list)
    if not policy.suspend_services:
        return found
    services = list(
        Service.objects.filter(
            customer_id__in=customer_ids, state=State.ACTIVE, parent__isnull=True
        ).select_related("product")
    )
    if not services:
        return found
    moved = set(
        transition_many(
            with_addons([s.pk for s in services]),
            State.SUSPENDED,
            day=day,
            reason="collections",
            actor=ACTOR,
        )
    )
    for service in services:
        if service.pk in moved:
            found[service.customer_id].append(service)
    return found


def hand_over(day: date, policy: CollectionPolicy) -> int:
    """The formal notice went unanswered: the debt is "sent to collection" (R6.6)."""
    rows = list(
        _open_cases()
        .filter(
            stage=CollectionCase.Stage.NOTICE_SENT,
            notice_sent_on__lte=day - timedelta(days=policy.collection_after_days),
        )
        .values_list("pk", "customer_id")
    )
    if not rows:
        return 0
    with transaction.atomic():
        CollectionCase.objects.filter(pk__in=[pk for pk, _c in rows]).update(
            stage=CollectionCase.Stage.IN_COLLECTION, collection_on=day
        )
        log_action_rows(
            ((CASE_TYPE, pk, customer, {"on": day.isoformat()}) for pk, customer in rows),
            "receivables.case.sent_to_collection",
            actor=ACTOR,
        )
    return len(rows)


# --- staff and payments -------------------------------------------------------------------


@transaction.atomic
def send_to_collection(case: CollectionCase, *, actor) -> CollectionCase:
    """Staff hand a case over before its day (after the formal notice only)."""
    case = CollectionCase.objects.select_for_update().get(pk=case.pk)
    if case.stage != CollectionCase.Stage.NOTICE_SENT:
        raise ValidationError(_("Only a case whose formal notice was sent can be handed over."))
    day = clock.today()
    CollectionCase.objects.filter(pk=case.pk).update(
        stage=CollectionCase.Stage.IN_COLLECTION, collection_on=day
    )
    case.stage, case.collection_on = CollectionCase.Stage.IN_COLLECTION, day
    log_action(case, "receivables.case.sent_to_collection", actor=actor, data={"by": "staff"})
    return case


@transaction.atomic
def write_off(case: CollectionCase, *, reason: str, actor) -> CollectionCase:
    """Staff close a case without payment (the document itself stays; a credit note, in
    billing, is the only way to reduce it)."""
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the case is written off.")})
    case = CollectionCase.objects.select_for_update().get(pk=case.pk)
    if case.stage == CollectionCase.Stage.CLOSED:
        raise ValidationError(_("This case is already closed."))
    _close(case, CollectionCase.Outcome.WRITTEN_OFF, clock.today(), actor, note=reason[:300])
    _reactivate_if_clear(case.customer_id, clock.today(), actor)
    return case


def _close(case, outcome, day, actor, note="") -> None:
    CollectionCase.objects.filter(pk=case.pk).update(
        stage=CollectionCase.Stage.CLOSED, closed_on=day, outcome=outcome, note=note
    )
    case.stage, case.closed_on, case.outcome = CollectionCase.Stage.CLOSED, day, outcome
    log_action(case, "receivables.case.closed", actor=actor, data={"outcome": outcome})


def on_invoice_paid(invoice: Invoice, *, actor=None) -> None:
    """``invoice_paid``: the case of a paid document closes at once; when the customer
    has no other escalated case, the services collections suspended come back (R3.6)."""
    case = CollectionCase.objects.filter(invoice_id=invoice.pk).first()
    if case is None or case.stage == CollectionCase.Stage.CLOSED:
        return
    day = clock.today()
    _close(case, CollectionCase.Outcome.PAID, day, actor)
    _reactivate_if_clear(case.customer_id, day, actor)


def _reactivate_if_clear(customer_id: int, day: date, actor) -> list[int]:
    cases = CollectionCase.objects.filter(customer_id=customer_id)
    if cases.filter(stage__in=ESCALATED).exists():
        return []
    suspended_ids: set[int] = set()
    for ids in cases.filter(stage=CollectionCase.Stage.CLOSED).values_list(
        "suspended_service_ids", flat=True
    ):
        suspended_ids.update(ids)
    if not suspended_ids:
        return []
    # Only services still suspended and not past their expiry (else the lifecycle's
    # schedule decides: an expired service stays suspended until renewed).
    back = list(
        Service.objects.filter(pk__in=suspended_ids, state=State.SUSPENDED)
        .filter(Q(expires_on__isnull=True) | Q(expires_on__gt=day))
        .select_related("customer", "product__policy")
    )
    if not back:
        return []
    moved = transition_many(
        with_addons([s.pk for s in back]), State.ACTIVE, day=day, reason="paid", actor=actor
    )
    rows = [
        service_notices.notice(service, Event.SERVICE_REACTIVATED, day)
        for service in back
        if service.pk in moved and service.expires_on
    ]
    notices.queue_notices(rows)
    return moved


# --- late interest (R6.7) ----------------------------------------------------------------


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_end_interest(day: date, run=None) -> dict[str, int]:
    """Daily step: on a month's last day, invoice the interest accrued through it; on
    other days, catch up through the last month end (idempotent)."""
    through = day if day == month_end(day) else day.replace(day=1) - timedelta(days=1)
    documents = charge_interest(through=through, actor=ACTOR)
    return {"interest_invoice": len(documents)}


def interest_candidates(through: date, policy: CollectionPolicy, customer_ids=None):
    """Project tax documents on which interest may have accrued by ``through``."""
    latest = (
        InterestCharge.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(last=Max("last_day"))
        .values("last")
    )
    project_doc = ProjectInvoice.objects.filter(invoice=OuterRef("pk"))
    qs = (
        Invoice.objects.filter(kind__in=CHASED_KINDS)
        .filter(Exists(project_doc))
        .filter(due_on__lt=through - timedelta(days=policy.interest_free_days))
        .filter(
            Q(status=Invoice.Status.OPEN)
            | Q(
                status=Invoice.Status.PAID,
                paid_on__gt=ExpressionWrapper(
                    F("due_on") + timedelta(days=policy.interest_free_days),
                    output_field=DateField(),
                ),
            )
        )
        .annotate(charged_through=Subquery(latest[:1]))
        .select_related("customer")
    )
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=customer_ids)
    return qs


@transaction.atomic
def charge_interest(*, through: date, actor, customer: Customer | None = None) -> list[Invoice]:
    """Invoice the late interest accrued on project balances up to ``through`` (R6.7):
    one tax document per customer, a line per overdue document, each day charged once.
    On request (``customer``) or at month end (all customers)."""
    if through > clock.today():
        raise ValidationError({"through": _("Interest cannot be charged for future days.")})
    policy = current_policy()
    candidates = list(
        interest_candidates(through, policy, None if customer is None else [customer.pk])
    )
    if not candidates:
        return []
    payments = reductions([c.pk for c in candidates])

    charges: dict[int, list[InterestCharge]] = defaultdict(list)
    by_customer: dict[int, Customer] = {}
    now = clock.now()
    for doc in candidates:
        first = interest.interest_start(doc.due_on, policy.interest_free_days)
        if doc.charged_through is not None:
            first = max(first, doc.charged_through + timedelta(days=1))
        last = through if doc.status == Invoice.Status.OPEN else min(through, doc.paid_on)
        found = interest.segments(
            total=doc.total, payments=payments[doc.pk], first_day=first, last_day=last
        )
        amount = round_money(interest.amount(found, policy.interest_rate), doc.currency)
        if amount <= 0:
            continue
        by_customer[doc.customer_id] = doc.customer
        charges[doc.customer_id].append(
            InterestCharge(
                invoice=doc,
                customer_id=doc.customer_id,
                first_day=found[0].first_day,
                last_day=found[-1].last_day,
                days=sum(s.days for s in found),
                rate=policy.interest_rate,
                segments=[s.as_dict() for s in found],
                amount=amount,
                created_at=now,
            )
        )
    if not charges:
        return []
    specs = []
    for customer_id, rows in charges.items():
        buyer = by_customer[customer_id]
        specs.append(
            billing.DocumentSpec(
                customer=buyer,
                kind=billing.tax_document_kind(buyer),
                lines=[_interest_line(c, buyer.language) for c in rows],
                issued_on=clock.today(),
                currency=rows[0].invoice.currency,
            )
        )
    documents = billing.issue_documents(specs, actor=actor)
    all_charges = []
    for document, rows in zip(documents, charges.values(), strict=True):
        for charge in rows:
            charge.charged_on = document
            all_charges.append(charge)
    # Billing announces each tax document to the customer, with its PDF.
    InterestCharge.objects.bulk_create(all_charges)
    log_actions(
        (
            (c, {"amount": str(c.amount), "days": c.days, "on": c.invoice.number})
            for c in all_charges
        ),
        "receivables.interest.charged",
        actor=actor,
    )
    return documents


def _interest_line(charge: InterestCharge, language: str) -> billing.LineSpec:
    with override(language):
        text = _(
            "Late interest %(rate)s%% a year on %(number)s, %(first)s to %(last)s (%(days)d days)"
        ) % {
            "rate": f"{charge.rate.normalize():f}",
            "number": charge.invoice.number,
            "first": charge.first_day.isoformat(),
            "last": charge.last_day.isoformat(),
            "days": charge.days,
        }
    return billing.LineSpec(
        description=text[:300],
        unit_price=charge.amount,
        product_code="interest",
        period_start=charge.first_day,
        period_end=charge.last_day,
    )


def accrued_interest(invoice: Invoice, *, through: date) -> Decimal:
    """Interest accrued and not yet invoiced on ``invoice`` up to ``through`` (a read,
    for the formal notice and the admin)."""
    policy = current_policy()
    if not ProjectInvoice.objects.filter(invoice=invoice).exists():
        return ZERO
    last_charged = invoice.interest_charges.aggregate(last=Max("last_day"))["last"]
    first = interest.interest_start(invoice.due_on, policy.interest_free_days)
    if last_charged is not None:
        first = max(first, last_charged + timedelta(days=1))
    last = through if invoice.status == Invoice.Status.OPEN else min(through, invoice.paid_on)
    paid = reductions([invoice.pk])[invoice.pk]
    found = interest.segments(total=invoice.total, payments=paid, first_day=first, last_day=last)
    return round_money(interest.amount(found, policy.interest_rate), invoice.currency)

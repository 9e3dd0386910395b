"""Collection cases (R6.6): opened for documents past due, closed when settled or written
off, handed over to collection when the formal notice goes unanswered.

The daily steps work set-based: one query per group, bulk writes, and "done" kept in the
data (the case's stage), so a second run for the same day finds nothing to do and a
missed day is caught up. When a customer is clear again, the services their cases
suspended come back through the lifecycle.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils.translation import gettext as _

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.audit import log_action, log_action_rows
from kyklos.lifecycle import services as lifecycle
from kyklos.notifications import services as notices
from kyklos.notifications.models import Outbox
from kyklos.receivables.models import CollectionCase, CollectionPolicy
from kyklos.receivables.services.policy import ACTOR, CHASED_KINDS

CASE_TYPE = CollectionCase._meta.label_lower
ESCALATED = (CollectionCase.Stage.NOTICE_SENT, CollectionCase.Stage.IN_COLLECTION)


def batches(qs, size: int | None = None, *, select_first: bool = False):
    """``qs`` in primary-key order, ``size`` rows at a time (``KYKLOS_BATCH_SIZE``).

    ``select_first`` sorts by an expression of the key (the same order), so that the
    database selects the rows through an index of the filters and sorts them, instead of
    walking the primary key in order and filtering every row on the way — which it
    prefers when it expects many rows to pass, and which reads every document when none
    does (the daily run's search for documents past due: 2.9 s at 2 million documents,
    0.1 ms through ``invoice_open``)."""
    size = size or settings.KYKLOS_BATCH_SIZE
    order = (F("pk") + 0).asc() if select_first else "pk"
    last = 0
    while True:
        batch = list(qs.filter(pk__gt=last).order_by(order)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def open_document_cases():
    """Cases whose document is still open, with the document and the customer."""
    return CollectionCase.objects.filter(invoice__status=Invoice.Status.OPEN).select_related(
        "invoice", "customer"
    )


def case_notice(
    case: CollectionCase,
    event: str,
    day: date,
    owed: Decimal,
    *,
    attachments: list[dict] | None = None,
    **extra,
) -> Outbox:
    """An unsaved notice about ``case`` to the customer's billing address, saying what is
    ``owed``, plus ``extra`` context (callers queue many with ``queue_notices``)."""
    invoice = case.invoice
    return notices.build_notice(
        event=event,
        customer_id=case.customer_id,
        language=case.customer.language,
        to_email=notices.recipient(event, case.customer),
        for_date=day,
        invoice_id=case.invoice_id,
        attachments=attachments,
        context={
            "customer_name": case.customer.display_name,
            "invoice_number": invoice.number,
            "issued_on": invoice.issued_on.isoformat(),
            "due_on": invoice.due_on.isoformat(),
            "total": str(owed),
            "currency": invoice.currency,
            **extra,
        },
    )


# --- the daily run -----------------------------------------------------------------------


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
    for batch in batches(due, select_first=True):
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


def hand_over(day: date, policy: CollectionPolicy) -> int:
    """The formal notice went unanswered: the debt is "sent to collection" (R6.6)."""
    rows = list(
        open_document_cases()
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
    """When no case of the customer is escalated any more, the services their closed
    cases suspended come back (the lifecycle decides which: not the expired ones)."""
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
    return lifecycle.reactivate_after_debt(sorted(suspended_ids), day=day, actor=actor)

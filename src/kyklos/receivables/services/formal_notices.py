"""The formal notice after the grace period (R6.6): the customer's active services are
suspended through the lifecycle, and the notice (a PDF) goes out through the outbox."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.db import transaction

from kyklos.core.audit import log_actions
from kyklos.lifecycle import services as lifecycle
from kyklos.lifecycle.models import Service
from kyklos.notifications import services as notices
from kyklos.receivables import notices as events
from kyklos.receivables.models import CollectionCase, CollectionPolicy
from kyklos.receivables.services.cases import batches, case_notice, open_document_cases
from kyklos.receivables.services.policy import ACTOR, outstanding


def escalate(day: date, policy: CollectionPolicy) -> int:
    """After the grace period (R6.6): suspend the customer's active services through the
    lifecycle, and send the formal notice (a PDF) through the outbox."""
    due = open_document_cases().filter(
        stage=CollectionCase.Stage.OVERDUE,
        invoice__due_on__lt=day - timedelta(days=policy.grace_days),
    )
    escalated = 0
    for batch in batches(due):
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
                    case_notice(
                        case,
                        events.FORMAL_NOTICE,
                        day,
                        owed[case.invoice_id],
                        attachments=[{"kind": events.FORMAL_NOTICE_PDF, "id": case.pk}],
                        pay_by=pay_by.isoformat(),
                        services=", ".join(s.display_label for s in suspended[case.customer_id]),
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
    """The main services suspended per customer, when the policy suspends at all."""
    if not policy.suspend_services:
        return defaultdict(list)
    return lifecycle.suspend_for_debt(customer_ids, day=day, actor=ACTOR)

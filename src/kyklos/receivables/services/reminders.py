"""The reminders of an open collection case during its grace period (R6.6)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from kyklos.core.audit import log_actions
from kyklos.notifications import services as notices
from kyklos.receivables import notices as events
from kyklos.receivables.models import CollectionCase, CollectionPolicy
from kyklos.receivables.services.cases import batches, case_notice, open_document_cases
from kyklos.receivables.services.policy import ACTOR, outstanding


def send_reminders(day: date, policy: CollectionPolicy) -> dict[str, int]:
    """For each case, the latest reminder whose day has come, if not sent yet; earlier
    ones whose moment passed (a missed run) are not sent late. One query per offset."""
    offsets = sorted(set(policy.reminder_days))
    sent = 0
    for index, offset in enumerate(offsets):
        later = offsets[index + 1] if index + 1 < len(offsets) else None
        due = (
            open_document_cases()
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
        for batch in batches(due):
            owed = outstanding([c.invoice for c in batch])
            rows = []
            for case in batch:
                case.last_reminder_days, case.reminders_sent = offset, case.reminders_sent + 1
                grace_ends = case.invoice.due_on + timedelta(days=policy.grace_days)
                rows.append(
                    case_notice(
                        case,
                        events.COLLECTION_REMINDER,
                        day,
                        owed[case.invoice_id],
                        days_overdue=(day - case.invoice.due_on).days,
                        grace_ends=grace_ends.isoformat(),
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

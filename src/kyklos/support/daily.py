"""The SLA check (R8.2, R8.3): warn at a share of the target, escalate at the breach.

:func:`check` is set-based and idempotent. It selects the tickets whose clock runs (not
waiting on the customer, not resolved) and whose warning or due moment has passed with
no :class:`SlaEvent` for that moment yet, then writes the events, the staff notices and
the audit events with bulk statements. A warning goes to the assignee (else the
department lead), a breach to the department lead (else the assignee). Two checks never
overlap: each locks the single :class:`SlaCheck` row first.

It runs in the daily run (step ``support.sla_check``) and from ``kyklos sla-check`` (cron, every
few minutes).
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from kyklos.core import clock
from kyklos.core.audit import log_action_rows
from kyklos.core.registry import registry
from kyklos.notifications import services as notices
from kyklos.support.models import ACTIVE_STATUSES, SlaCheck, SlaEvent, Ticket
from kyklos.support.services import catalog_notices, uptime

ACTOR = "sla-check"

#: target → (due field, warning field, field set once the target is met)
TARGETS = {
    SlaEvent.Target.FIRST_RESPONSE: (
        "first_response_due",
        "first_response_warn",
        "first_responded_at",
    ),
    SlaEvent.Target.RESOLUTION: ("resolution_due", "resolution_warn", "resolved_at"),
}


def ticket_url(pk: int) -> str:
    return f"{settings.KYKLOS_PORTAL_URL.rstrip('/')}/desk/tickets/{pk}/"


def check(now: datetime | None = None) -> dict[str, int]:
    """Record and notify every warning and breach due at ``now``; ``{kind: count}``."""
    now = now or clock.now()
    counts = {"sla_warnings": 0, "sla_breaches": 0}
    with transaction.atomic():
        # The row is seeded by the migrations; created here only if someone deleted it.
        lock = SlaCheck.objects.select_for_update().filter(pk=1).first()
        if lock is None:
            SlaCheck.objects.get_or_create(pk=1)
            lock = SlaCheck.objects.select_for_update().get(pk=1)
        for target, (due_field, warn_field, met_field) in TARGETS.items():
            running = Ticket.objects.filter(
                status__in=ACTIVE_STATUSES,
                paused_since__isnull=True,
                sla_void_reason="",
                **{f"{met_field}__isnull": True},
            )
            counts["sla_breaches"] += _record(
                running, target, SlaEvent.Kind.BREACH, due_field, due_field, now
            )
            counts["sla_warnings"] += _record(
                running, target, SlaEvent.Kind.WARNING, warn_field, due_field, now
            )
        lock.last_run_at = now
        lock.warnings += counts["sla_warnings"]
        lock.breaches += counts["sla_breaches"]
        lock.save()
    return counts


def _record(running, target: str, kind: str, moment_field: str, due_field: str, now) -> int:
    done = SlaEvent.objects.filter(
        ticket=OuterRef("pk"), target=target, kind=kind, due_at=OuterRef(due_field)
    )
    due = running.filter(**{f"{moment_field}__lte": now}).filter(~Exists(done))
    if kind == SlaEvent.Kind.WARNING:
        # A warning whose breach has also come is recorded but not sent: the breach was.
        silent = Q(**{f"{due_field}__lte": now})
    else:
        silent = Q(pk__in=[])
    tickets = list(
        due.select_related("assignee", "department__lead")
        .order_by("pk")
        .only(
            "pk",
            "number",
            "subject",
            "customer_id",
            due_field,
            "assignee__email",
            "assignee__is_active",
            "department__code",
            "department__lead__email",
            "department__lead__is_active",
        )
    )
    if not tickets:
        return 0
    silent_ids = set(due.filter(silent).values_list("pk", flat=True))
    events, rows, audit = [], [], []
    for ticket in tickets:
        due_at = getattr(ticket, due_field)
        person = _recipient(ticket, kind)
        if ticket.pk in silent_ids:
            person = None
        events.append(
            SlaEvent(
                ticket=ticket, target=target, kind=kind, due_at=due_at, at=now, notified=person
            )
        )
        if person is not None:
            rows.append(
                notices.build_notice(
                    event=f"sla_{kind}",
                    customer_id=None,
                    language=settings.LANGUAGE_CODE,
                    to_email=person.email,
                    context={
                        "ticket_number": ticket.number,
                        "ticket_subject": ticket.subject,
                        "target": target,
                        "due_at": due_at.isoformat(),
                        "url": ticket_url(ticket.pk),
                    },
                    for_date=now.astimezone(clock.provider_tz()).date(),
                )
            )
        audit.append(
            (
                "support.ticket",
                ticket.pk,
                ticket.customer_id,
                {
                    "target": target,
                    "due_at": due_at.isoformat(),
                    "notified": person.pk if person else None,
                },
            )
        )
    SlaEvent.objects.bulk_create(events, batch_size=settings.KYKLOS_BATCH_SIZE)
    notices.queue_notices(rows)
    log_action_rows(audit, f"support.sla.{kind}", actor=ACTOR)
    return len(events)


def _recipient(ticket: Ticket, kind: str):
    """Who hears of it: the assignee for a warning, the department lead for a breach,
    each falling back to the other; None when neither has an address."""
    people = [ticket.assignee, ticket.department.lead]
    if kind == SlaEvent.Kind.BREACH:
        people.reverse()
    for person in people:
        if person is not None and person.is_active and person.email:
            return person
    return None


def daily_step(day: date, run) -> dict[str, int]:
    """The SLA check at the moment of the daily run (warnings and breaches)."""
    return check(clock.now())


def uptime_credit(day: date, run) -> dict[str, int]:
    """R5.3: evaluate the year before ``day`` once it has closed; credit a month below 99.9 %."""
    return uptime.credit_year(day.year - 1, today=day)


def product_withdrawal(day: date, run) -> dict[str, int]:
    """R5.8: withdrawn products off sale, their holders told, renewals ended after notice."""
    return catalog_notices.product_withdrawal(day)


def repricing(day: date, run) -> dict[str, int]:
    """R5.9: foreign-currency prices whose rate moved 20 % re-priced a month on, told."""
    return catalog_notices.repricing(day)


def register() -> None:
    registry.register_daily_step("support.sla_check", daily_step)
    registry.register_daily_step("support.product_withdrawal", product_withdrawal)
    registry.register_daily_step("support.repricing", repricing)
    registry.register_daily_step("support.uptime_credit", uptime_credit)

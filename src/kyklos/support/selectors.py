"""Reads of the support desk: finding a ticket for an e-mail, the staff queue, a
customer's tickets and a ticket's thread."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time
from decimal import ROUND_DOWN, Decimal

from django.db.models import Case, F, Prefetch, QuerySet, Value, When
from django.db.models.fields import IntegerField

from kyklos.catalog.models import ProductType
from kyklos.core import clock
from kyklos.lifecycle.models import FINAL_STATES, Service
from kyklos.support.models import (
    ACTIVE_STATUSES,
    Attachment,
    Message,
    OutageReport,
    Status,
    Ticket,
)

#: A ticket number as it appears in subjects (``[#T-2027-000123]``) and in the
#: Message-IDs Kyklos sends (``<T-2027-000123.9f3a…@domain>``).
NUMBER = re.compile(r"\bT-(\d{4})-(\d{6})\b")


def number_in(text: str) -> str | None:
    """The first ticket number in ``text`` (a subject or a Message-ID), or None."""
    match = NUMBER.search(text or "")
    return match.group(0) if match else None


def ticket_by_number(number: str | None) -> Ticket | None:
    return Ticket.objects.filter(number=number).first() if number else None


def ticket_for_message_ids(message_ids: Iterable[str]) -> Ticket | None:
    """The ticket an e-mail answers, from its In-Reply-To and References ids: a stored
    message with one of those ids, else a Kyklos Message-ID naming the ticket."""
    ids = [i.strip() for i in message_ids if i and i.strip()]
    if not ids:
        return None
    message = (
        Message.objects.filter(message_id__in=ids).select_related("ticket").order_by("-id").first()
    )
    if message is not None:
        return message.ticket
    for value in reversed(ids):
        ticket = ticket_by_number(number_in(value))
        if ticket is not None:
            return ticket
    return None


def tickets_for_customer(customer_id: int) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer_id=customer_id)
        .select_related("department", "service")
        .order_by("-opened_at", "-id")
    )


def thread(ticket: Ticket, *, include_notes: bool) -> list[Message]:
    """A ticket's messages, oldest first, with their attachments (two queries)."""
    rows = Message.objects.filter(ticket=ticket).select_related("author")
    if not include_notes:
        rows = rows.filter(kind=Message.Kind.REPLY)
    return list(
        rows.prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        ).order_by("created_at", "id")
    )


def queue(
    *,
    department: str | None = None,
    assignee_id: int | None = None,
    statuses: Iterable[str] = ACTIVE_STATUSES,
) -> QuerySet[Ticket]:
    """The staff queue: active tickets, the least time left first. A ticket whose clock
    runs sorts by the earlier of its open targets; paused tickets (waiting on the
    customer) come after them."""
    rows = Ticket.objects.filter(status__in=list(statuses)).select_related(
        "customer", "department", "assignee"
    )
    if department:
        rows = rows.filter(department__code=department)
    if assignee_id is not None:
        rows = rows.filter(assignee_id=assignee_id)
    next_due = Case(
        When(
            first_responded_at__isnull=True,
            first_response_due__lt=F("resolution_due"),
            then=F("first_response_due"),
        ),
        default=F("resolution_due"),
    )
    paused = Case(
        When(paused_since__isnull=False, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return rows.annotate(next_due=next_due, is_paused_sort=paused).order_by(
        "is_paused_sort", "next_due", "id"
    )


def time_left(ticket: Ticket, now: datetime):
    """Time to the ticket's next due moment (negative when overdue); None when paused or
    done."""
    if ticket.paused_since is not None or ticket.status in (Status.RESOLVED, Status.CLOSED):
        return None
    due = getattr(ticket, "next_due", None) or ticket.resolution_due
    if ticket.first_responded_at is None and ticket.first_response_due < due:
        due = ticket.first_response_due
    return due - now


# --- the uptime promise (R5.3) ------------------------------------------------------------

#: R5.3: a year's availability below this (percent) earns a month's credit
PROMISE = Decimal("99.900")
#: R5.3 covers web and database servers: the hosting services
UPTIME_PRODUCT_TYPES = (ProductType.SHARED_HOSTING,)
_PLACES = Decimal("0.001")


def counted_seconds(report: OutageReport) -> int:
    """The seconds an outage report counts as downtime: none when excluded, else from the
    later of its start and the customer's report to its end."""
    if report.exclusion:
        return 0
    start = max(report.started_at, report.reported_at)
    return max(0, int((report.ended_at - start).total_seconds()))


def _year_window(service: Service, year: int, now: datetime) -> tuple[datetime, datetime]:
    tz = clock.provider_tz()
    start = datetime(year, 1, 1, tzinfo=tz)
    end = min(datetime(year + 1, 1, 1, tzinfo=tz), now)
    if service.started_on:
        start = max(start, datetime.combine(service.started_on, time(0), tzinfo=tz))
    if service.state in FINAL_STATES:
        end = min(end, datetime.combine(service.state_changed_on, time(0), tzinfo=tz))
    return start, end


def _availability(window: tuple[datetime, datetime], reports: Iterable[OutageReport]) -> Decimal:
    start, end = window
    total = int((end - start).total_seconds())
    if total <= 0:
        return Decimal("100.000")
    spans = sorted(
        (max(r.started_at, r.reported_at, start), min(r.ended_at, end))
        for r in reports
        if not r.exclusion
    )
    down, reach = 0, start
    for begin, finish in spans:
        begin = max(begin, reach)
        if finish > begin:
            down += int((finish - begin).total_seconds())
            reach = finish
    value = Decimal(total - down) * 100 / Decimal(total)
    return value.quantize(_PLACES, rounding=ROUND_DOWN)


def _counted_reports(year: int):
    tz = clock.provider_tz()
    return OutageReport.objects.filter(
        exclusion="",
        ended_at__gt=datetime(year, 1, 1, tzinfo=tz),
        started_at__lt=datetime(year + 1, 1, 1, tzinfo=tz),
    )


def availability(service: Service, year: int) -> Decimal:
    """The hosting service's availability in ``year`` in percent (three decimals, rounded
    down so that a figure shown as 99.900 never hides one below the promise): the share of
    the year (the part the service ran, up to now) without counted downtime (R5.3)."""
    window = _year_window(service, year, clock.now())
    return _availability(window, _counted_reports(year).filter(service=service))


def availability_for(services: Iterable[Service], year: int) -> dict[int, Decimal]:
    """:func:`availability` of many services with one query (the portal's service rows);
    only hosting services are in the result."""
    covered = [s for s in services if s.product.type in UPTIME_PRODUCT_TYPES]
    by_service: dict[int, list[OutageReport]] = {s.pk: [] for s in covered}
    for report in _counted_reports(year).filter(service__in=[s.pk for s in covered]):
        by_service[report.service_id].append(report)
    now = clock.now()
    return {s.pk: _availability(_year_window(s, year, now), by_service[s.pk]) for s in covered}


def services_to_evaluate(year: int) -> QuerySet[Service]:
    """Hosting services with a counted outage in ``year`` whose year is not evaluated."""
    return (
        Service.objects.filter(
            pk__in=_counted_reports(year).values("service_id"),
            product__type__in=UPTIME_PRODUCT_TYPES,
        )
        .exclude(uptime_years__year=year)
        .select_related("customer", "product")
        .order_by("pk")
    )


def outage_services(ticket: Ticket) -> QuerySet[Service]:
    """The hosting services an outage reported in ``ticket`` may concern."""
    if ticket.customer_id is None:
        return Service.objects.none()
    return Service.objects.filter(
        customer_id=ticket.customer_id, product__type__in=UPTIME_PRODUCT_TYPES
    ).select_related("product")


def customer_availability(customer_id: int, year: int) -> list[tuple[Service, Decimal]]:
    """The customer's hosting services that had counted downtime in ``year``, each with its
    availability (one query; every other hosting service stands at 100 %). The dashboard's
    uptime block; a service page calls :func:`availability`."""
    reports = (
        _counted_reports(year)
        .filter(service__customer_id=customer_id, service__product__type__in=UPTIME_PRODUCT_TYPES)
        .select_related("service__product")
        .order_by("service_id", "started_at")
    )
    by_service: dict[int, list[OutageReport]] = {}
    services: dict[int, Service] = {}
    for report in reports:
        by_service.setdefault(report.service_id, []).append(report)
        services[report.service_id] = report.service
    now = clock.now()
    return [
        (service, _availability(_year_window(service, year, now), by_service[pk]))
        for pk, service in services.items()
    ]


def sla_health(now: datetime) -> dict:
    """The SLA at a glance for the staff console: this month's tickets whose resolution
    target is decided and the share met (the monthly report's rule), and the active
    tickets now past a target (first response or resolution) or within a day of one."""
    from datetime import timedelta

    from kyklos.support import report

    local = now.astimezone(clock.provider_tz())
    rows = [r for r in report.monthly(local.year, local.month, now=now) if r.department == "*"]
    decided = sum(r.decided for r in rows)
    met = sum(r.met for r in rows)
    active = queue().filter(paused_since__isnull=True, sla_void_reason="")
    late = active.filter(next_due__lt=now).count()
    soon = active.filter(next_due__gte=now, next_due__lt=now + timedelta(days=1)).count()
    return {
        "decided": decided,
        "met": met,
        "missed": decided - met,
        "percent_met": round(100 * met / decided, 1) if decided else None,
        "late": late,
        "due_soon": soon,
        "on_track": active.count() - late - soon,
    }

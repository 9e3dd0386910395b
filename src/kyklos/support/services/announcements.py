"""Planned maintenance announcements (R12.2): e-mailed with day, time and expected
downtime to the customers whose live services run on the affected servers or are of the
affected products. Recipients are chosen with one query and the notices written with
one bulk insert; an announcement is sent once."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.lifecycle.models import LIVE_STATES, Service
from kyklos.notifications import services as notices
from kyklos.support.models import Announcement

EVENT = "maintenance"


def affected_services(announcement: Announcement):
    """The live services on the announcement's servers or of its products."""
    where = Q(pk__in=announcement.servers.values("services")) | Q(
        product__in=announcement.products.values("pk")
    )
    return Service.objects.filter(where, state__in=LIVE_STATES)


def announce(announcement: Announcement, *, actor=None) -> int:
    """Queue the announcement to every affected customer; returns how many."""
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if announcement.sent_at is not None:
            raise ValidationError(_("This announcement was already sent."))
        if not announcement.servers.exists() and not announcement.products.exists():
            raise ValidationError(_("Name the affected servers or products first."))
        rows = (
            affected_services(announcement)
            .select_related("customer", "product")
            .order_by("customer_id", "id")
        )
        by_customer: dict[int, list[Service]] = defaultdict(list)
        for service in rows:
            by_customer[service.customer_id].append(service)
        ends_at = announcement.starts_at + timedelta(minutes=announcement.downtime_minutes)
        today = clock.today()
        batch = []
        for items in by_customer.values():
            customer = items[0].customer
            batch.append(
                notices.build_notice(
                    event=EVENT,
                    customer_id=customer.pk,
                    language=customer.language,
                    to_email=notices.recipient(EVENT, customer),
                    context={
                        "customer_name": customer.display_name,
                        "title": announcement.title,
                        "starts_at": announcement.starts_at.isoformat(),
                        "ends_at": ends_at.isoformat(),
                        "downtime_minutes": announcement.downtime_minutes,
                        "details": announcement.details,
                        "services": [s.display_label for s in items],
                    },
                    for_date=today,
                )
            )
        notices.queue_notices(batch, batch_size=settings.KYKLOS_BATCH_SIZE)
        announcement.sent_at = clock.now()
        announcement.recipients = len(batch)
        announcement.save(update_fields=["sent_at", "recipients"])
        log_action(
            announcement, "support.announcement.sent", actor=actor, data={"recipients": len(batch)}
        )
    return len(batch)

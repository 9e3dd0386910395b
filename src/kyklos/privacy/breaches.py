"""The breach register (GDPR art. 33–34, R9.6): the 72-hour clock from awareness."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from kyklos.core import clock, messaging
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.privacy.models import Breach

DEADLINE_HOURS = 72
#: Staff are warned when this many hours or fewer are left (once per threshold).
WARN_HOURS = (0, 24, 48, 72)
STAFF_EVENT = "privacy_breach_deadline"

REQUIRED = (
    "title",
    "nature",
    "data_categories",
    "subjects_approx",
    "records_approx",
    "consequences",
    "measures",
)


@transaction.atomic
def record_breach(*, aware_at, actor, **fields) -> Breach:
    """Log a breach; the clock runs from ``aware_at``. Staff are warned at once."""
    errors = {
        f: _("This field is required.")
        for f in REQUIRED
        if fields.get(f) in (None, "") or (isinstance(fields.get(f), str) and not fields[f].strip())
    }
    if aware_at is None:
        errors["aware_at"] = _("When did you become aware of the breach?")
    elif aware_at > clock.now():
        errors["aware_at"] = _("Awareness cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    breach = Breach.objects.create(
        aware_at=aware_at, recorded_at=clock.now(), recorded_by=acting_user(actor), **fields
    )
    log_action(
        breach, "privacy.breach.recorded", actor=actor, data={"aware_at": aware_at.isoformat()}
    )
    _warn([breach], clock.now())
    return breach


@transaction.atomic
def notify_authority(
    breach: Breach, *, at, reference: str, actor, delay_reason: str = ""
) -> Breach:
    """Record the notification to the supervisory authority; after 72 hours it needs the
    reasons for the delay (art. 33(1))."""
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    if breach.authority_notified_at is not None:
        raise ValidationError(_("The authority was already notified."))
    if at < breach.aware_at or at > clock.now():
        raise ValidationError(
            {"authority_notified_at": _("Give the time the notification was made.")}
        )
    if at > breach.deadline and not delay_reason.strip():
        raise ValidationError(
            {"delay_reason": _("Notified after 72 hours: give the reasons for the delay.")}
        )
    breach.authority_notified_at, breach.authority_reference = at, reference.strip()
    breach.delay_reason = delay_reason.strip()
    breach.save(update_fields=["authority_notified_at", "authority_reference", "delay_reason"])
    log_action(
        breach, "privacy.breach.authority_notified", actor=actor, data={"reference": reference}
    )
    return breach


@transaction.atomic
def decide_subjects(breach: Breach, *, notify: bool, reason: str, actor) -> Breach:
    """Decide whether the people affected are told (art. 34): a reason either way (high
    risk; or art. 34(3): encrypted data, measures taken, disproportionate effort)."""
    if not reason.strip():
        raise ValidationError({"subjects_decision_reason": _("Give the reason for the decision.")})
    breach = Breach.objects.select_for_update().get(pk=breach.pk)
    breach.subjects_decision = (
        Breach.SubjectsDecision.NOTIFY if notify else Breach.SubjectsDecision.NOT_REQUIRED
    )
    breach.subjects_decision_reason = reason.strip()
    breach.save(update_fields=["subjects_decision", "subjects_decision_reason"])
    log_action(breach, "privacy.breach.subjects_decided", actor=actor, data={"notify": notify})
    return breach


@transaction.atomic
def mark_subjects_notified(breach: Breach, *, at, actor) -> Breach:
    if breach.subjects_decision != Breach.SubjectsDecision.NOTIFY:
        raise ValidationError(_("Decide first that the people affected are to be notified."))
    breach.subjects_notified_at = at
    breach.save(update_fields=["subjects_notified_at"])
    log_action(breach, "privacy.breach.subjects_notified", actor=actor)
    return breach


def hours_left(breach: Breach, now=None) -> float:
    return ((breach.deadline - (now or clock.now())).total_seconds()) / 3600


def pending():
    """Breaches whose authority notification is still due (risk to people, not notified)."""
    return Breach.objects.filter(
        authority_notified_at__isnull=True, risk_to_people=True, closed_at__isnull=True
    )


def _warn(breaches: list[Breach], now) -> int:
    """Warn the DPO about each breach at the most urgent threshold reached, once."""
    messages, updates = [], {}
    for threshold in WARN_HOURS:
        for b in breaches:
            left = hours_left(b, now)
            if left <= threshold and (b.warned_hours is None or b.warned_hours > threshold):
                if b.pk in updates:
                    continue
                updates[b.pk] = threshold
                messages.append(
                    messaging.Message(
                        event=STAFF_EVENT,
                        to_email=settings.KYKLOS_DPO["email"],
                        language=settings.LANGUAGE_CODE,
                        context={
                            "breach_title": b.title,
                            "deadline": b.deadline.isoformat(),
                            "hours_left": max(int(left), 0),
                            "overdue": left < 0,
                            "admin_url": settings.KYKLOS_PORTAL_URL.rstrip("/")
                            + reverse("admin:privacy_breach_change", args=[b.pk]),
                        },
                    )
                )
    messaging.queue(messages)
    for threshold in set(updates.values()):
        Breach.objects.filter(pk__in=[k for k, v in updates.items() if v == threshold]).update(
            warned_hours=threshold
        )
    return len(messages)


def warn_deadlines(day: date) -> dict[str, int]:
    """Daily step: warn while a breach's 72 hours run out (and after). The run happens once
    a day, so it warns at the 72/48/24-hour thresholds it finds reached."""
    now = clock.now()
    due = list(pending().filter(aware_at__gt=now - timedelta(days=30)))
    return {"privacy_breach_warnings": _warn(due, now)}

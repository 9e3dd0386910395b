"""The privacy app's own personal data (consent events, restrictions, requests), and the
processing check every app asks before pursuing a purpose that needs consent."""

from __future__ import annotations

from django.db.models import Q

from kyklos.core.personal_data import DELETE, Erased, Subject, personal_data
from kyklos.privacy import consent
from kyklos.privacy.models import ConsentEvent, DataSubjectRequest, Recipient, Restriction

REQUEST_HOLD = (
    "Requests and our answers are kept for 3 years after they are answered, to show that "
    "they were answered (GDPR art. 5(2) and 12)."
)


def _of(subject: Subject) -> Q:
    q = Q(pk__in=[])
    if subject.customer_id is not None:
        q |= Q(customer_id=subject.customer_id)
    if subject.email:
        q |= Q(email__iexact=subject.email)
    return q


def export_consents(subject: Subject):
    for e in ConsentEvent.objects.filter(_of(subject)).order_by("at", "id"):
        yield {
            "purpose": e.purpose,
            "given": e.given,
            "at": e.at.isoformat(),
            "source": e.source,
            "notice_version": e.notice_version,
            "email": e.email,
        }


def erase_consents(subject: Subject) -> Erased:
    rows = ConsentEvent.objects.filter(_of(subject))
    n = rows.exclude(email="", actor_label="").update(email="", actor_label="")
    return Erased(anonymised=n)


def export_restrictions(subject: Subject):
    for r in Restriction.objects.filter(_of(subject)):
        yield {
            "reason": r.reason,
            "started_at": r.started_at.isoformat(),
            "lifted_at": r.lifted_at.isoformat() if r.lifted_at else None,
            "email": r.email,
        }


def erase_restrictions(subject: Subject) -> Erased:
    deleted, _ = Restriction.objects.filter(_of(subject)).delete()
    return Erased(deleted=deleted)


def export_requests(subject: Subject):
    for r in DataSubjectRequest.objects.filter(_of(subject)).order_by("submitted_at"):
        yield {
            "number": r.pk,
            "kind": r.kind,
            "status": r.status,
            "name": r.name,
            "email": r.email,
            "details": r.details,
            "received_at": r.received_at.isoformat() if r.received_at else None,
            "due_on": r.deadline.isoformat() if r.deadline else None,
            "response": r.response,
        }


def erase_requests(subject: Subject) -> Erased:
    rows = DataSubjectRequest.objects.filter(_of(subject))
    rows.exclude(details="").update(details="")
    return Erased(kept=rows.count(), kept_reason=REQUEST_HOLD)


def register() -> None:
    personal_data.set_processing_check(consent.may_process)
    personal_data.declare_exempt(
        Recipient, "A recipient is an organisation (processor, bank, authority), not a person."
    )
    personal_data.register(
        ConsentEvent,
        category="marketing_preferences",
        fields=["email", "visitor"],
        exporter=export_consents,
        eraser=erase_consents,
    )
    personal_data.register(
        Restriction,
        category="privacy_requests",
        fields=["email", "reason"],
        exporter=export_restrictions,
        eraser=erase_restrictions,
    )
    personal_data.register(
        DataSubjectRequest,
        category="privacy_requests",
        fields=["name", "email", "details"],
        exporter=export_requests,
        eraser=erase_requests,
        legal_hold=REQUEST_HOLD,
    )
    # Banner choices of visitors (not linked to a person) expire with cookie data (13 months).
    personal_data.register_retention(
        "cookie_data",
        ConsentEvent,
        date_field="at",
        action=DELETE,
        queryset=lambda: ConsentEvent.objects.filter(
            customer_id__isnull=True,
            email="",
            purpose__in=["analytics_cookies", "advertising_cookies"],
        ),
    )
    personal_data.register_retention(
        "privacy_requests",
        DataSubjectRequest,
        date_field="completed_at",
        action=DELETE,
        queryset=lambda: DataSubjectRequest.objects.filter(completed_at__isnull=False),
        files=["archive"],
    )

"""The privacy app's own personal data (consent events, restrictions, requests), and the
processing check every app asks before pursuing a purpose that needs consent."""

from __future__ import annotations

from django.db.models import Q

from kyklos.core import clock
from kyklos.core.personal_data import DELETE, Erased, Subject, personal_data
from kyklos.privacy import consent, disclosures, retention
from kyklos.privacy.models import (
    ConsentEvent,
    DataSubjectRequest,
    Disclosure,
    DpaAcceptance,
    Recipient,
    Restriction,
    SubprocessorChange,
)

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


DISCLOSURE_HOLD = (
    "The record of a disclosure to an authority or a third party is kept as proof that the "
    "provider met the legal obligation that required it (GDPR art. 5(2))."
)
DPA_HOLD = "Acceptances of the data-processing agreement are kept as proof of the contract."


def export_disclosures(subject: Subject):
    """Disclosures the person may be told of today (R9.5): withheld ones are left out."""
    rows = Disclosure.objects.filter(_of(subject)).order_by("disclosed_on", "id")
    for d in disclosures.shown(rows, clock.today()):
        yield {
            "disclosed_on": d.disclosed_on.isoformat(),
            "recipient": d.recipient,
            "recipient_kind": d.recipient_kind,
            "data": d.data,
            "legal_basis": d.legal_basis,
        }


def erase_disclosures(subject: Subject) -> Erased:
    return Erased(kept=Disclosure.objects.filter(_of(subject)).count(), kept_reason=DISCLOSURE_HOLD)


def export_dpa(subject: Subject):
    if subject.customer_id is None:
        return
    for a in DpaAcceptance.objects.filter(customer_id=subject.customer_id).select_related(
        "version"
    ):
        yield {
            "version": a.version.number,
            "accepted_at": a.accepted_at.isoformat(),
            "channel": a.channel,
        }


def erase_dpa(subject: Subject) -> Erased:
    if subject.customer_id is None:
        return Erased()
    kept = DpaAcceptance.objects.filter(customer_id=subject.customer_id).count()
    return Erased(kept=kept, kept_reason=DPA_HOLD if kept else "")


def register() -> None:
    personal_data.set_processing_check(consent.may_process)
    personal_data.set_retention_source(retention.cutoff_for)
    personal_data.declare_exempt(
        Recipient, "A recipient is an organisation (processor, bank, authority), not a person."
    )
    personal_data.declare_exempt(
        SubprocessorChange, "Names an organisation (a sub-processor) and the staff who changed it."
    )
    personal_data.register(
        Disclosure,
        category="disclosures",
        fields=["email", "data"],
        exporter=export_disclosures,
        eraser=erase_disclosures,
        legal_hold=DISCLOSURE_HOLD,
    )
    personal_data.register(
        DpaAcceptance,
        category="customer_records",
        fields=["customer_id", "user_id"],
        exporter=export_dpa,
        eraser=erase_dpa,
        legal_hold=DPA_HOLD,
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

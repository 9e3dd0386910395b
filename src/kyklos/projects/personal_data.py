"""The personal data in signatures (R9.3): exported on request, kept under legal hold.

A signature is the evidence of a contract (R7.1, R7.3), so an erasure request does not
remove it while claims can still be made; the retention schedule anonymises it later.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from kyklos.core.personal_data import Erased, Subject, personal_data
from kyklos.projects.models import Deliverable, Signature, ThirdPartyCost, WorkKind

HOLD = "Evidence of an accepted quote or variation (R7.1, R7.3)."
#: The legal hold the registry shows for signatures.
REGISTERED_HOLD = (
    "Evidence of the contract (R7.1, R7.3): kept while claims can be made, "
    "then anonymised by the retention schedule."
)


def _consents_of(subject: Subject, customer: str = "customer_id") -> Q:
    """Rows of the subject's consents: by customer, the signer's address or the login."""
    match = Q(pk__in=[])
    if subject.customer_id is not None:
        match |= Q(**{customer: subject.customer_id})
    if subject.email:
        match |= Q(signer_email__iexact=subject.email)
    if subject.user_id is not None:
        match |= Q(user_id=subject.user_id)
    return match


def _signatures(subject: Subject):
    return Signature.objects.filter(_consents_of(subject))


def export_signatures(subject: Subject) -> Iterable[dict]:
    for s in _signatures(subject).order_by("signed_at", "id"):
        yield {
            "reference": s.reference,
            "channel": s.channel,
            "signed_at": s.signed_at.isoformat(),
            "signer_name": s.signer_name,
            "signer_email": s.signer_email,
            "source": s.source,
            "ip_address": s.ip_address,
            "user_agent": s.user_agent,
            "snapshot": s.snapshot,
        }


def erase_signatures(subject: Subject) -> Erased:
    kept = _signatures(subject).count()
    return Erased(kept=kept, kept_reason=HOLD if kept else "")


def _answers(subject: Subject):
    match = _consents_of(subject, "project__customer_id")
    return Deliverable.objects.filter(match).exclude(answered_at=None)


def export_answers(subject: Subject) -> Iterable[dict]:
    """The customer's answers to proofs (R7.9): who approved or asked changes, how."""
    for d in _answers(subject).select_related("project").order_by("answered_at", "id"):
        yield {
            "deliverable": d.reference,
            "status": d.status,
            "channel": d.channel,
            "answered_at": d.answered_at.isoformat(),
            "signer_name": d.signer_name,
            "signer_email": d.signer_email,
            "source": d.source,
            "ip_address": d.ip_address,
            "user_agent": d.user_agent,
            "comment": d.comment,
        }


def erase_answers(subject: Subject) -> Erased:
    kept = _answers(subject).count()
    return Erased(kept=kept, kept_reason=ANSWER_HOLD if kept else "")


ANSWER_HOLD = "Evidence of an approved proof: later changes are billed on it (R7.9)."


def register() -> None:
    personal_data.register(
        Signature,
        category="sales_leads",
        fields=["signer_name", "signer_email", "ip_address", "user_agent", "source"],
        exporter=export_signatures,
        eraser=erase_signatures,
        legal_hold=REGISTERED_HOLD,
    )
    personal_data.declare_exempt(WorkKind, "names of kinds of work, not of people")
    personal_data.declare_exempt(
        ThirdPartyCost, "what a supplier charged for a project: a business's bookkeeping"
    )
    personal_data.register(
        Deliverable,
        category="sales_leads",
        fields=["signer_name", "signer_email", "ip_address", "user_agent", "source", "comment"],
        exporter=export_answers,
        eraser=erase_answers,
        legal_hold=REGISTERED_HOLD,
    )

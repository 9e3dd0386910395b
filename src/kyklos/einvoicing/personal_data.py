"""E-invoicing's personal data: the raw exchange of each attempt repeats the document's
buyer particulars (name, address, VAT id) as sent to the tax authority.

They are tax records under the same legal hold as the document (billing.Invoice): kept
while the document is, and blanked by the tax-records retention once the customer was
anonymised and the tax period is over. Channel configurations hold no personal data;
credentials are in the vault.
"""

from __future__ import annotations

from kyklos.core.personal_data import (
    ANONYMISE,
    ERASED_DOMAIN,
    TAX_HOLD,
    Erased,
    Subject,
    personal_data,
)
from kyklos.einvoicing.models import Attempt

BLANK = {"request": "", "response": ""}


def _rows(subject: Subject):
    if subject.customer_id is None:
        return Attempt.objects.none()
    return Attempt.objects.filter(transmission__invoice__customer_id=subject.customer_id)


def export(subject: Subject):
    for a in _rows(subject).select_related("transmission__invoice").order_by("pk"):
        yield {
            "document": a.transmission.invoice.number,
            "channel": a.transmission.authority,
            "attempt": a.number,
            "result": a.result,
            "at": a.finished_at.isoformat(),
        }


def erase(subject: Subject) -> Erased:
    return Erased(kept=_rows(subject).count(), kept_reason=TAX_HOLD)


def register() -> None:
    from django.db.models import Q

    personal_data.register(
        Attempt,
        category="tax_records",
        fields=["request", "response"],
        exporter=export,
        eraser=erase,
        legal_hold=TAX_HOLD,
    )
    personal_data.register_retention(
        "tax_records",
        Attempt,
        date_field="finished_at",
        action=ANONYMISE,
        queryset=lambda: Attempt.objects.filter(
            transmission__invoice__customer__email__endswith=f"@{ERASED_DOMAIN}"
        ),
        values=BLANK,
        pending=~Q(request="", response=""),
        order=96,
    )

"""The formal notice (R6.6) as a PDF, in the customer's language (el, en, pl).

Rendered at send time from the case (the data of record), with WeasyPrint through
:func:`kyklos.core.pdf.render_pdf`.
"""

from __future__ import annotations

from datetime import timedelta

from kyklos.core.pdf import render_pdf
from kyklos.lifecycle.models import Service
from kyklos.receivables import services
from kyklos.receivables.models import CollectionCase

LANGUAGES = ("el", "en", "pl")


def formal_notice_pdf(case: CollectionCase) -> bytes:
    invoice = case.invoice
    day = case.notice_sent_on
    policy = services.current_policy()
    owed = services.outstanding([invoice])[invoice.pk]
    language = case.customer.language if case.customer.language in LANGUAGES else "en"
    return render_pdf(
        f"receivables/formal_notice/{language}.html",
        {
            "case": case,
            "customer": case.customer,
            "invoice": invoice,
            "owed": owed,
            "interest": services.accrued_interest(invoice, through=day),
            "interest_rate": policy.interest_rate,
            "grace_days": policy.grace_days,
            "days_overdue": (day - invoice.due_on).days,
            "notice_date": day,
            "pay_by": day + timedelta(days=policy.collection_after_days),
            "services": list(
                Service.objects.filter(pk__in=case.suspended_service_ids).select_related("product")
            ),
        },
        language,
    )


def formal_notice_attachment(pk: int) -> tuple[str, bytes, str]:
    case = CollectionCase.objects.select_related("invoice", "customer").get(pk=pk)
    return f"formal-notice-{case.invoice.number}.pdf", formal_notice_pdf(case), "application/pdf"

"""Gapless numbering under concurrency: many connections issue at once (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from kyklos.billing.models import Invoice
from kyklos.billing.services import DocumentSpec, LineSpec, issue_document
from kyklos.core import clock
from tests import factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

WORKERS, PER_WORKER = 8, 12


def test_concurrent_issues_form_one_to_n_without_gaps_or_duplicates():
    customer = factories.customer()

    def issue(worker: int) -> list[str]:
        numbers = []
        try:
            for i in range(PER_WORKER):
                with clock.frozen(date(2027, 5, 1)):
                    try:
                        with transaction.atomic():
                            invoice = issue_document(
                                DocumentSpec(
                                    customer=customer,
                                    kind="invoice",
                                    issued_on=date(2027, 5, 1),
                                    lines=[LineSpec("work", Decimal("10.00"))],
                                )
                            )
                            if (worker + i) % 5 == 0:
                                raise RuntimeError("roll this one back")
                            numbers.append(invoice.number)
                    except RuntimeError:
                        pass
        finally:
            connections.close_all()
        return numbers

    with ThreadPoolExecutor(WORKERS) as pool:
        issued = [n for numbers in pool.map(issue, range(WORKERS)) for n in numbers]

    sequences = sorted(Invoice.objects.filter(kind="invoice").values_list("sequence", flat=True))
    assert len(issued) == len(set(issued)) == len(sequences)
    assert sequences == list(range(1, len(sequences) + 1))
    rolled_back = sum(1 for w in range(WORKERS) for i in range(PER_WORKER) if (w + i) % 5 == 0)
    assert len(sequences) == WORKERS * PER_WORKER - rolled_back


def test_concurrent_batches_and_credit_notes_keep_every_series_gapless():
    """Batches of invoices, single receipts and credit notes against one invoice, all at
    once: each series is 1..N, and credit notes never over-credit their original."""
    from kyklos.billing.services import CreditLine, issue_credit_note, issue_documents

    customer = factories.customer()
    day = date(2027, 5, 1)
    with clock.frozen(day):
        original = issue_document(
            DocumentSpec(
                customer=customer,
                kind="invoice",
                issued_on=day,
                lines=[LineSpec("work", Decimal("100.00"))],
            )
        )
    line_id = original.lines.get().pk

    def work(worker: int) -> int:
        credited = 0
        try:
            for _ in range(6):
                with clock.frozen(day):
                    if worker % 3 == 0:
                        issue_documents(
                            [
                                DocumentSpec(
                                    customer=customer,
                                    kind="invoice",
                                    issued_on=day,
                                    lines=[LineSpec("batch", Decimal("1.00"))],
                                )
                                for _ in range(3)
                            ]
                        )
                    elif worker % 3 == 1:
                        issue_document(
                            DocumentSpec(
                                customer=customer,
                                kind="receipt",
                                issued_on=day,
                                lines=[LineSpec("receipt", Decimal("2.00"))],
                            )
                        )
                    else:
                        try:
                            issue_credit_note(
                                original,
                                lines=[CreditLine(line_id, net=Decimal("9.00"))],
                                reason="concurrent",
                                actor=None,
                            )
                            credited += 1
                        except ValidationError:  # over-credit: 100.00 is used up
                            pass
        finally:
            connections.close_all()
        return credited

    with ThreadPoolExecutor(WORKERS) as pool:
        credit_notes = sum(pool.map(work, range(WORKERS)))

    for kind in ("invoice", "receipt", "credit_note"):
        sequences = sorted(Invoice.objects.filter(kind=kind).values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1)), kind
    batch_workers = len([w for w in range(WORKERS) if w % 3 == 0])
    assert Invoice.objects.filter(kind="invoice").count() == 1 + batch_workers * 6 * 3
    # Workers 2 and 5 try 12 credits of 9.00; 100.00 holds 11 of them.
    assert credit_notes == Invoice.objects.filter(kind="credit_note").count() == 11

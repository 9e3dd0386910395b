"""Gapless numbering under concurrency: many connections issue at once (PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
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

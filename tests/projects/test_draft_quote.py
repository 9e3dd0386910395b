"""Drafting quotes (R7.1, R8.5): the entry point the support desk uses for out-of-scope
requests."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core.models import AuditEvent
from kyklos.customers.models import Customer
from kyklos.projects import services
from kyklos.projects.models import Quote, QuoteLine


def test_a_draft_quote_has_its_lines_and_net_total(customer, staff, today):
    quote = services.draft_quote(
        customer,
        title="New online shop",
        lines=[
            {"description": "Design, 3 pages", "quantity": "3", "unit_price": "400.00"},
            {"description": "Shop setup", "unit_price": "150"},
            services.QuoteLineSpec("Product import", Decimal("33.33"), Decimal("2.5")),
        ],
        source="ticket T-2027-000042",
        actor=staff,
    )

    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert quote.number == f"Q-2027-{quote.pk:06d}"
    assert quote.version == 1
    assert quote.source == "ticket T-2027-000042"
    assert quote.validity_days == 14
    assert quote.plan == "deposit" and quote.deposit_percent == Decimal("50.00")
    # 3 × 400 = 1200; 150; 2.5 × 33.33 = 83.325 → 83.33 (half up)
    assert [(ln.description, ln.amount) for ln in quote.lines.all()] == [
        ("Design, 3 pages", Decimal("1200.00")),
        ("Shop setup", Decimal("150.00")),
        ("Product import", Decimal("83.33")),
    ]
    assert quote.subtotal == Decimal("1433.33")
    event = AuditEvent.objects.get(action="projects.quote.drafted")
    assert event.customer_id == customer.pk and event.actor == staff


def test_a_draft_from_a_ticket_may_wait_for_its_prices_but_cannot_be_sent(customer, today):
    quote = services.draft_quote(
        customer, title="Move the blog to WordPress", lines=[], source="T-7", actor="support"
    )
    assert quote.subtotal == 0

    with pytest.raises(ValidationError, match="lines with a total above zero"):
        services.send_quote(quote, actor="support")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "  "}, "needs a title"),
        ({"lines": [{"unit_price": "10"}]}, "Line 1 needs a description"),
        ({"lines": [{"description": "A", "unit_price": "-1"}]}, "cannot be negative"),
        ({"lines": [{"description": "A", "unit_price": "ten"}]}, "must be a number"),
        ({"lines": [{"description": "A", "unit_price": 10.5}]}, "must be a number"),
        ({"lines": [{"description": "A", "unit_price": "1", "quantity": "0"}]}, "positive"),
        ({"lines": [{"description": "A", "unit_price": "1", "quantity": "0.0001"}]}, "3 decimals"),
        ({"lines": "Design 400"}, "as a list"),
        ({"lines": [{"description": "A", "unit_price": "1e20"}]}, "must be a number"),
        ({"plan": "weekly"}, "Unknown payment plan"),
        ({"deposit_percent": "100"}, "from 0 to 99.99"),
        ({"validity_days": 0}, "1 to 365 days"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(customer, today, kwargs, message):
    args = {"title": "Shop", "lines": [{"description": "Design", "unit_price": "100"}]}
    args.update(kwargs)
    with pytest.raises(ValidationError, match=message):
        services.draft_quote(customer, actor="staff", **args)
    assert Quote.objects.count() == 0
    assert QuoteLine.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_locked_account_gets_no_quote(customer, today):
    Customer.objects.filter(pk=customer.pk).update(status=Customer.Status.LOCKED)
    customer.refresh_from_db()
    with pytest.raises(ValidationError, match="locked"):
        services.draft_quote(customer, title="Shop", lines=[], actor="staff")
    assert Quote.objects.count() == 0

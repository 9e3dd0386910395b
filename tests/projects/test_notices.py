"""The notices of quotes, projects and collections render in Greek, English and Polish."""

import pytest

from kyklos.notifications.rendering import render_notice

CONTEXTS = {
    "quote_sent": {
        "quote_number": "Q-2027-000001",
        "quote_title": "Shop",
        "version": 2,
        "total": "4000.00",
        "currency": "EUR",
        "valid_until": "2027-03-15",
        "reply_to": "sales@provider.example",
    },
    "quote_accepted": {
        "quote_number": "Q-2027-000001",
        "quote_title": "Shop",
        "version": 2,
        "project_number": "P-2027-000001",
        "deposit_number": "PRO-2027-000009",
        "deposit_total": "2480.00",
        "currency": "EUR",
    },
    "variation_proposed": {
        "project_number": "P-2027-000001",
        "variation": "P-2027-000001/V1",
        "kind": "added",
        "description": "Newsletter",
        "amount": "600.00",
        "currency": "EUR",
    },
    "project_completed": {
        "project_number": "P-2027-000001",
        "project_title": "Shop",
        "transferred_on": "2027-06-05",
    },
    "collection_reminder": {
        "invoice_number": "RCP-2027-000004",
        "issued_on": "2027-03-01",
        "due_on": "2027-03-01",
        "total": "39.68",
        "currency": "EUR",
        "days_overdue": 7,
        "grace_ends": "2027-03-31",
    },
    "formal_notice": {
        "invoice_number": "RCP-2027-000004",
        "issued_on": "2027-03-01",
        "due_on": "2027-03-01",
        "total": "39.68",
        "currency": "EUR",
        "pay_by": "2027-04-15",
        "services": "eleni.gr",
    },
}
NUMBERS = {
    "quote_sent": "Q-2027-000001",
    "quote_accepted": "P-2027-000001",
    "variation_proposed": "P-2027-000001/V1",
    "project_completed": "P-2027-000001",
    "collection_reminder": "RCP-2027-000004",
    "formal_notice": "RCP-2027-000004",
}


@pytest.mark.parametrize("language", ["el", "en", "pl"])
@pytest.mark.parametrize("event", sorted(CONTEXTS))
def test_each_notice_renders_in_each_language(event, language):
    notice = render_notice(event, language, {"customer_name": "Eleni", **CONTEXTS[event]})
    assert NUMBERS[event] in notice.subject + notice.body
    assert "{" not in notice.body and "\n" not in notice.subject


def test_amounts_and_dates_are_in_the_customers_language():
    body = render_notice("quote_sent", "el", {"customer_name": "E", **CONTEXTS["quote_sent"]}).body
    assert "4.000,00" in body and "15 Μαρτίου 2027" in body
    body = render_notice(
        "formal_notice", "pl", {"customer_name": "E", **CONTEXTS["formal_notice"]}
    ).body
    assert "39,68" in body and "15 kwietnia 2027" in body

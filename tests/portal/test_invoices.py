"""The invoice list and a document's detail, only the customer's own (R6.1, R6.8)."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents

pytestmark = pytest.mark.django_db


def issue(
    customer, kind=DocumentKind.PROFORMA, *, amount="1000.00", issued_on=date(2027, 2, 1), **fields
):
    line = LineSpec(
        description="Web Hosting Pro — maria.gr, 2027-03-20 to 2028-03-20",
        unit_price=Decimal(amount),
        period_start=date(2027, 3, 20),
        period_end=date(2028, 3, 20),
    )
    spec = DocumentSpec(
        customer=customer,
        kind=kind,
        lines=[line],
        issued_on=issued_on,
        due_on=date(2027, 3, 3),
        **fields,
    )
    (invoice,) = issue_documents([spec])
    return invoice


def test_the_list_shows_kind_number_dates_total_and_status(portal, customer, today):
    issue(customer)

    page = portal.get(reverse("portal:invoices")).content.decode()

    assert "Proforma" in page
    assert "PRO-2027-000001" in page
    assert "Feb. 1, 2027" in page
    assert "March 3, 2027" in page
    assert "€1,240.00" in page
    assert 'class="badge badge-open">Open</span>' in page


def test_each_kind_of_document_is_named(portal, customer, today):
    for kind in DocumentKind:
        issue(customer, kind)

    page = portal.get(reverse("portal:invoices")).content.decode()

    for name in ("Proforma", "Tax invoice", "Receipt", "Credit note"):
        assert f'<td data-label="Document">{name}</td>' in page


@pytest.mark.parametrize(
    ("language", "total"),
    [("el", "1.240,00\xa0€"), ("en", "€1,240.00"), ("pl", "1\xa0240,00\xa0€")],
)
def test_totals_are_formatted_for_the_active_language(portal, customer, today, language, total):
    issue(customer)
    portal.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    page = portal.get(reverse("portal:invoices")).content.decode()

    assert total in page


def test_the_list_shows_only_the_customers_own_documents(portal, customer, other_customer, today):
    issue(customer)
    issue(other_customer)

    page = portal.get(reverse("portal:invoices")).content.decode()

    assert "PRO-2027-000001" in page
    assert "PRO-2027-000002" not in page


def test_the_list_reads_a_constant_number_of_queries(
    portal, customer, today, django_assert_max_num_queries
):
    for _ in range(3):
        issue(customer)
    # session, user, customer, count, page, account credit
    with django_assert_max_num_queries(6) as three:
        portal.get(reverse("portal:invoices"))
    for _ in range(20):
        issue(customer)
    with django_assert_max_num_queries(6) as twenty_three:
        portal.get(reverse("portal:invoices"))

    assert len(three) == len(twenty_three)


def test_the_detail_shows_the_lines_and_totals(portal, customer, today):
    invoice = issue(customer, amount="100.00")

    page = portal.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()

    assert "Proforma PRO-2027-000001" in page
    assert "Web Hosting Pro — maria.gr, 2027-03-20 to 2028-03-20" in page
    assert "24%" in page
    assert page.count("€100.00") == 3  # unit price, line net, net total
    assert page.count("€24.00") == 2  # line VAT, VAT total
    assert page.count("€124.00") == 4  # line total, total, still to pay, "you pay" by transfer
    assert "Maria Nowak" in page
    assert settings.KYKLOS_PROVIDER["name"] in page


def test_another_customers_invoice_is_not_found(portal, other_customer, today):
    theirs = issue(other_customer)

    response = portal.get(reverse("portal:invoice", args=[theirs.pk]))

    assert response.status_code == 404
    assert theirs.number not in response.content.decode()


def test_a_customer_without_invoices_is_told_so(portal, today):
    assert "You have no invoices yet." in portal.get(reverse("portal:invoices")).content.decode()


def test_the_list_is_paged(portal, customer, today):
    for day in range(1, 28):
        issue(customer, issued_on=date(2027, 2, day))

    first = portal.get(reverse("portal:invoices")).content.decode()
    second = portal.get(reverse("portal:invoices"), {"page": 2}).content.decode()

    assert "PRO-2027-000027" in first and "PRO-2027-000002" not in first
    assert "PRO-2027-000002" in second and "Page 2 of 2" in second

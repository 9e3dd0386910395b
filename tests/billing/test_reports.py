"""Staff reports: accounts-receivable aging and the VAT report, and their CSV (R6.3, R6.6)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from kyklos.billing import reports
from kyklos.billing.services import (
    CreditLine,
    DocumentSpec,
    LineSpec,
    issue_credit_note,
    issue_document,
)
from kyklos.core import clock
from kyklos.payments.services import record_payment
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


def issue(customer, net, day, kind="invoice"):
    with clock.frozen(day):
        return issue_document(
            DocumentSpec(
                customer=customer, kind=kind, issued_on=day, lines=[LineSpec("Work", D(net))]
            )
        )


def credit(document, net, day):
    with clock.frozen(day):
        line = document.lines.get()
        return issue_credit_note(
            document, lines=[CreditLine(line, net=D(net))], reason="Correction", actor=None
        )


@pytest.mark.parametrize(
    ("days", "slot"),
    [(-5, "0-30"), (0, "0-30"), (30, "0-30"), (31, "31-60"), (60, "31-60"), (61, "61-90")]
    + [(90, "61-90"), (91, "90+"), (400, "90+")],
)
def test_buckets(days, slot):
    assert reports.bucket(days) == slot


@pytest.fixture
def receivables():
    alfa = factories.customer(kind="company", company_name="Alfa IKE", vat_id="EL094014201")
    issue(alfa, "100.00", date(2027, 6, 15))  # 124.00, 15 days
    a2 = issue(alfa, "200.00", date(2027, 5, 1))  # 248.00, 60 days
    credit(a2, "50.00", date(2027, 5, 10))  # − 62.00 → 186.00
    issue(alfa, "50.00", date(2027, 3, 1))  # 62.00, 121 days
    paid = issue(alfa, "10.00", date(2027, 6, 1))
    with clock.frozen(date(2027, 6, 2)):
        record_payment(paid, amount="12.40", method="bank_transfer")  # paid: not owed
    gone = issue(alfa, "30.00", date(2027, 6, 1))
    credit(gone, "30.00", date(2027, 6, 3))  # wholly credited: not owed

    maria = factories.customer(name="Maria Georgiou", country="CY")  # consumer, 19 %
    receipt = issue(maria, "100.00", date(2027, 4, 15), kind="receipt")  # 119.00, 76 days
    with clock.frozen(date(2027, 5, 1)):
        record_payment(receipt, amount="19.00", method="bank_transfer")  # → 100.00 owed
    issue(maria, "10.00", date(2027, 6, 1), kind="proforma")  # 11.90, only on request
    issue(maria, "10.00", date(2027, 7, 1))  # after the report day
    return alfa, maria


def test_aging_per_customer_with_totals(receivables, django_assert_num_queries):
    alfa, maria = receivables
    with django_assert_num_queries(1):
        report = reports.aging(date(2027, 6, 30))
    assert [(r.customer, dict(r.amounts), r.total, r.documents) for r in report.rows] == [
        (
            "Alfa IKE",
            {"0-30": D("124.00"), "31-60": D("186.00"), "61-90": D("0.00"), "90+": D("62.00")},
            D("372.00"),
            3,
        ),
        (
            "Maria Georgiou",
            {"0-30": D("0.00"), "31-60": D("0.00"), "61-90": D("100.00"), "90+": D("0.00")},
            D("100.00"),
            1,
        ),
    ]
    total = report.totals["EUR"]
    assert dict(total.amounts) == {
        "0-30": D("124.00"),
        "31-60": D("186.00"),
        "61-90": D("100.00"),
        "90+": D("62.00"),
    }
    assert (total.total, total.documents) == (D("472.00"), 4)

    with_proformas = reports.aging(date(2027, 6, 30), include_proformas=True)
    maria_row = next(r for r in with_proformas.rows if r.customer_id == maria.pk)
    assert (maria_row.amounts["0-30"], maria_row.total) == (D("11.90"), D("111.90"))


@pytest.fixture
def march_sales():
    day = date(2027, 3, 10)
    issue(factories.customer(), "100.00", day, kind="receipt")  # GR consumer 24 %
    company = factories.customer(kind="company", company_name="Beta AE", vat_id="EL094014201")
    beta = issue(company, "250.00", day)
    credit(beta, "50.00", date(2027, 3, 20))
    issue(factories.customer(country="CY"), "100.00", day, kind="receipt")
    issue(factories.customer(country="DE"), "200.00", day, kind="receipt")
    weber = factories.customer(
        kind="company", company_name="Weber GmbH", country="DE", vat_id="DE136695976"
    )
    issue(weber, "300.00", day)
    issue(factories.customer(country="US"), "80.00", day)
    issue(company, "999.00", day, kind="proforma")  # no tax effect
    issue(company, "999.00", date(2027, 4, 1))  # another period
    credit(beta, "10.00", date(2027, 4, 2))  # another period


def test_the_vat_report_per_case_country_and_rate(march_sales, django_assert_num_queries):
    with django_assert_num_queries(1):
        report = reports.vat_report(date(2027, 3, 1), date(2027, 3, 31))
    rows = [
        (r.case, r.country, r.rate, r.buyer_vat_id, r.net_sales, r.vat_sales)
        + (r.net_credits, r.vat_credits, r.net, r.vat)
        for r in report.rows
    ]
    zero = D("0.00")
    assert rows == [
        ("domestic", "GR", D("24.00"), "", D("350.00"), D("84.00"))
        + (D("50.00"), D("12.00"), D("300.00"), D("72.00")),
        ("eu_b2c", "CY", D("19.00"), "", D("100.00"), D("19.00"), zero, zero)
        + (D("100.00"), D("19.00")),
        ("eu_b2c", "DE", D("19.00"), "", D("200.00"), D("38.00"), zero, zero)
        + (D("200.00"), D("38.00")),
        ("outside_scope", "", D("0.00"), "", D("80.00"), zero, zero, zero, D("80.00"), zero),
        ("reverse_charge", "DE", D("0.00"), "DE136695976", D("300.00"), zero, zero, zero)
        + (D("300.00"), zero),
    ]
    assert report.totals()[("eu_b2c", "EUR")] == (D("300.00"), D("57.00"))


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("Alfa IKE", "Alfa IKE"),
        (D("-24.00"), "-24.00"),
        ("-24.00", "-24.00"),
        (7, "7"),
    ],
)
def test_csv_cells_cannot_run_as_formulas(cell, written):
    assert reports.neutralise(cell) == written


def test_the_aging_csv_neutralises_a_hostile_customer_name():
    hostile = factories.customer(name='=HYPERLINK("http://evil","click")')
    issue(hostile, "10.00", date(2027, 6, 1))
    rows = read_csv(reports.to_csv(reports.aging_csv_rows(reports.aging(date(2027, 6, 30)))))
    assert rows[0] == ["customer_id", "customer", "currency", "0-30", "31-60", "61-90", "90+"] + [
        "total",
        "documents",
    ]
    assert rows[1][1:] == ['\'=HYPERLINK("http://evil","click")', "EUR", "12.40"] + [
        "0.00",
        "0.00",
        "0.00",
        "12.40",
        "1",
    ]
    assert rows[2][1:3] == ["TOTAL", "EUR"]


# --- staff views ---------------------------------------------------------------------------


@pytest.fixture
def accountant(client, django_user_model):
    user = django_user_model.objects.create_user("eleni", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_invoice"))
    client.force_login(user)
    return client


def test_staff_see_the_vat_report_and_export_it(accountant, march_sales):
    url = "/admin/billing/invoice/reports/vat/"
    page = accountant.get(url, {"start": "2027-03-01", "end": "2027-03-31"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "EU consumers per member state (OSS)" in html and "DE136695976" in html
    assert "350.00" in html and "72.00" in html
    export = accountant.get(url, {"start": "2027-03-01", "end": "2027-03-31", "format": "csv"})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"] == 'attachment; filename="vat-2027-03-01-2027-03-31.csv"'
    rows = read_csv(export.content.decode())
    assert rows[1] == ["domestic", "GR", "24.00", "EUR", "", "350.00", "84.00"] + [
        "50.00",
        "12.00",
        "300.00",
        "72.00",
    ]
    assert len(rows) == 6


def test_staff_see_the_aging_report(accountant, receivables):
    page = accountant.get("/admin/billing/invoice/reports/aging/", {"as_of": "2027-06-30"})
    html = page.content.decode()
    assert page.status_code == 200 and "Alfa IKE" in html and "472.00" in html
    export = accountant.get(
        "/admin/billing/invoice/reports/aging/", {"as_of": "2027-06-30", "format": "csv"}
    )
    assert read_csv(export.content.decode())[-1][1:] == ["TOTAL", "EUR"] + [
        "124.00",
        "186.00",
        "100.00",
        "62.00",
        "472.00",
        "4",
    ]


def test_bad_report_input_is_a_clear_error(accountant):
    page = accountant.get(
        "/admin/billing/invoice/reports/vat/", {"start": "2027-03-31", "end": "2027-03-01"}
    )
    assert page.status_code == 200
    assert "The period ends before it starts." in page.content.decode()
    bad = accountant.get(
        "/admin/billing/invoice/reports/aging/", {"as_of": "yesterday", "format": "csv"}
    )
    assert (
        bad["Content-Type"].startswith("text/html") and "Enter a valid date" in bad.content.decode()
    )


def test_the_reports_need_the_billing_permission(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sales", is_staff=True))
    assert client.get("/admin/billing/invoice/reports/aging/").status_code == 403


def test_the_invoice_list_links_the_reports(accountant):
    page = accountant.get("/admin/billing/invoice/").content.decode()
    assert 'href="/admin/billing/invoice/reports/aging/"' in page
    assert 'href="/admin/billing/invoice/reports/vat/"' in page

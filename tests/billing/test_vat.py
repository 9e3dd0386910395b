"""The VAT engine as data (R6.3): dated rates, the four cases, VAT id checks, rounding."""

import io
import json
import urllib.error
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from kyklos.billing import vat
from kyklos.billing.models import Invoice, NumberSeries, VatRate
from kyklos.billing.services import (
    DocumentSpec,
    LineSpec,
    compute_line,
    document_totals,
    issue_document,
)
from kyklos.core import clock
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal
EU27 = set(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


def issue(customer, *prices, day=date(2027, 3, 1)):
    with clock.frozen(day):
        return issue_document(
            DocumentSpec(
                customer=customer,
                kind="invoice",
                issued_on=day,
                lines=[LineSpec(description="Hosting", unit_price=D(p)) for p in prices],
            )
        )


def test_all_27_member_states_have_a_standard_rate():
    assert set(VatRate.objects.values_list("country", flat=True)) == EU27
    book = vat.RateBook.load()
    day = date(2027, 1, 1)
    assert {c: book.rate(c, day) for c in ("GR", "CY", "PL", "DE", "HU", "LU", "FI")} == {
        "GR": D("24"),
        "CY": D("19"),
        "PL": D("23"),
        "DE": D("19"),
        "HU": D("27"),
        "LU": D("17"),
        "FI": D("25.5"),
    }


@pytest.mark.parametrize(
    ("country", "day", "rate"),
    [
        ("FI", date(2024, 8, 31), "24"),
        ("FI", date(2024, 9, 1), "25.5"),
        ("EE", date(2025, 6, 30), "22"),
        ("EE", date(2025, 7, 1), "24"),
        ("SK", date(2024, 12, 31), "20"),
        ("SK", date(2025, 1, 1), "23"),
        ("DE", date(2020, 7, 1), "16"),
        ("DE", date(2021, 1, 1), "19"),
    ],
)
def test_a_rate_change_applies_from_its_date(country, day, rate):
    decision = vat.decide(country=country, vat_id="", on=day, provider_country="GR")
    assert (decision.case, decision.rate, decision.country) == ("eu_b2c", D(rate), country)


def test_a_new_rate_row_changes_documents_from_its_day_only():
    VatRate.objects.create(country="GR", rate=D("22"), valid_from=date(2028, 1, 1))
    customer = factories.customer()  # Greek person
    before = issue(customer, "100.00", day=date(2027, 12, 31))
    after = issue(customer, "100.00", day=date(2028, 1, 1))
    assert (before.vat_total, before.total) == (D("24.00"), D("124.00"))
    assert (after.vat_total, after.total) == (D("22.00"), D("122.00"))


def test_a_finnish_consumer_pays_the_finnish_rate_of_the_day():
    customer = factories.customer(country="FI", language="en")
    invoice = issue(customer, "100.00", day=date(2024, 9, 1))
    # 100.00 × 25.5 % = 25.50
    assert (invoice.vat_case, invoice.vat_country, invoice.vat_total, invoice.total) == (
        "eu_b2c",
        "FI",
        D("25.50"),
        D("125.50"),
    )
    assert invoice.vat_check == "none"


@pytest.mark.parametrize(
    ("provider", "country", "vat_id", "rate", "case"),
    [
        ("GR", "GR", "", "24", "domestic"),
        ("CY", "CY", "", "19", "domestic"),
        ("CY", "CY", "CY10259033P", "19", "domestic"),
        ("CY", "GR", "", "24", "eu_b2c"),
        ("CY", "GR", "EL094014201", "0", "reverse_charge"),
        ("PL", "PL", "PL5260250274", "23", "domestic"),
        ("PL", "DE", "", "19", "eu_b2c"),
        ("PL", "CH", "", "0", "outside_scope"),
        ("GR", "US", "", "0", "outside_scope"),
        ("GR", "NO", "", "0", "outside_scope"),
    ],
)
def test_the_provider_country_decides_what_is_domestic(provider, country, vat_id, rate, case):
    decision = vat.decide(
        country=country, vat_id=vat_id, on=date(2027, 3, 1), provider_country=provider
    )
    assert (decision.rate, decision.case) == (D(rate), case)


def test_provider_country_from_settings(settings):
    settings.KYKLOS_COUNTRY = "PL"
    customer = factories.customer(country="PL", language="pl")
    invoice = issue(customer, "100.00")
    assert (invoice.vat_case, invoice.vat_total, invoice.total) == (
        "domestic",
        D("23.00"),
        D("123.00"),
    )


def test_outside_scope_invoice_carries_its_mention():
    customer = factories.customer(country="US", language="en")
    invoice = issue(customer, "50.00")
    assert (invoice.vat_case, invoice.total) == ("outside_scope", D("50.00"))
    assert "Article 59" in invoice.vat_note


def test_an_invalid_vat_id_is_refused_with_a_clear_error_and_nothing_is_written():
    # Stored without the entry check (e.g. imported): the check digit of DE136695977 is wrong.
    customer = factories.customer(
        kind="company", company_name="Falsch GmbH", country="DE", vat_id="DE136695977"
    )
    with pytest.raises(ValidationError, match="DE136695977 is not valid: its check digit"):
        issue(customer, "100.00")
    assert not Invoice.objects.exists() and not NumberSeries.objects.exists()


def test_without_vies_the_invoice_records_the_format_check():
    customer = factories.customer(
        kind="company", company_name="Weber GmbH", country="DE", vat_id="DE 136 695 976"
    )
    invoice = issue(customer, "100.00")
    assert (invoice.vat_case, invoice.vat_check, invoice.buyer_vat_id) == (
        "reverse_charge",
        "format",
        "DE136695976",
    )


@pytest.fixture
def german_company():
    return factories.customer(
        kind="company", company_name="Weber GmbH", country="DE", vat_id="DE136695976"
    )


def test_vies_confirms_the_id_and_the_consultation_number_is_kept(
    settings, monkeypatch, german_company
):
    settings.KYKLOS_VIES_CHECK = True
    calls = []
    monkeypatch.setattr(vat, "vies_lookup", lambda n: calls.append(n) or (True, "WAPIAAAAZ1"))
    first, second = issue(german_company, "100.00"), issue(german_company, "10.00")
    assert (first.vat_case, first.vat_check, first.vat_check_reference) == (
        "reverse_charge",
        "vies_valid",
        "WAPIAAAAZ1",
    )
    assert second.vat_check == "vies_valid" and calls == ["DE136695976"] * 2


def test_an_id_vies_rejects_is_taxed_as_a_consumer(settings, monkeypatch, german_company):
    settings.KYKLOS_VIES_CHECK = True
    monkeypatch.setattr(vat, "vies_lookup", lambda n: (False, "WAPIAAAAZ2"))
    invoice = issue(german_company, "100.00")
    # German rate 19 %: 19.00
    assert (invoice.vat_case, invoice.vat_check, invoice.vat_total) == (
        "eu_b2c",
        "vies_invalid",
        D("19.00"),
    )


def test_vies_offline_degrades_to_the_format_check(settings, monkeypatch, german_company):
    settings.KYKLOS_VIES_CHECK = True

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(vat.urllib.request, "urlopen", offline)
    invoice = issue(german_company, "100.00")
    assert (invoice.vat_case, invoice.vat_check, invoice.total) == (
        "reverse_charge",
        "vies_unavailable",
        D("100.00"),
    )


def test_vies_answer_is_read(settings, monkeypatch):
    sent = {}

    def reply(request, timeout):
        sent.update(json.loads(request.data))
        return io.BytesIO(b'{"valid": true, "requestIdentifier": "WAPIAAAAZ3", "name": "X"}')

    monkeypatch.setattr(vat.urllib.request, "urlopen", reply)
    assert vat.vies_lookup("DE136695976") == (True, "WAPIAAAAZ3")
    assert sent == {
        "countryCode": "DE",
        "vatNumber": "136695976",
        "requesterMemberStateCode": "EL",
        "requesterNumber": "094014201",
    }
    monkeypatch.setattr(
        vat.urllib.request,
        "urlopen",
        lambda r, timeout: io.BytesIO(b'{"actionSucceed": false, "errorWrappers": []}'),
    )
    with pytest.raises(vat.ViesUnavailable):
        vat.vies_lookup("DE136695976")


def test_a_rate_missing_for_the_day_is_a_clear_error():
    with pytest.raises(ValidationError, match="No VAT rate of AT is in force on 2019-12-31"):
        vat.decide(country="AT", vat_id="", on=date(2019, 12, 31), provider_country="GR")


amounts = st.decimals(min_value=D("0"), max_value=D("99999.99"), places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=3)
rates = st.sampled_from([D(r) for r in ("0", "17", "19", "21", "23", "24", "25.5", "27")])


@hypothesis_settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(amounts, quantities, rates), min_size=1, max_size=12))
def test_totals_equal_the_sum_of_lines_and_of_vat_per_rate(lines):
    computed = [
        compute_line(LineSpec("x", price, quantity=qty), rate, "EUR", i)
        for i, (price, qty, rate) in enumerate(lines)
    ]
    subtotal, vat_total, total = document_totals(computed)
    per_rate = vat.breakdown(computed)
    assert subtotal == sum(ln.net for ln in computed) == sum(n for n, _ in per_rate.values())
    assert vat_total == sum(ln.vat for ln in computed) == sum(t for _, t in per_rate.values())
    assert total == subtotal + vat_total == sum(ln.total for ln in computed)
    for line in computed:
        assert line.vat == (line.net * line.vat_rate / 100).quantize(D("0.01"), "ROUND_HALF_UP")
        assert line.net.as_tuple().exponent == -2 and line.vat.as_tuple().exponent == -2
    assert set(per_rate) == {rate for _, _, rate in lines}


def test_an_empty_rate_table_gets_the_shipped_rates_back():
    VatRate.objects.all().delete()  # as a flushed test database has it
    assert vat.RateBook.load().rate("GR", date(2027, 1, 1)) == D("24")
    assert VatRate.objects.count() == 38

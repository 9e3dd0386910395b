"""The retention engine (R9.4): rules as data, targets declared by the apps, set-based
runs with a report, and a dry run."""

from datetime import date, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.billing.models import DocumentKind
from kyklos.billing.services import DocumentSpec, LineSpec, issue_documents
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.personal_data import ANONYMISE, DELETE, ERASED_NAME, PersonalDataRegistry
from kyklos.customers.models import Customer
from kyklos.notifications.models import Outbox
from kyklos.privacy import retention
from kyklos.privacy.models import ConsentEvent, RetentionReportLine, RetentionRule, RetentionRun
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "months, anchor, today, expected",
    [
        # IP and access logs: 3 months — a log of 14 Nov 2026 goes on 15 Feb 2027.
        (3, "collected", date(2027, 2, 15), date(2026, 11, 15)),
        # Cookie-derived data: 13 months.
        (13, "collected", date(2027, 3, 1), date(2026, 2, 1)),
        # Contact-form payloads: once processed — anything processed before today.
        (0, "processed", date(2027, 3, 1), date(2027, 3, 1)),
        # Greece, tax records: 5 years from the end of the fiscal year. A 2021 invoice is
        # kept until 31 Dec 2026 and goes on 1 Jan 2027; not one day earlier.
        (60, "fiscal_year_end", date(2026, 12, 31), date(2021, 1, 1)),
        (60, "fiscal_year_end", date(2027, 1, 1), date(2022, 1, 1)),
        # End of month clamps: 31 May minus 3 months is 28 Feb.
        (3, "collected", date(2027, 5, 31), date(2027, 2, 28)),
    ],
)
def test_cutoffs(months, anchor, today, expected):
    assert retention.cutoff(months, anchor, today) == expected


def test_rules_read_as_words():
    assert retention.describe_rule(3, "collected", "en") == "3 months from collection"
    assert retention.describe_rule(12, "relationship_end", "en") == (
        "1 year after the customer relationship ends"
    )
    assert retention.describe_rule(0, "processed", "en") == "deleted after it has been processed"
    assert retention.describe_rule(None, "collected", "en") == "kept while the purpose lasts"


def test_a_declaration_is_checked():
    registry = PersonalDataRegistry()
    with pytest.raises(ValueError, match="delete"):
        registry.register_retention("x", Customer, date_field="created_at", action="shred")
    with pytest.raises(ValueError, match="values"):
        registry.register_retention("x", Customer, date_field="created_at", action=ANONYMISE)
    with pytest.raises(ValueError, match="pending"):
        registry.register_retention(
            "x", Customer, date_field="created_at", action=ANONYMISE, values={"name": "x"}
        )
    target = registry.register_retention("x", Customer, date_field="created_at", action=DELETE)
    assert registry.retention_targets() == [target]


def _locked(on: date, **fields) -> Customer:
    customer = factories.customer(**fields)
    with clock.frozen(on):
        customer.status = Customer.Status.LOCKED
        customer.save(update_fields=["status"])
        log_action(customer, "customer.locked", actor="staff", data={"reason": "ended"})
    return customer


def _invoice(customer, kind, day):
    with clock.frozen(day):
        (doc,) = issue_documents(
            [
                DocumentSpec(
                    customer=customer,
                    kind=kind,
                    issued_on=day,
                    due_on=day,
                    lines=[LineSpec(description="Hosting", unit_price=Decimal("100.00"))],
                )
            ]
        )
    return doc


def test_ex_customers_are_anonymised_a_year_after_the_end_and_tax_documents_keep_the_name(
    settings,
):
    old = _locked(date(2025, 12, 20), name="Anna Old", phone="+30 1")
    recent = _locked(date(2026, 6, 1), name="Boris Recent")
    current = factories.customer(name="Clara Current")
    invoice_2020 = _invoice(old, DocumentKind.INVOICE, date(2020, 5, 5))
    invoice_2025 = _invoice(old, DocumentKind.INVOICE, date(2025, 5, 5))
    proforma = _invoice(old, DocumentKind.PROFORMA, date(2025, 5, 5))
    Outbox.objects.create(
        event="invoice_issued",
        customer=old,
        to_email=old.email,
        language="el",
        for_date=date(2025, 5, 5),
        created_at=clock.now(),
    )

    run = retention.run(date(2027, 1, 5))

    old.refresh_from_db(), recent.refresh_from_db(), current.refresh_from_db()
    assert old.name == ERASED_NAME and old.phone == "" and old.email.endswith("@erased.invalid")
    assert recent.name == "Boris Recent"  # ended 7 months ago
    assert current.name == "Clara Current"
    invoice_2020.refresh_from_db(), invoice_2025.refresh_from_db(), proforma.refresh_from_db()
    # The 2020 invoice's tax period ended on 31 Dec 2025; the 2025 one runs to 2030.
    assert invoice_2020.buyer_name == ERASED_NAME
    assert invoice_2025.buyer_name == "Anna Old"
    assert proforma.buyer_name == ERASED_NAME
    assert not Outbox.objects.filter(customer=old).exists()

    lines = {(line.category, line.target, line.action): line.count for line in run.lines.all()}
    assert lines[("customer_records", "customers.Customer", "anonymise")] == 1
    assert lines[("customer_records", "billing.Invoice", "anonymise")] == 1
    # the notice written above and the two invoices' own "tax invoice issued" notices
    assert lines[("customer_records", "notifications.Outbox", "delete")] == 3
    assert lines[("tax_records", "billing.Invoice", "anonymise")] == 1
    assert run.total == 6  # customer, proforma, 2020 invoice, three notices
    line = run.lines.get(category="tax_records", target="billing.Invoice")
    assert line.rule == "5 years from the end of the fiscal year"
    assert line.cutoff == date(2022, 1, 1)

    # Idempotent: the next run finds nothing.
    assert retention.run(date(2027, 1, 6)).total == 0


def test_cookie_choices_of_visitors_go_after_13_months(db):
    with clock.frozen(date(2026, 1, 31)):
        ConsentEvent.objects.create(
            purpose="analytics_cookies", given=True, visitor="old", at=clock.now(), source="banner"
        )
    with clock.frozen(date(2026, 2, 2)):
        ConsentEvent.objects.create(
            purpose="analytics_cookies", given=True, visitor="new", at=clock.now(), source="banner"
        )
        ConsentEvent.objects.create(
            purpose="marketing_email", given=True, customer_id=1, at=clock.now(), source="portal"
        )
    retention.run(date(2027, 3, 1))
    assert set(ConsentEvent.objects.values_list("visitor", flat=True)) == {"new", ""}


def test_a_dry_run_counts_and_writes_nothing(db):
    old = _locked(date(2025, 1, 1), name="Dora Dry")
    out = StringIO()
    call_command("retention", "--dry-run", "--date", "2027-03-01", stdout=out)
    text = out.getvalue()
    assert "2027-03-01: retention would touch 1 record(s)" in text
    assert "customers.Customer" in text and "1 year after the customer relationship ends" in text
    old.refresh_from_db()
    assert old.name == "Dora Dry"
    assert RetentionRun.objects.count() == 0


def test_the_command_runs_and_reports(db):
    _locked(date(2025, 1, 1))
    out = StringIO()
    call_command("retention", "--date", "2027-03-01", "--allow-future", stdout=out)
    assert "retention did touch 1 record(s)" in out.getvalue()
    assert RetentionReportLine.objects.filter(count=1).count() == 1


def test_bad_arguments_exit_2(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is not a date") as error:
        call_command("retention", "--date", "tomorrow")
    assert error.value.returncode == 2


def test_a_run_is_set_based_the_statements_do_not_grow_with_the_rows(settings):
    settings.KYKLOS_BATCH_SIZE = 1000

    def statements(n):
        for _ in range(n):
            _locked(date(2025, 1, 1))
        with CaptureQueriesContext(connection) as queries:
            retention.run(date(2027, 3, 1))
        return len(queries.captured_queries)

    few = statements(2)
    many = statements(40)
    assert many == few


def test_rules_are_data_a_changed_rule_changes_the_run(db):
    _locked(date(2026, 9, 1), name="Eva Edited")
    assert retention.run(date(2027, 3, 1)).total == 0
    RetentionRule.objects.filter(category__code="customer_records").update(months=3)
    retention.run(date(2027, 3, 1))
    assert Customer.objects.get(status="locked").name == ERASED_NAME


def test_the_daily_run_includes_retention(run_day):
    _locked(date(2025, 1, 1))
    result = run_day(date(2027, 3, 1))
    assert result.actions["retention_customer_records_anonymise"] == 1
    assert isinstance(result.day, date) and not isinstance(result.day, datetime)


def test_security_events_with_ip_addresses_go_after_3_months(db):
    from kyklos.accounts.models import SecurityEvent

    for day, ip in ((date(2026, 11, 30), "203.0.113.9"), (date(2026, 12, 2), "203.0.113.10")):
        with clock.frozen(day):
            SecurityEvent.objects.create(
                at=clock.now(), kind="login_failed", username="maria", ip_address=ip
            )

    retention.run(date(2027, 3, 1))  # 3 months back: 2026-12-01

    assert list(SecurityEvent.objects.values_list("ip_address", flat=True)) == ["203.0.113.10"]
    line = RetentionReportLine.objects.get(target="accounts.SecurityEvent")
    assert (line.category, line.count) == ("access_logs", 1)


def test_applying_the_rules_as_of_a_later_day_needs_allow_future(db):
    from django.core.management.base import CommandError

    from kyklos.core.models import AuditEvent

    old = _locked(date(2025, 1, 1), name="Lena Later")
    with clock.frozen(date(2025, 6, 1)):
        with pytest.raises(CommandError, match="add --allow-future") as error:
            call_command("retention", "--date", "2027-03-01")
    assert error.value.returncode == 2
    old.refresh_from_db()
    assert old.name == "Lena Later"
    assert RetentionRun.objects.count() == 0
    assert not AuditEvent.objects.filter(action="privacy.retention.future_date_allowed")

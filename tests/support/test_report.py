import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.core import clock
from kyklos.support import report, services
from kyklos.support.models import Department, Status
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


def ticket(
    customer, agent, opened, *, priority="high", department="technical", reply=None, resolved=None
):
    with clock.frozen(opened):
        t = services.open_ticket(
            services.NewTicket(
                subject="x",
                body="y",
                department=department,
                customer=customer,
                priority=priority,
            )
        )
    if reply:
        with clock.frozen(reply):
            services.add_message(t, body="answer", from_staff=True, actor=agent)
    if resolved:
        with clock.frozen(resolved):
            services.set_status(t, Status.RESOLVED, actor=agent)
    return t


@pytest.fixture
def march(customer, agent):
    monday = at(2027, 3, 1, 9, 0)  # high: resolution due Wed 3 March 09:00
    ticket(customer, agent, monday, reply=at(2027, 3, 1, 11, 0), resolved=at(2027, 3, 2, 9, 0))
    ticket(customer, agent, monday, reply=at(2027, 3, 1, 13, 0), resolved=at(2027, 3, 4, 9, 0))
    ticket(customer, agent, monday, reply=at(2027, 3, 1, 9, 30))  # never resolved
    ticket(customer, agent, at(2027, 3, 31, 16, 0), priority="normal", department="sales")
    ticket(customer, agent, at(2027, 4, 1, 9, 0))  # April: not in the March report


def test_monthly_report_per_priority_and_department(march):
    rows = report.monthly(2027, 3, now=at(2027, 4, 1, 12, 0))
    summary = [
        (
            r.priority,
            r.department,
            r.tickets,
            r.met,
            r.decided,
            r.percent_met,
            r.median_first_response_hours,
            r.median_resolution_hours,
        )
        for r in rows
    ]
    assert summary == [
        ("high", "Technical", 3, 1, 3, 33.3, 2.0, 48.0),
        ("high", "*", 3, 1, 3, 33.3, 2.0, 48.0),
        # Still open and not yet due on 1 April: not decided, no percentage.
        ("normal", "Sales", 1, 0, 0, None, None, None),
        ("normal", "*", 1, 0, 0, None, None, None),
    ]


def test_report_in_one_query(march, django_assert_num_queries):
    with django_assert_num_queries(1):
        report.monthly(2027, 3)


def test_csv_neutralises_formulas(customer, agent):
    Department.objects.create(code="evil", name='=HYPERLINK("http://x.example","click")')
    ticket(customer, agent, at(2027, 3, 2, 10, 0), department="evil")
    text = report.to_csv(report.monthly(2027, 3, now=at(2027, 3, 2, 11, 0)))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["priority", "department", "tickets"]
    assert rows[1][1] == '\'=HYPERLINK("http://x.example","click")'
    assert [report.safe_cell(v) for v in ("+1", "-2", "@SUM(A1)", "ok", 3)] == [
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "ok",
        "3",
    ]


def test_report_command(march, capsys):
    with clock.frozen(at(2027, 4, 2, 9, 0)):
        call_command("sla_report", "--month", "2027-03")
        out = capsys.readouterr().out
        assert "high     Technical" in out and "33.3" in out
        call_command("sla_report", "--month", "2027-03", "--csv")
        assert capsys.readouterr().out.startswith("priority,department,tickets")
    with pytest.raises(CommandError) as error:
        call_command("sla_report", "--month", "2027-13")
    assert error.value.returncode == 2

"""``kyklos automate``, ``simulate`` and ``forecast`` as a user runs them."""

import json
import subprocess
import sys
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import kyklos
from kyklos.automation import services
from kyklos.automation.models import AutomationRun
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.lifecycle.models import Service, State
from kyklos.notifications.models import Outbox
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2028, 3, 1)
SRC = str(Path(kyklos.__file__).parent.parent)  # this checkout's code in a subprocess


@pytest.fixture(autouse=True)
def today():
    """The daily run refuses days ahead of today: these tests run on 1 March 2028."""
    with clock.frozen(TODAY):
        yield TODAY


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def service():
    return factories.active_service(
        factories.customer(),
        factories.product("shared_hosting"),
        started_on=date(2027, 1, 10),
        expires_on=date(2028, 1, 10),
    )


def test_automate_prints_a_summary_and_then_says_it_already_ran(service):
    first = run("automate", "--date", "2027-12-11")
    again = run("automate", "--date", "2027-12-11")

    assert "2027-12-11: 1 actions" in first
    assert "renewal_invoice" in first and "expiry_warning_skipped" in first
    assert again.startswith("2027-12-11: nothing to do — already ran at")
    assert AutomationRun.objects.get(day=date(2027, 12, 11)).attempts == 2


def test_automate_a_range_runs_each_day_in_order_as_json(service):
    data = json.loads(run("automate", "--from", "2028-01-09", "--to", "2028-01-11", "--json"))
    assert [d["date"] for d in data] == ["2028-01-09", "2028-01-10", "2028-01-11"]
    assert data[1]["actions"]["service_suspended"] == 1


def test_automate_plan_prints_the_steps_in_order_and_runs_nothing(service, settings):
    lines = run("automate", "--plan", "--date", "2027-12-11").splitlines()

    assert len(lines) == len(settings.KYKLOS_DAILY_STEPS)
    assert [line.split()[:3] for line in lines[:2]] == [
        ["1", "lifecycle.apply_cancellations", "chunkable"],
        ["2", "lifecycle.issue_renewal_proformas", "chunkable"],
    ]
    assert [line.split()[1] for line in lines] == settings.KYKLOS_DAILY_STEPS
    assert lines[-1].split(maxsplit=3) == [
        str(len(settings.KYKLOS_DAILY_STEPS)),
        "core.seal_audit_trail",
        "whole",
        "The daily step: seal what the day's run logged.",
    ]
    plan = json.loads(run("automate", "--plan", "--json"))
    quotes = settings.KYKLOS_DAILY_STEPS.index("projects.expire_quotes")
    assert plan[quotes] == {
        "position": quotes + 1,
        "name": "projects.expire_quotes",
        "chunkable": False,
        "summary": "Daily step: sent quotes whose last valid day is before ``day`` expire (R7.1).",
    }
    assert not AutomationRun.objects.exists() and not Outbox.objects.exists()
    assert not Invoice.objects.exists()


def test_simulate_runs_the_real_steps_and_keeps_nothing(service):
    data = json.loads(run("simulate", "--start", "2027-12-01", "--days", "80", "--json"))

    by_day = {d["date"]: d["actions"] for d in data if d["actions"]}
    assert by_day["2027-12-11"] == {"renewal_invoice": 1, "expiry_warning_skipped": 1}
    assert by_day["2028-01-10"] == {"payment_reminder": 1, "service_suspended": 1}
    assert by_day["2028-02-09"] == {"service_terminated": 1}
    # rolled back: nothing kept
    service.refresh_from_db()
    assert service.state == State.ACTIVE
    assert not Invoice.objects.exists() and not Outbox.objects.exists()
    assert not AutomationRun.objects.exists()


def test_simulation_predicts_what_automation_then_does(service):
    predicted = json.loads(run("simulate", "--start", "2027-12-01", "--days", "75", "--json"))
    done = json.loads(
        run("automate", "--from", "2027-12-01", "--to", "2028-02-13", "--yes", "--json")
    )
    assert [d["actions"] for d in predicted] == [d["actions"] for d in done]


def test_forecast_lists_the_dated_events_ahead(service):
    with clock.frozen(date(2027, 12, 1)):
        data = json.loads(run("forecast", "--service", str(service.pk), "--days", "80", "--json"))
    assert [(e["date"], e["event"]) for e in data] == [
        ("2027-12-11", "renewal_invoice"),
        ("2027-12-11", "expiry_warning"),
        ("2028-01-03", "payment_reminder"),
        ("2028-01-03", "expiry_warning"),
        ("2028-01-09", "payment_reminder"),
        ("2028-01-10", "payment_reminder"),
        ("2028-01-10", "suspend"),
        ("2028-02-09", "terminate"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["automate", "--date", "10/01/2028"], "--date: “10/01/2028” is not a date"),
        (["automate", "--from", "2028-01-10"], "--from and --to go together"),
        (["automate", "--from", "2028-01-10", "--to", "2028-01-01"], "--to is before --from"),
        (["simulate", "--days", "0"], "--days must be a positive whole number"),
        (["forecast", "--service", "999999"], "no service with id 999999"),
        (["forecast", "--customer", "999999"], "no customer with id 999999"),
    ],
)
def test_bad_arguments_fail_with_status_2_and_one_line(args, message):
    with pytest.raises(CommandError, match=message) as error:
        call_command(*args)
    assert error.value.returncode == 2
    assert "\n" not in str(error.value)
    assert not Service.objects.exists() and not AutomationRun.objects.exists()


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["automate", "--date", "tomorrow"],
            "CommandError: --date: “tomorrow” is not a date; use YYYY-MM-DD.",
        ),
        (
            ["automate", "--date", "9999-12-31"],
            "CommandError: --date: 9999-12-31 is after 2999-12-31, the last day accepted.",
        ),
        (  # argparse's own errors: one line too, without the usage text
            ["simulate", "--days", "ninety"],
            "kyklos simulate: error: argument --days: invalid int value: 'ninety'",
        ),
    ],
)
def test_the_kyklos_console_command_exits_2_with_one_line(tmp_path, args, line):
    result = subprocess.run(
        [sys.executable, "-m", "kyklos", *args],
        capture_output=True,
        text=True,
        env={"KYKLOS_HOME": str(tmp_path), "PATH": "", "PYTHONPATH": SRC},
        check=False,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.strip().splitlines() == [line]


def test_forecast_for_a_customer_costs_the_same_queries_for_one_or_many_services(
    django_assert_max_num_queries,
):
    customer = factories.customer()
    hosting = factories.product("shared_hosting")
    for n in range(1, 9):
        factories.active_service(customer, hosting, expires_on=date(2028, 1, n))
    with clock.frozen(date(2027, 12, 1)), django_assert_max_num_queries(4):
        rows = json.loads(run("forecast", "--customer", str(customer.pk), "--json"))
    assert len({r["service"] for r in rows}) == 8


# --- the run window ---------------------------------------------------------------------


def _rows() -> tuple[int, ...]:
    return (
        AutomationRun.objects.count(),
        AuditEvent.objects.count(),
        Invoice.objects.count(),
        Outbox.objects.count(),
        Service.objects.exclude(state=State.ACTIVE).count(),
    )


def test_automate_a_day_no_calendar_holds_exits_2_with_one_line_and_writes_nothing(service):
    before = _rows()
    with pytest.raises(CommandError) as error:
        call_command("automate", "--date", "9999-12-31", "--allow-future", "--yes")
    assert error.value.returncode == 2
    assert str(error.value) == ("--date: 9999-12-31 is after 2999-12-31, the last day accepted.")
    assert _rows() == before == (0, before[1], 0, 0, 0)


def test_automate_refuses_a_day_ahead_of_today_and_writes_nothing(service):
    before = _rows()
    with pytest.raises(CommandError) as error:
        call_command("automate", "--date", "2072-03-01", "--yes")
    assert error.value.returncode == 2
    assert str(error.value) == (
        "2072-03-01 is after today (2028-03-01); a day ahead of today runs only with the "
        "explicit override; give --allow-future to run it; nothing was run."
    )
    assert _rows() == before


def test_allow_future_runs_the_day_and_logs_the_override(service):
    err = StringIO()
    call_command(
        "automate", "--date", "2028-03-03", "--allow-future", stdout=StringIO(), stderr=err
    )

    assert err.getvalue().splitlines() == [
        "kyklos automate: warning: running 1 day(s) ahead of today (2028-03-01) up to "
        "2028-03-03, as --allow-future asks; logged."
    ]
    event = AuditEvent.objects.get(action="automation.future_run_allowed")
    assert (event.actor_label, event.object_id) == ("system", "2028-03-03")
    assert event.data == {
        "first": "2028-03-03",
        "last": "2028-03-03",
        "today": "2028-03-01",
        "days_ahead": 1,
    }
    assert event.at.date() == date(2028, 3, 1)
    assert AutomationRun.objects.get().day == date(2028, 3, 3)


def test_automate_refuses_a_day_more_than_the_catch_up_window_back(service, settings):
    settings.KYKLOS_CATCH_UP_DAYS = 10
    with pytest.raises(CommandError, match="more than 10 days before today") as error:
        call_command("automate", "--date", "2028-02-19")
    assert error.value.returncode == 2
    run("automate", "--date", "2028-02-20")
    assert AutomationRun.objects.count() == 1


class _Terminal(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "runs"), [("y\n", 5), ("n\n", 0), ("", 0)])
def test_a_long_range_asks_at_a_terminal(service, settings, monkeypatch, answer, runs):
    settings.KYKLOS_CONFIRM_RANGE_DAYS = 4
    monkeypatch.setattr("sys.stdin", _Terminal(answer))
    out = StringIO()
    try:
        call_command("automate", "--from", "2028-01-01", "--to", "2028-01-05", stdout=out)
    except CommandError as error:
        assert error.returncode == 2 and not runs
    assert out.getvalue().startswith(
        "2028-01-01 to 2028-01-05 is 5 days, more than 4 (KYKLOS_CONFIRM_RANGE_DAYS); "
        "confirm the range to run it. Run it? [y/N] "
    )
    assert AutomationRun.objects.count() == runs


def test_a_long_range_without_a_terminal_is_refused_in_one_line(service, settings, monkeypatch):
    settings.KYKLOS_CONFIRM_RANGE_DAYS = 4
    monkeypatch.setattr("sys.stdin", StringIO("y\n"))  # cron: never read
    with pytest.raises(CommandError, match="give --yes to run it; nothing was run.$") as error:
        call_command("automate", "--from", "2028-01-01", "--to", "2028-01-05")
    assert error.value.returncode == 2
    run("automate", "--from", "2028-01-01", "--to", "2028-01-04")
    run("automate", "--from", "2028-01-05", "--to", "2028-01-10", "--yes")
    assert AutomationRun.objects.count() == 10


@pytest.mark.parametrize("size", ["-5", "-1"])
def test_a_negative_batch_size_is_refused(service, size):
    with pytest.raises(CommandError, match="--batch-size must be 0") as error:
        call_command("automate", "--batch-size", size)
    assert error.value.returncode == 2
    assert not AutomationRun.objects.exists()


def test_a_failed_run_is_one_line_and_exit_1_and_the_run_is_marked_failed(service, monkeypatch):
    def broken(day, **kwargs):
        raise RuntimeError("could not reach the database server\nsecond line")

    monkeypatch.setattr(services, "run_steps", broken)
    with pytest.raises(CommandError) as error:
        call_command("automate", "--from", "2028-01-01", "--to", "2028-01-02", stdout=StringIO())
    assert error.value.returncode == 1
    assert str(error.value) == (
        "2028-01-01 failed: RuntimeError: could not reach the database server; the run is "
        "marked failed — run it again to retry"
    )
    assert list(AutomationRun.objects.values_list("day", "status")) == [
        (date(2028, 1, 1), "failed")
    ]

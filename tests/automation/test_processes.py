"""The daily run's chunks in local worker processes (``KYKLOS_DAILY_PROCESSES``): the same
work as one process, a dead worker fails the run clearly and the next run finishes it
exactly once; SQLite (and a run inside a transaction) stays in one process."""

import os
import signal
from collections import Counter
from datetime import date

import pytest
from django.db import connection, transaction

from kyklos.automation import runner
from kyklos.automation.models import AutomationRun, RunAttempt
from kyklos.automation.services import run_day
from kyklos.billing.models import Invoice
from kyklos.core.models import AuditEvent
from kyklos.core.registry import DailyStep, registry
from kyklos.lifecycle.models import Renewal, Service
from kyklos.notifications.models import Outbox
from tests.automation.test_chunks import assert_each_thing_done_once, expected, populate

DAY = date(2027, 6, 1)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="worker processes run on PostgreSQL only"
)


def outcome() -> dict:
    """What a run left in the database, independent of the order the chunks ran in."""
    return {
        "notices": sorted(
            Outbox.objects.values_list(
                "event", "service_id", "anchor_date", "offset_days", "status"
            )
        ),
        "documents": sorted(
            Invoice.objects.values_list("customer_id", "kind", "total", "issued_on", "due_on")
        ),
        "numbers": sorted(Invoice.objects.values_list("number", flat=True)),
        "periods": sorted(
            Renewal.objects.values_list("service_id", "period_start", "period_end", "amount")
        ),
        "states": sorted(Service.objects.values_list("id", "state")),
        "audit": Counter(AuditEvent.objects.values_list("action", flat=True)),
    }


class _Rollback(Exception):
    pass


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_run_in_worker_processes_does_exactly_what_a_run_in_one_process_does(settings):
    from kyklos.seed.bench import seed

    seed(customers=60, services=300, day=DAY)  # varied, but little of it is due on DAY
    populate(12)  # and these customers' services have something of every kind due
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 7
    settings.KYKLOS_DAILY_PROCESSES = 3
    assert len(runner.chunks()) >= 9

    try:  # in one process (a transaction around the run keeps it there), then undone
        with transaction.atomic():
            serial = run_day(DAY, batch_size=5)
            one_process = outcome()
            raise _Rollback
    except _Rollback:
        pass
    assert not AutomationRun.objects.exists()

    parallel = run_day(DAY, batch_size=5)

    assert parallel.total > 12 * 6
    assert parallel.actions == serial.actions
    assert outcome() == one_process


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_each_chunk_runs_in_a_worker_process_and_the_counts_add_up(settings, monkeypatch):
    populate(8)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    settings.KYKLOS_DAILY_PROCESSES = 2
    coordinator = os.getpid()
    name = "lifecycle.apply_cancellations"
    real = registry.steps[name]

    def reports_its_process(day, run):
        counts = real.func(day, run)
        return {**counts, f"pid_{os.getpid()}": 1}

    monkeypatch.setitem(registry.steps, name, DailyStep(name, reports_its_process, True))

    result = run_day(DAY)

    pids = {k for k in result.actions if k.startswith("pid_")}
    assert len(pids) == 2 and f"pid_{coordinator}" not in pids
    assert sum(result.actions[k] for k in pids) == len(runner.chunks())
    assert {k: v for k, v in result.actions.items() if k not in pids} == expected(8)
    assert_each_thing_done_once(8)


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_worker_that_dies_fails_the_run_clearly_and_the_next_run_finishes_exactly_once(
    settings, monkeypatch
):
    customers = populate(8)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    settings.KYKLOS_DAILY_PROCESSES = 2
    doomed = customers[3].pk // 2 * 2  # the first customer id of a chunk in the middle
    coordinator = os.getpid()
    name = "lifecycle.send_expiry_warnings"
    real = registry.steps[name]

    def killed_half_way(day, run):  # after the chunk's proformas, before its warnings
        if os.getpid() != coordinator and run.customer_from == doomed:
            os.kill(os.getpid(), signal.SIGKILL)
        return real.func(day, run)

    monkeypatch.setitem(registry.steps, name, DailyStep(name, killed_half_way, True))

    with pytest.raises(runner.WorkerDied) as died:
        run_day(DAY)

    message = str(died.value)
    assert "\n" not in message
    assert "ended abruptly (killed by SIGKILL)" in message and name in message
    attempt = RunAttempt.objects.get()
    assert attempt.status == AutomationRun.Status.FAILED
    assert attempt.error == f"WorkerDied: {message}"
    assert AutomationRun.objects.get().status == AutomationRun.Status.FAILED
    # the dead chunk's proformas were committed before it died
    assert Invoice.objects.filter(customer_id__in=[doomed, doomed + 1]).exists()

    monkeypatch.setitem(registry.steps, name, real)
    again = run_day(DAY)

    assert_each_thing_done_once(8)
    assert sum(again.actions.values()) < sum(expected(8).values())
    run = AutomationRun.objects.get()
    assert run.status == AutomationRun.Status.DONE and run.attempts == 2


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_step_failing_in_a_worker_fails_the_run_with_its_error(settings, monkeypatch):
    populate(6)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    settings.KYKLOS_DAILY_PROCESSES = 2
    name = "lifecycle.suspend_expired"

    def fails(day, run):
        raise RuntimeError("the policy table is unreadable")

    monkeypatch.setitem(registry.steps, name, DailyStep(name, fails, True))

    with pytest.raises(RuntimeError, match="the policy table is unreadable"):
        run_day(DAY)

    attempt = RunAttempt.objects.get()
    assert attempt.status == AutomationRun.Status.FAILED
    assert attempt.error == "RuntimeError: the policy table is unreadable"
    assert not Outbox.objects.filter(event="service_suspended").exists()


@pytest.mark.django_db
def test_sqlite_and_a_run_inside_a_transaction_stay_in_one_process(settings, monkeypatch):
    populate(4)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    settings.KYKLOS_DAILY_PROCESSES = 4

    def no_fork(size):  # pragma: no cover - the assertion
        raise AssertionError("forked worker processes")

    monkeypatch.setattr(runner, "Pool", no_fork)

    result = run_day(DAY)  # this test's own transaction is open around the run

    assert result.actions == expected(4)
    assert_each_thing_done_once(4)
    assert runner.processes() == (4 if connection.vendor == "postgresql" else 1)


def test_a_negative_number_of_processes_is_refused(settings):
    settings.KYKLOS_DAILY_PROCESSES = -1
    if connection.vendor != "postgresql":
        assert runner.processes() == 1
        return
    with pytest.raises(ValueError, match="KYKLOS_DAILY_PROCESSES must be 0"):
        runner.processes()

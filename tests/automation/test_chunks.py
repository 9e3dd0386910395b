"""The daily run in chunks of customers: same result as whole, other apps' steps intact,
and exactly once when two runs or a dead worker meet (PostgreSQL)."""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import connection, connections

from kyklos.automation import locks, runner
from kyklos.automation.services import run_day
from kyklos.billing.models import Invoice, NumberSeries
from kyklos.core.registry import DailyStep, RunContext, registry
from kyklos.lifecycle.models import Renewal, Service, State
from kyklos.notifications.models import Outbox
from tests import factories

DAY = date(2027, 6, 1)
#: What :func:`populate` makes due on DAY for each customer, by hand from the default
#: shared-hosting policy (annual: proforma 30 days ahead; warnings 30, 7; reminders 7, 1,
#: 0; suspension on expiry, termination 30 days after) and R3.4 (no reminder with its
#: proforma; an auto-renewing service's warnings are said by its proforma and reminders):
#: - expiring in 30 days: proforma; the 30-day warning skipped (the proforma says it);
#: - expiring in 7 days: (late) proforma; the 7-day warning and reminder skipped (same day
#:   as the proforma), the 30-day warning stale (skipped);
#: - expiring today: (late) proforma, suspension; skipped: warnings 30 and 7, reminders 7
#:   and 1 (stale) and the day-0 one (with its proforma);
#: - suspended, expired 30 days ago: termination;
#: - cancellation effective today.
EXPECTED_PER_CUSTOMER = {
    "renewal_invoice": 3,
    "expiry_warning_skipped": 5,
    "payment_reminder_skipped": 4,
    "service_suspended": 1,
    "service_terminated": 1,
    "service_cancelled": 1,
}
NOTICES_PER_CUSTOMER = 3 + 5 + 4 + 1 + 1  # proformas, warnings, reminders, suspension, end


def populate(customers: int) -> list:
    NumberSeries.objects.get_or_create(kind="proforma", year=DAY.year, defaults={"prefix": "PRO"})
    hosting = factories.product("shared_hosting")
    made = []
    for _ in range(customers):
        cust = factories.customer()
        factories.active_service(cust, hosting, expires_on=DAY + timedelta(days=30))
        factories.active_service(cust, hosting, expires_on=DAY + timedelta(days=7))
        factories.active_service(cust, hosting, expires_on=DAY)
        factories.active_service(
            cust, hosting, expires_on=DAY - timedelta(days=30), state=State.SUSPENDED
        )
        factories.active_service(
            cust, hosting, expires_on=DAY + timedelta(days=200), cancel_effective_on=DAY
        )
        made.append(cust)
    return made


def expected(customers: int) -> dict:
    return {k: v * customers for k, v in sorted(EXPECTED_PER_CUSTOMER.items())}


def assert_each_thing_done_once(customers: int) -> None:
    assert Renewal.objects.count() == 3 * customers
    assert Invoice.objects.count() == 3 * customers
    assert Outbox.objects.count() == NOTICES_PER_CUSTOMER * customers
    keys = Outbox.objects.values_list("event", "service_id", "anchor_date", "offset_days")
    assert len(keys) == len(set(keys))
    assert Service.objects.filter(state=State.TERMINATED).count() == customers


# --- in one process -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_run_in_chunks_of_two_customers_does_what_one_whole_run_does(settings):
    populate(5)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    chunks = runner.chunks()
    assert len(chunks) >= 3  # ids 1..5 at least: [0, 2), [2, 4), [4, 6) …

    result = run_day(DAY)

    assert result.actions == expected(5)
    assert_each_thing_done_once(5)


@pytest.mark.django_db
def test_chunks_cover_every_customer_id_with_fixed_ranges(settings):
    customers = populate(3)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 10
    top = customers[-1].pk
    chunks = runner.chunks()
    assert chunks[0].first == 0 and chunks[-1].end > top
    assert all(a.end == b.first for a, b in zip(chunks, chunks[1:], strict=False))
    assert [c.index for c in chunks] == list(range(top // 10 + 1))


def test_consecutive_chunkable_steps_form_one_phase_and_others_stand_alone():
    def step(name, chunkable):
        return DailyStep(name, lambda day, run: {}, chunkable)

    steps = [step("a", True), step("b", True), step("x", False), step("c", True)]
    found = runner.phases(steps)
    assert [(p.names, p.chunked) for p in found] == [
        (["a", "b"], True),
        (["x"], False),
        (["c"], True),
    ]


@pytest.mark.django_db
def test_a_step_registered_the_old_way_runs_once_over_everything_between_the_phases(settings):
    populate(3)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 1
    seen = []

    def sla_checks(day, run):  # another app's step, registered as before chunking
        seen.append((day, run.is_chunk, Renewal.objects.count()))
        return {"sla_warning": 0}

    order = list(settings.KYKLOS_DAILY_STEPS)
    order.insert(order.index("lifecycle.issue_renewal_proformas") + 1, "support.sla_checks")
    settings.KYKLOS_DAILY_STEPS = order
    registry.register_daily_step("support.sla_checks", sla_checks)
    try:
        result = run_day(DAY)
    finally:
        del registry.steps["support.sla_checks"]

    # once, after the proformas of every chunk, before the reminders
    assert seen == [(DAY, False, 9)]
    assert result.actions == expected(3)


@pytest.mark.django_db
def test_run_context_limits_a_queryset_to_its_customer_range():
    customers = populate(3)
    ids = [c.pk for c in customers]
    ctx = RunContext(customer_from=ids[1], customer_to=ids[2])
    assert set(ctx.in_range(Service.objects).values_list("customer_id", flat=True)) == {ids[1]}
    assert RunContext().in_range(Service.objects).count() == 15


@pytest.mark.django_db
def test_a_chunk_that_failed_half_way_is_finished_by_the_next_run_without_repeats(
    settings, monkeypatch
):
    populate(4)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 1000
    from kyklos.lifecycle import daily

    real = daily.notices.queue_notices
    calls = Counter()

    def dies_on_the_third_batch(rows, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(rows, *args, **kwargs)

    monkeypatch.setattr(daily.notices, "queue_notices", dies_on_the_third_batch)
    with pytest.raises(RuntimeError):
        run_day(DAY, batch_size=2)
    done_before = Outbox.objects.count()
    assert 0 < done_before

    monkeypatch.setattr(daily.notices, "queue_notices", real)
    again = run_day(DAY, batch_size=2)

    assert_each_thing_done_once(4)
    assert sum(again.actions.values()) < sum(expected(4).values())


# --- PostgreSQL: several runs at once -------------------------------------------------------

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL advisory locks"
)


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_two_runs_at_once_do_everything_exactly_once(settings):
    populate(12)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 3
    results, errors = [], []

    def run():
        try:
            results.append(run_day(DAY, batch_size=2).actions)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors
    total = Counter()
    for actions in results:
        total.update(actions)
    assert dict(sorted(total.items())) == expected(12)
    assert_each_thing_done_once(12)


@needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_a_chunk_held_by_a_worker_that_dies_is_taken_over_when_its_session_ends(settings):
    import psycopg

    populate(4)
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 1000  # one chunk: index 0
    db = connection.settings_dict
    worker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=True
    )
    worker.execute("SELECT pg_advisory_lock(%s)", [locks.key(runner.Chunk(0, 0, 1000).lock)])
    pid = worker.info.backend_pid
    results = []

    def run():
        try:
            results.append(run_day(DAY).actions)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(1.5)
    assert thread.is_alive() and not Invoice.objects.exists()  # waits for the chunk

    with connections["default"].cursor() as cursor:  # the worker is killed
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    thread.join(timeout=60)

    assert results == [expected(4)]
    assert_each_thing_done_once(4)


# --- PostgreSQL + Redis: chunks on a Celery worker -------------------------------------------


def _redis_up() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@needs_postgres
@pytest.mark.skipif(not _redis_up(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migration_data")
def test_chunks_run_on_a_celery_worker_when_a_broker_is_set(settings, tmp_path):
    populate(6)
    broker = "redis://127.0.0.1:6379/13"
    queue = f"kyklos-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KYKLOS_DAILY_BROKER": broker,
        "PYTHONPATH": str(root / "src"),
        "KYKLOS_HOME": str(tmp_path),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "kyklos.automation.celery", "worker",
         "--pool=solo", "-Q", queue, "--loglevel=WARNING", "--without-heartbeat",
         "--without-mingle", "--without-gossip"],
        env=env, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    settings.KYKLOS_DAILY_BROKER = broker
    settings.KYKLOS_DAILY_CHUNK_CUSTOMERS = 2
    settings.KYKLOS_DAILY_QUEUE = queue
    settings.KYKLOS_DAILY_CHUNK_TIMEOUT = 120
    try:
        result = run_day(DAY)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert result.actions == expected(6)
    assert_each_thing_done_once(6)

"""The simulator: the actions the committed daily runs then take, day by day, and nothing
kept — on PostgreSQL it commits its days into a scratch copy (decision 0039), elsewhere it
rolls one transaction back; both are run here on whichever database the suite uses."""

import hashlib
from datetime import date, timedelta

import pytest
from django.apps import apps
from django.db import connection, transaction

from kyklos.automation import services
from kyklos.automation.models import AutomationRun
from kyklos.core.registry import registry
from kyklos.seed.bench import seed

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]

DAY = date(2027, 6, 1)
DAYS = 30


def fingerprint() -> dict:
    """Every table's rows (a digest of all their values) and, on PostgreSQL, every
    sequence's position and the schemas there are."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        digest = hashlib.sha256()
        for row in sorted(map(repr, model._base_manager.values_list())):
            digest.update(row.encode())
        found[model._meta.db_table] = digest.hexdigest()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
            )
            found["sequences"] = cursor.fetchall()
            cursor.execute(  # (a session's first temporary table makes its own schema)
                "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg%temp%' ORDER BY 1"
            )
            found["schemas"] = cursor.fetchall()
    return found


@pytest.fixture
def bench_data():
    """A small benchmark seed (the 100k benchmark's kind of data: every service state,
    open proformas, notices already sent), the day before :data:`DAY` done."""
    seed(customers=30, services=120, day=DAY)


def test_the_simulated_days_take_the_actions_the_committed_daily_runs_then_take(bench_data):
    before = fingerprint()

    predicted = services.simulate(DAY, DAYS)

    assert fingerprint() == before  # the live data: not a row, not a sequence changed
    done = services.run_range(DAY, DAY + timedelta(days=DAYS - 1), in_process=True)
    assert [(r.day, r.actions) for r in predicted] == [(r.day, r.actions) for r in done]
    # a stretch that bills, reminds, suspends and terminates
    kinds = {kind for r in done for kind, count in r.actions.items() if count}
    assert {"renewal_invoice", "payment_reminder", "service_suspended"} <= kinds
    assert {"service_terminated"} <= kinds
    assert AutomationRun.objects.count() == DAYS


def test_nothing_the_simulated_runs_would_do_after_their_commit_happens(bench_data, settings):
    after_commit = []

    def talks_to_the_world(day, run):  # as the registry, server and card steps do
        transaction.on_commit(lambda: after_commit.append(day))
        return {}

    settings.KYKLOS_DAILY_STEPS = [*settings.KYKLOS_DAILY_STEPS, "payments.world"]
    registry.register_daily_step("payments.world", talks_to_the_world)
    try:
        before = fingerprint()
        results = services.simulate(DAY, 3)
    finally:
        del registry.steps["payments.world"]

    assert [r.day for r in results] == [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    assert after_commit == []
    assert fingerprint() == before


def test_a_simulation_that_fails_keeps_nothing_and_says_why(bench_data, settings):
    def breaks(day, run):
        if day > DAY:
            raise RuntimeError("the second day breaks")
        return {}

    settings.KYKLOS_DAILY_STEPS = [*settings.KYKLOS_DAILY_STEPS, "payments.breaks"]
    registry.register_daily_step("payments.breaks", breaks)
    before = fingerprint()
    try:
        with pytest.raises(RuntimeError, match="the second day breaks"):
            services.simulate(DAY, 3)
    finally:
        del registry.steps["payments.breaks"]

    assert fingerprint() == before
    if connection.vendor == "postgresql":  # the connection is back on the live tables
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relnamespace::regnamespace::text FROM pg_class"
                " WHERE oid = 'lifecycle_service'::regclass"
            )
            assert cursor.fetchone()[0] == "public"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the scratch copy is PostgreSQL's")
def test_the_scratch_copy_is_the_live_tables_and_is_dropped_after(bench_data):
    from kyklos.automation.scratch import scratch_copy
    from kyklos.lifecycle.models import Service

    live = sorted(Service.objects.values_list("pk", "state", "expires_on"))
    with scratch_copy() as schema:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relnamespace::regnamespace::text FROM pg_class"
                " WHERE oid = 'lifecycle_service'::regclass"
            )
            assert cursor.fetchone()[0] == schema
        assert sorted(Service.objects.values_list("pk", "state", "expires_on")) == live
        Service.objects.update(state="terminated")
        assert set(Service.objects.values_list("state", flat=True)) == {"terminated"}
    assert sorted(Service.objects.values_list("pk", "state", "expires_on")) == live
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace", [schema]
        )
        assert cursor.fetchone()[0] == 0

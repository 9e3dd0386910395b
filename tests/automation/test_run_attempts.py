"""Every attempt at a day's run is kept, and a failed one says so."""

from datetime import date

import pytest

from kyklos.automation import services
from kyklos.automation.models import AutomationRun, RunAttempt
from tests import factories

pytestmark = pytest.mark.django_db

DAY = date(2027, 12, 11)


@pytest.fixture
def service():
    return factories.active_service(
        factories.customer(),
        factories.product("shared_hosting"),
        started_on=date(2027, 1, 10),
        expires_on=date(2028, 1, 10),
    )


def _break_steps(monkeypatch):
    def broken(day, **kwargs):
        raise RuntimeError("could not reach the database server\nsecond line")

    monkeypatch.setattr(services, "run_steps", broken)


def test_a_failed_attempt_marks_the_run_failed_with_the_error(monkeypatch, service):
    _break_steps(monkeypatch)
    with pytest.raises(RuntimeError):
        services.run_day(DAY)

    run = AutomationRun.objects.get(day=DAY)
    assert run.status == AutomationRun.Status.FAILED
    attempt = RunAttempt.objects.get(run=run)
    assert (attempt.number, attempt.status) == (1, AutomationRun.Status.FAILED)
    assert attempt.error == "RuntimeError: could not reach the database server"
    assert attempt.finished_at is not None


def test_the_next_attempt_finishes_the_run_and_every_attempt_is_kept(monkeypatch, service):
    with monkeypatch.context() as patched:
        _break_steps(patched)
        with pytest.raises(RuntimeError):
            services.run_day(DAY)
    services.run_day(DAY)
    services.run_day(DAY)  # finds nothing more to do

    run = AutomationRun.objects.get(day=DAY)
    assert (run.status, run.attempts) == (AutomationRun.Status.DONE, 3)
    attempts = list(run.attempt_log.values_list("number", "status", "summary"))
    assert attempts == [
        (1, "failed", {}),
        (2, "done", {"expiry_warning_skipped": 1, "renewal_invoice": 1}),
        (3, "done", {}),
    ]
    assert run.summary == {"expiry_warning_skipped": 1, "renewal_invoice": 1}


def test_a_later_failure_does_not_undo_a_finished_run(monkeypatch, service):
    services.run_day(DAY)
    first_finish = AutomationRun.objects.get(day=DAY).finished_at
    _break_steps(monkeypatch)
    with pytest.raises(RuntimeError):
        services.run_day(DAY)

    run = AutomationRun.objects.get(day=DAY)
    assert run.status == AutomationRun.Status.DONE
    assert run.finished_at == first_finish
    assert list(run.attempt_log.values_list("status", flat=True)) == ["done", "failed"]

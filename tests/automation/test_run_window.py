"""The days a real daily run accepts (``automation.services.check_run_days``), for every
caller: the command, a scheduler, a script. ``run_day`` itself accepts any date."""

from datetime import date

import pytest

from kyklos.automation import services
from kyklos.automation.models import AutomationRun
from kyklos.core import clock
from kyklos.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TODAY = date(2028, 3, 1)


@pytest.fixture(autouse=True)
def today():
    with clock.frozen(TODAY):
        yield TODAY


def test_today_and_the_days_before_it_are_in_the_window():
    window = services.check_run_days(date(2028, 2, 1), TODAY)
    assert (window.days, window.days_ahead, window.today) == (30, 0, TODAY)
    assert services.check_run_days(TODAY).days == 1


@pytest.mark.parametrize(
    ("first", "last", "override"),
    [
        (date(2028, 3, 2), None, "allow_future"),
        (date(2028, 2, 20), date(2028, 3, 5), "allow_future"),
        (date(2028, 1, 1), date(2028, 2, 28), "confirmed"),
        (date(2027, 2, 28), None, ""),  # more than 366 days back
        (date(1, 1, 1), None, ""),
        (date(9999, 12, 31), None, ""),
        (date(2028, 2, 2), date(2028, 2, 1), ""),
    ],
)
def test_days_outside_the_window_are_refused_and_name_their_override(first, last, override):
    with pytest.raises(services.RunRefused) as refusal:
        services.check_run_days(first, last)
    assert refusal.value.override == override
    assert not AutomationRun.objects.exists() and not AuditEvent.objects.exists()


def test_the_overrides_admit_the_days_and_the_future_is_recorded():
    window = services.check_run_days(
        date(2028, 2, 1), date(2028, 3, 4), allow_future=True, confirmed=True
    )
    assert (window.days, window.days_ahead) == (33, 3)
    services.record_future_override(window, actor="scheduler")
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_label) == (services.FUTURE_RUN_ALLOWED, "scheduler")
    assert event.data["last"] == "2028-03-04"


def test_nothing_is_recorded_when_no_day_lies_ahead():
    services.record_future_override(services.check_run_days(TODAY))
    assert not AuditEvent.objects.exists()


def test_run_day_itself_still_accepts_a_future_day():
    services.run_day(date(2072, 3, 1))
    assert AutomationRun.objects.get().status == AutomationRun.Status.DONE

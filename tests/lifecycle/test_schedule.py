"""The dated moments of a policy, and when a service counts as expiring (R3.1–R3.3)."""

from datetime import date

import pytest

from kyklos.catalog.models import LifecyclePolicy
from kyklos.lifecycle import schedule

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("warnings", "cycle", "days_left", "expiring"),
    [
        ([30, 7], "annual", 30, True),  # the proforma and the first warning: 30 days
        ([30, 7], "annual", 31, False),
        ([7], "monthly", 7, True),  # a policy without the 30-day warning: 7 days
        ([7], "monthly", 8, False),
        ([7], "annual", 30, True),  # but an annual proforma still goes out 30 days ahead
        ([7], "monthly", -2, True),  # past expiry, not yet suspended
    ],
)
def test_expiring_follows_the_policy_notice_window(warnings, cycle, days_left, expiring):
    policy = LifecyclePolicy.objects.get(code="shared_hosting")
    policy.warning_offsets = warnings
    today = date(2027, 6, 1)
    expires_on = date.fromordinal(today.toordinal() + days_left)
    assert schedule.is_expiring("active", policy, cycle, expires_on, today) is expiring
    assert schedule.is_expiring("suspended", policy, cycle, expires_on, today) is False


def test_add_months_keeps_the_anchor_day():
    assert schedule.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert schedule.add_months(date(2027, 2, 28), 1, anchor_day=31) == date(2027, 3, 31)
    assert schedule.period_end(date(2028, 2, 29), "annual") == date(2029, 2, 28)

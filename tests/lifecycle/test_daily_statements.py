"""The daily run is set-based: its statement count does not grow with the services."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kyklos.automation.models import AutomationRun
from kyklos.automation.services import run_day
from kyklos.billing.models import NumberSeries
from kyklos.lifecycle.models import Service, State
from kyklos.notifications.models import Outbox
from tests import factories

pytestmark = pytest.mark.django_db

DAY = date(2027, 6, 1)


def populate(per_kind: int) -> None:
    """``per_kind`` services due for each kind of action on DAY."""
    # The year's proforma series exists already (creating it is a once-a-year statement).
    NumberSeries.objects.get_or_create(kind="proforma", year=DAY.year, defaults={"prefix": "PRO"})
    hosting = factories.product("shared_hosting", code=f"hosting-{per_kind}")
    storage = factories.product("addon", code=f"storage-{per_kind}", prices={"annual": "10.00"})
    for _i in range(per_kind):
        cust = factories.customer()
        # proforma + 30-day warning
        parent = factories.active_service(cust, hosting, expires_on=DAY + timedelta(days=30))
        factories.active_service(cust, storage, expires_on=parent.expires_on, parent=parent)
        # 7-day warning (and a late proforma, a 7-day reminder)
        factories.active_service(cust, hosting, expires_on=DAY + timedelta(days=7))
        # suspension today
        factories.active_service(cust, hosting, expires_on=DAY)
        # termination today
        factories.active_service(
            cust, hosting, expires_on=DAY - timedelta(days=30), state=State.SUSPENDED
        )
        # an immediate cancellation falling due
        factories.active_service(
            cust, hosting, expires_on=DAY + timedelta(days=200), cancel_effective_on=DAY
        )


def statements(per_kind: int) -> tuple[int, dict]:
    populate(per_kind)
    with CaptureQueriesContext(connection) as ctx:
        result = run_day(DAY)
    return len(ctx.captured_queries), result.actions


def test_statement_count_is_the_same_for_5_and_40_services_per_action(settings):
    settings.KYKLOS_COPY_ROWS = 1  # the same way of inserting for both (COPY on PostgreSQL)
    small, small_actions = statements(5)
    Outbox.objects.all().delete()
    Service.objects.all().delete()
    AutomationRun.objects.all().delete()
    large, large_actions = statements(40)

    # the 30-day and 7-day ones, and (late, still before termination) the one expiring today
    assert small_actions["renewal_invoice"] == 15
    assert large_actions["renewal_invoice"] == 120
    assert large_actions["service_suspended"] == 40
    assert large_actions["service_terminated"] == 40
    assert large_actions["service_cancelled"] == 40
    assert small == large, (small, large)

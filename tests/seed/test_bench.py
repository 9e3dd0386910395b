"""``kyklos bench seed``: benchmark data in bulk, into an empty database only."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.automation.services import run_day
from kyklos.billing.models import Invoice
from kyklos.customers.models import Customer
from kyklos.lifecycle.models import Service
from tests import factories

pytestmark = pytest.mark.django_db

DAY = date(2025, 3, 10)


def seed(*args) -> str:
    out = StringIO()
    call_command("bench", "seed", *args, stdout=out)
    return out.getvalue()


def test_the_seed_fills_an_empty_database_and_reports_the_rows_it_wrote():
    result = json.loads(
        seed("--customers=20", "--services=60", f"--date={DAY}", "--portal-services=3", "--json")
    )

    assert (result["customers"], result["services"]) == (21, 63)
    assert Customer.objects.count() == 21 and Service.objects.count() == 63
    assert result["rows"]["billing_invoice"] == Invoice.objects.count()
    portal = Customer.objects.get(pk=result["portal_customer_id"])
    assert portal.user.username == "bench"
    assert Service.objects.filter(customer=portal).count() == 3


def test_the_daily_run_for_the_day_before_finds_nothing_to_do():
    seed("--customers=20", "--services=60", f"--date={DAY}")

    assert run_day(DAY - timedelta(days=1), in_process=True).total == 0


def test_a_database_with_customers_is_refused_and_left_alone():
    factories.customer(name="Real Customer")

    with pytest.raises(CommandError, match="already has customers"):
        seed("--customers=1", "--services=1", f"--date={DAY}")
    assert Customer.objects.count() == 1 and not Service.objects.exists()

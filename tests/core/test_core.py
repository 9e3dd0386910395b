import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from kyklos.core import clock
from kyklos.core.money import Money, format_money, round_money
from kyklos.core.tasks import enqueue
from tests.core import tasks_for_tests


def test_the_clock_can_be_frozen_on_a_provider_day():
    with clock.frozen(date(2027, 3, 28)):  # the night DST starts in Athens
        assert clock.today() == date(2027, 3, 28)
        assert clock.now().tzinfo is not None
    with clock.frozen(datetime(2027, 12, 31, 23, 30)):  # naive = provider time
        assert clock.today() == date(2027, 12, 31)
        assert clock.now().astimezone().utcoffset() is not None
    assert not clock.is_frozen()


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("0.125", "EUR", "0.13"),
        ("-0.125", "EUR", "-0.13"),
        ("2.5", "JPY", "3"),
        ("1.0049", "EUR", "1.00"),
    ],
)
def test_money_is_rounded_half_away_from_zero_to_the_minor_unit(amount, currency, expected):
    assert round_money(amount, currency) == Decimal(expected)


def test_money_refuses_floats_and_mixed_currencies():
    with pytest.raises(TypeError):
        round_money(0.1, "EUR")
    with pytest.raises(ValueError, match="cannot combine"):
        Money(Decimal("1"), "EUR") + Money(Decimal("1"), "PLN")
    assert (Money(Decimal("1.10"), "EUR") + Money(Decimal("2.205"), "EUR")).amount == Decimal(
        "3.31"
    )


def test_money_is_formatted_for_the_language():
    assert format_money(Decimal("1234.5"), "EUR", "el") == "1.234,50\xa0€"
    assert format_money(Decimal("1234.5"), "EUR", "en") == "€1,234.50"


@pytest.mark.django_db(transaction=True)
def test_tasks_are_enqueued_only_after_the_transaction_commits():
    tasks_for_tests.CALLS.clear()
    with transaction.atomic():
        enqueue(tasks_for_tests.remember, "kept")
        assert tasks_for_tests.CALLS == []  # not before the commit
    assert tasks_for_tests.CALLS == ["kept"]

    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(tasks_for_tests.remember, "rolled back")
        raise RuntimeError
    assert tasks_for_tests.CALLS == ["kept"]


def test_production_settings_refuse_the_demo_secret_key(tmp_path):
    env = {"PATH": os.environ.get("PATH", ""), "KYKLOS_HOME": str(tmp_path), "KYKLOS_DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "kyklos", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "KYKLOS_SECRET_KEY must be set" in result.stderr

    env["KYKLOS_SECRET_KEY"] = "a-real-secret-" + "x" * 40
    env["KYKLOS_ALLOWED_HOSTS"] = "kyklos.example"
    ok = subprocess.run(
        [sys.executable, "-m", "kyklos", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr

"""Every ``kyklos`` command answers bad arguments with one line and an exit status, and
writes nothing (``kyklos.core.cli``)."""

from datetime import date
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from kyklos.core import clock
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2028, 3, 1)
EX_TEMPFAIL = 75

BAD = [
    # the daily run
    (["automate", "--date", "9999-12-31"], "after 2999-12-31"),
    (["automate", "--date", "0001-01-01"], "before 1900-01-01"),
    (["automate", "--date", "2072-03-01"], "give --allow-future"),
    (["automate", "--date", "2028-03-02"], "after today (2028-03-01)"),
    (["automate", "--date", "2020-01-01"], "KYKLOS_CATCH_UP_DAYS"),
    (["automate", "--from", "2028-01-01", "--to", "2028-02-29"], "give --yes"),
    (["automate", "--from", "2028-01-01", "--to", "9999-12-31"], "after 2999-12-31"),
    (["automate", "--batch-size", "-5"], "--batch-size must be 0"),
    (["automate", "--batch-size", "many"], "invalid int value"),
    (["automate", "--dry-run"], "unrecognized arguments"),
    # the simulator and the forecast
    (["simulate", "--days", "100000"], "--days: at most 3660"),
    (["simulate", "--days", "-1"], "--days must be a positive whole number"),
    (["simulate", "--start", "9999-12-31"], "after 2999-12-31"),
    (["simulate", "--start", "0001-01-01"], "before 1900-01-01"),
    (["simulate", "--start", "2999-12-01", "--days", "60"], "would end after 2999-12-31"),
    (["simulate", "--batch-size", "-1"], "--batch-size must be 0"),
    (["forecast", "--customer", "1", "--days", "100000"], "--days: at most 3660"),
    (["forecast", "--service", "-1"], "no service with id -1"),
    (["forecast", "--customer", "many"], "invalid int value"),
    (["forecast"], "one of the arguments --service --customer is required"),
    # retention, the audit trail, the vault
    (["retention", "--date", "9999-12-31"], "after 2999-12-31"),
    (["retention", "--date", "0001-01-01"], "before 1900-01-01"),
    (["retention", "--batch-size", "0"], "--batch-size must be a positive whole number"),
    (["audit", "seal", "--batch-size", "0"], "--batch-size must be a positive whole number"),
    (["audit", "repair"], "invalid choice: 'repair'"),
    (["audit"], "the following arguments are required: action"),
    (["vault", "rotate-key", "--batch-size", "-1"], "must be a positive whole number"),
    (["vault", "drop-key"], "invalid choice: 'drop-key'"),
    # support
    (["sla_check", "--at", "9999-12-31T23:59"], "after 2999-12-31"),
    (["sla_check", "--at", "0001-01-01T00:00"], "before 1900-01-01"),
    (["sla_check", "--at", "soon"], "is not a date and time"),
    (["sla_report", "--month", "9999-12"], "after 2999-12-31"),
    (["sla_report", "--month", "0000-01"], "is not a month"),
    (["sla_report", "--month", "2027-13"], "is not a month"),
    # receivables, notifications, API tokens
    (["charge_interest", "--through", "9999-12-31"], "after 2999-12-31"),
    (["charge_interest", "--through", "0001-01-01"], "before 1900-01-01"),
    (["charge_interest", "--through", "2028-03-02"], "future days"),
    (["charge_interest", "--customer", "0"], "--customer must be a positive whole number"),
    (["send_mail", "--limit", "0"], "must be a positive whole number"),
    (["send_mail", "--limit", "-1"], "must be a positive whole number"),
    (["token", "create", "nobody"], "There is no user “nobody”"),
    (["token", "revoke", "999999"], "There is no API token with id 999999"),
    (["token", "revoke", "last"], "invalid int value"),
    (["token"], "the following arguments are required: action"),
    # e-mail intake
    (["mail_fetch", "--limit", "0"], "--limit must be a positive whole number"),
    (["mail_fetch", "--limit", "all"], "invalid int value"),
    (["mail_in", "--to", "support"], "unrecognized arguments"),
    # seed data
    (["bench", "seed", "--customers", "0", "--services", "1"], "must be a positive whole"),
    (["bench", "seed", "--customers", "2", "--services", "1"], "at least --customers"),
    (["bench", "seed", "--customers", "1", "--services", "1", "--date", "9999-12-31"], "2999"),
    (["bench", "seed", "--customers", "9" * 12, "--services", "9" * 12], "at most"),
    (
        ["bench", "seed", "--customers", "1", "--services", "1", "--portal-services", "-1"],
        "--portal-services cannot be negative",
    ),
    (["bench"], "the following arguments are required: action"),
    (["demo", "--keep"], "unrecognized arguments"),
]

#: The documented status where it is not 2: mail-in defers (the message stays queued).
STATUS = {"mail_in": EX_TEMPFAIL}


def _rows() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


@pytest.fixture
def world():
    """A service that a runaway daily run would bill, suspend and terminate."""
    factories.active_service(
        factories.customer(),
        factories.product("shared_hosting"),
        started_on=date(2027, 1, 10),
        expires_on=date(2028, 1, 10),
    )


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a)[:60] for a, _ in BAD])
def test_a_bad_invocation_is_one_line_and_an_exit_status_and_writes_nothing(
    args, message, world, monkeypatch
):
    monkeypatch.setattr("sys.stdin", StringIO(""))  # cron: no terminal to ask
    before = _rows()
    with clock.frozen(TODAY), pytest.raises(CommandError) as error:
        call_command(*args, stdout=StringIO(), stderr=StringIO())
    assert error.value.returncode == STATUS.get(args[0], 2)
    text = str(error.value)
    assert message in text
    assert "\n" not in text.strip()
    assert _rows() == before

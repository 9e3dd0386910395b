"""The uptime promise (R5.3): outage reports confirmed by staff, the yearly availability,
and a month's credit below 99.9 %, once per service and year."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.payments.models import CreditEntry
from kyklos.support import selectors, services
from kyklos.support.daily import uptime_credit
from kyklos.support.models import OutageReport, UptimeYear
from kyklos.support.services.uptime import Outage, confirm_outage, credit_year
from tests import factories
from tests.support.conftest import at

pytestmark = pytest.mark.django_db

YEAR_SECONDS_2026 = 365 * 24 * 3600
#: 0.1 % of 2026 is 8 h 45 min 36 s
PROMISE_SECONDS = YEAR_SECONDS_2026 // 1000


@pytest.fixture
def hosting(db):
    return factories.product("shared_hosting", name="Web Hosting", prices={"annual": "120.00"})


@pytest.fixture
def site(customer, hosting):
    return factories.active_service(
        customer,
        hosting,
        label="maria.gr",
        started_on=date(2025, 6, 1),
        expires_on=date(2027, 6, 1),
    )


def report(customer, service, opened):
    with clock.frozen(opened):
        return services.open_ticket(
            services.NewTicket(
                subject="Site down",
                body="maria.gr does not answer",
                department="technical",
                customer=customer,
                service=service,
            )
        )


def down(customer, service, start, seconds, *, reported=None, exclusion="", agent=None):
    ticket = report(customer, service, reported or start)
    with clock.frozen(start + timedelta(seconds=seconds, days=1)):
        return confirm_outage(
            ticket,
            Outage(service, start, start + timedelta(seconds=seconds), exclusion),
            actor=agent,
        )


def test_downtime_counts_from_the_customers_report(customer, site, agent):
    started = at(2026, 3, 2, 8, 0)
    outage = down(customer, site, started, 3 * 3600, reported=at(2026, 3, 2, 10, 0), agent=agent)
    assert selectors.counted_seconds(outage) == 3600
    assert outage.confirmed_by == agent
    assert AuditEvent.objects.filter(action="support.outage.confirmed").count() == 1


def test_an_excluded_outage_is_kept_but_does_not_count(customer, site):
    outage = down(customer, site, at(2026, 3, 2, 8, 0), 20 * 3600, exclusion="maintenance")
    assert selectors.counted_seconds(outage) == 0
    with clock.frozen(at(2027, 1, 20, 9, 0)):
        assert selectors.availability(site, 2026) == Decimal("100.000")


def test_overlapping_reports_count_once(customer, site):
    down(customer, site, at(2026, 5, 1, 0, 0), 4 * 3600)
    down(customer, site, at(2026, 5, 1, 2, 0), 4 * 3600)
    with clock.frozen(at(2027, 1, 20, 9, 0)):
        # 6 hours down of the year (the service ran all of 2026)
        expected = Decimal(YEAR_SECONDS_2026 - 6 * 3600) * 100 / YEAR_SECONDS_2026
        assert selectors.availability(site, 2026) == expected.quantize(
            Decimal("0.001"), "ROUND_DOWN"
        )


@pytest.mark.parametrize(
    ("seconds", "credited"),
    [(PROMISE_SECONDS, False), (PROMISE_SECONDS + 60, True)],
)
def test_a_month_is_credited_below_99_9_percent_once(customer, site, seconds, credited):
    down(customer, site, at(2026, 7, 1, 0, 0), seconds)
    with clock.frozen(at(2027, 1, 15, 6, 0)):
        first = uptime_credit(date(2027, 1, 15), None)
        again = uptime_credit(date(2027, 1, 16), None)
    assert first == {"uptime_evaluated": 1, "uptime_credited": int(credited)}
    assert again == {"uptime_evaluated": 0, "uptime_credited": 0}
    year = UptimeYear.objects.get(service=site, year=2026)
    assert (year.availability < Decimal("99.900")) is credited
    entries = list(CreditEntry.objects.filter(customer=customer))
    if credited:
        # one month of an annual 120.00 plan
        assert [(e.amount, e.currency, e.kind) for e in entries] == [
            (Decimal("10.00"), "EUR", "adjustment")
        ]
        assert year.credit_entry == entries[0] and year.credit_amount == Decimal("10.00")
        notice = Outbox.objects.get(event="uptime_credit")
        text = render_notice("uptime_credit", "en", notice.context)
        assert "maria.gr was available 99.899 % of 2026" in text.body
        assert "€10.00" in text.body
    else:
        assert entries == [] and not Outbox.objects.filter(event="uptime_credit").exists()
    assert AuditEvent.objects.filter(action="support.uptime.evaluated").count() == 1


def test_the_year_waits_for_late_confirmations(customer, site):
    down(customer, site, at(2026, 7, 1, 0, 0), 2 * PROMISE_SECONDS)
    with clock.frozen(at(2027, 1, 5, 6, 0)):
        assert credit_year(2026, today=date(2027, 1, 5)) == {
            "uptime_evaluated": 0,
            "uptime_credited": 0,
        }
    assert not UptimeYear.objects.exists()


def test_availability_of_a_service_started_mid_year_counts_its_own_part(customer, hosting):
    late = factories.active_service(
        customer,
        hosting,
        label="late.gr",
        started_on=date(2026, 12, 1),
        expires_on=date(2027, 12, 1),
    )
    down(customer, late, at(2026, 12, 10, 0, 0), 3600)
    with clock.frozen(at(2027, 1, 20, 9, 0)):
        figure = selectors.availability(late, 2026)
    # the window is December only (31 days), so one hour is 0.134 % of it
    assert figure == Decimal("99.865")


def test_availability_for_many_services_in_one_query(
    customer, site, hosting, django_assert_num_queries
):
    other = factories.active_service(customer, hosting, label="b.gr", expires_on=date(2027, 6, 1))
    mail = factories.active_service(
        customer, factories.product("email_hosting"), label="mail", expires_on=date(2027, 6, 1)
    )
    down(customer, site, at(2026, 2, 1, 0, 0), 24 * 3600)
    rows = [s for s in type(site).objects.select_related("product").filter(customer=customer)]
    with clock.frozen(at(2027, 1, 20, 9, 0)), django_assert_num_queries(1):
        figures = selectors.availability_for(rows, 2026)
    assert set(figures) == {site.pk, other.pk} and mail.pk not in figures
    assert figures[other.pk] == Decimal("100.000")
    assert figures[site.pk] < Decimal("99.9")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ended_at": "before"}, "The outage must end after it started."),
        ({"ended_at": "future"}, "Confirm an outage once it has ended."),
        ({"exclusion": "bad luck"}, "“bad luck” is not an R5.3 exclusion."),
        ({"service": "mail"}, "The uptime promise covers hosting services only (R5.3)."),
        ({"service": "stranger"}, "The service must be one of the ticket's customer."),
        ({"ended_at": "before report"}, "nothing counts"),
    ],
)
def test_bad_confirmations_write_nothing(customer, other_customer, site, hosting, change, message):
    ticket = report(customer, site, at(2026, 3, 2, 10, 0))
    start, end = at(2026, 3, 2, 9, 0), at(2026, 3, 2, 12, 0)
    service, exclusion = site, ""
    if change.get("ended_at") == "before":
        end = start - timedelta(minutes=1)
    elif change.get("ended_at") == "future":
        end = at(2026, 3, 2, 14, 0)
    elif change.get("ended_at") == "before report":
        end = at(2026, 3, 2, 9, 30)
    if "exclusion" in change:
        exclusion = change["exclusion"]
    if change.get("service") == "mail":
        service = factories.active_service(
            customer, factories.product("email_hosting"), expires_on=date(2027, 1, 1)
        )
    if change.get("service") == "stranger":
        service = factories.active_service(other_customer, hosting, expires_on=date(2027, 1, 1))
    audit = AuditEvent.objects.count()
    with clock.frozen(at(2026, 3, 2, 13, 0)), pytest.raises(ValidationError) as refused:
        confirm_outage(ticket, Outage(service, start, end, exclusion))
    assert message in " ".join(refused.value.messages)
    assert OutageReport.objects.count() == 0 and AuditEvent.objects.count() == audit


def test_confirming_again_corrects_the_report(customer, site):
    outage = down(customer, site, at(2026, 3, 2, 8, 0), 3600)
    with clock.frozen(at(2026, 3, 5, 8, 0)):
        again = confirm_outage(
            outage.ticket, Outage(site, at(2026, 3, 2, 8, 0), at(2026, 3, 2, 10, 0), "")
        )
    assert again.pk == outage.pk and OutageReport.objects.count() == 1
    assert selectors.counted_seconds(again) == 2 * 3600
    assert AuditEvent.objects.filter(action="support.outage.corrected").count() == 1


def test_staff_confirm_an_outage_on_the_desk_ticket_page(client, agent, customer, site):
    ticket = report(customer, site, at(2026, 3, 2, 10, 0))
    client.force_login(agent)
    with clock.frozen(at(2026, 3, 3, 9, 0)):
        page = client.get(f"/desk/tickets/{ticket.pk}/")
        assert page.status_code == 200 and "Confirm the outage" in page.text
        bad = client.post(
            f"/desk/tickets/{ticket.pk}/outage/",
            {"service": site.pk, "started_at": "2026-03-02T12:00", "ended_at": "2026-03-02T11:00"},
        )
        assert bad.status_code == 400 and "The outage must end after it started." in bad.text
        assert not OutageReport.objects.exists()
        done = client.post(
            f"/desk/tickets/{ticket.pk}/outage/",
            {
                "service": site.pk,
                "started_at": "2026-03-02T09:00",
                "ended_at": "2026-03-02T12:30",
                "exclusion": "",
            },
        )
    assert done.status_code == 302
    outage = OutageReport.objects.get()
    assert (outage.started_at, outage.ended_at) == (at(2026, 3, 2, 9, 0), at(2026, 3, 2, 12, 30))
    assert selectors.counted_seconds(outage) == int(2.5 * 3600)
    assert outage.confirmed_by == agent


def test_the_dashboard_shows_the_availability_of_services_with_downtime(client, hosting):
    from django.contrib.auth import get_user_model

    login = get_user_model().objects.create_user("maria-portal", password="x" * 12)
    customer = factories.customer(name="Maria Portal", language="en", user=login)
    site = factories.active_service(
        customer,
        hosting,
        label="maria.gr",
        started_on=date(2025, 6, 1),
        expires_on=date(2027, 6, 1),
    )
    factories.active_service(customer, hosting, label="quiet.gr", expires_on=date(2027, 6, 1))
    down(customer, site, at(2027, 2, 1, 0, 0), 24 * 3600)
    client.force_login(login)
    with clock.frozen(at(2027, 3, 4, 12, 0)):
        page = client.get("/portal/").text
        figure = selectors.availability(site, 2027)
    assert "Availability in 2027" in page
    assert f"<dt>maria.gr</dt><dd>{figure} %</dd>" in page
    assert "<dt>quiet.gr</dt>" not in page
    assert figure < Decimal("99.9")


def test_an_agreed_price_is_credited_and_a_service_with_no_price_waits(customer, hosting):
    agreed = factories.active_service(
        customer,
        hosting,
        label="agreed.gr",
        started_on=date(2025, 1, 1),
        expires_on=date(2027, 1, 1),
        agreed_price=Decimal("90.00"),
    )
    unpriced = factories.active_service(
        customer,
        hosting,
        cycle="monthly",  # the product has no monthly price
        label="unpriced.gr",
        started_on=date(2025, 1, 1),
        expires_on=date(2027, 1, 1),
    )
    down(customer, agreed, at(2026, 7, 1, 0, 0), 2 * PROMISE_SECONDS)
    down(customer, unpriced, at(2026, 8, 1, 0, 0), 2 * PROMISE_SECONDS)
    with clock.frozen(at(2027, 1, 20, 6, 0)):
        result = credit_year(2026)
    assert result == {"uptime_evaluated": 1, "uptime_credited": 1, "uptime_unpriced": 1}
    assert CreditEntry.objects.get().amount == Decimal("7.50")  # 90.00 a year ÷ 12
    assert not UptimeYear.objects.filter(service=unpriced).exists()

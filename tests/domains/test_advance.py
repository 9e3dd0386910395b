"""The daily advance: active → grace → redemption → released by each TLD's data, with
notices that state the late-renewal cost (R4.2–R4.4); the lifecycle's one-size
suspend/terminate leaves domains alone."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kyklos.automation.services import run_day
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import Domain, DomainState, Tld
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from tests import factories

pytestmark = pytest.mark.django_db
EXPIRY = date(2027, 6, 1)


def make_domain(suffix: str, *, expires_on=EXPIRY, state=DomainState.ACTIVE) -> Domain:
    tld = Tld.objects.get(suffix=suffix)
    if tld.product_id is None:
        tld.product = factories.product(
            "domain", prices={"annual": "14.00", "biennial": "27.00"}, code=f"domain-{suffix}"
        )
        tld.save()
    customer = factories.customer()
    service = factories.active_service(customer, tld.product, expires_on=expires_on, label="x")
    return Domain.objects.create(
        name=f"name{service.pk}.{suffix}",
        tld=tld,
        customer=customer,
        service=service,
        state=state,
        state_changed_on=expires_on,
        years=tld.terms[0],
        ordered_on=expires_on,
        expires_on=expires_on,
        created_at=clock.now(),
    )


def expected(tld: Tld, expires_on: date, day: date) -> str:
    late = (day - expires_on).days
    if late < 0:
        return DomainState.ACTIVE
    if late >= tld.grace_days + tld.redemption_days:
        return DomainState.RELEASED
    if late >= tld.grace_days:
        return DomainState.REDEMPTION
    return DomainState.GRACE


@pytest.mark.parametrize(
    "suffix, grace_day, redemption_day, release_day",
    [
        ("gr", 0, 15, 55),
        ("eu", 0, 40, 80),
        ("com", 0, 29, 59),
        ("shop", None, 0, 30),  # a new gTLD: no grace at all
    ],
)
def test_each_tld_moves_by_its_own_days(suffix, grace_day, redemption_day, release_day):
    domain = make_domain(suffix)
    seen = {}
    for offset in range(-1, release_day + 2):
        day = EXPIRY + timedelta(days=offset)
        services.advance(day)
        domain.refresh_from_db()
        seen.setdefault(domain.state, offset)
    assert seen[DomainState.ACTIVE] == -1
    assert seen.get(DomainState.GRACE) == grace_day
    assert seen[DomainState.REDEMPTION] == redemption_day
    assert seen[DomainState.RELEASED] == release_day
    domain.service.refresh_from_db()
    assert domain.service.state == State.TERMINATED


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffix=st.sampled_from(["gr", "eu", "com", "shop", "cy"]),
    late=st.integers(min_value=-10, max_value=120),
)
def test_a_missed_day_is_caught_up(suffix, late):
    """Whatever the day the run comes back, the domain is in the state its dates say."""
    domain = make_domain(suffix)
    day = EXPIRY + timedelta(days=late)
    services.advance(day)
    domain.refresh_from_db()
    assert domain.state == expected(domain.tld, EXPIRY, day)


def test_notices_state_the_late_renewal_cost():
    domain = make_domain("gr")
    services.advance(EXPIRY)
    services.advance(EXPIRY + timedelta(days=15))
    grace, redemption = Outbox.objects.filter(service_id=domain.service_id).order_by("pk")
    assert grace.event == "domain_grace"
    assert grace.context["grace_ends_on"] == "2027-06-16"
    assert grace.context["redemption_fee"] == "60.00"
    assert redemption.event == "domain_redemption"
    assert redemption.context["redemption_total"] == "87.00"  # 27.00 renewal + 60.00 fee
    for language in ("el", "en", "pl"):
        rendered = render_notice(redemption.event, language, redemption.context)
        assert "87" in rendered.subject and "100" in rendered.body


def test_advance_twice_writes_nothing_more():
    make_domain("com")
    services.advance(EXPIRY)
    services.advance(EXPIRY)
    assert Outbox.objects.filter(event="domain_grace").count() == 1


def test_lifecycle_no_longer_suspends_or_terminates_domains():
    domain = make_domain("com")
    hosting = factories.product("shared_hosting")
    other = factories.active_service(factories.customer(), hosting, expires_on=EXPIRY)
    run_day(EXPIRY + timedelta(days=20))
    domain.refresh_from_db()
    domain.service.refresh_from_db()
    other.refresh_from_db()
    assert other.state == State.SUSPENDED  # the lifecycle's rule for hosting
    assert domain.state == DomainState.GRACE  # the TLD's: 29 days of grace
    assert domain.service.state == State.ACTIVE
    run_day(EXPIRY + timedelta(days=40))
    domain.refresh_from_db()
    domain.service.refresh_from_db()
    other.refresh_from_db()
    assert other.state == State.TERMINATED
    assert domain.state == DomainState.REDEMPTION
    assert domain.service.state == State.SUSPENDED  # by domains, until release at day 59

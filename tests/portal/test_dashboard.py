"""The dashboard: the customer's own services, their state, expiry and add-ons."""

import re
from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from kyklos.lifecycle.models import State
from tests import factories

pytestmark = pytest.mark.django_db

DASHBOARD_QUERIES = (
    5  # session, user, customer, services with their open proformas, downtime (R5.3)
)


def row_of(page: str, service) -> str:
    """The HTML of one service's row group."""
    match = re.search(rf'<tbody id="service-{service.pk}".*?</tbody>', page, re.S)
    assert match, f"no row for service {service.pk}"
    return match.group(0)


def test_shows_the_customers_services_and_never_another_customers(
    portal, customer, other_customer, hosting, today
):
    factories.active_service(customer, hosting, label="maria.gr", expires_on=date(2027, 9, 1))
    factories.active_service(
        other_customer, hosting, label="nikos-secret.gr", expires_on=date(2027, 9, 1)
    )

    page = portal.get(reverse("portal:dashboard")).content.decode()

    assert "maria.gr" in page
    assert "Web Hosting Pro" in page
    assert "nikos-secret.gr" not in page


def test_a_row_shows_state_expiry_days_cycle_and_auto_renew(portal, customer, hosting, today):
    service = factories.active_service(
        customer,
        hosting,
        label="maria.gr",
        cycle="monthly",
        expires_on=date(2027, 6, 9),
        auto_renew=False,
    )

    row = row_of(portal.get(reverse("portal:dashboard")).content.decode(), service)

    assert ">Active</span>" in row
    assert '<time datetime="2027-06-09">June 9, 2027</time>' in row
    assert "in 100 days" in row
    assert "Monthly" in row
    assert ">No</td>" in row
    assert "Renew now" in row
    assert "Cancel at end of period" in row


def test_an_active_service_within_30_days_of_expiry_shows_as_expiring(
    portal, customer, hosting, today
):
    soon = factories.active_service(
        customer, hosting, label="soon.gr", expires_on=date(2027, 3, 31)
    )
    later = factories.active_service(
        customer, hosting, label="later.gr", expires_on=date(2027, 4, 1)
    )
    suspended = factories.active_service(
        customer,
        hosting,
        label="unpaid.gr",
        expires_on=date(2027, 3, 10),
        state=State.SUSPENDED,
    )

    page = portal.get(reverse("portal:dashboard")).content.decode()

    assert 'class="badge badge-expiring">Expiring</span>' in row_of(page, soon)
    assert "in 30 days" in row_of(page, soon)
    assert 'class="badge badge-active">Active</span>' in row_of(page, later)
    assert 'class="badge badge-suspended">Suspended</span>' in row_of(page, suspended)


def test_add_ons_are_listed_under_their_parent_service(portal, customer, hosting, today):
    storage = factories.product("addon", name="Extra storage 10 GB")
    first = factories.active_service(
        customer, hosting, label="first.gr", expires_on=date(2027, 5, 1)
    )
    second = factories.active_service(
        customer, hosting, label="second.gr", expires_on=date(2027, 8, 1)
    )
    factories.active_service(customer, storage, parent=second, expires_on=date(2027, 8, 1))

    page = portal.get(reverse("portal:dashboard")).content.decode()

    assert "Extra storage 10 GB" not in row_of(page, first)
    second_row = row_of(page, second)
    assert second_row.index("second.gr") < second_row.index("Extra storage 10 GB")
    assert 'class="addon"' in second_row
    assert "Renews with its service" in second_row


def test_a_customer_without_services_is_told_so(portal, today):
    assert "You have no services yet." in portal.get(reverse("portal:dashboard")).content.decode()


def _services(customer, hosting, count):
    storage = factories.product("addon", name="Extra storage")
    for n in range(count):
        parent = factories.active_service(
            customer, hosting, label=f"site{n}.gr", expires_on=date(2027, 3, 2 + n % 25)
        )
        factories.active_service(customer, storage, parent=parent, expires_on=parent.expires_on)


def test_the_dashboard_reads_a_constant_number_of_queries(
    portal, customer, hosting, today, django_assert_max_num_queries
):
    from kyklos.lifecycle.services import renew_now

    _services(customer, hosting, 3)
    renew_now(customer.services.filter(parent=None).first())
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as three:
        portal.get(reverse("portal:dashboard"))

    _services(customer, hosting, 27)
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as thirty:
        page = portal.get(reverse("portal:dashboard")).content.decode()

    assert page.count('class="service-group"') == 30
    assert page.count("Awaiting payment") == 1
    assert len(three) == len(thirty)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("el", ["Οι υπηρεσίες σας", "Ανανέωση τώρα", "Λήγει σύντομα", "σε 30 ημέρες"]),
        ("en", ["Your services", "Renew now", "Expiring", "in 30 days"]),
        ("pl", ["Twoje usługi", "Odnów teraz", "Wkrótce wygasa", "za 30 dni"]),
    ],
)
def test_the_dashboard_renders_in_greek_english_and_polish(
    portal, customer, hosting, today, language, words
):
    factories.active_service(customer, hosting, label="maria.gr", expires_on=date(2027, 3, 31))
    portal.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = portal.get(reverse("portal:dashboard"))

    page = response.content.decode()
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in page
    for word in words:
        assert word in page

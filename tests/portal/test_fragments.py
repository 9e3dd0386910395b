"""The service and invoice lists are rendered once and kept (kyklos.core.fragments): a
page seen before a renewal, a payment or a staff change must never come back after it."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from kyklos.lifecycle.models import Renewal, Service
from kyklos.lifecycle.services import renew_now
from kyklos.payments.services import record_payment
from tests import factories
from tests.portal.test_dashboard import row_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import caches

    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


@pytest.fixture
def service(customer, hosting):
    return factories.active_service(
        customer, hosting, label="maria.gr", expires_on=date(2027, 3, 20)
    )


def dashboard(portal) -> str:
    return portal.get(reverse("portal:dashboard")).content.decode()


def invoices(portal) -> str:
    return portal.get(reverse("portal:invoices")).content.decode()


def table(page: str) -> str:
    return page[page.index("<table") : page.index("</table>")]


def test_a_renewal_and_its_payment_show_at_once_on_a_dashboard_seen_before(portal, service, today):
    assert "Renew now" in row_of(dashboard(portal), service)
    assert "Renew now" in row_of(dashboard(portal), service)  # from the cache now

    invoice = renew_now(service)
    row = row_of(dashboard(portal), service)
    assert f'Awaiting payment: <a href="/portal/invoices/{invoice.pk}/">{invoice.number}</a>' in row
    assert "Renew now" not in row

    record_payment(invoice, amount=invoice.total, method="manual")
    row = row_of(dashboard(portal), service)
    assert "Awaiting payment" not in row
    assert '<time datetime="2028-03-20">March 20, 2028</time>' in row


def test_a_change_made_outside_the_portal_shows_at_once(portal, service, today):
    assert "maria.gr" in dashboard(portal)

    # as the daily run and the admin write: no signal, no save()
    Service.objects.filter(pk=service.pk).update(label="maria.eu", auto_renew=False)

    row = row_of(dashboard(portal), service)
    assert "maria.eu" in row and "maria.gr" not in row
    assert ">No</td>" in row


def test_the_days_left_follow_the_date(portal, service, today):
    from kyklos.core import clock

    assert "in 19 days" in row_of(dashboard(portal), service)
    with clock.frozen(date(2027, 3, 2)):
        assert "in 18 days" in row_of(dashboard(portal), service)


def test_each_language_has_its_own_rendering(portal, service, today):
    assert "Cancel at end of period" in dashboard(portal)
    portal.cookies[settings.LANGUAGE_COOKIE_NAME] = "el"
    page = dashboard(portal)
    assert "Cancel at end of period" not in page
    assert '<html lang="el">' in page


def test_every_browser_gets_its_own_csrf_token_in_a_cached_list(client, customer, service, today):
    from django.test import Client

    other = Client()
    client.force_login(customer.user)
    other.force_login(customer.user)

    first, second = dashboard(client), dashboard(other)

    assert "<kyklos-csrf-token>" not in first + second
    renew = reverse("portal:renew", args=[service.pk])
    for browser, page in ((client, first), (other, second)):
        browser.handler.enforce_csrf_checks = True
        token = page.split('name="csrfmiddlewaretoken" value="', 2)[2].split('"', 1)[0]
        response = browser.post(renew, {"csrfmiddlewaretoken": token})
        assert response.status_code == 302  # not 403: the token is this browser's
    assert Renewal.objects.filter(service=service).count() == 1


def test_a_payment_changes_the_invoice_list_seen_before(portal, customer, service, today):
    invoice = renew_now(service)
    page = invoices(portal)
    assert 'class="badge badge-open">Open</span>' in page
    assert table(invoices(portal)) == table(page)  # the same rendering, from the cache

    record_payment(invoice, amount=invoice.total, method="manual")

    page = invoices(portal)
    assert 'class="badge badge-paid">Paid</span>' in page
    assert 'class="badge badge-open">' not in page


def test_account_credit_shows_on_an_invoice_list_seen_before(portal, customer, service, today):
    from kyklos.payments.services import add_credit

    renew_now(service)
    assert "Your account credit" not in invoices(portal)

    add_credit(customer, amount=Decimal("25.00"), currency="EUR", kind="adjustment")

    assert "Your account credit: <strong>€25.00</strong>" in invoices(portal)


def test_the_invoice_list_pages_through_every_document_newest_first(
    portal, customer, hosting, today
):
    numbers = []
    for n in range(27):
        service = factories.active_service(
            customer, hosting, label=f"site{n}.gr", expires_on=date(2027, 3, 20)
        )
        numbers.append(renew_now(service).number)
    first = invoices(portal)
    second = portal.get(reverse("portal:invoices") + "?page=2").content.decode()
    assert "Page 1 of 2" in first and 'href="?page=2" rel="next">Older</a>' in first
    assert "Page 2 of 2" in second and 'href="?page=1" rel="prev">Newer</a>' in second
    assert 'rel="prev"' not in first and 'rel="next"' not in second
    shown = [[n for n in numbers if f">{n}<" in page] for page in (first, second)]
    assert [len(s) for s in shown] == [25, 2]
    assert sorted(shown[0] + shown[1]) == sorted(numbers)  # every document, once
    assert set(shown[1]) == set(numbers[:2])  # the oldest on the last page

"""Logging in and out, staff logins without a customer, and the portal's language."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.portal.conftest import PASSWORD, make_login

pytestmark = pytest.mark.django_db


def test_a_customer_logs_in_with_the_right_password_and_lands_on_the_dashboard(client, customer):
    response = client.post(reverse("portal:login"), {"username": "maria", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:dashboard")
    assert client.get(reverse("portal:dashboard")).status_code == 200


def test_a_wrong_password_is_refused(client, customer):
    response = client.post(
        reverse("portal:login"), {"username": "maria", "password": "not the password"}
    )

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_pages_need_a_login(client):
    response = client.get(reverse("portal:invoices"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={reverse('portal:invoices')}"


def test_a_staff_login_without_a_customer_is_pointed_to_the_console(client):
    client.force_login(make_login("anna", is_staff=True))

    response = client.get(reverse("portal:dashboard"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "You are logged in as staff" in page
    assert 'href="/console/"' in page and 'href="/admin/"' in page


def test_a_login_without_a_customer_that_is_not_staff_is_told_to_contact_us(client):
    client.force_login(make_login("stray"))

    response = client.get(reverse("portal:invoices"))

    assert response.status_code == 403
    assert "not linked to a customer account" in response.content.decode()


def test_logging_out_ends_the_session(portal):
    response = portal.post(reverse("portal:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:login")
    assert portal.get(reverse("portal:dashboard")).status_code == 302


def test_the_portal_speaks_the_customers_language_when_none_was_chosen(portal, customer):
    customer.language = "pl"
    customer.save()

    response = portal.get(reverse("portal:dashboard"))

    assert response["Content-Language"] == "pl"
    assert '<html lang="pl">' in response.content.decode()
    assert "Twoje usługi" in response.content.decode()


def test_a_language_chosen_with_the_switcher_wins_over_the_customers(portal, customer):
    customer.language = "pl"
    customer.save()

    switched = portal.post(
        reverse("set_language"), {"language": "el", "next": reverse("portal:invoices")}
    )
    response = portal.get(reverse("portal:invoices"))

    assert switched["Location"] == reverse("portal:invoices")
    assert portal.cookies[settings.LANGUAGE_COOKIE_NAME].value == "el"
    assert response["Content-Language"] == "el"
    assert "Τιμολόγια" in response.content.decode()


def test_the_login_page_offers_the_three_languages(client):
    page = client.get(reverse("portal:login")).content.decode()

    assert 'action="/i18n/setlang/"' in page
    for code, name in (("el", "Ελληνικά"), ("en", "English"), ("pl", "Polski")):
        assert f'value="{code}" lang="{code}"' in page
        assert name in page

"""The privacy pages: who may see what, and the strict CSP (no inline code)."""

import pytest
from django.urls import reverse

from kyklos.privacy import requests
from tests.portal.test_security import inline_code

pytestmark = pytest.mark.django_db

PUBLIC = ["privacy:notice", "privacy:cookies", "privacy:public_request"]
CUSTOMER = ["privacy:preferences", "privacy:requests"]


@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_open_to_anyone_without_inline_code(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert inline_code(response.content.decode()).found == []


@pytest.mark.parametrize("name", CUSTOMER)
def test_customer_pages_without_inline_code(portal, name):
    response = portal.get(reverse(name))
    assert response.status_code == 200
    assert inline_code(response.content.decode()).found == []


def test_anonymous_visitors_are_sent_to_log_in_or_to_the_public_form(client):
    assert reverse("portal:login") in client.get(reverse("privacy:preferences"))["Location"]
    assert client.get(reverse("privacy:requests"))["Location"] == reverse("privacy:public_request")


def test_a_login_without_a_customer_gets_no_customer_pages(client, staff):
    client.force_login(staff)
    assert client.get(reverse("privacy:preferences")).status_code == 403


def test_a_customer_sees_only_their_own_requests(portal, customer, other_customer, today):
    requests.submit_as_customer(other_customer.user, kind="access", details="Nikos secret")
    page = portal.get(reverse("privacy:requests")).content.decode()
    assert "You have not made any requests." in page


def test_the_portal_pages_link_the_notice_and_the_cookie_settings(portal):
    page = portal.get(reverse("portal:dashboard")).content.decode()
    assert reverse("privacy:notice") in page and reverse("privacy:cookies") in page
    assert 'class="cookie-banner"' in page

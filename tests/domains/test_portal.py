"""The portal's domain pages: the owner's only (404 for others), search with availability
and price per term, ordering, the auth code revealed to the owner with an audit event."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from kyklos.core import clock
from kyklos.core.audit import AuditEvent
from kyklos.domains import services
from kyklos.domains.models import Domain, DomainState
from tests import factories
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(registrar, customer):
    customer.user = get_user_model().objects.create_user("maria", password="x" * 20)
    customer.language = "en"
    customer.save()
    return customer


@pytest.fixture
def portal(client, owner):
    client.force_login(owner.user)
    return client


@pytest.fixture
def active(owner, pay):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=owner, name="portal-kyklos.gr", years=2)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    return domain


def test_search_shows_availability_and_price_per_term(portal, peer):
    peer.registry.take("taken-name.gr")
    with clock.frozen(DAY):
        page = portal.get(reverse("portal:domain_search"), {"q": "free-name.com taken-name.gr bad"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "free-name.com" in text and "14.00 EUR" in text and "27.00 EUR" in text
    assert "taken-name.gr" in text and "Already registered." in text
    assert "full domain name" in text


def test_order_from_the_search(portal, owner):
    with clock.frozen(DAY):
        response = portal.post(reverse("portal:domain_order"), {"name": "new-one.gr", "years": "2"})
    domain = Domain.objects.get(name="new-one.gr")
    assert response.status_code == 302 and response.url == reverse(
        "portal:domain", args=[domain.pk]
    )
    assert domain.customer == owner and domain.state == DomainState.PENDING


def test_wrong_term_is_refused_and_nothing_written(portal):
    with clock.frozen(DAY):
        response = portal.post(
            reverse("portal:domain_order"), {"name": "new-one.gr", "years": "1"}, follow=True
        )
    assert "2 years only" in response.content.decode()
    assert not Domain.objects.exists()


def test_domain_page_and_auth_code_reveal(portal, active, run):
    page = portal.get(reverse("portal:domain", args=[active.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert active.expires_on.strftime("%Y") in text and "Active" in text
    assert "DNS records" in text and "ns1.kyklos.localhost" in text  # the hosted zone
    with clock.frozen(DAY.replace(month=DAY.month + 3)):
        run(portal.post, reverse("portal:domain_transfer", args=[active.pk]))
        revealed = portal.post(reverse("portal:domain_auth_code", args=[active.pk]))
    code = services.current_auth_code(active)
    assert code in revealed.content.decode()
    assert revealed.headers["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="domain.auth_code_revealed").count() == 1


def test_another_customers_domain_is_404(client, active):
    stranger = factories.customer(user=get_user_model().objects.create_user("nikos"))
    client.force_login(stranger.user)
    for name in ("portal:domain", "portal:domain_auth_code", "portal:domain_transfer"):
        method = client.get if name == "portal:domain" else client.post
        assert method(reverse(name, args=[active.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="domain.auth_code_revealed").exists()


def test_bad_name_servers_are_refused_in_the_form(portal, active):
    response = portal.post(
        reverse("portal:domain_nameservers", args=[active.pk]), {"nameservers": "only.one.example"}
    )
    assert response.status_code == 400
    assert "2 to 13" in response.content.decode()
    active.refresh_from_db()
    assert active.nameservers != ["only.one.example"]


def test_list_shows_the_customers_domains(portal, active):
    page = portal.get(reverse("portal:domains"))
    assert "portal-kyklos.gr" in page.content.decode()


def test_a_taken_name_offers_the_transfer_and_the_page_tells_what_it_gains(portal, owner, peer):
    peer.registry.held_elsewhere("moving-kyklos.com", auth_code="Their-7!x", renewed_days_ago=9)
    with clock.frozen(DAY):
        search = portal.get(reverse("portal:domain_search"), {"q": "moving-kyklos.com"})
        url = reverse("portal:domain_transfer_in")
        quoted = portal.get(url, {"name": "moving-kyklos.com"})
        refused = portal.post(url, {"name": "moving-kyklos.com", "auth_code": "abcd1234"})
        ordered = portal.post(url, {"name": "moving-kyklos.com", "auth_code": "Their-7!x"})
    assert f"{url}?name=moving-kyklos.com" in search.content.decode()
    text = quoted.content.decode()
    assert "14.00 EUR" in text and "gains no extra year" in text
    assert refused.status_code == 400 and "non-alphanumeric" in refused.content.decode()
    domain = Domain.objects.get(name="moving-kyklos.com")
    assert ordered.status_code == 302 and ordered.url == reverse("portal:domain", args=[domain.pk])
    assert domain.origin == "transfer" and domain.state == DomainState.PENDING


def test_a_refused_transfer_offers_a_new_code_or_a_refund_as_money(portal, owner, peer, pay, run):
    from kyklos.payments.models import Refund

    peer.registry.held_elsewhere("moving-kyklos.com", auth_code="Right-7!x")
    with clock.frozen(DAY):
        domain = services.order_transfer(
            customer=owner, name="moving-kyklos.com", auth_code="Wrong-7!x"
        )
    pay(proforma_of(domain), DAY)
    page = portal.get(reverse("portal:domain", args=[domain.pk])).content.decode()
    assert "The registry refused the transfer" in page and "Back the way I paid" in page
    bad = portal.post(reverse("portal:domain_transfer_retry", args=[domain.pk]), {"auth_code": "x"})
    assert bad.status_code == 400 and "non-alphanumeric" in bad.content.decode()
    with clock.frozen(DAY):
        refunded = portal.post(
            reverse("portal:domain_refused", args=[domain.pk]),
            {"choice": "refund", "refund_to": "money"},
            follow=True,
        )
    assert "refunded the way you paid" in refunded.content.decode()
    assert Refund.objects.get().to_credit is False


def test_owner_change_from_the_portal(portal, owner, active, pay):
    url = reverse("portal:domain_owner", args=[active.pk])
    form = portal.get(url).content.decode()
    assert owner.name in form and "10.00" in form  # the .gr fee, said before asking
    bad = portal.post(url, {"name": "Eleni", "street": "x", "city": "y", "country": "Greece"})
    assert bad.status_code == 400
    with clock.frozen(DAY):
        done = portal.post(
            url,
            {
                "name": "Eleni Georgiou",
                "street": "Tsimiski 10",
                "city": "Thessaloniki",
                "country": "GR",
                "email": "eleni@akti.example",
            },
            follow=True,
        )
    assert "Pay the proforma" in done.content.decode()
    assert active.owner_changes.get().status == "awaiting_payment"

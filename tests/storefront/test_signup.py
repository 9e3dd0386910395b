"""Sign-up with e-mail verification (R1.1): 18+, the terms' current version, no hint
whether an address has an account, a link that works once and expires; the first login
lands on the order placed."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from kyklos.core import clock
from kyklos.customers.models import Customer, TermsAcceptance
from kyklos.lifecycle.models import Service
from kyklos.storefront.models import Signup
from tests import factories
from tests.storefront.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def form(**changes):
    data = {
        "email": "Anna@Example.PL",
        "password": PASSWORD,
        "kind": "person",
        "name": "Anna Kowalska",
        "country": "PL",
        "vat_id": "",
        "adult_confirmed": "on",
        "accept_terms": "on",
        "terms_version": "2027-01",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def sign_up(client, **changes):
    return client.post(reverse("storefront:signup"), form(**changes))


def link(message) -> str:
    return re.search(r"https?://\S+(/shop/verify/\S+/)", message.body).group(1)


def nothing_written():
    return (
        not Signup.objects.exists()
        and not Customer.objects.exists()
        and not get_user_model().objects.exists()
        and not mail.outbox
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"adult_confirmed": None}, "adult_confirmed", "18 or older"),
        ({"accept_terms": None}, "accept_terms", "accept the current terms"),
        ({"terms_version": "2020-01"}, "accept_terms", "version 2027-01"),
        ({"email": "not-an-address"}, "email", "valid e"),
        ({"password": "password"}, "password", "too common"),
        ({"name": ""}, "name", "required"),
        ({"country": ""}, "country", "required"),
        ({"vat_id": "PL123"}, "vat_id", "VAT id"),
        ({"kind": "company", "company_name": ""}, "company_name", "legal name"),
    ],
)
def test_bad_sign_up_says_why_and_writes_nothing(client, terms, today, changes, field, message):
    response = sign_up(client, **changes)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors.get(field, []))
    assert message in errors, response.context["form"].errors
    assert nothing_written()


def test_sign_up_is_closed_while_no_terms_are_published(client, today):
    response = sign_up(client)
    assert response.status_code == 400
    assert "no terms of service are published" in response.content.decode()
    assert nothing_written()


def test_sign_up_mails_a_link_and_creates_nothing_yet(client, terms, today):
    response = sign_up(client)
    assert response.url == reverse("storefront:signup_sent")
    assert not Customer.objects.exists() and not get_user_model().objects.exists()
    (message,) = mail.outbox
    assert message.to == ["anna@example.pl"]
    assert "/shop/verify/" in message.body
    token = link(message).split("/")[-2]
    assert token not in str(Signup.objects.values_list("token_digest", flat=True)[0])
    assert "!" not in Signup.objects.get().password_hash and PASSWORD not in str(
        Signup.objects.values().get()
    )


def test_a_taken_address_gets_the_same_page_and_a_different_mail(client, terms, today):
    """No hint on the page whether an address has an account: the mail says it."""
    get_user_model().objects.create_user("anna@example.pl", email="anna@example.pl")
    response = sign_up(client)
    assert response.url == reverse("storefront:signup_sent")
    assert not Signup.objects.exists()
    (message,) = mail.outbox
    assert "already has an account" in message.body and "/shop/verify/" not in message.body


def test_following_the_link_opens_the_account_with_the_terms_version(client, terms, today):
    sign_up(client, language="pl")
    url = link(mail.outbox[0])
    assert client.get(url).status_code == 200  # a confirm button, nothing used yet
    assert not Customer.objects.exists()
    response = client.post(url)
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))
    customer = Customer.objects.get()
    assert (customer.name, customer.email, customer.country) == (
        "Anna Kowalska",
        "anna@example.pl",
        "PL",
    )
    assert customer.adult_confirmed_at is not None
    assert customer.user.username == "anna@example.pl"
    assert customer.user.check_password(PASSWORD)
    acceptance = TermsAcceptance.objects.get(customer=customer)
    assert (acceptance.version, acceptance.channel) == ("2027-01", "signup")
    signup = Signup.objects.get()
    assert signup.particulars == {} and signup.password_hash == ""


def test_the_link_works_once(client, terms, today):
    sign_up(client)
    url = link(mail.outbox[0])
    client.post(url)
    response = client.post(url)
    assert response.status_code == 404
    assert "already used" in response.content.decode()
    assert client.get(url).status_code == 404
    assert Customer.objects.count() == 1


def test_the_link_expires(client, terms, today, settings):
    sign_up(client)
    url = link(mail.outbox[0])
    with clock.frozen(clock.now() + timedelta(hours=settings.KYKLOS_SIGNUP_LINK_HOURS, minutes=1)):
        response = client.post(url)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_made_up_link_is_refused(client, terms, today):
    response = client.post(reverse("storefront:verify", args=["made-up"]))
    assert response.status_code == 404
    assert not Customer.objects.exists()


def test_the_cart_is_ordered_at_verification_and_the_first_login_lands_on_it(
    client, shop, terms, today
):
    client.post(reverse("storefront:cart_add"), {"product": "web-starter", "cycle": "annual"})
    client.post(reverse("storefront:cart_domain"), {"domain": "kowalska.gr"})
    client.post(reverse("storefront:cart_coupon"), {"coupon": "WELCOME20"})
    sign_up(client)
    response = client.post(link(mail.outbox[0]))
    customer = Customer.objects.get()
    order = customer.shop_orders.get()
    target = reverse("portal:invoice", args=[order.invoice_id])
    assert response.url == f"{reverse('portal:login')}?next={target.replace('/', '%2F')}"
    assert [(s.product.code, s.label, s.coupon_id) for s in Service.objects.order_by("id")] == [
        ("web-starter", "", shop["coupon"].pk),
        ("domain-gr", "kowalska.gr", None),
    ]
    assert order.invoice.customer == customer and order.invoice.lines.count() == 2
    login = client.post(
        reverse("portal:login"),
        {"username": "anna@example.pl", "password": PASSWORD, "next": target},
    )
    assert login.url == target
    assert "Pay this document" in client.get(target).content.decode()


def test_someone_who_signed_up_meanwhile_keeps_their_account(client, terms, today):
    sign_up(client)
    factories.customer(email="anna@example.pl")
    response = client.post(link(mail.outbox[0]))
    assert response.status_code == 400
    assert Customer.objects.count() == 1 and not get_user_model().objects.exists()


def test_an_empty_sign_up_names_every_problem_at_once(client, terms, today):
    response = client.post(reverse("storefront:signup"), {})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"email", "password", "name", "country", "adult_confirmed", "accept_terms"} <= set(
        errors
    )
    assert "18 or older" in " ".join(errors["adult_confirmed"])
    assert nothing_written()


def test_sign_ups_are_limited_per_client_address(client, terms, today, settings):
    """Sign-up mails cannot be used to flood inboxes: the reset limits apply."""
    for n in range(settings.KYKLOS_PASSWORD_RESET_PER_IP):
        assert sign_up(client, email=f"visitor{n}@example.pl").status_code == 302
    response = sign_up(client, email="one-more@example.pl")
    assert response.status_code == 400
    assert "Too many sign-ups" in response.content.decode()
    assert len(mail.outbox) == settings.KYKLOS_PASSWORD_RESET_PER_IP


def test_the_account_opens_even_when_the_cart_can_no_longer_be_ordered(client, shop, terms, today):
    client.post(reverse("storefront:cart_domain"), {"domain": "kowalska.gr"})
    sign_up(client)
    factories.active_service(
        factories.customer(), shop["domain"], label="kowalska.gr", expires_on=today
    )
    response = client.post(link(mail.outbox[0]))
    anna = Customer.objects.get(email="anna@example.pl")
    assert not Service.objects.filter(customer=anna).exists()
    assert response.url.endswith("next=%2Fshop%2Fcart%2F")
    assert client.session["kyklos_cart"]["items"][0]["domain"] == "kowalska.gr"

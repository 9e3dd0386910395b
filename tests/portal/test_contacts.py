"""Contacts with permissions (R1.2): the owner invites logins with a scope; every portal
page honours the scope; the owner alone manages contacts."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, reverse

from kyklos.accounts import services as accounts
from kyklos.accounts.models import Contact, UserSession
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.portal import urls as portal_urls
from tests import factories
from tests.portal.conftest import PASSWORD, TODAY, make_login

pytestmark = pytest.mark.django_db


def contact_login(customer, scope: str, username: str):
    """A contact of ``customer`` who accepted their invitation."""
    contact, token = accounts.invite_contact(
        customer, name=username.title(), email=f"{username}@example.gr", scope=scope
    )
    accounts.accept_invitation(token, username=username, password=PASSWORD)
    contact.refresh_from_db()
    return contact


@pytest.fixture
def logins(customer, today):
    """A client per login of Maria's account: the owner and one contact per scope."""
    clients = {"owner": Client()}
    clients["owner"].force_login(customer.user)
    for scope in ("billing", "technical", "full"):
        contact = contact_login(customer, scope, f"{scope}-contact")
        clients[scope] = Client()
        clients[scope].force_login(contact.user)
    return clients


# --- every portal page × every scope ------------------------------------------------------

ALL = {"owner", "billing", "technical", "full"}
BILLING = {"owner", "billing", "full"}
TECHNICAL = {"owner", "technical", "full"}
#: Who may open each portal page (R1.2): billing sees invoices and payments, technical
#: sees services, tickets and credentials, full sees all, the owner also the contacts.
WHO_MAY = {
    "dashboard": ALL,  # a billing contact is sent on to the invoices
    "service": TECHNICAL,
    "service_plan": TECHNICAL,
    "renew": TECHNICAL,
    "cancel": TECHNICAL,
    "invoices": BILLING,
    "invoice": BILLING,
    "invoice_pdf": BILLING,
    "pay": BILLING,
    "upload_proof": BILLING,
    "refund": BILLING,
    "checkout_return": BILLING,
    "card_pay": BILLING,
    "cards": BILLING,
    "card_remove": BILLING,
    "auto_pay": BILLING,
    "quotes": BILLING,
    "quote": BILLING,
    "quote_decline": BILLING,
    "quote_pdf": BILLING,
    "project": BILLING,
    "variation_answer": BILLING,
    "deliverable": TECHNICAL,
    "deliverable_file": TECHNICAL,
    "support_hours": TECHNICAL,
    "tickets": TECHNICAL,
    "ticket_new": TECHNICAL,
    "ticket": TECHNICAL,
    "ticket_reply": TECHNICAL,
    "ticket_close": TECHNICAL,
    "ticket_attachment": TECHNICAL,
    "credentials": TECHNICAL,
    "credentials_handover": TECHNICAL,
    "domains": TECHNICAL,
    "domain_search": TECHNICAL,
    "domain_order": TECHNICAL,
    "domain": TECHNICAL,
    "domain_nameservers": TECHNICAL,
    "domain_lock": TECHNICAL,
    "domain_auth_code": TECHNICAL,
    "domain_transfer": TECHNICAL,
    "domain_refused": TECHNICAL,
    "domain_transfer_in": TECHNICAL,
    "domain_transfer_retry": TECHNICAL,
    "domain_owner": TECHNICAL,
    "dns_zones": TECHNICAL,
    "dns_zone": TECHNICAL,
    "certificates": TECHNICAL,
    "certificate_chain": TECHNICAL,
    "certificate_renew": TECHNICAL,
    "profile": {"owner", "full"},
    "particulars": {"owner", "full"},
    "change_request": {"owner", "full"},
    "change_document": {"owner", "full"},
    "contacts": {"owner"},
    "contact_scope": {"owner"},
    "contact_remove": {"owner"},
}
#: Portal pages for people who are not logged in yet.
PUBLIC = {"invitation"}


def portal_pages():
    for pattern in portal_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        if pattern.name in PUBLIC:
            continue
        args = [999999] * len(pattern.pattern.converters)
        yield pattern.name, reverse(f"portal:{pattern.name}", args=args)


def test_every_portal_page_is_in_the_table():
    names = {p.name for p in portal_urls.urlpatterns}
    assert names == set(WHO_MAY) | PUBLIC


def test_every_portal_page_honours_the_scope_of_the_login(logins):
    before = AuditEvent.objects.count()
    for name, url in portal_pages():
        for who, client in logins.items():
            response = client.get(url)
            if response.status_code == 405:  # a form's target: POST, without data
                response = client.post(url)
            if who in WHO_MAY[name]:
                assert response.status_code != 403, (name, who)
                assert response.status_code < 500, (name, who)
            else:
                assert response.status_code == 403, (name, who, response.status_code)
                assert "Not part of your access" in response.content.decode(), (name, who)
    assert AuditEvent.objects.count() == before  # nobody changed anything


def test_a_billing_contact_starts_on_the_invoices_and_sees_no_service_links(logins):
    response = logins["billing"].get(reverse("portal:dashboard"))
    assert response["Location"] == reverse("portal:invoices")
    html = logins["billing"].get(reverse("portal:invoices")).content.decode()
    assert 'href="/portal/invoices/"' in html
    assert '<li><a href="/portal/"' not in html  # no "Services" in the navigation
    assert 'href="/portal/tickets/"' not in html
    assert 'href="/portal/contacts/"' not in html


def test_only_the_owner_sees_the_contacts_link(logins):
    owner = logins["owner"].get(reverse("portal:invoices")).content.decode()
    full = logins["full"].get(reverse("portal:invoices")).content.decode()
    assert 'href="/portal/contacts/"' in owner
    assert 'href="/portal/contacts/"' not in full


def test_a_contact_acts_for_the_account_on_its_services(logins, customer, hosting):
    service = factories.active_service(customer, hosting, expires_on=TODAY + timedelta(days=40))
    response = logins["technical"].post(reverse("portal:renew", args=[service.pk]))
    assert response.status_code == 302
    assert service.renewals.count() == 1


# --- invitations --------------------------------------------------------------------------


def test_the_owner_invites_a_contact_who_gets_a_single_use_link(portal, customer, today):
    response = portal.post(
        reverse("portal:contacts"),
        {"name": "Anna Accounts", "email": "Anna@Example.gr", "scope": "billing"},
    )

    assert response.status_code == 302
    contact = Contact.objects.get()
    assert (contact.email, contact.scope, contact.user) == ("anna@example.gr", "billing", None)
    notice = Outbox.objects.get(event="contact_invited")
    assert notice.to_email == "anna@example.gr"
    link = notice.context["link"]
    assert link.startswith("http://testserver/portal/invitations/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in contact.token_digest  # stored as a digest only

    invitee = Client()
    form = invitee.get(f"/portal/invitations/{token}/")
    assert form.status_code == 200
    assert "with this access: Billing: invoices and payments" in form.content.decode()
    accepted = invitee.post(
        f"/portal/invitations/{token}/",
        {"username": "anna", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert accepted["Location"] == reverse("portal:login")
    contact.refresh_from_db()
    assert contact.user.username == "anna" and contact.accepted_at is not None
    assert contact.user.check_password(PASSWORD)

    again = Client().post(
        f"/portal/invitations/{token}/",
        {"username": "anna2", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert again.status_code == 410
    assert "not valid or was already used" in again.content.decode()
    assert not get_user_model().objects.filter(username="anna2").exists()


def test_an_expired_invitation_is_refused(customer, today):
    contact, token = accounts.invite_contact(
        customer, name="Late", email="late@example.gr", scope="technical"
    )
    with clock.frozen(date(2027, 3, 4)):  # 72 hours later
        response = Client().post(
            f"/portal/invitations/{token}/",
            {"username": "late", "password": PASSWORD, "password_again": PASSWORD},
        )
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    contact.refresh_from_db()
    assert contact.user is None


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "", "email": "a@example.gr", "scope": "billing"}, "This field is required."),
        ({"name": "A", "email": "not-an-address", "scope": "billing"}, "valid email"),
        ({"name": "A", "email": "a@example.gr", "scope": "admin"}, "Select a valid choice"),
        ({"name": "A", "email": "maria@example.gr", "scope": "full"}, "owner&#x27;s own address"),
    ],
)
def test_bad_invitations_write_nothing(portal, customer, today, fields, message):
    before = (Contact.objects.count(), Outbox.objects.count(), AuditEvent.objects.count())
    response = portal.post(reverse("portal:contacts"), fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Contact.objects.count(), Outbox.objects.count(), AuditEvent.objects.count()) == before


def test_an_address_is_invited_once(portal, customer, today):
    fields = {"name": "Anna", "email": "anna@example.gr", "scope": "billing"}
    portal.post(reverse("portal:contacts"), fields)
    response = portal.post(reverse("portal:contacts"), fields)
    assert "already a contact or invited" in response.content.decode()
    assert Contact.objects.count() == 1


def test_the_invitee_password_follows_the_policy_and_writes_nothing(customer, today):
    _contact, token = accounts.invite_contact(
        customer, name="Weak", email="weak@example.gr", scope="billing"
    )
    users = get_user_model().objects.count()
    response = Client().post(
        f"/portal/invitations/{token}/",
        {"username": "weak", "password": "123", "password_again": "123"},
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    mismatch = Client().post(
        f"/portal/invitations/{token}/",
        {"username": "weak", "password": PASSWORD, "password_again": PASSWORD + "x"},
    )
    assert "The two passwords differ." in mismatch.content.decode()
    taken = Client().post(
        f"/portal/invitations/{token}/",
        {"username": "maria", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert "This user name is taken" in taken.content.decode()
    assert get_user_model().objects.count() == users


def test_a_contact_logs_in_with_their_own_password(customer, today):
    contact_login(customer, "billing", "anna")
    client = Client()
    client.post("/portal/login/", {"username": "anna", "password": PASSWORD})
    assert client.get(reverse("portal:invoices")).status_code == 200
    assert client.get(reverse("portal:tickets")).status_code == 403
    assert client.get(reverse("accounts:setup")).status_code == 200  # 2FA as for the owner


# --- scope and removal --------------------------------------------------------------------


def test_the_owner_changes_a_scope_and_the_next_page_follows_it(portal, customer, today):
    contact = contact_login(customer, "billing", "anna")
    anna = Client()
    anna.force_login(contact.user)
    assert anna.get(reverse("portal:tickets")).status_code == 403

    portal.post(
        reverse("portal:contact_scope", args=[contact.pk]), {f"c{contact.pk}-scope": "technical"}
    )

    assert anna.get(reverse("portal:tickets")).status_code == 200
    assert anna.get(reverse("portal:invoices")).status_code == 403
    assert AuditEvent.objects.filter(action="contact.scope_changed").count() == 1


def test_a_bad_scope_is_refused_and_writes_nothing(portal, customer, today):
    contact = contact_login(customer, "billing", "anna")
    response = portal.post(
        reverse("portal:contact_scope", args=[contact.pk]), {f"c{contact.pk}-scope": "owner"}
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.scope == "billing"
    messages = portal.get(reverse("portal:contacts")).content.decode()
    assert "Choose billing, technical or full access." in messages


def test_removing_a_contact_ends_its_sessions(portal, customer, today):
    contact = contact_login(customer, "technical", "tom")
    tom = Client()
    tom.post("/portal/login/", {"username": "tom", "password": PASSWORD})
    assert tom.get(reverse("portal:tickets")).status_code == 200

    confirm = portal.get(reverse("portal:contact_remove", args=[contact.pk]))
    assert "will no longer be able to log in" in confirm.content.decode()
    portal.post(reverse("portal:contact_remove", args=[contact.pk]))

    assert not Contact.objects.exists()
    assert tom.get(reverse("portal:tickets")).status_code == 302  # to the login page
    assert not UserSession.objects.filter(user=contact.user, ended_at__isnull=True).exists()
    contact.user.refresh_from_db()
    assert not contact.user.is_active


def test_another_customers_contact_is_a_404(portal, other_customer, today):
    theirs = contact_login(other_customer, "billing", "olga")
    assert portal.post(reverse("portal:contact_remove", args=[theirs.pk])).status_code == 404
    response = portal.post(
        reverse("portal:contact_scope", args=[theirs.pk]), {f"c{theirs.pk}-scope": "full"}
    )
    assert response.status_code == 404
    assert Contact.objects.filter(pk=theirs.pk, scope="billing").exists()


def test_a_login_of_no_account_still_gets_the_no_customer_page(client, today):
    client.force_login(make_login("nobody"))
    assert client.get(reverse("portal:invoices")).status_code == 403

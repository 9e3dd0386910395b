"""Contacts of a customer account (R1.2): who they are in the rules, and which notices
they receive a copy of."""

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from kyklos.accounts import access, selectors, services
from kyklos.accounts.models import Contact
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications import services as notifications
from kyklos.notifications.models import Event
from tests.accounts.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TODAY = date(2027, 3, 1)


@pytest.fixture(autouse=True)
def today():
    with clock.frozen(TODAY):
        yield TODAY


def accepted(customer, scope: str, username: str) -> Contact:
    contact, token = services.invite_contact(
        customer, name=username, email=f"{username}@example.gr", scope=scope
    )
    services.accept_invitation(token, username=username, password=PASSWORD)
    contact.refresh_from_db()
    return contact


# --- who a contact is ---------------------------------------------------------------------


def test_a_contact_opens_its_account_with_its_scope(customer):
    contact = accepted(customer, "billing", "anna")
    login = selectors.portal_login(contact.user)
    assert (login.customer, login.scope, login.is_owner) == (customer, "billing", False)
    owner = selectors.portal_login(customer.user)
    assert (owner.customer, owner.is_owner) == (customer, True)


def test_a_pending_invitation_opens_nothing(customer):
    services.invite_contact(customer, name="P", email="p@example.gr", scope="full")
    assert not Contact.objects.get().is_accepted
    assert selectors.contact_addresses(customer.pk, "billing") == []


def test_a_contact_acts_for_its_account_in_the_rules(customer, other_customer):
    from kyklos.lifecycle.models import Service

    contact = accepted(customer, "technical", "tom")
    mine, theirs = Service(customer=customer), Service(customer=other_customer)
    assert access.can(contact.user, "service.renew", mine)
    assert not access.can(contact.user, "service.renew", theirs)


def test_only_the_owner_manages_contacts(customer):
    full = accepted(customer, "full", "fiona")
    before = Contact.objects.count(), AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.invite_contact(
            customer, name="X", email="x@example.gr", scope="billing", actor=full.user
        )
    with pytest.raises(PermissionDenied):
        services.change_contact_scope(full, "billing", actor=full.user)
    with pytest.raises(PermissionDenied):
        services.remove_contact(full, actor=full.user)
    assert (Contact.objects.count(), AuditEvent.objects.count()) == before


def test_an_invitation_is_single_use_and_expires(customer):
    _contact, token = services.invite_contact(
        customer, name="Once", email="once@example.gr", scope="billing"
    )
    services.accept_invitation(token, username="once", password=PASSWORD)
    with pytest.raises(ValidationError, match="already used"):
        services.accept_invitation(token, username="twice", password=PASSWORD)

    _contact, late = services.invite_contact(
        customer, name="Late", email="late@example.gr", scope="billing"
    )
    with clock.frozen(date(2027, 3, 3)):  # within 72 hours
        services.find_invitation(late)
    with clock.frozen(date(2027, 3, 4)), pytest.raises(ValidationError, match="expired"):
        services.accept_invitation(late, username="late", password=PASSWORD)
    with pytest.raises(ValidationError, match="not valid"):
        services.find_invitation("")


# --- notices go to the right contact ------------------------------------------------------


@pytest.fixture
def team(customer):
    """Maria's account with a billing address and one contact per scope, a pending one and
    a removed one."""
    customer.billing_email = "accounts@example.gr"
    customer.save()
    team = {scope: accepted(customer, scope, f"{scope}-c") for scope in ("billing", "technical")}
    team["full"] = accepted(customer, "full", "full-c")
    services.invite_contact(customer, name="Pending", email="pending@example.gr", scope="full")
    gone = accepted(customer, "billing", "gone")
    services.remove_contact(gone)
    return team


def sent(customer, event: str, **context):
    mail.outbox.clear()
    notifications.queue_notice(event=event, customer=customer, context=context, for_date=TODAY)
    notifications.send_pending()
    (message,) = mail.outbox
    return message


INVOICE = {
    "invoice_number": "PRO-2027-000001",
    "total": "148.80",
    "currency": "EUR",
    "due_on": "2027-03-01",
    "service_label": "maria.gr",
    "expires_on": "2027-04-01",
}


def test_billing_notices_go_to_the_billing_email_and_billing_contacts(customer, team):
    message = sent(customer, Event.RENEWAL_INVOICE, **INVOICE)
    assert message.to == ["accounts@example.gr"]
    assert message.cc == ["billing-c@example.gr", "full-c@example.gr"]


def test_technical_notices_go_to_technical_contacts(customer, team):
    message = sent(
        customer,
        Event.SERVICE_SUSPENDED,
        service_label="maria.gr",
        product_name="Hosting",
        expires_on="2027-02-20",
    )
    assert message.to == [customer.notice_email]
    assert message.cc == ["full-c@example.gr", "technical-c@example.gr"]


def test_other_notices_go_to_full_contacts_only(customer, team):
    message = sent(
        customer,
        "ticket_opened",
        ticket_number="T-1",
        ticket_subject="Help",
        subject_tag="[T-1]",
        first_response_due="2027-03-02T10:00:00+00:00",
        resolution_due="2027-03-05T10:00:00+00:00",
    )
    assert message.cc == ["full-c@example.gr"]


def test_a_contact_is_not_copied_twice_with_the_address_itself(customer):
    customer.billing_email = "anna@example.gr"
    customer.save()
    accepted(customer, "billing", "anna")
    assert sent(customer, Event.RENEWAL_INVOICE, **INVOICE).cc == []


def test_the_audience_of_an_event_is_data():
    from kyklos.notifications import events

    assert events.audience(Event.INVOICE_ISSUED) == "billing"
    assert events.audience(Event.EXPIRY_WARNING) == "technical"
    assert events.audience("ticket_opened") == "general"
    with pytest.raises(ValueError, match="audience"):
        events.register("odd_event", audience="everyone")


def test_a_locked_account_invites_nobody(customer):
    customer.status = customer.Status.LOCKED
    customer.save()
    with pytest.raises(ValidationError, match="locked"):
        services.invite_contact(customer, name="A", email="a@example.gr", scope="billing")
    assert not Contact.objects.exists()

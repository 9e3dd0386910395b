"""Opening, changing and locking accounts (R1.1, R1.2, R1.4)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import translation

from kyklos.core.models import AuditEvent
from kyklos.customers import selectors, services
from kyklos.customers.models import Customer, ParticularsChange, TermsAcceptance

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)  # 09:00 in Athens, the frozen clock


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_a_person_confirming_18_or_older_opens_an_account_with_terms_recorded(today):
    user = User.objects.create_user("eleni", password="x-Secret-123")
    customer = services.create_customer(
        kind="person",
        name=" Eleni Georgiou ",
        email="eleni@example.gr",
        country="gr",
        vat_id="094 014 201",
        adult_confirmed=True,
        terms_version="2027-01",
        channel="portal",
        user=user,
    )
    customer.refresh_from_db()
    assert (customer.name, customer.country, customer.vat_id) == (
        "Eleni Georgiou",
        "GR",
        "EL094014201",
    )
    assert customer.adult_confirmed_at == NOW
    assert customer.created_at == NOW
    assert customer.status == "active"
    assert list(customer.terms.values_list("version", "channel", "accepted_at")) == [
        ("2027-01", "portal", NOW)
    ]
    assert selectors.customer_for_user(user) == customer
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "customer.created",
        "customer.terms_accepted",
    }


def test_a_person_who_does_not_confirm_18_or_older_is_refused_and_nothing_is_written(today):
    with pytest.raises(ValidationError) as refused:
        services.create_customer(
            kind="person",
            name="Nikos",
            email="nikos@example.gr",
            country="GR",
            terms_version="2027-01",
        )
    assert refused.value.message_dict == {
        "adult_confirmed": ["Customers must be 18 or older; please confirm your age."]
    }
    assert not Customer.objects.exists()
    assert not TermsAcceptance.objects.exists()
    assert not AuditEvent.objects.exists()


def test_every_problem_of_a_new_account_is_reported_at_once(today):
    with pytest.raises(ValidationError) as refused:
        services.create_customer(
            kind="company",
            name="Kostas",
            email="not-an-address",
            country="GR",
            vat_id="EL094014200",
        )
    errors = refused.value.message_dict
    assert errors["vat_id"] == ["The VAT id EL094014200 is not valid: its check digit is wrong."]
    assert errors["company_name"] == ["A company needs its legal name."]
    assert errors["email"] == ["Enter a valid email address."]
    assert not Customer.objects.exists()


def test_an_unknown_country_is_refused(today):
    with pytest.raises(ValidationError) as refused:
        services.create_customer(
            kind="person",
            name="Kostas",
            email="k@example.gr",
            country="XX",
            adult_confirmed=True,
        )
    assert list(refused.value.message_dict) == ["country"]
    assert not Customer.objects.exists()


def test_particulars_change_directly_and_the_old_values_stay_in_history(make_customer, today):
    customer = make_customer(phone="+30 2310 000000")
    staff = User.objects.create_user("staff", is_staff=True)

    rows = services.update_particulars(
        customer,
        actor=staff,
        phone="+30 2310 111111",
        billing_email="books@example.gr",
        name="Maria Papadopoulou",  # unchanged: no history row
    )

    customer.refresh_from_db()
    assert customer.phone == "+30 2310 111111"
    assert customer.invoice_email == "books@example.gr"
    assert len(rows) == 2
    history = {h.field: (h.old_value, h.new_value, h.changed_by) for h in customer.history.all()}
    assert history == {
        "phone": ("+30 2310 000000", "+30 2310 111111", staff),
        "billing_email": ("", "books@example.gr", staff),
    }
    event = AuditEvent.objects.get(action="customer.particulars_changed")
    assert event.data == {"fields": ["phone", "billing_email"]}
    assert event.actor == staff


def test_fields_needing_approval_are_refused_outside_a_change_request(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError) as refused:
        services.update_particulars(customer, vat_id="CY10259033P", phone="+30 1")
    assert refused.value.message_dict == {
        "vat_id": [
            "A change of this field needs a supporting document and staff approval: "
            "please file a change request."
        ]
    }
    customer.refresh_from_db()
    assert (customer.vat_id, customer.phone) == ("EL094014201", "")
    assert not ParticularsChange.objects.exists()


def test_an_invalid_particular_writes_nothing_and_leaves_the_object_untouched(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError) as refused:
        services.update_particulars(customer, phone="+30 2", admin_email="nope")
    assert list(refused.value.message_dict) == ["admin_email"]
    assert (customer.phone, customer.admin_email) == ("", "")
    customer.refresh_from_db()
    assert (customer.phone, customer.admin_email) == ("", "")
    assert not ParticularsChange.objects.exists()


def test_status_and_unknown_fields_are_not_particulars(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError, match="not particulars a customer can change: status"):
        services.update_particulars(customer, status="locked")


def test_locking_ends_the_relationship_without_deleting_anything(make_customer, today):
    user = User.objects.create_user("maria")
    customer = make_customer(user=user)
    staff = User.objects.create_user("staff", is_staff=True)

    services.lock_customer(customer, actor=staff, reason="Contract ended")

    customer.refresh_from_db()
    user.refresh_from_db()
    assert customer.status == "locked"
    assert not user.is_active
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert AuditEvent.objects.get(action="customer.locked").data == {"reason": "Contract ended"}
    with pytest.raises(ValidationError, match="locked"):
        services.update_particulars(customer, phone="+30 1")
    with pytest.raises(ValidationError, match="already locked"):
        services.lock_customer(customer, actor=staff, reason="again")


def test_locking_needs_a_reason(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError):
        services.lock_customer(customer, actor=None, reason="  ")
    customer.refresh_from_db()
    assert customer.status == "active"


def test_terms_acceptance_records_version_time_and_channel(make_customer, today):
    customer = make_customer()
    services.accept_terms(customer, version="2027-06", channel="email")
    assert list(customer.terms.values_list("version", "channel", "accepted_at")) == [
        ("2027-06", "email", NOW)
    ]
    with pytest.raises(ValidationError):
        services.accept_terms(customer, version="2027-07", channel="carrier-pigeon")
    assert customer.terms.count() == 1


def test_customer_for_user_is_none_for_anonymous_and_users_without_an_account(db):
    from django.contrib.auth.models import AnonymousUser

    assert selectors.customer_for_user(AnonymousUser()) is None
    assert selectors.customer_for_user(User.objects.create_user("staff")) is None

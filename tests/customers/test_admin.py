"""Staff work in the admin goes through the services: validated, kept in history, audited."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import translation

from kyklos.core.models import AuditEvent
from kyklos.customers import services
from kyklos.customers.models import ChangeRequest, Customer

from .conftest import PDF, pdf

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:customers_changerequest_changelist"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def pending(make_customer, today):
    customer = make_customer()
    return services.request_change(
        customer, field="vat_id", new_value="EL998144213", document=pdf()
    )


@pytest.fixture
def country_change(make_customer, today):
    return services.request_change(make_customer(), field="country", new_value="CY", document=pdf())


def test_approve_action_applies_the_change(admin_client, country_change):
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": [country_change.pk]},
        follow=True,
    )
    assert "1 approved." in response.content.decode()
    country_change.refresh_from_db()
    assert country_change.status == "approved"
    assert country_change.decided_by == User.objects.get(username="admin")
    assert country_change.customer.country == "CY"
    assert country_change.customer.history.get().old_value == "GR"


def test_approve_action_reports_a_value_that_does_not_validate_yet(admin_client, country_change):
    # A Cypriot VAT id filed while the move to Cyprus waits: approved first, it is refused.
    vat = services.request_change(
        country_change.customer, field="vat_id", new_value="CY10259033P", document=pdf()
    )
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "approve_selected", "_selected_action": [vat.pk]},
        follow=True,
    )
    assert "belongs to Cyprus, but the country is Greece" in response.content.decode()
    vat.refresh_from_db()
    assert vat.status == "pending"
    assert vat.customer.vat_id == "EL094014201"


def test_reject_action_asks_for_a_reason_then_rejects(admin_client, country_change):
    url = reverse(CHANGELIST)
    asked = admin_client.post(
        url, {"action": "reject_selected", "_selected_action": [country_change.pk]}
    )
    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    country_change.refresh_from_db()
    assert country_change.status == "pending"

    no_reason = admin_client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": [country_change.pk],
            "apply": "1",
            "reason": "",
        },
    )
    assert "This field is required." in no_reason.content.decode()
    country_change.refresh_from_db()
    assert country_change.status == "pending"

    admin_client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": [country_change.pk],
            "apply": "1",
            "reason": "The invoice shows a Greek address.",
        },
    )
    country_change.refresh_from_db()
    assert (country_change.status, country_change.decision_note) == (
        "rejected",
        "The invoice shows a Greek address.",
    )
    assert country_change.customer.country == "GR"


def test_a_change_request_cannot_be_edited_or_deleted_in_the_admin(admin_client, pending):
    url = reverse("admin:customers_changerequest_change", args=[pending.pk])
    admin_client.post(url, {"new_value": "DE136695976", "status": "approved"})
    pending.refresh_from_db()
    assert (pending.new_value, pending.status) == ("EL998144213", "pending")
    delete = reverse("admin:customers_changerequest_delete", args=[pending.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ChangeRequest.objects.filter(pk=pending.pk).exists()


def test_staff_download_a_document_and_the_download_is_audited(admin_client, pending):
    response = admin_client.get(
        reverse("admin:customers_changerequest_document", args=[pending.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="customer.document_viewed").count() == 1


def test_staff_file_a_change_request_with_the_customers_document(
    admin_client, make_customer, today
):
    customer = make_customer()
    url = reverse("admin:customers_changerequest_add")
    refused = admin_client.post(
        url,
        {
            "customer": customer.pk,
            "field": "vat_id",
            "new_value": "EL094014200",
            "document": pdf(),
        },
    )
    assert "its check digit is wrong" in refused.content.decode()
    assert not ChangeRequest.objects.exists()

    admin_client.post(
        url,
        {
            "customer": customer.pk,
            "field": "company_name",
            "new_value": "Nea Epwnymia IKE",
            "document": pdf(),
        },
    )
    change = ChangeRequest.objects.get()
    assert (change.new_value, change.status) == ("Nea Epwnymia IKE", "pending")
    assert AuditEvent.objects.filter(action="customer.change_requested").count() == 1


ADD_FORM = {
    "kind": "company",
    "name": "Jan Kowalski",
    "company_name": "Kowalski sp. z o.o.",
    "vat_id": "PL 526-025-02-74",
    "country": "PL",
    "email": "jan@example.pl",
    "language": "pl",
    "tax_office": "",
    "address": "",
    "city": "",
    "postal_code": "",
    "phone": "",
    "secondary_email": "",
    "admin_email": "",
    "billing_email": "",
    "terms_version": "",
    **{
        f"{prefix}-{key}": value
        for prefix in ("change_requests", "history", "terms")
        for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    },
}


def test_adding_a_customer_in_the_admin_checks_the_vat_id(admin_client, today):
    url = reverse("admin:customers_customer_add")
    refused = admin_client.post(url, {**ADD_FORM, "vat_id": "PL5260250275"})
    assert "The VAT id PL5260250275 is not valid: its check digit is wrong." in (
        refused.content.decode()
    )
    assert not Customer.objects.exists()

    person = admin_client.post(url, {**ADD_FORM, "kind": "person", "vat_id": ""})
    assert "Customers must be 18 or older" in person.content.decode()
    assert not Customer.objects.exists()

    admin_client.post(url, {**ADD_FORM, "terms_version": "2027-01"})
    customer = Customer.objects.get()
    assert (customer.vat_id, customer.company_name) == ("PL5260250274", "Kowalski sp. z o.o.")
    assert list(customer.terms.values_list("version", "channel")) == [("2027-01", "staff")]
    assert AuditEvent.objects.get(action="customer.created").actor.username == "admin"


def test_editing_a_customer_in_the_admin_keeps_history_and_leaves_vat_to_requests(
    admin_client, make_customer, today
):
    customer = make_customer(phone="+30 1")
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    form = {key: value for key, value in ADD_FORM.items() if "-" in key}
    form.update(
        {
            "name": customer.name,
            "email": customer.email,
            "language": "el",
            "phone": "+30 2",
            "tax_office": "",
            "address": "Egnatia 1",
            "city": "",
            "postal_code": "",
            "secondary_email": "",
            "admin_email": "",
            "billing_email": "",
            "vat_id": "DE136695976",
            "company_name": "Other",  # read-only here: ignored
        }
    )
    response = admin_client.post(url, form)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.phone, customer.address) == ("+30 2", "Egnatia 1")
    assert (customer.vat_id, customer.company_name) == ("EL094014201", "Papadopoulou IKE")
    assert sorted(customer.history.values_list("field", "old_value")) == [
        ("address", ""),
        ("phone", "+30 1"),
    ]


def test_lock_action_asks_for_a_reason_and_never_deletes(admin_client, make_customer, today):
    customer = make_customer()
    url = reverse("admin:customers_customer_changelist")
    admin_client.post(
        url,
        {
            "action": "lock_selected",
            "_selected_action": [customer.pk],
            "apply": "1",
            "reason": "Asked to close the account",
        },
    )
    customer.refresh_from_db()
    assert customer.status == "locked"
    delete = reverse("admin:customers_customer_delete", args=[customer.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403


@pytest.mark.parametrize(
    "name",
    [
        "customers_customer_changelist",
        "customers_changerequest_changelist",
        "customers_customer_add",
        "customers_changerequest_add",
    ],
)
def test_admin_pages_open(admin_client, pending, name):
    assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_customer_change_page_shows_history_and_requests(admin_client, pending):
    page = admin_client.get(
        reverse("admin:customers_customer_change", args=[pending.customer_id])
    ).content.decode()
    assert "EL998144213" in page
    assert "history of particulars" in page.lower()

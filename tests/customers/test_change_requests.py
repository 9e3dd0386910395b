"""VAT id, company name and country change only with a document and staff approval (R1.3)."""

from datetime import date

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.customers import selectors, services
from kyklos.customers.models import ChangeRequest, ParticularsChange

from .conftest import PDF, PNG, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def staff(db):
    return User.objects.create_user("anna", is_staff=True)


def stored_files():
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_value_changes_only_when_staff_approve_and_history_keeps_the_old_one(
    make_customer, staff, today
):
    customer = make_customer()
    change = services.request_change(
        customer, field="company_name", new_value=" Papadopoulou & Co IKE ", document=pdf()
    )
    customer.refresh_from_db()
    assert customer.company_name == "Papadopoulou IKE"
    assert change.status == "pending"
    assert change.new_value == "Papadopoulou & Co IKE"
    assert change.document.read() == PDF
    assert list(selectors.pending_change_requests()) == [change]

    services.approve_change(change, actor=staff)

    customer.refresh_from_db()
    assert customer.company_name == "Papadopoulou & Co IKE"
    assert (change.status, change.decided_by) == ("approved", staff)
    history = customer.history.get()
    assert (history.field, history.old_value, history.new_value) == (
        "company_name",
        "Papadopoulou IKE",
        "Papadopoulou & Co IKE",
    )
    assert history.change_request == change
    assert history.changed_by == staff
    assert list(selectors.pending_change_requests()) == []
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True))[-2:] == [
        "customer.change_requested",
        "customer.change_approved",
    ]


def test_a_vat_id_change_is_normalised_and_checked_before_it_is_filed(make_customer, today):
    customer = make_customer()
    change = services.request_change(
        customer, field="vat_id", new_value="EL 998 144 213", document=pdf()
    )
    assert change.new_value == "EL998144213"
    with pytest.raises(ValidationError) as refused:
        services.request_change(customer, field="vat_id", new_value="EL094014200", document=pdf())
    assert refused.value.message_dict["field"] == [
        "A change of this field is already waiting for approval."
    ]


def test_a_wrong_vat_id_is_refused_with_the_message_on_the_new_value(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError) as refused:
        services.request_change(customer, field="vat_id", new_value="094014200", document=pdf())
    assert refused.value.message_dict == {
        "new_value": ["The VAT id EL094014200 is not valid: its check digit is wrong."]
    }
    assert not ChangeRequest.objects.exists()
    assert stored_files() == []


def test_a_vat_id_is_checked_against_a_pending_country_change(make_customer, staff, today):
    customer = make_customer()
    country = services.request_change(customer, field="country", new_value="cy", document=pdf())
    vat = services.request_change(customer, field="vat_id", new_value="10259033P", document=pdf())
    assert (country.new_value, vat.new_value) == ("CY", "CY10259033P")

    services.approve_change(country, actor=staff)
    services.approve_change(vat, actor=staff)

    customer.refresh_from_db()
    assert (customer.country, customer.vat_id) == ("CY", "CY10259033P")
    assert customer.history.count() == 2


def test_a_rejected_change_leaves_the_value_and_keeps_the_reason(make_customer, staff, today):
    customer = make_customer()
    change = services.request_change(customer, field="country", new_value="PL", document=pdf())

    services.reject_change(change, actor=staff, note="The document does not show the address.")

    customer.refresh_from_db()
    assert customer.country == "GR"
    change.refresh_from_db()
    assert (change.status, change.decision_note, change.decided_by) == (
        "rejected",
        "The document does not show the address.",
        staff,
    )
    assert not ParticularsChange.objects.exists()
    assert AuditEvent.objects.filter(action="customer.change_rejected").count() == 1


def test_rejecting_needs_a_reason_and_decisions_are_final(make_customer, staff, today):
    customer = make_customer()
    change = services.request_change(customer, field="country", new_value="PL", document=pdf())
    with pytest.raises(ValidationError):
        services.reject_change(change, actor=staff, note=" ")
    change.refresh_from_db()
    assert change.status == "pending"

    services.approve_change(change, actor=staff)
    with pytest.raises(ValidationError, match="already decided"):
        services.approve_change(change, actor=staff)
    with pytest.raises(ValidationError, match="already decided"):
        services.reject_change(change, actor=staff, note="too late")
    assert ParticularsChange.objects.count() == 1


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("proof.exe", b"MZ\x90\x00"),
            "The document must be a PDF, JPEG or PNG file.",
        ),
        (
            SimpleUploadedFile("proof.pdf", b"MZ\x90\x00 not a pdf"),
            "The file proof.pdf is damaged or not of the type its name says.",
        ),
        (
            SimpleUploadedFile("scan.jpg", PNG),
            "The file scan.jpg is damaged or not of the type its name says.",
        ),
        (
            SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024)),
            "The document is larger than 10 MB.",
        ),
        (None, "Attach a supporting document (PDF, JPEG or PNG)."),
    ],
)
def test_a_bad_document_is_refused_and_nothing_is_written(make_customer, today, upload, message):
    customer = make_customer()
    with pytest.raises(ValidationError) as refused:
        services.request_change(
            customer, field="company_name", new_value="New Name IKE", document=upload
        )
    assert refused.value.message_dict == {"document": [message]}
    assert not ChangeRequest.objects.exists()
    assert stored_files() == []
    assert not AuditEvent.objects.filter(action="customer.change_requested").exists()


@pytest.mark.parametrize("name", ["scan.png", "SCAN.PNG"])
def test_png_and_jpeg_documents_are_accepted(make_customer, today, name):
    customer = make_customer()
    services.request_change(
        customer,
        field="company_name",
        new_value="New Name IKE",
        document=SimpleUploadedFile(name, PNG),
    )
    jpeg = SimpleUploadedFile("id.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 16)
    services.request_change(customer, field="country", new_value="DE", document=jpeg)
    assert ChangeRequest.objects.count() == 2


def test_other_fields_and_unchanged_values_need_no_request(make_customer, today):
    customer = make_customer()
    with pytest.raises(ValidationError) as other:
        services.request_change(customer, field="phone", new_value="+30 1", document=pdf())
    assert list(other.value.message_dict) == ["field"]
    with pytest.raises(ValidationError) as same:
        services.request_change(customer, field="country", new_value="gr", document=pdf())
    assert same.value.message_dict == {"new_value": ["That is already the current value."]}


def test_pending_requests_are_listed_oldest_first_in_one_query(
    make_customer, django_assert_num_queries
):
    with clock.frozen(date(2027, 3, 1)):
        first = services.request_change(
            make_customer(email="a@example.gr"), field="country", new_value="CY", document=pdf()
        )
    with clock.frozen(date(2027, 3, 2)):
        second = services.request_change(
            make_customer(email="b@example.gr"), field="country", new_value="PL", document=pdf()
        )
    with django_assert_num_queries(1):
        rows = [(c.pk, c.customer.email) for c in selectors.pending_change_requests()]
    assert rows == [(first.pk, "a@example.gr"), (second.pk, "b@example.gr")]


def test_a_locked_account_files_and_gets_no_changes(make_customer, staff, today):
    customer = make_customer()
    change = services.request_change(customer, field="country", new_value="PL", document=pdf())
    services.lock_customer(customer, actor=staff, reason="Contract ended")
    with pytest.raises(ValidationError, match="locked"):
        services.approve_change(change, actor=staff)
    with pytest.raises(ValidationError, match="locked"):
        services.request_change(customer, field="vat_id", new_value="EL998144213", document=pdf())
    customer.refresh_from_db()
    assert customer.country == "GR"


def test_every_particular_is_either_edited_directly_or_changed_through_approval():
    editable, approved = set(services.EDITABLE_FIELDS), services.FIELDS_NEEDING_APPROVAL
    assert not editable & approved
    assert editable | approved == set(services.PARTICULARS)

"""Particulars: free changes, change requests with a document, and their list (R1.2, R1.3)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kyklos.customers.models import ChangeRequest, ParticularsChange
from kyklos.customers.services import EDITABLE_FIELDS

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


def particulars(customer, **changes):
    values = {name: getattr(customer, name) for name in EDITABLE_FIELDS}
    values.update(changes)
    return values


def files_under(path):
    return [p for p in path.rglob("*") if p.is_file()] if path.exists() else []


def test_the_profile_shows_the_particulars_on_record(portal, customer):
    page = portal.get(reverse("portal:profile")).content.decode()

    assert "Maria Nowak" in page
    assert "maria@example.gr" in page
    assert "You have not filed any change requests." in page


def test_a_customer_changes_free_particulars_and_the_old_value_is_kept(portal, customer, today):
    response = portal.post(
        reverse("portal:particulars"),
        particulars(customer, phone="+30 2310 123456", billing_email="accounts@example.gr"),
        follow=True,
    )

    assert "Your particulars were saved." in response.content.decode()
    customer.refresh_from_db()
    assert (customer.phone, customer.billing_email) == ("+30 2310 123456", "accounts@example.gr")
    history = {c.field: (c.old_value, c.new_value, c.changed_by) for c in customer.history.all()}
    assert history == {
        "phone": ("", "+30 2310 123456", customer.user),
        "billing_email": ("", "accounts@example.gr", customer.user),
    }


def test_bad_particulars_are_shown_on_the_form_and_nothing_is_written(portal, customer, today):
    response = portal.post(
        reverse("portal:particulars"),
        particulars(customer, email="not-an-address", phone="+30 2310 123456"),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "Enter a valid email address." in page
    assert 'value="not-an-address"' in page
    customer.refresh_from_db()
    assert (customer.email, customer.phone) == ("maria@example.gr", "")
    assert not ParticularsChange.objects.exists()


def test_a_change_request_with_a_pdf_is_filed_and_listed_as_pending(
    portal, customer, settings, today
):
    response = portal.post(
        reverse("portal:change_request"),
        {
            "field": "vat_id",
            "new_value": "EL094014201",
            "document": SimpleUploadedFile("certificate.pdf", PDF, "application/pdf"),
        },
        follow=True,
    )

    change = ChangeRequest.objects.get()
    assert (change.customer, change.field, change.new_value, change.status) == (
        customer,
        "vat_id",
        "EL094014201",
        ChangeRequest.Status.PENDING,
    )
    page = response.content.decode()
    assert "Your request was filed" in page
    assert 'class="badge badge-pending">Pending</span>' in page
    customer.refresh_from_db()
    assert customer.vat_id == ""  # only staff approval changes it (R1.3)
    assert len(files_under(settings.MEDIA_ROOT)) == 1


def test_an_exe_is_refused_and_nothing_is_written(portal, customer, settings, today):
    response = portal.post(
        reverse("portal:change_request"),
        {
            "field": "company_name",
            "new_value": "Nowak IKE",
            "document": SimpleUploadedFile(
                "certificate.exe", b"MZ\x90\x00", "application/octet-stream"
            ),
        },
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The document must be a PDF, JPEG or PNG file." in page
    assert 'value="Nowak IKE"' in page
    assert not ChangeRequest.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_an_invalid_vat_id_is_shown_on_its_field(portal, customer, settings, today):
    response = portal.post(
        reverse("portal:change_request"),
        {
            "field": "vat_id",
            "new_value": "EL123",
            "document": SimpleUploadedFile("certificate.pdf", PDF, "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert 'class="field has-error"' in response.content.decode()
    assert not ChangeRequest.objects.exists()
    assert files_under(settings.MEDIA_ROOT) == []


def test_a_change_request_needs_a_document(portal, customer, today):
    response = portal.post(
        reverse("portal:change_request"), {"field": "country", "new_value": "PL"}
    )

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ChangeRequest.objects.exists()


def test_only_the_owner_downloads_a_change_requests_document(
    portal, customer, other_customer, today
):
    from kyklos.customers.services import request_change

    mine = request_change(
        customer,
        field="country",
        new_value="PL",
        document=SimpleUploadedFile("mine.pdf", PDF, "application/pdf"),
    )
    theirs = request_change(
        other_customer,
        field="country",
        new_value="PL",
        document=SimpleUploadedFile("theirs.pdf", PDF, "application/pdf"),
    )

    own = portal.get(reverse("portal:change_document", args=[mine.pk]))
    other = portal.get(reverse("portal:change_document", args=[theirs.pk]))

    assert own.status_code == 200
    assert b"".join(own.streaming_content) == PDF
    assert own["Content-Disposition"] == 'attachment; filename="mine.pdf"'
    assert other.status_code == 404


def test_saving_unchanged_particulars_writes_no_history(portal, customer, today):
    response = portal.post(reverse("portal:particulars"), particulars(customer), follow=True)

    assert "Nothing changed." in response.content.decode()
    assert not ParticularsChange.objects.exists()


def test_a_new_language_in_the_particulars_becomes_the_portals_language(portal, customer, today):
    portal.post(reverse("portal:particulars"), particulars(customer, language="el"))

    response = portal.get(reverse("portal:profile"))

    assert response["Content-Language"] == "el"
    assert "Τα στοιχεία σας" in response.content.decode()

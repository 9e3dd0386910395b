"""Staff inspect, download, release and delete quarantined messages in the admin."""

import pytest
from django.urls import reverse

from kyklos.intake import services
from kyklos.intake.models import QuarantinedMessage
from kyklos.support.models import Ticket
from tests.intake.mails import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("anna", "anna@kyklos.localhost", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def held(now):
    raw = build(
        sender=None,
        subject="<script>alert(1)</script> hello",
        text=None,
        html="<p>Body <img src=x onerror=alert(2)></p>",
        attachments=[("cv.pdf", b"%PDF", "application/pdf")],
    )
    return services.receive(raw).quarantine


def test_the_list_and_the_message_are_shown_escaped(staff_client, held):
    listing = staff_client.get(reverse("admin:intake_quarantinedmessage_changelist"))
    page = staff_client.get(reverse("admin:intake_quarantinedmessage_change", args=[held.pk]))

    assert listing.status_code == page.status_code == 200
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; hello" in html
    assert "<script>alert(1)" not in html and "onerror" not in html
    assert "cv.pdf (application/pdf, 0 kB)" in html
    assert "No usable sender" in html


def test_the_raw_message_is_a_download_never_rendered(staff_client, held):
    response = staff_client.get(reverse("admin:intake_quarantinedmessage_raw", args=[held.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == f'attachment; filename="quarantine-{held.pk}.eml"'
    assert b"".join(response.streaming_content) == held.raw.open("rb").read()


def test_release_with_a_customer(staff_client, held, customer):
    response = staff_client.post(
        reverse("admin:intake_quarantinedmessage_release", args=[held.pk]),
        {"customer": customer.pk},
    )

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == "released"
    assert Ticket.objects.get().customer == customer


def test_release_without_sender_or_customer_shows_the_error(staff_client, held):
    response = staff_client.post(
        reverse("admin:intake_quarantinedmessage_release", args=[held.pk]), {}, follow=True
    )

    assert "no usable sender" in response.content.decode()
    assert not Ticket.objects.exists()


def test_delete_asks_then_deletes(staff_client, held):
    url = reverse("admin:intake_quarantinedmessage_delete_message", args=[held.pk])

    assert staff_client.get(url).status_code == 200
    assert QuarantinedMessage.objects.exists()
    staff_client.post(url)

    assert not QuarantinedMessage.objects.exists()


def test_staff_without_permission_cannot_release_or_download(client, django_user_model, held):
    clerk = django_user_model.objects.create_user("clerk", is_staff=True)
    client.force_login(clerk)

    release = client.post(reverse("admin:intake_quarantinedmessage_release", args=[held.pk]))
    raw = client.get(reverse("admin:intake_quarantinedmessage_raw", args=[held.pk]))

    assert release.status_code == raw.status_code == 403

"""Staff release an OV certificate once the CA validated the organisation (R5.10)."""

import pytest
from django.urls import reverse

from kyklos.certificates import services
from kyklos.certificates.models import Certificate
from tests import factories

pytestmark = pytest.mark.django_db


def test_staff_release_an_ov_certificate(admin_client):
    customer = factories.customer()
    certificate = services.request_certificate(
        customer, ["org.example"], kind="ov", actor=None
    ).certificate
    listing = admin_client.get(
        reverse("admin:certificates_certificate_changelist") + "?state__exact=awaiting_org"
    )
    assert b"org.example" in listing.content
    admin_client.post(
        reverse("admin:certificates_certificate_changelist"),
        {"action": "organisation_validated", "_selected_action": [certificate.pk]},
    )
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.PENDING
    assert certificate.organisation_validated_at is not None

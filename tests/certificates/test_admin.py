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


def test_erasure_deletes_certificates_no_longer_valid_with_their_sealed_keys(settings):
    import base64

    from kyklos.certificates import personal_data as certificate_data
    from kyklos.core.personal_data import Subject
    from kyklos.vault.models import ProviderSecret

    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    customer = factories.customer()
    certificate = services.request_certificate(customer, ["gone.example"], actor=None).certificate
    Certificate.objects.filter(pk=certificate.pk).update(
        key_custody=Certificate.KeyCustody.VAULT, key_purpose="certificates:key:x"
    )
    from kyklos.vault import services as vault

    vault.store_provider_secret("certificates:key:x", {"private_key": "k"}, actor=None)
    exported = list(certificate_data.export(Subject(customer_id=customer.pk)))
    assert exported[0]["names"] == ["gone.example"]
    erased = certificate_data.erase(Subject(customer_id=customer.pk))
    assert erased.deleted == 1 and erased.kept == 0
    assert not Certificate.objects.exists()
    assert not ProviderSecret.objects.filter(purpose="certificates:key:x").exists()

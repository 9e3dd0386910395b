"""Staff: a failed registry job shows the registry's answer and is run again; the
registrar hold (R4.11) asks for a reason."""

import pytest
from django.urls import reverse

from kyklos.accounts import roles
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import Domain, RegistryJob
from tests.domains.conftest import DAY, proforma_of
from tests.einvoicing.conftest import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(peer, registrar, customer, pay):
    peer.registry.take("wanted-admin.gr")
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="wanted-admin.gr", years=2)
    pay(proforma_of(domain), DAY)
    return domain.jobs.get(operation="register")


def test_support_reads_the_registrys_answer_and_retries(
    failed, peer, django_capture_on_commit_callbacks
):
    client = staff(roles.SUPPORT)
    listing = client.get(reverse("admin:domains_registryjob_changelist") + "?status__exact=failed")
    assert "2302 Object exists" in listing.content.decode()
    page = client.get(reverse("admin:domains_registryjob_change", args=[failed.pk]))
    assert "domain:create" in page.content.decode()  # the raw EPP request is kept
    peer.registry.release("wanted-admin.gr")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:domains_registryjob_changelist"),
            {"action": "retry", "_selected_action": [failed.pk]},
        )
    failed.refresh_from_db()
    assert failed.status == RegistryJob.Status.DONE
    assert Domain.objects.get(pk=failed.domain_id).state == "active"


def test_registrar_hold_from_the_admin_with_a_reason(
    failed, peer, django_capture_on_commit_callbacks
):
    peer.registry.release("wanted-admin.gr")
    services.retry(failed, actor="test")
    services.run_due()
    client = staff(roles.SUPPORT)
    url = reverse("admin:domains_domain_changelist")
    form = {"action": "registrar_hold", "_selected_action": [failed.domain_id]}
    client.post(url, {**form, "apply": "1", "reason": ""})
    assert not Domain.objects.get(pk=failed.domain_id).hold
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**form, "apply": "1", "reason": "Malware distribution"})
    domain = Domain.objects.get(pk=failed.domain_id)
    assert domain.hold == "registrar" and domain.hold_reason == "Malware distribution"
    assert "clientHold" in peer.registry.domains["wanted-admin.gr"].statuses

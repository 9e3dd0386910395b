"""The issue's "done when", on real processes: the EPP registry peer (TLS), PowerDNS and
pebble. A customer orders example-kyklos.gr and pays; the domain is created at the registry
for 2 years, its zone appears in PowerDNS, pebble issues a certificate by DNS-01; the
clock moves past expiry and the domain goes through grace and redemption (with the fee)
to release per .gr's data, its zone removed. A second domain is transferred away with its
auth code, which cannot be used twice. A registry outage mid-order loses nothing and
doubles nothing."""

from datetime import timedelta

import pytest

from kyklos.automation.services import run_day
from kyklos.certificates import services as certificates
from kyklos.certificates.models import Certificate
from kyklos.core import clock
from kyklos.domains import services
from kyklos.domains.models import DomainState, RegistryJob, Tld
from kyklos.domains.registrars.base import PermanentFailure
from kyklos.domains.registrars.epp import EppClient
from kyklos.lifecycle.models import Renewal
from kyklos.lifecycle.models import State as ServiceState
from kyklos.notifications.models import Outbox
from kyklos.payments.services import record_payment
from tests.accounts.conftest import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("migration_data"),
]


def pay(domain):
    invoice = Renewal.objects.filter(service_id=domain.service_id).order_by("-pk").first().invoice
    record_payment(invoice, amount=invoice.total, method="bank_transfer", reference="e2e")
    domain.refresh_from_db()
    return invoice


def test_order_register_host_certify_expire_release_and_transfer(
    peer, registrar, customer, powerdns, pebble
):
    peer.registry.today = clock.today  # the registry's clock is the real one here
    customer.user = make_user("maria-e2e")
    customer.save()

    # 1. Order and pay: nothing at the registry before payment (R4.1), then 2 years.
    domain = services.order_domain(customer=customer, name="example-kyklos.gr", years=2)
    assert "example-kyklos.gr" not in peer.registry.domains
    pay(domain)
    at_registry = peer.registry.domains["example-kyklos.gr"]
    assert domain.state == DomainState.ACTIVE
    assert at_registry.expires == domain.expires_on
    assert (domain.expires_on - clock.today()).days in (730, 731)
    assert at_registry.nameservers == ["ns1.kyklos.localhost", "ns2.kyklos.localhost"]

    # 2. Its zone is on PowerDNS, answering for the name servers.
    assert "example-kyklos.gr" in powerdns.zones()
    assert powerdns.values("example-kyklos.gr", "NS") == {
        "ns1.kyklos.localhost.",
        "ns2.kyklos.localhost.",
    }

    # 3. A certificate by DNS-01 from pebble.
    requested = certificates.request_certificate(customer, ["example-kyklos.gr"], actor=None)
    certificate = Certificate.objects.get(pk=requested.certificate.pk)
    assert certificate.state == Certificate.State.ISSUED, certificate.error

    # 4. Nobody renews: grace (15 days), redemption (40 days, fee 60.00), release.
    expiry = domain.expires_on
    for late, state in ((0, "grace"), (15, "redemption"), (55, "released")):
        with clock.frozen(expiry + timedelta(days=late)):
            run_day(expiry + timedelta(days=late))
        domain.refresh_from_db()
        assert domain.state == state, (late, domain.state)
    redemption = Outbox.objects.get(event="domain_redemption", service_id=domain.service_id)
    assert redemption.context["redemption_fee"] == "60.00"
    assert redemption.context["redemption_total"] == "88.00"  # 28.00 + 60.00
    assert Outbox.objects.filter(event="domain_released", service_id=domain.service_id).exists()
    domain.service.refresh_from_db()
    assert domain.service.state == ServiceState.TERMINATED
    assert "example-kyklos.gr" not in powerdns.zones()

    # 5. A second domain, with an outage mid-order: retried, registered once.
    peer.registry.outage = "drop_after"
    second = services.order_domain(customer=customer, name="second-kyklos.gr", years=2)
    pay(second)
    job = second.jobs.get(operation="register")
    assert job.status == RegistryJob.Status.RETRY
    peer.registry.outage = None
    with clock.frozen(job.next_attempt_at):
        services.run_due()
    second.refresh_from_db()
    assert second.state == DomainState.ACTIVE
    assert RegistryJob.objects.filter(domain=second, operation="register").count() == 1

    # 6. ...transferred away with its auth code, 60 days after registration.
    with clock.frozen(clock.now() + timedelta(days=61)):
        services.request_transfer_out(second, actor="test")
        code = services.reveal_auth_code(second, user=customer.user)
        gainer = EppClient(peer.settings(), {"login": "gainer", "password": "gainer-pass-1"})
        with gainer:
            gainer.transfer_in("second-kyklos.gr", auth_code=code, years=2, cltrid="g-1")
        services.sync_now(second)
    second.refresh_from_db()
    assert second.state == DomainState.TRANSFERRED
    assert peer.registry.domains["second-kyklos.gr"].sponsor == "gainer"
    assert "second-kyklos.gr" not in powerdns.zones()
    # The code cannot be used twice.
    with EppClient(peer.settings(), {"login": "kyklos", "password": "kyklos-pass-1"}) as back:
        with pytest.raises(PermanentFailure) as refused:
            back.transfer_in("second-kyklos.gr", auth_code=code, years=2, cltrid="k-1")
    assert refused.value.code == "2202"
    assert services.current_auth_code(second) != code
    assert Tld.objects.get(suffix="gr").redemption_days == 40

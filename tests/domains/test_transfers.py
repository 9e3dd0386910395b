"""Transfers away with the auth code (R4.7, R4.9), the code never reused, name servers
frozen meanwhile, the 60-day rule, registrar hold (R4.11) and WHOIS hold (R4.6)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.audit import AuditEvent
from kyklos.domains import services
from kyklos.domains.models import Domain, DomainState, Transfer
from kyklos.domains.registrars.base import PermanentFailure
from kyklos.domains.registrars.epp import EppClient
from tests.accounts.conftest import make_user
from tests.domains.conftest import DAY, proforma_of

pytestmark = pytest.mark.django_db
LATER = DAY + timedelta(days=90)  # past the 60 days after registration


@pytest.fixture
def registered(peer, registrar, customer, pay):
    customer.user = make_user("maria")
    customer.save()
    with clock.frozen(DAY):
        domain = services.order_domain(
            customer=customer, name="moving-kyklos.gr", years=2, actor="test"
        )
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    assert domain.state == DomainState.ACTIVE
    return domain


def gainer(peer):
    return EppClient(peer.settings(), {"login": "gainer", "password": "gainer-pass-1"})


def test_transfer_out_with_the_auth_code_once(
    peer, registered, run, django_capture_on_commit_callbacks
):
    first_code = services.current_auth_code(registered)
    with clock.frozen(LATER):
        transfer = run(services.request_transfer_out, registered, actor="test")
    registered.refresh_from_db()
    code = services.reveal_auth_code(registered, user=registered.customer.user)
    assert code != first_code  # R4.7: a fresh code for every transfer
    assert peer.registry.domains["moving-kyklos.gr"].auth_code == code
    assert "clientTransferProhibited" not in peer.registry.domains["moving-kyklos.gr"].statuses
    assert AuditEvent.objects.filter(action="domain.auth_code_revealed").count() == 1

    with gainer(peer) as other:
        other.transfer_in("moving-kyklos.gr", auth_code=code, years=2, cltrid="g-1")
    # Name servers are frozen while the transfer is pending (R4.7).
    with clock.frozen(LATER), django_capture_on_commit_callbacks(execute=False):
        services.sync_now(registered)
        services.run_due(limit=1)  # the sync only: the approval waits
    registered.refresh_from_db()
    assert registered.transfers.get().status == Transfer.Status.PENDING
    with pytest.raises(ValidationError, match="transfer is pending"):
        services.set_nameservers(registered, nameservers=["ns1.other.example", "ns2.other.example"])
    with clock.frozen(LATER):
        run(services.run_due)
    registered.refresh_from_db()
    transfer.refresh_from_db()
    assert registered.state == DomainState.TRANSFERRED  # the owner asked: approved at once
    assert transfer.status == Transfer.Status.COMPLETED
    assert transfer.gaining_registrar == "gainer"
    assert registered.service.state == "cancelled"
    # The code cannot be used twice: not at the registry, not here.
    with gainer(peer) as again, pytest.raises(PermanentFailure) as refused:
        again.transfer_in("moving-kyklos.gr", auth_code=code, years=2, cltrid="g-2")
    assert refused.value.code in ("2106", "2202")
    assert services.current_auth_code(registered) != code
    assert services._digest(code) in services.used_auth_code_digests(registered)


def test_no_transfer_within_60_days_of_registration_or_renewal(registered):
    with clock.frozen(DAY + timedelta(days=10)), pytest.raises(ValidationError, match="until"):
        services.request_transfer_out(registered, actor="test")
    Domain.objects.filter(pk=registered.pk).update(last_renewed_on=LATER)
    registered.refresh_from_db()
    with clock.frozen(LATER + timedelta(days=59)), pytest.raises(ValidationError, match="60 days"):
        services.request_transfer_out(registered, actor="test")
    assert not Transfer.objects.exists()


def test_auth_code_only_for_the_owner(registered):
    stranger = make_user("stranger")
    with pytest.raises(ValidationError, match="owner"):
        services.reveal_auth_code(registered, user=stranger)
    assert not AuditEvent.objects.filter(action="domain.auth_code_revealed").exists()


def test_auth_codes_are_never_reused_and_have_punctuation(registered):
    seen = {services.current_auth_code(registered)}
    for _ in range(20):
        seen.add(services._new_auth_code(registered))
    assert len(seen) == 21
    for code in seen:
        assert any(c in services.PUNCTUATION for c in code)
    assert len(services.used_auth_code_digests(registered)) == 20


def test_name_servers_change_at_the_registry(peer, registered, run):
    with clock.frozen(LATER):
        run(
            services.set_nameservers,
            registered,
            nameservers=["NS1.Example.net", "ns2.example.net."],
        )
    assert peer.registry.domains["moving-kyklos.gr"].nameservers == [
        "ns1.example.net",
        "ns2.example.net",
    ]
    with pytest.raises(ValidationError, match="2 to 13"):
        services.set_nameservers(registered, nameservers=["ns1.example.net"])
    with pytest.raises(ValidationError, match="not a host name"):
        services.set_nameservers(registered, nameservers=["bad host", "ns2.example.net"])


def test_registrar_hold_for_illegal_use(peer, registered, run):
    with pytest.raises(ValidationError, match="reason"):
        services.put_on_hold(registered, reason=" ", actor="staff")
    run(services.put_on_hold, registered, reason="Phishing site reported", actor="staff")
    registered.refresh_from_db()
    assert registered.hold == Domain.Hold.REGISTRAR
    assert "clientHold" in peer.registry.domains["moving-kyklos.gr"].statuses
    with clock.frozen(LATER), pytest.raises(ValidationError, match="on hold"):
        services.request_transfer_out(registered, actor="test")
    run(services.lift_hold, registered, reason="Content removed", actor="staff")
    assert "clientHold" not in peer.registry.domains["moving-kyklos.gr"].statuses


def test_whois_verification_not_answered_puts_on_hold(peer, registrar, customer, pay, run):
    with clock.frozen(DAY):
        domain = services.order_domain(customer=customer, name="verify.com", years=1)
    pay(proforma_of(domain), DAY)
    domain.refresh_from_db()
    assert domain.whois_verify_by == DAY + timedelta(days=10)
    run(services.advance, DAY + timedelta(days=10))
    domain.refresh_from_db()
    assert not domain.hold
    run(services.advance, DAY + timedelta(days=11))
    domain.refresh_from_db()
    assert domain.hold == Domain.Hold.WHOIS
    assert "clientHold" in peer.registry.domains["verify.com"].statuses

"""Certificates issued by a real ACME CA (pebble) through DNS-01 on our real PowerDNS."""

import base64
from datetime import timedelta

import pytest
from cryptography import x509
from django.core.exceptions import ValidationError

from kyklos.certificates import selectors, services
from kyklos.certificates.models import Attempt, Certificate
from kyklos.core import clock
from kyklos.core.audit import AuditEvent
from kyklos.dns import selectors as dns_selectors
from kyklos.dns import services as dns
from kyklos.lifecycle.models import State
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def customer():
    return factories.customer()


@pytest.fixture
def hosted_site(customer):
    """A hosting service whose zone is hosted here."""
    from datetime import date

    service = factories.active_service(
        customer,
        factories.product("shared_hosting"),
        expires_on=date(2030, 1, 1),
        label="site.test",
        state=State.ACTIVE,
    )
    dns.ensure_zone("site.test", customer_id=customer.pk, service_id=service.pk)
    return service


def names_of(pem: str) -> set[str]:
    leaf = x509.load_pem_x509_certificate(pem.encode())
    return set(
        leaf.extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        ).value.get_values_for_type(x509.DNSName)
    )


def test_dv_certificate_issued_by_dns01_for_a_site_hosted_here(
    pebble, powerdns, customer, hosted_site
):
    requested = services.request_certificate(customer, ["site.test", "www.site.test"], actor=None)
    assert requested.private_key_pem is None  # hosted here: sealed, not shown
    certificate = Certificate.objects.get(pk=requested.certificate.pk)
    assert certificate.state == Certificate.State.ISSUED, certificate.error
    assert names_of(certificate.chain_pem) == {"site.test", "www.site.test"}
    assert certificate.chain_pem.count("BEGIN CERTIFICATE") >= 2  # leaf and chain
    assert certificate.not_after > clock.now() + timedelta(days=30)
    attempt = Attempt.objects.get(certificate=certificate)
    assert attempt.methods == {"site.test": "dns-01", "www.site.test": "dns-01"}
    # The key is in the vault and matches the certificate.
    key_pem = selectors.private_key(certificate)
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(key_pem.encode(), None)
    leaf = x509.load_pem_x509_certificate(certificate.chain_pem.encode())
    assert key.public_key().public_numbers() == leaf.public_key().public_numbers()
    # The challenge records are gone again, from Kyklos and from PowerDNS.
    zone = dns_selectors.zone_for("site.test")
    assert not zone.records.filter(name__startswith="_acme-challenge").exists()
    assert powerdns.values("_acme-challenge.site.test", "TXT") == set()
    assert AuditEvent.objects.filter(
        action="certificates.issued", object_id=str(certificate.pk)
    ).exists()


def test_challenge_not_answerable_fails_with_the_cas_answer(pebble, customer, settings):
    """A name whose DNS is neither here nor reachable: HTTP-01 fails and staff see why."""
    requested = services.request_certificate(customer, ["nowhere.test"], actor=None)
    assert requested.private_key_pem  # hosted elsewhere: the key is shown once
    certificate = Certificate.objects.get(pk=requested.certificate.pk)
    assert certificate.state == Certificate.State.FAILED
    assert "The CA could not validate nowhere.test (http-01)" in certificate.error
    attempt = Attempt.objects.get(certificate=certificate)
    assert attempt.result == Attempt.Result.REFUSED and "nowhere.test" in attempt.response
    assert list(selectors.failed()) == [certificate]
    assert AuditEvent.objects.filter(
        action="certificates.failed", object_id=str(certificate.pk)
    ).exists()


def test_key_for_a_site_hosted_elsewhere_is_never_stored(pebble, customer, django_db_blocker):
    requested = services.request_certificate(customer, ["elsewhere.test"], actor=None)
    key_pem = requested.private_key_pem
    assert "PRIVATE KEY" in key_pem
    certificate = requested.certificate
    assert certificate.key_custody == Certificate.KeyCustody.SHOWN_ONCE
    assert selectors.private_key(certificate) is None
    # Nothing of the key anywhere in the database: dump every table and look for its body.
    from io import StringIO

    from cryptography.hazmat.primitives import serialization
    from django.core.management import call_command

    body = "".join(key_pem.strip().splitlines()[1:-1])
    scalar = serialization.load_pem_private_key(key_pem.encode(), None).private_numbers()
    secret = scalar.private_value.to_bytes(32, "big")
    dump = StringIO()
    call_command("dumpdata", stdout=dump)
    text = dump.getvalue().replace("\\n", "")
    # The PKCS#8 body's bytes 36-68 are the private scalar (its tail is the public key,
    # which the CSR rightly holds).
    assert body not in text
    assert body[48:90] not in text
    assert secret.hex() not in text.lower()
    assert base64.b64encode(secret).decode() not in text
    from kyklos.vault.models import ProviderSecret

    assert not ProviderSecret.objects.filter(purpose__contains=str(certificate.uid)).exists()


def test_ov_waits_for_organisation_validation(pebble, customer, hosted_site):
    requested = services.request_certificate(customer, ["site.test"], kind="ov", actor=None)
    certificate = Certificate.objects.get(pk=requested.certificate.pk)
    assert certificate.state == Certificate.State.AWAITING_ORGANISATION
    assert services.issue_due() == {}  # the job leaves it alone
    services.organisation_validated(certificate, actor=None)
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.ISSUED, certificate.error
    with pytest.raises(ValidationError, match="awaiting organisation validation"):
        services.organisation_validated(certificate, actor=None)


def test_renewal_from_30_days_before_expiry(pebble, customer, hosted_site, run_day):
    certificate = services.request_certificate(customer, ["site.test"], actor=None).certificate
    certificate.refresh_from_db()
    first_serial = certificate.serial
    opens = services.renewal_opens(certificate)
    with pytest.raises(ValidationError, match="can be renewed from"):
        services.renew(certificate, actor=None)
    # The day before the window: the daily step leaves it.
    assert services.renew_due((opens - timedelta(days=1)).date()) == {}
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.ISSUED and certificate.renewals == 0
    # In the window: renewed by the daily step, a new certificate for the same names.
    assert services.renew_due(opens.date()) == {"certificates_renewals_started": 1}
    certificate.refresh_from_db()
    assert certificate.state == Certificate.State.ISSUED, certificate.error
    assert certificate.renewals == 1 and certificate.serial != first_serial
    assert names_of(certificate.chain_pem) == {"site.test"}


def test_refused_orders_write_nothing(customer, pebble):
    other = factories.customer()
    dns.ensure_zone("theirs.test", customer_id=other.pk)
    for names, message in [
        ([], "at least one"),
        (["not a name"], "not a domain name"),
        (["www.theirs.test"], "another customer"),
        (["*.elsewhere.test"], "wildcard"),
    ]:
        with pytest.raises(ValidationError, match=message):
            services.request_certificate(customer, names, actor=None)
    with pytest.raises(ValidationError, match="DV, OV or EV"):
        services.request_certificate(customer, ["a.test"], kind="xx", actor=None)
    assert not Certificate.objects.exists()


def test_http01_for_a_name_whose_dns_is_elsewhere(powerdns, live_server, customer, settings):
    """DNS elsewhere (a zone Kyklos does not host, here straight in PowerDNS) pointing at our
    web server: pebble fetches the answer from Kyklos's /.well-known/acme-challenge/."""
    import requests

    from tests.certificates.pebble import running_pebble

    requests.post(
        f"{powerdns.api_url}/api/v1/servers/localhost/zones",
        headers={"X-API-Key": powerdns.api_key},
        json={
            "name": "other-dns.test.",
            "kind": "Native",
            "nameservers": ["ns.other-dns.test."],
            "rrsets": [
                {
                    "name": "shop.other-dns.test.",
                    "type": "A",
                    "ttl": 60,
                    "records": [{"content": "127.0.0.1", "disabled": False}],
                }
            ],
        },
        timeout=5,
    ).raise_for_status()
    settings.ALLOWED_HOSTS = ["*"]
    port = int(live_server.url.rsplit(":", 1)[1])
    with running_pebble(powerdns.dns_port, http_port=port) as ca:
        ca.settings(settings)
        requested = services.request_certificate(customer, ["shop.other-dns.test"], actor=None)
        certificate = Certificate.objects.get(pk=requested.certificate.pk)
    assert certificate.state == Certificate.State.ISSUED, certificate.error
    assert Attempt.objects.get(certificate=certificate).methods == {
        "shop.other-dns.test": "http-01"
    }
    assert names_of(certificate.chain_pem) == {"shop.other-dns.test"}
    from kyklos.certificates.models import HttpChallenge

    assert not HttpChallenge.objects.exists()  # withdrawn after the order

"""The certificates page: expiry, state, chain download, renewal window, ordering and
the key shown once for a site hosted elsewhere."""

import base64
from datetime import timedelta

import pytest

from kyklos.certificates.models import Certificate
from kyklos.core import clock


@pytest.fixture(autouse=True)
def _vault_key(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()


def issued(customer, *, days_left: int, names=("maria-nowak.gr",)):
    now = clock.now()
    return Certificate.objects.create(
        customer=customer,
        names=list(names),
        kind="dv",
        state=Certificate.State.ISSUED,
        key_custody=Certificate.KeyCustody.SHOWN_ONCE,
        csr_pem="-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n",
        chain_pem="-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        not_before=now - timedelta(days=10),
        not_after=now + timedelta(days=days_left),
        created_at=now,
    )


def test_page_shows_expiry_state_and_download(portal, customer, other_customer):
    mine = issued(customer, days_left=80)
    theirs = issued(other_customer, days_left=80, names=("nikos.gr",))
    page = portal.get("/portal/certificates/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "maria-nowak.gr" in html and "nikos.gr" not in html
    assert "Issued" in html and "Renewable from" in html and "Renew now" not in html
    chain = portal.get(f"/portal/certificates/{mine.pk}/chain/")
    assert chain.status_code == 200
    assert chain.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert "attachment" in chain["Content-Disposition"]
    assert portal.get(f"/portal/certificates/{theirs.pk}/chain/").status_code == 404


def test_renewal_is_offered_from_30_days_before_expiry(portal, customer):
    early = issued(customer, days_left=45)
    answer = portal.post(f"/portal/certificates/{early.pk}/renew/", follow=True)
    assert "can be renewed from" in answer.content.decode()
    early.refresh_from_db()
    assert early.state == Certificate.State.ISSUED and early.renewals == 0
    due = issued(customer, days_left=20)
    assert "Renew now" in portal.get("/portal/certificates/").content.decode()
    portal.post(f"/portal/certificates/{due.pk}/renew/")
    due.refresh_from_db()
    assert due.state == Certificate.State.PENDING and due.renewals == 1


def test_ordering_for_a_site_elsewhere_shows_the_key_once(portal, customer):
    answer = portal.post("/portal/certificates/", {"names": "shop.example.org", "kind": "dv"})
    html = answer.content.decode()
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "no-store"
    assert "BEGIN PRIVATE KEY" in html
    assert 'download="shop.example.org.key.pem"' in html
    certificate = Certificate.objects.get(customer=customer)
    assert certificate.key_custody == Certificate.KeyCustody.SHOWN_ONCE
    # Never again: the list shows no key.
    assert "PRIVATE KEY" not in portal.get("/portal/certificates/").content.decode()


def test_refused_order_is_shown_on_the_form(portal, customer):
    answer = portal.post("/portal/certificates/", {"names": "not a name!", "kind": "dv"})
    assert answer.status_code == 400
    assert "not a domain name" in answer.content.decode()
    assert not Certificate.objects.exists()

"""Hosted zones end to end against a real PowerDNS (tests/dns/pdns.py): a zone from the
template, records edited and served, the zone removed; failures kept for staff."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.audit import AuditEvent
from kyklos.dns import selectors, services
from kyklos.dns.models import PushAttempt, Zone
from kyklos.lifecycle.models import State
from kyklos.lifecycle.transitions import transition
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def customer():
    return factories.customer()


def test_zone_from_template_is_served_by_powerdns(powerdns, customer, settings):
    settings.KYKLOS_DNS_WEB_IPV4 = "203.0.113.7"
    zone = services.ensure_zone("Example-One.test.", customer_id=customer.pk)
    zone.refresh_from_db()
    assert zone.name == "example-one.test"
    assert zone.sync == Zone.Sync.SYNCED, zone.error
    assert powerdns.values("example-one.test", "A") == {"203.0.113.7"}
    assert powerdns.values("www.example-one.test", "CNAME") == {"example-one.test."}
    assert powerdns.values("example-one.test", "MX") == {"10 mail.kyklos.localhost."}
    assert powerdns.values("example-one.test", "NS") == {
        "ns1.kyklos.localhost.",
        "ns2.kyklos.localhost.",
    }
    assert powerdns.query("example-one.test", "SOA") is not None
    # Idempotent: the same zone, nothing pushed again.
    attempts = PushAttempt.objects.filter(zone=zone).count()
    assert services.ensure_zone("example-one.test", customer_id=customer.pk).pk == zone.pk
    assert PushAttempt.objects.filter(zone=zone).count() == attempts


def test_records_edited_are_served_and_missing_ones_deleted(powerdns, customer):
    zone = services.ensure_zone("edited.test", customer_id=customer.pk)
    services.set_records(
        zone,
        [
            {"name": "@", "type": "A", "ttl": 300, "records": ["198.51.100.1", "198.51.100.2"]},
            {"name": "shop", "type": "AAAA", "ttl": 300, "content": "2001:db8::1"},
            {"name": "@", "type": "TXT", "ttl": 300, "content": "hello world"},
            {"name": "mail.edited.test.", "type": "MX", "ttl": 300, "content": "5 mx.example.net."},
        ],
        actor=None,
    )
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.SYNCED, zone.error
    assert powerdns.values("edited.test", "A") == {"198.51.100.1", "198.51.100.2"}
    assert powerdns.values("shop.edited.test", "AAAA") == {"2001:db8::1"}
    assert powerdns.values("edited.test", "TXT") == {'"hello world"'}
    assert powerdns.values("mail.edited.test", "MX") == {"5 mx.example.net."}
    # The template's www CNAME was not given again: deleted at PowerDNS too.
    assert powerdns.values("www.edited.test", "CNAME") == set()
    # The apex NS stays the provider's.
    assert len(powerdns.values("edited.test", "NS")) == 2
    assert [(s.name, s.type) for s in selectors.editable_records(zone)] == [
        ("edited.test", "A"),
        ("edited.test", "TXT"),
        ("mail.edited.test", "MX"),
        ("shop.edited.test", "AAAA"),
    ]


def test_refused_records_write_nothing_and_name_the_row(powerdns, customer):
    zone = services.ensure_zone("refused.test", customer_id=customer.pk)
    before = [(s.name, s.type, s.records) for s in selectors.records(zone)]
    cases = [
        ({"name": "www", "type": "A", "ttl": 300, "content": "999.1.1.1"}, "not a valid A"),
        ({"name": "x.other.test.", "type": "A", "ttl": 300, "content": "1.1.1.1"}, "not inside"),
        ({"name": "x", "type": "A", "ttl": 5, "content": "1.1.1.1"}, "TTL must be between"),
        ({"name": "x", "type": "SOA", "ttl": 300, "content": "a b 1 2 3 4 5"}, "cannot be edited"),
        ({"name": "@", "type": "CNAME", "ttl": 300, "content": "x.net."}, "apex"),
        ({"name": "@", "type": "NS", "ttl": 300, "content": "ns.evil.net."}, "name servers"),
        ({"name": "x", "type": "MX", "ttl": 300, "content": "mx.example.net."}, "not a valid MX"),
    ]
    for row, message in cases:
        good = {"name": "ok", "type": "A", "ttl": 300, "content": "192.0.2.1"}
        with pytest.raises(services.RecordErrors) as refused:
            services.set_records(zone, [good, row], actor=None)
        assert list(refused.value.rows) == [1], row
        assert message in refused.value.rows[1][0], refused.value.rows
        assert str(refused.value.messages[0]).startswith("Record 2:")
    assert [(s.name, s.type, s.records) for s in selectors.records(zone)] == before


def test_a_cname_stands_alone(powerdns, customer):
    zone = services.ensure_zone("cname.test", customer_id=customer.pk)
    with pytest.raises(services.RecordErrors) as refused:
        services.set_records(
            zone,
            [
                {"name": "www", "type": "CNAME", "ttl": 300, "content": "cname.test."},
                {"name": "www", "type": "TXT", "ttl": 300, "content": "x"},
            ],
            actor=None,
        )
    assert "cannot also have TXT" in refused.value.rows[0][0]
    with pytest.raises(services.RecordErrors) as refused:
        services.set_records(
            zone,
            [
                {"name": "a", "type": "A", "ttl": 300, "content": "192.0.2.1"},
                {"name": "a", "type": "A", "ttl": 600, "content": "192.0.2.2"},
            ],
            actor=None,
        )
    assert "one TTL" in refused.value.rows[1][0]


def test_zone_removed_at_powerdns_and_hosted_again(powerdns, customer):
    services.ensure_zone("gone.test", customer_id=customer.pk)
    assert "gone.test" in powerdns.zones()
    zone = services.remove_zone("gone.test")
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.SYNCED and zone.wanted == Zone.Wanted.REMOVED
    assert "gone.test" not in powerdns.zones()
    assert selectors.zone_for("www.gone.test") is None
    assert services.remove_zone("gone.test").pk == zone.pk  # idempotent
    services.ensure_zone("gone.test", customer_id=customer.pk)
    assert "gone.test" in powerdns.zones()


def test_another_customers_zone_and_bad_names_are_refused(powerdns, customer):
    services.ensure_zone("mine.test", customer_id=customer.pk)
    other = factories.customer()
    with pytest.raises(ValidationError, match="another customer"):
        services.ensure_zone("mine.test", customer_id=other.pk)
    for bad in ("", "localhost", "exa mple.test", "-bad.test"):
        with pytest.raises(ValidationError):
            services.ensure_zone(bad, customer_id=customer.pk)
    assert Zone.objects.count() == 1


def test_zone_for_finds_the_closest_enclosing_zone(powerdns, customer):
    services.ensure_zone("parent.test", customer_id=customer.pk)
    services.ensure_zone("sub.parent.test", customer_id=customer.pk)
    assert selectors.zone_for("a.b.sub.parent.test.").name == "sub.parent.test"
    assert selectors.zone_for("www.parent.test").name == "parent.test"
    assert selectors.zone_for("parent.test").name == "parent.test"
    assert selectors.zone_for("elsewhere.test") is None


def test_acme_challenge_is_served_and_kept_out_of_the_customers_records(powerdns, customer):
    zone = services.ensure_zone("acme.test", customer_id=customer.pk)
    services.set_challenge("www.acme.test", ["token-value-1"])
    assert powerdns.values("_acme-challenge.www.acme.test", "TXT") == {'"token-value-1"'}
    # The customer saves the editor: the challenge stays.
    services.set_records(
        zone, [{"name": "@", "type": "A", "ttl": 300, "content": "192.0.2.9"}], actor=None
    )
    assert powerdns.values("_acme-challenge.www.acme.test", "TXT") == {'"token-value-1"'}
    services.clear_challenge("www.acme.test")
    assert powerdns.values("_acme-challenge.www.acme.test", "TXT") == set()
    with pytest.raises(ValidationError, match="No zone hosted here"):
        services.set_challenge("www.not-hosted.test", ["x"])


def test_unreachable_powerdns_retries_with_backoff_then_fails_for_staff(customer, settings):
    settings.KYKLOS_PDNS_API_URL = "http://127.0.0.1:9"  # nothing listens
    settings.KYKLOS_PDNS_API_KEY = "k"
    settings.KYKLOS_DNS_PUSH = {
        **settings.KYKLOS_DNS_PUSH,
        "MAX_ATTEMPTS": 2,
        "BACKOFF_SECONDS": 60,
    }
    zone = services.ensure_zone("down.test", customer_id=customer.pk)
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.RETRY and zone.attempts == 1
    assert "did not answer" in zone.error
    assert (zone.next_attempt_at - clock.now()).total_seconds() > 50
    assert services.push_due() == {}  # not due yet
    Zone.objects.filter(pk=zone.pk).update(next_attempt_at=clock.now())
    services.push_due()
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.FAILED
    assert "Gave up after 2 attempts" in zone.error
    assert list(selectors.failed_zones()) == [zone]
    assert AuditEvent.objects.filter(action="dns.zone.push_failed", object_id=str(zone.pk)).exists()
    attempt = PushAttempt.objects.filter(zone=zone).last()
    assert attempt.result == PushAttempt.Result.TEMPORARY
    assert attempt.request.startswith("GET http://127.0.0.1:9/api/v1/servers/localhost/zones/")


def test_bad_api_settings_fail_the_push_with_one_line(customer, settings):
    settings.KYKLOS_PDNS_API_URL = "pdns.example:8081"
    settings.KYKLOS_PDNS_API_KEY = "k"
    zone = services.ensure_zone("config.test", customer_id=customer.pk)
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.RETRY
    assert "KYKLOS_PDNS_API_URL must be the http(s) address" in zone.error
    assert "\n" not in zone.error


def test_refusal_fails_at_once_and_staff_publish_again(powerdns, customer, settings):
    key = settings.KYKLOS_PDNS_API_KEY
    settings.KYKLOS_PDNS_API_KEY = "wrong-key"
    zone = services.ensure_zone("refusal.test", customer_id=customer.pk)
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.FAILED
    assert "PowerDNS refused (401)" in zone.error
    settings.KYKLOS_PDNS_API_KEY = key
    services.publish_again(zone, actor=None)
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.SYNCED
    assert "refusal.test" in powerdns.zones()
    with pytest.raises(ValidationError, match="Only failed zones"):
        services.publish_again(zone, actor=None)


def test_hosting_service_gets_its_zone_and_loses_it_at_termination(powerdns, customer):
    hosting = factories.product("shared_hosting")
    service = factories.active_service(
        customer,
        hosting,
        expires_on=date(2027, 1, 1),
        label="hosted-site.test",
        state=State.PENDING,
    )
    transition(service, State.ACTIVE, day=date(2026, 1, 1), reason="paid")
    zone = Zone.objects.get(name="hosted-site.test")
    assert zone.service_id == service.pk and zone.customer_id == customer.pk
    assert "hosted-site.test" in powerdns.zones()
    transition(service, State.SUSPENDED, day=date(2026, 2, 1), reason="debt")
    transition(service, State.TERMINATED, day=date(2026, 3, 1), reason="unpaid")
    zone.refresh_from_db()
    assert zone.wanted == Zone.Wanted.REMOVED
    assert "hosted-site.test" not in powerdns.zones()

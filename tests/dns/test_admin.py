"""Staff see a zone that failed to publish, with PowerDNS's answer, and publish it again."""

import pytest
from django.urls import reverse

from kyklos.dns import services
from kyklos.dns.models import PushAttempt, Zone
from tests import factories

pytestmark = pytest.mark.django_db


def failed_zone():
    zone = services.ensure_zone("broken.test", customer_id=factories.customer().pk)
    Zone.objects.filter(pk=zone.pk).update(
        sync=Zone.Sync.FAILED, error="PowerDNS refused (422): bad record", attempts=3
    )
    PushAttempt.objects.create(
        zone=zone,
        number=1,
        sender="x",
        started_at=zone.created_at,
        finished_at=zone.created_at,
        result=PushAttempt.Result.PERMANENT,
        error="PowerDNS refused (422): bad record",
        response='{"error": "bad record"}',
    )
    return zone


def test_failed_zone_is_listed_with_the_answer_and_published_again(admin_client):
    zone = failed_zone()
    listing = admin_client.get(reverse("admin:dns_zone_changelist") + "?sync__exact=failed")
    assert b"broken.test" in listing.content and b"PowerDNS refused (422)" in listing.content
    page = admin_client.get(reverse("admin:dns_zone_change", args=[zone.pk]))
    assert b"bad record" in page.content
    admin_client.post(
        reverse("admin:dns_zone_changelist"),
        {"action": "publish_again", "_selected_action": [zone.pk]},
    )
    zone.refresh_from_db()
    assert zone.sync == Zone.Sync.PENDING and zone.attempts == 0

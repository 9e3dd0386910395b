import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.support.models import Announcement, Server
from kyklos.support.services import announce
from tests import factories
from tests.support.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(customer, other_customer, now):
    hosting = factories.product("shared_hosting", name="Web Hosting")
    vps = factories.product("dedicated_server", name="Dedicated")
    day = clock.today()
    on_server = factories.active_service(customer, hosting, label="maria.gr", expires_on=day)
    factories.active_service(other_customer, vps, label="srv1", expires_on=day)
    bystander = factories.customer(name="Unaffected")
    factories.active_service(bystander, hosting, label="elsewhere.gr", expires_on=day)
    ended = factories.customer(name="Gone")
    gone = factories.active_service(
        ended, hosting, label="gone.gr", expires_on=day, state="terminated"
    )
    server = Server.objects.create(name="web7.kyklos.net")
    server.services.add(on_server, gone)
    announcement = Announcement.objects.create(
        title="Kernel upgrade",
        starts_at=at(2027, 3, 10, 23, 0),
        downtime_minutes=90,
        details="Sites will be unreachable for a short while.",
        created_at=clock.now(),
    )
    announcement.servers.add(server)
    announcement.products.add(vps)
    return announcement


def test_announcement_goes_to_the_affected_customers_once(
    setup, customer, other_customer, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        assert announce(setup) == 2
    rows = {o.customer_id: o for o in Outbox.objects.filter(event="maintenance")}
    assert set(rows) == {customer.pk, other_customer.pk}
    assert rows[customer.pk].context["services"] == ["maria.gr"]
    english = render_notice("maintenance", "en", rows[customer.pk].context)
    assert english.subject == "Planned maintenance: Kernel upgrade"
    assert "Starts: 10 March 2027, 23:00" in english.body
    assert (
        "Expected downtime: 1:30 (hours:minutes), until about 11 March 2027, 00:30" in english.body
    )
    greek = render_notice("maintenance", "el", rows[other_customer.pk].context)
    assert "Έναρξη: 10 Μαρτίου 2027, 23:00" in greek.body
    setup.refresh_from_db()
    assert setup.recipients == 2 and setup.sent_at is not None
    with pytest.raises(ValidationError):
        announce(setup)
    assert Outbox.objects.filter(event="maintenance").count() == 2


def test_nothing_named_is_refused(now):
    empty = Announcement.objects.create(
        title="x", starts_at=at(2027, 3, 10, 23, 0), downtime_minutes=5, created_at=clock.now()
    )
    with pytest.raises(ValidationError):
        announce(empty)
    assert not Outbox.objects.exists()

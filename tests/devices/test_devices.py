"""Set-top boxes and shipments (R11)."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.core.personal_data import Subject
from kyklos.devices import daily, personal_data, services
from kyklos.devices.models import ActivityStat, Device, DeviceActivity, Shipment
from tests import factories

DAY = date(2027, 6, 1)


@pytest.fixture
def today():
    with clock.frozen(DAY):
        yield DAY


@pytest.fixture
def customer(db):
    return factories.customer(
        name="Anna Box", address="Odos 1", postal_code="10558", city="Athens", phone="+302101234567"
    )


@pytest.fixture
def box(customer, today):
    return services.register_device(customer, serial="STB-0001", mac="00-1a-2b-3c-4d-5e")


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_a_box_is_registered_with_its_mac_normalised_and_audited(box):
    assert box.mac == "00:1A:2B:3C:4D:5E"
    assert box.status == Device.Status.ACTIVE
    assert AuditEvent.objects.filter(action="devices.device.registered").count() == 1


@pytest.mark.parametrize(
    ("serial", "mac", "field"),
    [
        ("STB-0001", "aa:bb:cc:dd:ee:ff", "serial"),
        ("STB-0002", "001A2B3C4D5E", "mac"),
        ("STB-0003", "00:1A:2B:3C:4D", "mac"),
        ("STB-0004", "zz:1A:2B:3C:4D:5E", "mac"),
        ("", "aa:bb:cc:dd:ee:01", "serial"),
    ],
)
def test_duplicate_or_malformed_boxes_are_refused(box, customer, serial, mac, field):
    with pytest.raises(ValidationError) as error:
        services.register_device(customer, serial=serial, mac=mac)
    assert field in error.value.message_dict
    assert Device.objects.count() == 1


def test_a_box_cannot_serve_another_customers_subscription(customer, today):
    other = factories.customer()
    service = factories.active_service(other, factories.product(), expires_on=date(2028, 1, 1))
    with pytest.raises(ValidationError):
        services.register_device(customer, serial="X", mac="aabbccddeeff", service=service)


def test_activity_is_stored_in_one_batch_and_moves_last_activity(
    box, customer, django_assert_num_queries
):
    second = services.register_device(customer, serial="STB-0002", mac="aabbccddeeff")
    reports = [
        services.Report(mac="00:1a:2b:3c:4d:5e", kind="heartbeat", at=at(DAY, 8), ip="10.0.0.1"),
        services.Report(mac="00:1a:2b:3c:4d:5e", kind="playback", at=at(DAY, 9)),
        services.Report(mac="AA:BB:CC:DD:EE:FF", kind="login", at=at(DAY, 7)),
    ]
    # lookup, insert, update — plus the savepoint pair of the atomic block
    with django_assert_num_queries(5):
        assert services.record_activity(reports) == 3

    box.refresh_from_db()
    second.refresh_from_db()
    assert box.last_activity_at == at(DAY, 9)
    assert second.last_activity_at == at(DAY, 7)


def test_a_batch_with_an_unknown_box_or_kind_records_nothing(box):
    with pytest.raises(ValidationError, match="unknown boxes: 11:22:33:44:55:66"):
        services.record_activity(
            [
                services.Report(mac="001a2b3c4d5e", kind="heartbeat", at=at(DAY)),
                services.Report(mac="112233445566", kind="heartbeat", at=at(DAY)),
            ]
        )
    with pytest.raises(ValidationError, match="unknown kinds: hack"):
        services.record_activity([services.Report(mac="001a2b3c4d5e", kind="hack", at=at(DAY))])
    assert DeviceActivity.objects.count() == 0


def test_activity_older_than_its_retention_rule_becomes_anonymous_statistics(box, customer):
    second = services.register_device(customer, serial="STB-0002", mac="aabbccddeeff")
    old = date(2027, 2, 27)
    services.record_activity(
        [
            services.Report(mac=box.mac, kind="heartbeat", at=at(old, 10)),
            services.Report(mac=box.mac, kind="heartbeat", at=at(old, 11)),
            services.Report(mac=second.mac, kind="heartbeat", at=at(old, 12)),
            services.Report(mac=box.mac, kind="heartbeat", at=at(date(2027, 3, 1))),
        ]
    )

    # The rule: 3 months from collection; before 2027-06-01 that is 2027-03-01: the three
    # February 27th entries go, March 1st stays.
    assert daily.purge_activity(DAY) == {"device_activity_deleted": 3}
    assert daily.purge_activity(DAY) == {}

    assert list(ActivityStat.objects.values_list("day", "kind", "events", "devices")) == [
        (old, "heartbeat", 3, 2)
    ]
    assert DeviceActivity.objects.count() == 1


def test_a_shipment_goes_through_its_states_and_is_frozen_when_delivered(box, customer):
    shipment = services.create_shipment(
        customer,
        contents="Set-top box STB-0001",
        sender_name="Kyklos IPTV",
        sender_address="Warehouse 3, Piraeus",
        device=box,
    )
    assert shipment.recipient_name == "Anna Box"
    assert shipment.recipient_address == "Odos 1, 10558 Athens, GR"

    with pytest.raises(ValidationError, match="carrier and tracking number"):
        services.advance_shipment(shipment, Shipment.Status.DISPATCHED, actor="staff")
    services.advance_shipment(
        shipment,
        Shipment.Status.DISPATCHED,
        actor="staff",
        carrier="ELTA",
        tracking_number="EL123456789GR",
    )
    with pytest.raises(ValidationError, match="cannot become"):
        services.advance_shipment(shipment, Shipment.Status.DRAFT, actor="staff")
    done = services.advance_shipment(shipment, Shipment.Status.DELIVERED, actor="staff")

    assert done.completed_at == clock.now()
    done.recipient_name = "Someone else"
    with pytest.raises(ValidationError, match="cannot be changed"):
        done.save()
    with pytest.raises(ValidationError, match="cannot be changed"):
        Shipment.objects.filter(pk=done.pk).update(recipient_name="x")
    with pytest.raises(ValidationError, match="cannot be deleted"):
        Shipment.objects.filter(pk=done.pk).delete()
    with pytest.raises(ValidationError, match="cannot be deleted"):
        done.delete()
    with pytest.raises(ValidationError, match="cannot become"):
        services.advance_shipment(done, Shipment.Status.LOST, actor="staff")
    assert Shipment.objects.get().recipient_name == "Anna Box"
    assert AuditEvent.objects.filter(action="devices.shipment.status").count() == 2


def test_erasure_removes_activity_and_open_shipments_and_keeps_completed_ones(box, customer):
    services.record_activity([services.Report(mac=box.mac, kind="login", at=at(DAY))])
    draft = services.create_shipment(
        customer, contents="remote", sender_name="K", sender_address="A"
    )
    sent = services.create_shipment(customer, contents="box", sender_name="K", sender_address="A")
    services.advance_shipment(
        sent, Shipment.Status.DISPATCHED, actor="s", carrier="ELTA", tracking_number="T1"
    )
    services.advance_shipment(sent, Shipment.Status.DELIVERED, actor="s")
    subject = Subject(customer_id=customer.pk)

    assert [row["kind"] for row in personal_data.export_activity(subject)] == ["login"]
    assert personal_data.erase_activity(subject).deleted == 1
    result = personal_data.erase_shipments(subject)

    assert (result.deleted, result.kept) == (1, 1)
    assert "proof of dispatch" in result.kept_reason
    assert list(Shipment.objects.values_list("pk", flat=True)) == [sent.pk]
    assert not Shipment.objects.filter(pk=draft.pk).exists()


def test_the_privacy_notice_states_the_period_the_purge_applies_from_one_rule(box, customer):
    """R9.4, R11.1: the notice and the purge read the same retention rule; changing the
    rule changes both."""
    from kyklos.privacy import record
    from kyklos.privacy.models import RetentionRule

    def notice_says() -> str:
        version = record.publish_if_changed() or record.current()
        context = record.render_context(version, "en")
        return next(r["rule"] for r in context["retention"] if "Set-top" in r["category"])

    assert notice_says() == "3 months from collection"
    services.record_activity([services.Report(mac=box.mac, kind="login", at=at(date(2027, 1, 15)))])
    assert daily.purge_activity(DAY) == {"device_activity_deleted": 1}

    RetentionRule.objects.filter(category__code="device_activity").update(months=6)
    assert notice_says() == "6 months from collection"
    services.record_activity([services.Report(mac=box.mac, kind="login", at=at(date(2027, 1, 15)))])
    assert daily.purge_activity(DAY) == {}  # kept: within 6 months
    assert daily.purge_activity(date(2027, 7, 16)) == {"device_activity_deleted": 1}

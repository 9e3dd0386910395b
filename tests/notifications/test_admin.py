"""The outbox in the admin: read-only, filtered and searched, with a "send now" action."""

from datetime import date

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kyklos.notifications.models import Event, Outbox

CHANGELIST = reverse("admin:notifications_outbox_changelist")


def changelist_queries(client, query="") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CHANGELIST + query).status_code == 200
    return len(captured)


def test_the_list_filters_by_status_and_event_and_searches_addresses(admin_client, queue):
    queue(Event.EXPIRY_WARNING, to_email="anna@example.pl")
    queue(Event.SERVICE_SUSPENDED, to_email="anna@example.pl")
    queue(Event.EXPIRY_WARNING, to_email="nikos@example.gr", status=Outbox.Status.SKIPPED)

    page = admin_client.get(
        CHANGELIST, {"status__exact": "queued", "event__exact": "expiry_warning"}
    )
    found = admin_client.get(CHANGELIST, {"q": "nikos@"})

    assert list(page.context["cl"].result_list.values_list("to_email", "event")) == [
        ("anna@example.pl", "expiry_warning")
    ]
    assert [n.status for n in found.context["cl"].result_list] == ["skipped"]


def test_the_list_costs_the_same_queries_for_few_and_many_notices(admin_client, queue):
    queue(Event.EXPIRY_WARNING)
    few = changelist_queries(admin_client)
    for n in range(20):
        queue(Event.EXPIRY_WARNING, to_email=f"n{n}@example.gr")

    assert changelist_queries(admin_client) == few


def test_notices_cannot_be_added_changed_or_deleted(admin_client, queue):
    notice = queue(Event.EXPIRY_WARNING)
    change = reverse("admin:notifications_outbox_change", args=[notice.pk])

    assert admin_client.get(reverse("admin:notifications_outbox_add")).status_code == 403
    assert admin_client.post(change, {"to_email": "x@example.gr"}).status_code == 403
    assert (
        admin_client.get(reverse("admin:notifications_outbox_delete", args=[notice.pk])).status_code
        == 403
    )
    assert Outbox.objects.get().to_email == "admin@example.gr"


def test_send_now_sends_the_selected_notices(admin_client, queue, mailoutbox):
    chosen = queue(Event.EXPIRY_WARNING, for_date=date(2027, 6, 1))
    other = queue(Event.SERVICE_SUSPENDED)

    response = admin_client.post(
        CHANGELIST, {"action": "send_now", "_selected_action": [chosen.pk]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == ["Sent 1, failed 0."]
    assert [m.subject for m in mailoutbox] == [
        "Η υπηρεσία σας example.gr λήγει στις 1 Μαρτίου 2027"
    ]
    assert dict(Outbox.objects.values_list("pk", "status")) == {
        chosen.pk: "sent",
        other.pk: "queued",
    }


@pytest.mark.django_db
def test_staff_who_may_only_view_the_outbox_cannot_send(client, queue, mailoutbox):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_outbox"))
    client.force_login(viewer)
    notice = queue(Event.EXPIRY_WARNING)

    page = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "send_now", "_selected_action": [notice.pk]})

    assert page.status_code == 200
    assert "send_now" not in page.context["cl"].model_admin.get_actions(page.wsgi_request)
    assert mailoutbox == []
    assert Outbox.objects.get().status == "queued"

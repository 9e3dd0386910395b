"""The public contact form (R1.5): a ticket in sales or technical, the payload not kept."""

import io
import time

import pytest
from django.core import signing
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from kyklos.intake import contact, forms
from kyklos.intake.models import ContactThrottle
from kyklos.notifications.models import Outbox
from kyklos.support.models import Ticket
from tests.portal.test_security import inline_code

pytestmark = pytest.mark.django_db

URL = "/contact/"


def started(seconds_ago: int = 30) -> str:
    return signing.dumps(int(time.time()) - seconds_ago, salt=forms._SALT)


def payload(**changes) -> dict:
    data = {
        "name": "Jan Kowalski",
        "email": "jan@firma.example.pl",
        "phone": "+48 600 700 800",
        "address": "ul. Długa 5, Gdańsk",
        "department": "sales",
        "message": "We need hosting for 3 shops. Marker-7f3c9a.",
        "website": "",
        "started": started(),
    }
    data.update(changes)
    return data


def test_the_page_is_public_with_the_strict_csp_and_no_inline_code(client):
    response = client.get(URL)

    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert inline_code(response.content.decode()).found == []
    assert reverse("intake:contact") == URL


def test_the_honeypot_is_hidden_from_people(client):
    page = client.get(URL).content.decode()

    assert '<div class="field" hidden aria-hidden="true">' in page
    assert 'name="website"' in page and 'tabindex="-1"' in page


def test_a_submission_becomes_a_sales_ticket_and_is_acknowledged(client, now):
    response = client.post(URL, payload(), follow=True)

    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == reverse("intake:contact_thanks")
    assert ticket.number in response.content.decode()
    assert ticket.department.code == "sales"
    assert ticket.channel == "web_form"
    assert ticket.customer is None
    assert (ticket.requester_name, ticket.requester_email) == (
        "Jan Kowalski",
        "jan@firma.example.pl",
    )
    assert ticket.subject == "Contact form: Jan Kowalski"
    assert ticket.messages.get().body == (
        "We need hosting for 3 shops. Marker-7f3c9a.\n\n--\n"
        "Name: Jan Kowalski\nE-mail: jan@firma.example.pl\n"
        "Phone: +48 600 700 800\nAddress: ul. Długa 5, Gdańsk"
    )
    ack = Outbox.objects.get()
    assert (ack.event, ack.to_email) == ("ticket_opened", "jan@firma.example.pl")


def test_the_visitor_may_choose_technical_support(client, now):
    client.post(URL, payload(department="technical"))

    assert Ticket.objects.get().department.code == "technical"


def test_a_greek_visitor_gets_a_greek_ticket(client, now):
    client.post(URL, payload(), HTTP_ACCEPT_LANGUAGE="el")

    ticket = Ticket.objects.get()
    assert ticket.language == "el"
    assert Outbox.objects.get().language == "el"  # the acknowledgement is in Greek


def test_the_raw_form_payload_is_not_kept(client, now):
    data = payload()

    client.post(URL, data)

    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    everything = out.getvalue()
    # The form itself (its signed token) is nowhere; what the visitor wrote only in the
    # ticket's message.
    assert data["started"] not in everything
    assert everything.count("Marker-7f3c9a") == 1
    assert everything.count("+48 600 700 800") == 1
    assert "Marker-7f3c9a" in Ticket.objects.get().messages.get().body
    assert client.session.is_empty() or "Marker-7f3c9a" not in str(dict(client.session))


def test_a_filled_honeypot_writes_nothing_but_looks_like_success(client, now):
    response = client.post(URL, payload(website="http://spam.example"))

    assert response.status_code == 302
    assert response["Location"] == reverse("intake:contact_thanks")
    assert not Ticket.objects.exists() and not Outbox.objects.exists()


def test_a_form_sent_faster_than_a_person_types_writes_nothing(client, now):
    client.post(URL, payload(started=started(seconds_ago=0)))

    assert not Ticket.objects.exists()


def test_a_forged_or_expired_form_is_refused(client, now):
    forged = client.post(URL, payload(started="12345"))
    expired = client.post(URL, payload(started=started(seconds_ago=2 * 24 * 3600)))

    assert forged.status_code == expired.status_code == 400
    assert "This form has expired" in forged.content.decode()
    assert not Ticket.objects.exists()


def test_bad_input_is_shown_and_nothing_written(client, now):
    response = client.post(URL, payload(email="not-an-address", message="", department="billing"))

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"email", "message", "department"}
    assert not Ticket.objects.exists() and not ContactThrottle.objects.exists()


def test_csrf_is_required(now):
    client = Client(enforce_csrf_checks=True)

    response = client.post(URL, payload())

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_at_most_five_tickets_an_hour_per_client(client, now):
    for n in range(5):
        assert client.post(URL, payload(message=f"request {n}")).status_code == 302

    response = client.post(URL, payload(message="one too many"))

    assert response.status_code == 429
    assert "try again in an hour" in response.content.decode()
    assert Ticket.objects.count() == 5
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert other.post(URL, payload(message="another visitor")).status_code == 302
    # The limit is counted under a keyed hash, never the address itself.
    keys = set(ContactThrottle.objects.values_list("key", flat=True))
    assert keys == {contact.client_key("127.0.0.1"), contact.client_key("203.0.113.9")}
    assert not any("127.0.0.1" in k or "203.0.113.9" in k for k in keys)


def test_old_rate_limit_rows_are_deleted_by_the_daily_run(client, now):
    from datetime import date

    from kyklos.intake.services import purge_quarantine

    client.post(URL, payload())

    assert purge_quarantine(date(2027, 3, 5))["contact_throttles_purged"] == 0
    assert purge_quarantine(date(2027, 3, 6))["contact_throttles_purged"] == 1

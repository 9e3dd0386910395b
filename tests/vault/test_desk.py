""" "Store as credential" on a ticket message (R9.9): technical staff store a credential that
arrived in a ticket from the desk; the vault keeps it and the ticket keeps no copy."""

import base64
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from kyklos.accounts import roles
from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.support import services as support
from kyklos.support.models import Message
from kyklos.support.services.redaction import MARKER, WHOLE
from kyklos.vault import services as vault
from kyklos.vault.models import Credential
from tests import factories
from tests.vault.test_redaction import scan

pytestmark = pytest.mark.django_db

SECRET = "Zk8!pLm#42-ftp"
BODY = f"Hello, the FTP login is maria / {SECRET} — please fix the upload folder."


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.KYKLOS_VAULT_KEYS = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
    with clock.frozen(datetime(2027, 3, 4, 10, tzinfo=ZoneInfo("Europe/Athens"))):
        yield


def staff(role: str, name: str):
    user = get_user_model().objects.create_user(name, is_staff=True)
    roles.assign(user, role)
    return user


@pytest.fixture
def maria():
    return factories.customer(name="Maria Nowak", email="maria@example.gr", language="en")


@pytest.fixture
def hosting(maria):
    return factories.active_service(
        maria, factories.product("shared_hosting"), label="maria.gr", expires_on=date(2027, 9, 1)
    )


@pytest.fixture
def message(maria, hosting):
    """Maria's ticket with her FTP password, and a staff reply quoting it."""
    ticket = support.open_ticket(
        support.NewTicket(subject="Upload fails", body=BODY, department="technical", customer=maria)
    )
    support.add_message(
        ticket,
        body=f"> {SECRET}\nThanks, looking at it.",
        from_staff=True,
        actor=staff(roles.SUPPORT, "anna"),
    )
    return ticket.messages.earliest("created_at", "id")


@pytest.fixture
def tech(client):
    client.force_login(staff(roles.TECHNICAL, "petros"))
    return client


def url(customer, message) -> str:
    return reverse("vault:from_message", args=[customer.pk, message.pk])


def form(**fields) -> dict:
    return {"kind": "other", "label": "FTP of maria.gr", "username": "maria", **fields}


def nothing_written(message) -> dict:
    return {
        "credentials": Credential.objects.count(),
        "audit events": AuditEvent.objects.count(),
        "bodies": list(Message.objects.order_by("pk").values_list("body", flat=True)),
    }


def test_technical_staff_store_it_from_the_desk_and_the_message_shows_the_marker(
    tech, maria, hosting, message
):
    desk = reverse("desk:ticket", args=[message.ticket_id])
    assert url(maria, message) in tech.get(desk).content.decode()
    page = tech.get(url(maria, message)).content.decode()
    assert SECRET in page and "Store as credential" in page  # the message, beside the form

    response = tech.post(
        url(maria, message), form(kind="server_root", service=hosting.pk, secret=SECRET)
    )

    assert response.status_code == 302
    assert response["Location"] == f"{desk}#message-{message.pk}"
    credential = Credential.objects.get()
    assert (credential.customer, credential.service, credential.kind) == (
        maria,
        hosting,
        "server_root",
    )
    assert SECRET in vault.handover_export(maria, actor=None).decode()
    page = tech.get(desk).content.decode()
    assert SECRET not in page and MARKER in page
    assert "Every copy of the secret in the ticket is removed." in page
    assert scan(SECRET) == []
    event = AuditEvent.objects.get(action="vault.credential.source_redacted")
    # hers, the reply quoting it and the notice of that reply in the outbox
    assert event.data == {"message": message.pk, "copies": 3}


def test_a_secret_not_in_the_message_as_written_removes_the_whole_message(tech, maria, message):
    response = tech.post(url(maria, message), form(secret="Zk8!pLm#42-FTP"), follow=True)
    message.refresh_from_db()
    assert message.body == WHOLE
    assert "the whole message is removed" in response.content.decode()
    assert Credential.objects.count() == 1


def test_an_empty_secret_is_refused_and_nothing_is_written(tech, maria, message):
    before = nothing_written(message)
    response = tech.post(url(maria, message), form(secret="   "))
    assert response.status_code == 400
    assert "The secret is empty." in response.content.decode()
    assert nothing_written(message) == before


def test_a_message_of_another_customer_is_refused_and_nothing_is_written(tech, maria, message):
    nikos = factories.customer(name="Nikos Other", email="nikos@example.gr")
    before = nothing_written(message)
    for method in (tech.get, tech.post):
        response = method(url(nikos, message), form(secret=SECRET))
        assert response.status_code == 400
        assert "That message is on another customer&#x27;s ticket." in response.content.decode()
        assert SECRET not in response.content.decode()
    response = tech.post(url(maria, Message(pk=message.pk + 1000)), form(secret=SECRET))
    assert "That message was not found." in response.content.decode()
    assert nothing_written(message) == before


def test_a_service_of_another_customer_is_refused(tech, maria, message):
    nikos = factories.customer(name="Nikos Other", email="nikos@example.gr")
    theirs = factories.active_service(
        nikos, factories.product("shared_hosting"), expires_on=date(2027, 9, 1)
    )
    before = nothing_written(message)
    response = tech.post(url(maria, message), form(service=theirs.pk, secret=SECRET))
    assert response.status_code == 400 and nothing_written(message) == before


def test_a_role_without_vault_add_has_no_button_and_is_refused(client, maria, message):
    client.force_login(staff(roles.SUPPORT, "sofia"))
    desk = client.get(reverse("desk:ticket", args=[message.ticket_id])).content.decode()
    assert "Store as credential" not in desk and SECRET in desk
    before = nothing_written(message)
    assert client.get(url(maria, message)).status_code == 403
    assert client.post(url(maria, message), form(secret=SECRET)).status_code == 403
    assert nothing_written(message) == before


def test_the_button_is_on_the_customers_messages_only(tech, maria, message):
    desk = tech.get(reverse("desk:ticket", args=[message.ticket_id])).content.decode()
    reply = message.ticket.messages.get(from_staff=True)
    assert url(maria, message) in desk and url(maria, reply) not in desk


@pytest.mark.parametrize(
    "language, title",
    [("el", "Αποθήκευση ως στοιχεία πρόσβασης"), ("pl", "Zapisz jako dane dostępowe")],
)
def test_the_page_speaks_greek_and_polish(tech, maria, message, language, title):
    with translation.override("en"):  # the request activates its language: restore it after
        page = tech.get(url(maria, message), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert title in page

"""The consent ledger, the cookie banner, one-click unsubscribe and consent checked at
send time (R9.2)."""

from datetime import date

import pytest
from django.core import mail
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.urls import reverse

from kyklos.core import clock
from kyklos.core import personal_data as pd
from kyklos.core.personal_data import Contact, personal_data
from kyklos.notifications import services as notices
from kyklos.notifications.models import Outbox
from kyklos.privacy import consent
from kyklos.privacy.models import ConsentEvent, Restriction
from tests.portal.test_security import inline_code

pytestmark = pytest.mark.django_db


def test_state_is_the_latest_event_per_purpose_and_events_are_only_appended(customer, today):
    with clock.frozen(date(2027, 1, 1)):
        consent.record(
            purposes={"marketing_email": True, "surveys": True},
            source="portal",
            customer_id=customer.pk,
        )
    consent.record(purposes={"marketing_email": False}, source="staff", customer_id=customer.pk)
    # Giving what is already given adds nothing.
    assert (
        consent.record(purposes={"surveys": True}, source="portal", customer_id=customer.pk) == []
    )

    assert consent.state(customer_id=customer.pk) == {
        "marketing_email": False,
        "surveys": True,
        "analytics_cookies": False,
        "advertising_cookies": False,
    }
    assert ConsentEvent.objects.count() == 3
    first = ConsentEvent.objects.order_by("at").first()
    assert first.notice_version == 1 and first.source == "portal"
    first.given = False
    with pytest.raises(ValueError, match="append-only"):
        first.save()


def test_bad_consent_input_is_refused_and_writes_nothing(customer):
    with pytest.raises(Exception, match="Unknown consent purpose"):
        consent.record(purposes={"telepathy": True}, source="portal", customer_id=customer.pk)
    with pytest.raises(Exception, match="needs a person"):
        consent.record(purposes={"surveys": True}, source="portal")
    assert ConsentEvent.objects.count() == 0


def test_the_banner_offers_accept_and_reject_with_equal_weight_and_no_inline_code(client):
    page = client.get(reverse("privacy:notice")).content.decode()
    banner = page[page.index('class="cookie-banner"') :]
    assert 'value="reject" class="button"' in banner
    assert 'value="accept" class="button"' in banner
    assert inline_code(page).found == []


def test_rejecting_is_stored_server_side_and_the_banner_goes_away(client):
    response = client.post(
        reverse("privacy:cookies"), {"choice": "reject", "next": reverse("privacy:notice")}
    )
    assert response.status_code == 302 and response["Location"] == reverse("privacy:notice")
    visitor = response.cookies[consent.VISITOR_COOKIE]
    assert visitor["httponly"] and visitor["samesite"] == "Lax"
    events = ConsentEvent.objects.filter(visitor=visitor.value)
    assert {(e.purpose, e.given, e.source) for e in events} == {
        ("analytics_cookies", False, "banner"),
        ("advertising_cookies", False, "banner"),
    }
    assert 'class="cookie-banner"' not in client.get(reverse("privacy:notice")).content.decode()


def test_a_visitor_can_allow_only_analytics_and_change_their_mind(client):
    client.post(reverse("privacy:cookies"), {"choice": "save", "analytics": "on"})
    visitor = client.cookies[consent.VISITOR_COOKIE].value
    assert consent.state(visitor=visitor)["analytics_cookies"] is True
    assert consent.state(visitor=visitor)["advertising_cookies"] is False
    client.post(reverse("privacy:cookies"), {"choice": "reject"})
    assert consent.state(visitor=visitor)["analytics_cookies"] is False


def test_an_open_redirect_is_refused(client):
    response = client.post(
        reverse("privacy:cookies"), {"choice": "accept", "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("privacy:notice")
    assert client.post(reverse("privacy:cookies"), {"choice": "maybe"}).status_code == 400


SCRIPT = Template(
    '{% load privacy %}{% if_consent "analytics" %}<script src="/a.js"></script>{% endif_consent %}'
    '{% if_consent "advertising" %}<script src="/ads.js"></script>{% endif_consent %}'
)


def _render(visitor: str | None) -> str:
    request = RequestFactory().get("/")
    if visitor:
        request.COOKIES[consent.VISITOR_COOKIE] = visitor
    return SCRIPT.render(Context({"request": request}))


def test_no_analytics_or_ad_script_is_rendered_without_consent(db):
    assert _render(None) == ""
    consent.record(
        purposes={"analytics_cookies": True, "advertising_cookies": False},
        source="banner",
        visitor="v1",
    )
    assert _render("v1") == '<script src="/a.js"></script>'
    with pytest.raises(TemplateSyntaxError):
        Template('{% load privacy %}{% if_consent "tracking" %}{% endif_consent %}')


def _marketing(customer, **context):
    contact = Contact(customer.pk, customer.name, customer.email, customer.language)
    return consent.queue_marketing(
        event=consent.MARKETING_EVENT,
        contacts=[contact],
        context={"subject_line": "Spring offers", "text": "20% off hosting", **context},
    )


def test_marketing_goes_only_to_people_who_agreed_with_rfc_8058_headers(
    customer, other_customer, today
):
    consent.record(purposes={"marketing_email": True}, source="portal", customer_id=customer.pk)
    contacts = [Contact(c.pk, c.name, c.email, c.language) for c in (customer, other_customer)]
    n = consent.queue_marketing(
        event=consent.MARKETING_EVENT,
        contacts=contacts,
        context={"subject_line": "Spring offers", "text": "20% off hosting"},
    )
    assert n == 1
    row = Outbox.objects.get()
    assert row.customer_id == customer.pk
    assert row.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = row.context["unsubscribe_url"]
    assert row.headers["List-Unsubscribe"] == f"<{url}>"

    notices.send_pending()
    (message,) = mail.outbox
    assert message.message()["List-Unsubscribe"] == f"<{url}>"
    assert url in message.body


def test_one_click_unsubscribe_records_a_withdrawal_and_the_sender_then_skips(
    customer, client, today
):
    consent.record(purposes={"marketing_email": True}, source="portal", customer_id=customer.pk)
    _marketing(customer)
    row = Outbox.objects.get()
    path = row.context["unsubscribe_url"].split("8000", 1)[1]

    # A link scanner's GET changes nothing; the RFC 8058 POST does, without a CSRF token.
    assert client.get(path).status_code == 200
    assert consent.state(customer_id=customer.pk)["marketing_email"] is True
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    event = ConsentEvent.objects.latest("id")
    assert (event.given, event.source) == (False, "unsubscribe")

    # Consent is checked again at send time: the queued message is skipped.
    assert notices.send_pending().sent == 0
    row.refresh_from_db()
    assert row.status == "skipped" and row.last_error == "no consent at send time"
    assert mail.outbox == []


def test_a_forged_unsubscribe_token_is_refused(client, customer):
    response = client.post(reverse("privacy:unsubscribe", args=["forged"]))
    assert response.status_code == 404
    assert ConsentEvent.objects.count() == 0


def test_restriction_blocks_marketing_even_with_consent(customer, today):
    consent.record(purposes={"marketing_email": True}, source="portal", customer_id=customer.pk)
    assert personal_data.may_process(pd.MARKETING_EMAIL, customer_id=customer.pk)
    Restriction.objects.create(customer_id=customer.pk, reason="art. 18", started_at=clock.now())
    assert not personal_data.may_process(pd.MARKETING_EMAIL, customer_id=customer.pk)
    assert not personal_data.may_process("statistics", customer_id=customer.pk)
    assert personal_data.may_process(pd.ESSENTIAL, customer_id=customer.pk)
    assert _marketing(customer) == 0


def test_the_customer_sets_marketing_preferences_in_the_portal(portal, customer):
    page = portal.get(reverse("privacy:preferences"))
    assert page.status_code == 200
    portal.post(reverse("privacy:preferences"), {"marketing_email": "on"})
    assert consent.state(customer_id=customer.pk)["marketing_email"] is True
    assert ConsentEvent.objects.get(purpose="marketing_email").source == "portal"
    portal.post(reverse("privacy:preferences"), {})
    assert consent.state(customer_id=customer.pk)["marketing_email"] is False


def test_consent_checks_for_a_batch_take_two_queries(
    customer, other_customer, django_assert_num_queries
):
    contacts = [Contact(c.pk, c.name, c.email, c.language) for c in (customer, other_customer)] * 20
    with django_assert_num_queries(2):
        consent.consenting("marketing_email", contacts)


def test_the_banner_is_rendered_once_yet_each_browser_answers_it_with_its_own_token(
    settings, client
):
    """The banner is kept once rendered (kyklos.core.fragments): each browser still gets
    its own CSRF token, and the banner sends it back to the page it was shown on."""
    from django.test import Client

    local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": local, "fragments": local}
    notice, cookies = reverse("privacy:notice"), reverse("privacy:cookies")
    for url in (notice, cookies, notice):
        browser = Client(enforce_csrf_checks=True)
        page = browser.get(url).content.decode()
        banner = page[page.index('class="cookie-banner"') :]
        assert f'name="next" value="{url}"' in banner
        assert "<kyklos-csrf-token>" not in banner
        token = banner.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        answer = browser.post(
            cookies, {"choice": "reject", "next": url, "csrfmiddlewaretoken": token}
        )
        assert answer.status_code == 302 and answer["Location"] == url
        assert 'class="cookie-banner"' not in browser.get(url).content.decode()

"""Terms of service as published versions (R12.3): public pages for the current and earlier
versions, a significant version notified to every customer, refused input writes nothing."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kyklos.customers import selectors
from kyklos.customers.models import Customer, TermsVersion
from kyklos.notifications.models import Outbox
from kyklos.notifications.rendering import render_notice
from kyklos.storefront import services
from kyklos.storefront.notices import TERMS_PUBLISHED
from tests import factories
from tests.storefront.conftest import publish

pytestmark = pytest.mark.django_db
TEXTS = {"el": "Νέοι όροι", "en": "New terms", "pl": "Nowy regulamin"}


def test_the_current_version_is_the_latest_published_by_today(today):
    publish("2026-01", date(2026, 1, 1))
    publish("2027-02", date(2027, 2, 1))
    publish("2027-06", date(2027, 6, 1))  # announced ahead
    assert selectors.current_terms().version == "2027-02"
    assert [t.version for t in selectors.published_terms()] == ["2027-02", "2026-01"]


def test_the_terms_pages_show_the_current_and_earlier_versions_per_language(client, today):
    publish("2026-01", date(2026, 1, 1), text_pl="Stary regulamin")
    publish("2027-02", date(2027, 2, 1), text_pl="Nowy regulamin")
    client.cookies["django_language"] = "pl"
    page = client.get(reverse("storefront:terms")).content.decode()
    assert "Nowy regulamin" in page and "2026-01" in page
    old = client.get(reverse("storefront:terms_version", args=["2026-01"])).content.decode()
    assert "Stary regulamin" in old
    assert client.get(reverse("storefront:terms_version", args=["2099-01"])).status_code == 404


def test_a_significant_version_queues_a_notice_to_every_active_customer(today):
    anna = factories.customer(language="pl", admin_email="office@anna.pl")
    nikos = factories.customer(language="el")
    locked = factories.customer(status=Customer.Status.LOCKED)
    terms = services.publish_terms(
        version="2027-03", texts=TEXTS, significant=True, summary="Shorter notice period."
    )
    notices = Outbox.objects.filter(event=TERMS_PUBLISHED).order_by("customer_id")
    assert [(n.customer_id, n.to_email, n.language) for n in notices] == [
        (anna.pk, "office@anna.pl", "pl"),
        (nikos.pk, nikos.email, "el"),
    ]
    assert locked.pk not in {n.customer_id for n in notices}
    assert terms.notified_count == 2 == TermsVersion.objects.get().notified_count
    rendered = render_notice(TERMS_PUBLISHED, "pl", notices[0].context)
    assert "2027-03" in rendered.subject and "regulamin" in rendered.subject
    assert "Shorter notice period." in rendered.body
    assert "/shop/terms/2027-03/" in rendered.body


def test_a_minor_version_notifies_nobody(today):
    factories.customer()
    services.publish_terms(version="2027-03", texts=TEXTS)
    assert not Outbox.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"version": ""}, "version"),
        ({"version": "2027-01"}, "version"),  # already published
        ({"texts": {**TEXTS, "pl": " "}}, "text_pl"),
        ({"published_on": date(2026, 12, 1)}, "published_on"),  # before the newest
        ({"significant": True, "summary": ""}, "summary"),
    ],
)
def test_bad_versions_are_refused_and_write_nothing(today, changes, field):
    publish("2027-01", date(2027, 1, 1))
    factories.customer()
    arguments = {"version": "2027-03", "texts": TEXTS, "significant": True, "summary": "x"}
    arguments.update(changes)
    with pytest.raises(ValidationError) as refused:
        services.publish_terms(**arguments)
    assert field in refused.value.message_dict
    assert TermsVersion.objects.count() == 1
    assert not Outbox.objects.exists()


def test_the_terms_page_names_the_consumer_dispute_body_in_the_language(client, today, settings):
    """R12.4: the terms name where a consumer may take a dispute out of court."""
    publish("2027-02", date(2027, 2, 1))
    settings.KYKLOS_COUNTRY = "GR"
    client.cookies["django_language"] = "el"
    page = client.get(reverse("storefront:terms")).content.decode()
    assert "Συνήγορος του Καταναλωτή" in page

"""The portal's pages for proofs (R7.9) and support hours (R7.10, R7.6)."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kyklos.core import clock
from kyklos.projects import services
from kyklos.projects.models import Deliverable
from tests import factories
from tests.projects.test_quotes import portal_consent
from tests.projects.test_time import _project


@pytest.fixture
def portal(client, customer, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    portal_consent(customer)  # gives Nikos his login
    client.force_login(customer.user)
    return client


@pytest.fixture
def proof(customer, staff, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return services.send_deliverable(
        _project(customer, title="Company website", number="P-2027-000007"),
        title="Home page design",
        note="Two colour variants.",
        link="https://proofs.example.com/home-v1",
        file=SimpleUploadedFile("home.pdf", b"%PDF-1.4 home"),
        actor=staff,
    )


def test_the_customer_sees_the_proof_and_approves_it(portal, proof):
    url = reverse("portal:deliverable", args=[proof.pk])
    page = portal.get(url).content.decode()
    assert "Home page design" in page and "https://proofs.example.com/home-v1" in page
    assert "Download home.pdf" in page
    project_page = portal.get(reverse("portal:project", args=[proof.project_id])).content
    assert proof.reference in project_page.decode()

    response = portal.post(url, {"answer": "approve", "signer_name": "Nikos Georgiou"})
    assert response.status_code == 200  # without the tick nothing is approved
    proof.refresh_from_db()
    assert proof.status == Deliverable.Status.SENT

    response = portal.post(
        url, {"answer": "approve", "signer_name": "Nikos Georgiou", "agree": "on"}
    )
    assert response.status_code == 302
    proof.refresh_from_db()
    assert (proof.status, proof.channel, proof.signer_name) == (
        "approved",
        "portal",
        "Nikos Georgiou",
    )
    assert "Approved by Nikos Georgiou" in portal.get(url).content.decode()
    file = portal.get(reverse("portal:deliverable_file", args=[proof.pk]))
    assert b"".join(file.streaming_content) == b"%PDF-1.4 home"


def test_the_customer_asks_for_changes_with_a_comment(portal, proof):
    url = reverse("portal:deliverable", args=[proof.pk])
    response = portal.post(url, {"answer": "changes", "changes-comment": ""})
    assert response.status_code == 200
    portal.post(url, {"answer": "changes", "changes-comment": "A bigger logo, please."})
    proof.refresh_from_db()
    assert (proof.status, proof.comment) == ("changes", "A bigger logo, please.")


def test_another_customers_proof_is_not_found(client, proof, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    other = factories.customer(
        name="Other", language="en", user=get_user_model().objects.create_user("other")
    )
    client.force_login(other.user)
    for name in ("portal:deliverable", "portal:deliverable_file"):
        assert client.get(reverse(name, args=[proof.pk])).status_code == 404
    response = client.post(
        reverse("portal:deliverable", args=[proof.pk]),
        {"answer": "approve", "signer_name": "X", "agree": "on"},
    )
    assert response.status_code == 404
    proof.refresh_from_db()
    assert proof.status == Deliverable.Status.SENT


def test_the_support_hours_page_shows_the_month_s_balance(portal, customer, staff, rate_60):
    with clock.frozen(date(2027, 3, 1)):
        services.create_package(customer, hours="2", starts_on=date(2027, 3, 1), actor=staff)
    with clock.frozen(date(2027, 3, 10)):
        services.log_time(
            customer, minutes=45, description="Plugin update", reference="T-1", actor=staff
        )
        page = portal.get(reverse("portal:support_hours")).content.decode()
        quotes_page = portal.get(reverse("portal:quotes")).content.decode()
    assert "Support package, 2 hours a month" in page
    assert "2:00" in page and "0:45" in page and "1:15" in page  # included, used, left
    assert "1:15" in quotes_page

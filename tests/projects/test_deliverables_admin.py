"""Staff send proofs, record e-mail approvals, log defects and changes (R7.9) and set up
support packages (R7.10, R7.6) in the admin; everything goes through the services."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from kyklos.core import clock
from kyklos.projects import services
from kyklos.projects.models import Deliverable, DeliverableIssue, SupportPackage
from tests.projects.test_time import _project


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("boss", "boss@provider.example", "x")
    client.force_login(user)
    return client


@pytest.fixture
def project(customer, today):
    return _project(customer, title="Company website", number="P-2027-000001")


def test_a_proof_is_sent_then_its_email_approval_recorded(admin_client, project):
    response = admin_client.post(
        reverse("admin:projects_deliverable_add"),
        {"project": project.pk, "title": "Home page", "link": "https://proofs.example.com/1"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    proof = Deliverable.objects.get()
    response = admin_client.post(
        reverse("admin:projects_deliverable_changelist"),
        {
            "action": "record_email_approval",
            ACTION_CHECKBOX_NAME: [proof.pk],
            "apply": "1",
            "signer_name": "Nikos Georgiou",
            "signer_email": "office@example.gr",
            "source": "<yes@example.gr>",
            "signed_at": "2027-03-01 08:30",
        },
    )
    assert response.status_code == 302
    proof.refresh_from_db()
    assert (proof.status, proof.channel, proof.recorded_by.username) == (
        "approved",
        "email",
        "boss",
    )
    page = admin_client.get(reverse("admin:projects_deliverable_change", args=[proof.pk]))
    assert page.status_code == 200 and "&lt;yes@example.gr&gt;" in page.content.decode()


def test_a_change_after_approval_becomes_a_variation_a_defect_does_not(admin_client, project):
    proof = services.send_deliverable(
        project, title="Home", link="https://proofs.example.com/1", actor="staff"
    )
    url = reverse("admin:projects_deliverableissue_add")
    response = admin_client.post(
        url, {"deliverable": proof.pk, "kind": "defect", "description": "Typo"}
    )
    assert "not approved" in response.content.decode()  # refused: nothing written
    assert not DeliverableIssue.objects.exists()

    Deliverable.objects.filter(pk=proof.pk).update(status="approved")
    admin_client.post(url, {"deliverable": proof.pk, "kind": "defect", "description": "Typo"})
    admin_client.post(
        url,
        {"deliverable": proof.pk, "kind": "change", "description": "Blog", "amount": "300"},
    )
    defect, change = DeliverableIssue.objects.order_by("id")
    assert defect.variation is None
    assert change.variation.amount == Decimal("300.00")


def test_a_monthly_package_is_set_up_and_its_balance_listed(admin_client, customer, rate_60):
    with clock.frozen(date(2027, 3, 1)):
        response = admin_client.post(
            reverse("admin:projects_supportpackage_add"),
            {
                "customer": customer.pk,
                "kind": "monthly",
                "hours": "5",
                "price": "200",
                "starts_on": "2027-03-01",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    package = SupportPackage.objects.get()
    assert (package.minutes, package.title) == (300, "Support package, 5 hours a month")
    with clock.frozen(date(2027, 3, 3)):
        services.log_time(customer, minutes=20, description="DNS", reference="T-1", actor="s")
        page = admin_client.get(reverse("admin:projects_supportpackage_changelist"))
    assert "0:20 / 5:00, 0:00" in page.content.decode()

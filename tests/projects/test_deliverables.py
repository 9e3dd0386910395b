"""Deliverables approved by the customer (R7.9): a proof or demo is sent, the customer
approves it or asks for changes (portal, or an e-mail reply staff record); after approval
a defect against the specification is fixed free and a change is billed as a variation.

The project: contract €4,000, deposit paid (in progress)."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kyklos.core import clock
from kyklos.core.models import AuditEvent
from kyklos.notifications.models import Outbox
from kyklos.projects import services
from kyklos.projects.models import Channel, Deliverable, DeliverableIssue, Variation
from tests.projects.test_project_flow import pay
from tests.projects.test_quotes import LINES, portal_consent


@pytest.fixture
def project(customer, staff, today):
    quote = services.draft_quote(customer, title="Company website", lines=LINES, actor=staff)
    services.send_quote(quote, actor=staff)
    project = services.accept_quote(quote, version=1, consent=portal_consent(customer))
    pay(project.invoices.get(kind="deposit").invoice, date(2027, 3, 1))
    project.refresh_from_db()
    return project


@pytest.fixture
def proof(project, staff):
    return services.send_deliverable(
        project,
        title="Home page design",
        note="Two colour variants; the second is our pick.",
        link="https://proofs.example.com/home-v1",
        actor=staff,
    )


def email_reply(address="office@example.gr"):
    return services.Consent(
        channel=Channel.EMAIL,
        signer_name="Nikos Georgiou",
        signer_email=address,
        source="<CAB123@mail.example.gr>",
        signed_at=clock.now(),
    )


def test_a_proof_is_sent_with_its_link_and_note_and_asks_for_approval(proof, project):
    assert proof.reference == f"{project.number}/D1"
    assert proof.status == Deliverable.Status.SENT
    assert proof.snapshot["link"] == "https://proofs.example.com/home-v1"
    assert len(proof.digest) == 64
    notice = Outbox.objects.get(event="deliverable_sent")
    assert notice.context["deliverable"] == proof.reference
    assert notice.context["link"] == "https://proofs.example.com/home-v1"
    assert notice.headers["Reply-To"]  # a reply is an answer (R7.9)


def test_a_proof_may_be_a_file_kept_with_its_checksum(project, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("logo.pdf", b"%PDF-1.4 logo", content_type="application/pdf")
    proof = services.send_deliverable(project, title="Logo", file=upload, actor=staff)
    assert proof.file_name == "logo.pdf"
    assert proof.file_sha256 == hashlib.sha256(b"%PDF-1.4 logo").hexdigest()
    assert proof.snapshot["file_sha256"] == proof.file_sha256


def test_the_customer_approves_in_the_portal(proof, customer):
    approved = services.approve_deliverable(proof, consent=portal_consent(customer))
    assert approved.status == Deliverable.Status.APPROVED
    assert (approved.channel, approved.source) == ("portal", "portal 203.0.113.7")
    assert approved.answered_at == clock.now()
    assert AuditEvent.objects.filter(action="projects.deliverable.approved").count() == 1


def test_an_approval_by_email_reply_is_recorded_by_staff_from_a_customer_address(proof, staff):
    approved = services.approve_deliverable(proof, consent=email_reply(), actor=staff)
    assert approved.status == Deliverable.Status.APPROVED
    assert approved.source == "<CAB123@mail.example.gr>"
    assert approved.recorded_by == staff


@pytest.mark.parametrize(
    ("address", "actor", "message"),
    [
        ("stranger@example.com", "staff", "is not an address of this customer"),
        ("office@example.gr", None, "recorded by a staff member"),
    ],
)
def test_an_email_approval_from_elsewhere_or_unrecorded_is_refused(
    proof, staff, address, actor, message
):
    with pytest.raises(ValidationError, match=message):
        services.approve_deliverable(
            proof, consent=email_reply(address), actor=staff if actor else None
        )
    proof.refresh_from_db()
    assert proof.status == Deliverable.Status.SENT and proof.answered_at is None


def test_changes_before_approval_are_a_new_round_not_a_bill(proof, project, customer, staff):
    with pytest.raises(ValidationError, match="Say what should change"):
        services.ask_for_changes(proof, consent=portal_consent(customer), comment="  ")
    asked = services.ask_for_changes(
        proof, consent=portal_consent(customer), comment="Bigger logo, please."
    )
    assert asked.status == Deliverable.Status.CHANGES and asked.comment == "Bigger logo, please."
    with pytest.raises(ValidationError, match="not approved"):
        services.request_change(asked, description="Bigger logo", amount="100", actor=staff)

    second = services.send_deliverable(
        project,
        title="Home page design",
        link="https://proofs.example.com/home-v2",
        revision_of=asked,
        actor=staff,
    )
    assert second.reference == f"{project.number}/D2"
    assert second.snapshot["revision_of"] == asked.reference
    assert not Variation.objects.exists()
    with pytest.raises(ValidationError, match="already has a new round"):
        services.send_deliverable(
            project,
            title="Again",
            link="https://proofs.example.com/x",
            revision_of=asked,
            actor=staff,
        )


def test_after_approval_a_defect_is_free_and_a_change_is_a_variation(
    proof, project, customer, staff
):
    services.approve_deliverable(proof, consent=portal_consent(customer))
    before = services.final_amount(project)  # 4,000 − 2,000 deposit = 2,000

    defect = services.log_defect(proof, description="Menu overlaps the logo on phones", actor=staff)
    services.fix_defect(defect, actor=staff)
    defect.refresh_from_db()
    assert (defect.kind, defect.status, defect.variation) == ("defect", "fixed", None)
    assert services.final_amount(project) == before == Decimal("2000.00")

    change = services.request_change(
        proof, description="Add a second language", amount="600", actor=staff
    )
    variation = change.variation
    assert (change.kind, variation.kind, variation.amount) == ("change", "added", Decimal("600"))
    assert variation.status == Variation.Status.PROPOSED  # the customer confirms it (R7.3)
    assert proof.reference in variation.description
    services.confirm_variation(variation, consent=portal_consent(customer))
    assert services.final_amount(project) == Decimal("2600.00")  # 2,000 + the change


def test_answers_and_issues_are_refused_in_the_wrong_state(proof, customer, staff):
    with pytest.raises(ValidationError, match="not approved"):
        services.log_defect(proof, description="Typo", actor=staff)
    services.approve_deliverable(proof, consent=portal_consent(customer))
    with pytest.raises(ValidationError, match="no longer waiting"):
        services.ask_for_changes(proof, consent=portal_consent(customer), comment="More blue")
    with pytest.raises(ValidationError, match="no longer waiting"):
        services.withdraw_deliverable(proof, actor=staff)
    assert DeliverableIssue.objects.count() == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": ""}, "Name the proof"),
        ({"link": "javascript:alert(1)"}, "web address"),
        ({"link": ""}, "Give a link to the proof or attach its file"),
    ],
)
def test_bad_proofs_are_refused_and_nothing_is_written(project, staff, kwargs, message):
    arguments = {"title": "Home", "link": "https://proofs.example.com/a", **kwargs}
    with pytest.raises(ValidationError, match=message):
        services.send_deliverable(project, actor=staff, **arguments)
    assert not Deliverable.objects.exists()
    assert not Outbox.objects.filter(event="deliverable_sent").exists()


def test_a_cancelled_project_gets_no_proofs(project, staff):
    services.cancel_project(project, reason="Customer stopped", actor=staff)
    with pytest.raises(ValidationError, match="not closed"):
        services.send_deliverable(
            project, title="Home", link="https://proofs.example.com/a", actor=staff
        )


def test_an_approval_is_exported_with_the_customer_s_data_and_kept_on_erasure(proof, customer):
    from kyklos.core.personal_data import Subject, personal_data

    services.approve_deliverable(proof, consent=portal_consent(customer))
    exported = personal_data.export(Subject(customer_id=customer.pk))["projects.Deliverable"]
    assert [(row["deliverable"], row["signer_name"]) for row in exported] == [
        (proof.reference, "Nikos Georgiou")
    ]
    erased = personal_data.entries["projects.Deliverable"].eraser(Subject(email="nikos@example.gr"))
    assert erased.kept == 1 and "R7.9" in erased.kept_reason

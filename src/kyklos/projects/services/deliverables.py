"""Deliverables approved by the customer (R7.9).

Staff send a proof or demo (:func:`send_deliverable`: a link or a file, with a note); the
customer approves it (:func:`approve_deliverable`) or asks for changes
(:func:`ask_for_changes`, with a comment) in the portal, or by an e-mail reply that staff
record with the same checks as a quote's acceptance (decision 0022). Changes asked before
approval are part of the work: staff send the next round (``revision_of``). After approval,
what the customer raises is either a defect against the agreed specification
(:func:`log_defect`, fixed free, never billed) or a change (:func:`request_change`), which
becomes a variation the customer confirms and pays (R7.3).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.notifications import services as notices
from kyklos.projects import notices as events
from kyklos.projects.models import (
    Channel,
    Deliverable,
    DeliverableIssue,
    Project,
    Variation,
)
from kyklos.projects.services.inputs import checked_text
from kyklos.projects.services.invoices import locked_project
from kyklos.projects.services.signatures import Consent, checked_consent, digest
from kyklos.projects.services.variations import propose_variation

#: Projects that may still receive proofs.
OPEN = (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS, Project.Status.DELIVERED)
MAX_FILE_BYTES = 25 * 1024 * 1024


def _checked_link(link: str) -> str:
    link = (link or "").strip()
    if not link:
        return ""
    try:
        URLValidator(schemes=["https", "http"])(link)
    except ValidationError:
        raise ValidationError({"link": _("Give the link as a web address (https://…).")}) from None
    if len(link) > 500:
        raise ValidationError({"link": _("At most %(n)d characters, please.") % {"n": 500}})
    return link


def _sha256(upload) -> str:
    if upload.size > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than 25 MB; send a link instead.")})
    hasher = hashlib.sha256()
    for chunk in upload.chunks():
        hasher.update(chunk)
    upload.seek(0)
    return hasher.hexdigest()


def deliverable_snapshot(deliverable: Deliverable) -> dict:
    """What the customer was shown: the proof's round, title, note, link and file."""
    return {
        "deliverable": deliverable.reference,
        "revision_of": deliverable.revision_of.reference if deliverable.revision_of else None,
        "title": deliverable.title,
        "note": deliverable.note,
        "link": deliverable.link,
        "file": deliverable.file_name,
        "file_sha256": deliverable.file_sha256,
    }


@transaction.atomic
def send_deliverable(
    project: Project,
    *,
    title: str,
    note: str = "",
    link: str = "",
    file=None,
    revision_of: Deliverable | None = None,
    actor,
) -> Deliverable:
    """Send a proof or demo for the customer's approval (R7.9): a link, a file or both,
    with a note. A corrected proof names the one the customer asked changes to."""
    project = locked_project(project)
    if project.status not in OPEN:
        raise ValidationError(_("Proofs are for projects that are not closed."))
    title = checked_text(title, "title", _("Name the proof, e.g. “Home page design”."), 200)
    note = str(note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("At most %(n)d characters, please.") % {"n": 2000}})
    link = _checked_link(link)
    if not link and not file:
        raise ValidationError(_("Give a link to the proof or attach its file."))
    file_sha256 = _sha256(file) if file else ""
    if revision_of is not None:
        revision_of = Deliverable.objects.select_for_update().get(pk=revision_of.pk)
        if revision_of.project_id != project.pk:
            raise ValidationError({"revision_of": _("That proof belongs to another project.")})
        if revision_of.status != Deliverable.Status.CHANGES:
            raise ValidationError(
                {"revision_of": _("Only a proof the customer asked changes to gets a new round.")}
            )
        if Deliverable.objects.filter(revision_of=revision_of).exists():
            raise ValidationError({"revision_of": _("That proof already has a new round.")})
    position = (
        project.deliverables.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    deliverable = Deliverable(
        project=project,
        position=position,
        revision_of=revision_of,
        title=title,
        note=note,
        link=link,
        file_sha256=file_sha256,
        sent_at=clock.now(),
        sent_by=acting_user(actor),
    )
    if file:
        deliverable.file.save(file.name, file, save=False)
    deliverable.snapshot = deliverable_snapshot(deliverable)
    deliverable.digest = digest(deliverable.snapshot)
    deliverable.save()
    log_action(
        deliverable,
        "projects.deliverable.sent",
        actor=actor,
        data={"reference": deliverable.reference, "digest": deliverable.digest},
    )
    notices.queue_notice(
        event=events.DELIVERABLE_SENT,
        customer=project.customer,
        for_date=clock.today(),
        context={
            "project_number": project.number,
            "project_title": project.title,
            "deliverable": deliverable.reference,
            "title": title,
            "note": note,
            "link": link,
            "file_name": deliverable.file_name,
        },
        headers={"Reply-To": settings.KYKLOS_PROVIDER["email"]},
    )
    return deliverable


def _locked(deliverable: Deliverable) -> Deliverable:
    return (
        Deliverable.objects.select_for_update(of=("self",))
        .select_related("project__customer", "revision_of")
        .get(pk=deliverable.pk)
    )


def _answer(deliverable, status: str, consent: Consent, comment: str, actor) -> Deliverable:
    deliverable = _locked(deliverable)
    if deliverable.status != Deliverable.Status.SENT:
        raise ValidationError(_("This proof is no longer waiting for an answer."))
    checked = checked_consent(deliverable.project.customer, consent, actor=actor)
    by_email = consent.channel == Channel.EMAIL
    values = {
        "status": status,
        "answered_at": checked.signed_at,
        "channel": consent.channel,
        "signer_name": checked.signer_name,
        "signer_email": checked.signer_email,
        "source": checked.source,
        "ip_address": consent.ip_address or None,
        "user_agent": (consent.user_agent or "")[:300],
        "user": None if by_email else consent.user,
        "recorded_by": acting_user(actor) if by_email else None,
        "comment": comment,
    }
    Deliverable.objects.filter(pk=deliverable.pk).update(**values)
    for field, value in values.items():
        setattr(deliverable, field, value)
    log_action(
        deliverable,
        f"projects.deliverable.{status}",
        actor=actor or consent.user,
        data={"channel": consent.channel, "digest": deliverable.digest, "source": checked.source},
    )
    return deliverable


@transaction.atomic
def approve_deliverable(deliverable: Deliverable, *, consent: Consent, actor=None) -> Deliverable:
    """The customer approves the proof they were shown (R7.9): in the portal, or by an
    e-mail reply staff record. Changes asked from now on are billed."""
    return _answer(deliverable, Deliverable.Status.APPROVED, consent, "", actor)


@transaction.atomic
def ask_for_changes(
    deliverable: Deliverable, *, consent: Consent, comment: str, actor=None
) -> Deliverable:
    """The customer asks for changes to a proof not yet approved: part of the work, not
    billed; staff send the next round."""
    comment = str(comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say what should change.")})
    if len(comment) > 2000:
        raise ValidationError({"comment": _("At most %(n)d characters, please.") % {"n": 2000}})
    return _answer(deliverable, Deliverable.Status.CHANGES, consent, comment, actor)


@transaction.atomic
def withdraw_deliverable(deliverable: Deliverable, *, actor) -> Deliverable:
    deliverable = _locked(deliverable)
    if deliverable.status != Deliverable.Status.SENT:
        raise ValidationError(_("This proof is no longer waiting for an answer."))
    Deliverable.objects.filter(pk=deliverable.pk).update(status=Deliverable.Status.WITHDRAWN)
    deliverable.status = Deliverable.Status.WITHDRAWN
    log_action(deliverable, "projects.deliverable.withdrawn", actor=actor)
    return deliverable


def _approved(deliverable: Deliverable) -> Deliverable:
    deliverable = _locked(deliverable)
    if deliverable.status != Deliverable.Status.APPROVED:
        raise ValidationError(
            _(
                "The proof is not approved: changes before approval are part of the work; "
                "send a new round."
            )
        )
    return deliverable


def _issue(deliverable, kind, description, actor, variation=None) -> DeliverableIssue:
    issue = DeliverableIssue.objects.create(
        deliverable=deliverable,
        kind=kind,
        description=description,
        variation=variation,
        logged_at=clock.now(),
        logged_by=acting_user(actor),
    )
    log_action(
        issue,
        f"projects.deliverable.{kind}_logged",
        actor=actor,
        data={
            "deliverable": deliverable.reference,
            "variation": variation.reference if variation else None,
        },
    )
    return issue


@transaction.atomic
def log_defect(deliverable: Deliverable, *, description: str, actor) -> DeliverableIssue:
    """A defect against the agreed specification in approved work (R7.9): logged and
    fixed free — nothing is billed for it."""
    deliverable = _approved(deliverable)
    description = checked_text(description, "description", _("Describe the defect."), 300)
    return _issue(deliverable, DeliverableIssue.Kind.DEFECT, description, actor)


@transaction.atomic
def fix_defect(issue: DeliverableIssue, *, actor) -> DeliverableIssue:
    issue = DeliverableIssue.objects.select_for_update().get(pk=issue.pk)
    if issue.kind != DeliverableIssue.Kind.DEFECT or issue.status != DeliverableIssue.Status.OPEN:
        raise ValidationError(_("Only an open defect can be marked fixed."))
    now = clock.now()
    DeliverableIssue.objects.filter(pk=issue.pk).update(
        status=DeliverableIssue.Status.FIXED, fixed_at=now
    )
    issue.status, issue.fixed_at = DeliverableIssue.Status.FIXED, now
    log_action(issue, "projects.deliverable.defect_fixed", actor=actor)
    return issue


@transaction.atomic
def request_change(
    deliverable: Deliverable, *, description: str, amount, actor
) -> DeliverableIssue:
    """A change to approved work (R7.9): billed, so it becomes a variation of added work
    that the customer confirms before it starts (R7.3)."""
    deliverable = _approved(deliverable)
    description = checked_text(description, "description", _("Describe the change."), 300)
    with_reference = f"{description} ({deliverable.reference})"[:300]
    variation = propose_variation(
        deliverable.project,
        kind=Variation.Kind.ADDED,
        description=with_reference,
        amount=amount,
        actor=actor,
    )
    return _issue(deliverable, DeliverableIssue.Kind.CHANGE, description, actor, variation)

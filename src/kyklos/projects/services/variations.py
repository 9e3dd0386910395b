"""Variations (R7.3): added or omitted work that staff propose and the customer confirms
before the work starts; confirmed ones count in the final invoice."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.notifications import services as notices
from kyklos.projects import notices as events
from kyklos.projects.models import (
    Project,
    Signature,
    Variation,
)
from kyklos.projects.services.inputs import checked_amount, checked_text
from kyklos.projects.services.invoices import final_amount, locked_project
from kyklos.projects.services.signatures import Consent, record_signature


@transaction.atomic
def propose_variation(project: Project, *, kind: str, description: str, amount, actor) -> Variation:
    """Staff propose added or omitted work; the customer is asked to confirm it before
    the work starts (R7.3)."""
    project = locked_project(project)
    if project.status not in (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS):
        raise ValidationError(_("Variations are for projects not yet delivered."))
    if kind not in Variation.Kind.values:
        raise ValidationError({"kind": _("Say whether work is added or omitted.")})
    description = checked_text(description, "description", _("Describe the work."), 300)
    amount = round_money(checked_amount(amount), project.currency)
    if kind == Variation.Kind.OMITTED and amount > final_amount(project):
        raise ValidationError({"amount": _("More than is left to invoice on this project.")})
    position = (
        project.variations.order_by("-position").values_list("position", flat=True).first() or 0
    ) + 1
    variation = Variation.objects.create(
        project=project,
        position=position,
        kind=kind,
        description=description,
        amount=amount,
        proposed_at=clock.now(),
        proposed_by=acting_user(actor),
    )
    variation.project = project
    log_action(
        variation,
        "projects.variation.proposed",
        actor=actor,
        data={"kind": kind, "amount": str(amount)},
    )
    notices.queue_notice(
        event=events.VARIATION_PROPOSED,
        customer=project.customer,
        for_date=clock.today(),
        context={
            "project_number": project.number,
            "project_title": project.title,
            "variation": variation.reference,
            "kind": kind,
            "description": description,
            "amount": str(amount),
            "currency": project.currency,
        },
        headers={"Reply-To": settings.KYKLOS_PROVIDER["email"]},
    )
    return variation


def variation_snapshot(variation: Variation) -> dict:
    return {
        "project": variation.project.number,
        "variation": variation.reference,
        "kind": variation.kind,
        "description": variation.description,
        "amount": str(variation.amount),
        "currency": variation.project.currency,
    }


def _locked_variation(variation: Variation) -> Variation:
    return (
        Variation.objects.select_for_update()
        .select_related("project__customer")
        .get(pk=variation.pk)
    )


@transaction.atomic
def confirm_variation(variation: Variation, *, consent: Consent, actor=None) -> Variation:
    """The customer confirms a variation, in the portal or by e-mail (R7.3)."""
    variation = _locked_variation(variation)
    if variation.status != Variation.Status.PROPOSED:
        raise ValidationError(_("This variation is no longer waiting for an answer."))
    signature = record_signature(
        variation.project.customer,
        consent,
        subject=Signature.Subject.VARIATION,
        reference=variation.reference,
        version=1,
        snapshot=variation_snapshot(variation),
        actor=actor,
    )
    now = clock.now()
    Variation.objects.filter(pk=variation.pk).update(
        status=Variation.Status.CONFIRMED, confirmation=signature, decided_at=now
    )
    variation.status, variation.confirmation, variation.decided_at = (
        Variation.Status.CONFIRMED,
        signature,
        now,
    )
    log_action(
        variation,
        "projects.variation.confirmed",
        actor=actor or consent.user,
        data={"channel": consent.channel, "signature": signature.pk},
    )
    return variation


@transaction.atomic
def decline_variation(variation: Variation, *, actor=None) -> Variation:
    return _close_variation(variation, Variation.Status.DECLINED, actor)


@transaction.atomic
def withdraw_variation(variation: Variation, *, actor) -> Variation:
    return _close_variation(variation, Variation.Status.WITHDRAWN, actor)


def _close_variation(variation, status, actor) -> Variation:
    variation = _locked_variation(variation)
    if variation.status != Variation.Status.PROPOSED:
        raise ValidationError(_("This variation is no longer waiting for an answer."))
    Variation.objects.filter(pk=variation.pk).update(status=status, decided_at=clock.now())
    variation.status = status
    log_action(variation, f"projects.variation.{status}", actor=actor)
    return variation

"""Projects and their invoices (R7.2, R7.3, R7.5): the deposit proforma, monthly interim
invoices, the final invoice at delivery with confirmed variations, cancellation, and what
a paid deposit or final invoice starts or completes.

Milestone invoices are tax documents issued open (R6.1: "for a project milestone"); the
deposit is a proforma, because a project whose deposit is never paid never starts and
leaves nothing to correct."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, round_money
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event
from kyklos.projects import notices as events
from kyklos.projects.models import (
    PaymentPlan,
    Project,
    ProjectInvoice,
    Variation,
)
from kyklos.projects.services.costs import cost_lines, mark_billed, unbilled_costs
from kyklos.projects.services.inputs import checked_amount, checked_text


def issue_project_document(
    project: Project,
    kind: str,
    amount: Decimal,
    description: str,
    *,
    due_on: date,
    actor,
    document_kind: str | None = None,
) -> Invoice:
    """Issue one document for ``project`` through billing and link it. A tax document
    (interim, final) also recharges the project's unbilled third-party costs at cost, each
    once (R7.8). Billing announces tax documents (with their PDF); a deposit proforma is
    announced here."""
    customer = project.customer
    day = clock.today()
    lines = [
        billing.LineSpec(description=description, unit_price=amount, product_code=project.number)
    ]
    costs = [] if document_kind == DocumentKind.PROFORMA else list(unbilled_costs(project))
    lines += cost_lines(costs, customer.language)
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=customer,
            kind=document_kind or billing.tax_document_kind(customer),
            lines=lines,
            issued_on=day,
            due_on=due_on,
            currency=project.currency,
        ),
        actor=actor,
    )
    ProjectInvoice.objects.create(
        project=project, kind=kind, invoice=invoice, amount=amount, created_at=clock.now()
    )
    mark_billed(costs, invoice)
    announce_proforma(invoice, day=day, label=project.title)
    return invoice


def announce_proforma(invoice: Invoice, *, day: date, label: str) -> None:
    """Tell the customer of a proforma issued for ``label`` (a project, a package); billing
    announces tax documents itself, with their PDF."""
    if invoice.kind != DocumentKind.PROFORMA:
        return
    notices.queue_notice(
        event=Event.INVOICE_ISSUED,
        customer=invoice.customer,
        invoice_id=invoice.pk,
        for_date=day,
        context={
            "invoice_number": invoice.number,
            "total": str(invoice.total),
            "currency": invoice.currency,
            "due_on": invoice.due_on.isoformat(),
            "service_label": label,
        },
    )


def locked_project(project: Project) -> Project:
    return Project.objects.select_for_update().select_related("customer").get(pk=project.pk)


def invoiced_amount(project: Project, kinds=None) -> Decimal:
    """Net amount of the project's documents that are not cancelled."""
    links = project.invoices.exclude(invoice__status=Invoice.Status.CANCELLED)
    if kinds:
        links = links.filter(kind__in=kinds)
    return links.aggregate(total=Sum("amount"))["total"] or ZERO


def variations_total(project: Project) -> Decimal:
    total = ZERO
    for variation in project.variations.filter(status=Variation.Status.CONFIRMED):
        total += variation.signed_amount
    return total


def final_amount(project: Project) -> Decimal:
    """Contract + confirmed added work − confirmed omitted work − what was already
    invoiced (deposit, interim invoices), all net (R7.2, R7.3)."""
    return project.contract_amount + variations_total(project) - invoiced_amount(project)


@transaction.atomic
def issue_interim_invoice(project: Project, *, amount, description: str = "", actor) -> Invoice:
    """A monthly interim invoice on a large project (R7.2), due on receipt."""
    project = locked_project(project)
    if project.plan != PaymentPlan.MONTHLY:
        raise ValidationError(_("Only projects on the monthly plan get interim invoices."))
    if project.status != Project.Status.IN_PROGRESS:
        raise ValidationError(_("Interim invoices are for projects in progress."))
    amount = round_money(checked_amount(amount), project.currency)
    left = final_amount(project)
    if amount >= left:
        raise ValidationError(
            {
                "amount": _("%(a)s would leave nothing for the final invoice (%(left)s left).")
                % {"a": amount, "left": left}
            }
        )
    number = project.invoices.filter(kind=ProjectInvoice.Kind.INTERIM).count() + 1
    with override(project.customer.language):
        text = description.strip() or _("Interim invoice %(n)d — project %(number)s: %(title)s") % {
            "n": number,
            "number": project.number,
            "title": project.title,
        }
    invoice = issue_project_document(
        project, ProjectInvoice.Kind.INTERIM, amount, text[:300], due_on=clock.today(), actor=actor
    )
    log_action(
        project,
        "projects.project.interim_invoiced",
        actor=actor,
        data={"invoice": invoice.number, "amount": str(amount)},
    )
    return invoice


@transaction.atomic
def deliver_project(project: Project, *, delivered_on: date | None = None, actor) -> Invoice:
    """The work is delivered: the final invoice is issued, due ``final_due_days`` after
    delivery (R7.2), with confirmed variations (R7.3)."""
    project = locked_project(project)
    if project.status != Project.Status.IN_PROGRESS:
        raise ValidationError(
            _("A project %(status)s cannot be delivered.")
            % {"status": project.get_status_display().lower()}
        )
    today = clock.today()
    delivered_on = delivered_on or today
    if delivered_on > today or (project.started_on and delivered_on < project.started_on):
        raise ValidationError(
            {"delivered_on": _("The delivery date must be between the start and today.")}
        )
    if project.variations.filter(status=Variation.Status.PROPOSED).exists():
        raise ValidationError(
            _("Variations are still waiting for the customer; confirm or withdraw them first.")
        )
    amount = final_amount(project)
    if amount <= 0:
        raise ValidationError(
            _("Nothing is left to invoice (%(amount)s); a refund needs a credit note.")
            % {"amount": amount}
        )
    with override(project.customer.language):
        description = _("Final invoice — project %(number)s: %(title)s") % {
            "number": project.number,
            "title": project.title,
        }
    invoice = issue_project_document(
        project,
        ProjectInvoice.Kind.FINAL,
        amount,
        description[:300],
        due_on=delivered_on + timedelta(days=project.final_due_days),
        actor=actor,
    )
    Project.objects.filter(pk=project.pk).update(
        status=Project.Status.DELIVERED, delivered_on=delivered_on
    )
    project.status, project.delivered_on = Project.Status.DELIVERED, delivered_on
    log_action(
        project,
        "projects.project.delivered",
        actor=actor,
        data={
            "delivered_on": delivered_on.isoformat(),
            "final_invoice": invoice.number,
            "amount": str(amount),
        },
    )
    return invoice


@transaction.atomic
def cancel_project(project: Project, *, reason: str, actor) -> Project:
    """Stop a project that has not been delivered; its unpaid deposit request is voided.
    Issued tax documents stay (a credit note corrects them, in billing)."""
    project = locked_project(project)
    if project.status not in (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS):
        raise ValidationError(_("Only a project not yet delivered can be cancelled."))
    reason = checked_text(reason, "reason", _("Say why the project is cancelled."), 300)
    proformas = list(
        project.invoices.filter(invoice__kind=DocumentKind.PROFORMA).values_list(
            "invoice_id", flat=True
        )
    )
    billing.cancel_proformas(proformas, reason=f"project {project.number} cancelled", actor=actor)
    Project.objects.filter(pk=project.pk).update(status=Project.Status.CANCELLED)
    project.status = Project.Status.CANCELLED
    log_action(project, "projects.project.cancelled", actor=actor, data={"reason": reason})
    return project


def on_invoice_paid(invoice: Invoice, *, actor=None) -> None:
    """``invoice_paid``: a paid deposit starts its project; a paid final invoice passes
    ownership of the work to the customer (R7.5) and completes the project."""
    link = (
        ProjectInvoice.objects.filter(invoice_id=invoice.pk)
        .select_related("project__customer")
        .first()
    )
    if link is None:
        return
    project = link.project
    day = invoice.paid_on or clock.today()
    if link.kind == ProjectInvoice.Kind.DEPOSIT:
        if project.status == Project.Status.AWAITING_DEPOSIT:
            Project.objects.filter(pk=project.pk).update(
                status=Project.Status.IN_PROGRESS, started_on=day
            )
            log_action(
                project, "projects.project.started", actor=actor, data={"deposit": invoice.number}
            )
    elif link.kind == ProjectInvoice.Kind.FINAL and project.ownership_transferred_on is None:
        Project.objects.filter(pk=project.pk).update(
            status=Project.Status.COMPLETED, completed_on=day, ownership_transferred_on=day
        )
        log_action(
            project,
            "projects.project.ownership_transferred",
            actor=actor,
            data={"final_invoice": invoice.number, "on": day.isoformat()},
        )
        notices.queue_notice(
            event=events.PROJECT_COMPLETED,
            customer=project.customer,
            for_date=clock.today(),
            context={
                "project_number": project.number,
                "project_title": project.title,
                "transferred_on": day.isoformat(),
            },
        )

"""Third-party costs (R7.8): licences, stock images, fonts bought for a project are
recharged at cost — on the project's next tax invoice (interim or final), once, without
markup; costs recorded after the final invoice are billed with
:func:`bill_third_party_costs`."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing import services as billing
from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import round_money
from kyklos.projects.models import Project, ThirdPartyCost
from kyklos.projects.services.inputs import checked_amount, checked_text

#: Projects whose costs wait for the next interim or final invoice.
OPEN = (Project.Status.AWAITING_DEPOSIT, Project.Status.IN_PROGRESS)


@transaction.atomic
def record_third_party_cost(
    project: Project,
    *,
    supplier: str,
    description: str,
    amount,
    receipt_reference: str,
    currency: str | None = None,
    incurred_on: date | None = None,
    actor,
) -> ThirdPartyCost:
    """Record what was paid to a supplier for ``project`` (net, as on the receipt, in the
    project's currency); it is billed at cost on the project's next invoice (R7.8)."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.status == Project.Status.CANCELLED:
        raise ValidationError({"project": _("That project is cancelled.")})
    supplier = checked_text(supplier, "supplier", _("Name the supplier."), 200)
    description = checked_text(description, "description", _("Say what was bought."), 300)
    reference = checked_text(
        receipt_reference, "receipt_reference", _("Give the receipt's reference."), 100
    )
    currency = (currency or project.currency).strip().upper()
    if currency != project.currency:
        raise ValidationError(
            {
                "currency": _("Record the cost in the project's currency (%(currency)s), as paid.")
                % {"currency": project.currency}
            }
        )
    amount = checked_amount(amount)
    if amount != round_money(amount, currency):
        raise ValidationError({"amount": _("At most 2 decimals, as on the receipt.")})
    today = clock.today()
    incurred_on = incurred_on or today
    if incurred_on > today:
        raise ValidationError({"incurred_on": _("A cost cannot be dated in the future.")})
    cost = ThirdPartyCost.objects.create(
        project=project,
        supplier=supplier,
        description=description,
        amount=amount,
        currency=currency,
        receipt_reference=reference,
        incurred_on=incurred_on,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    log_action(
        cost,
        "projects.cost.recorded",
        actor=actor,
        data={"project": project.number, "amount": str(amount), "receipt": reference},
    )
    return cost


def unbilled_costs(project: Project):
    return project.third_party_costs.filter(invoice__isnull=True).order_by("incurred_on", "id")


def cost_lines(costs, language: str) -> list[billing.LineSpec]:
    """One line per cost, at cost: the amount paid, no markup (R7.8)."""
    lines = []
    with override(language):
        for cost in costs:
            label = _("Third-party cost at cost: %(supplier)s — %(text)s (receipt %(ref)s)") % {
                "supplier": cost.supplier,
                "text": cost.description,
                "ref": cost.receipt_reference,
            }
            lines.append(
                billing.LineSpec(
                    description=label[:300], unit_price=cost.amount, product_code="third-party"
                )
            )
    return lines


def mark_billed(costs, invoice: Invoice) -> None:
    ThirdPartyCost.objects.filter(pk__in=[c.pk for c in costs], invoice__isnull=True).update(
        invoice=invoice
    )


@transaction.atomic
def bill_third_party_costs(project: Project, *, actor) -> Invoice | None:
    """Invoice the unbilled costs of a project that will have no further project invoice
    (delivered or completed); None when there are none. Open projects wait for their next
    interim or final invoice."""
    project = Project.objects.select_for_update().select_related("customer").get(pk=project.pk)
    if project.status in OPEN:
        raise ValidationError(
            _("Costs of a project in progress go on its next interim or final invoice.")
        )
    costs = list(unbilled_costs(project))
    if not costs:
        return None
    invoice = billing.issue_document(
        billing.DocumentSpec(
            customer=project.customer,
            kind=billing.tax_document_kind(project.customer),
            lines=cost_lines(costs, project.customer.language),
            issued_on=clock.today(),
            currency=project.currency,
        ),
        actor=actor,
    )
    mark_billed(costs, invoice)
    log_action(
        project,
        "projects.cost.billed",
        actor=actor,
        data={"invoice": invoice.number, "costs": len(costs)},
    )
    return invoice

"""Identity checks before provisioning (R6.5).

Staff ask for an ID on an open document; the customer is told. While the check is not
verified, paying the document settles it (tax document, receipt) but lifecycle does not
provision what it orders (``selectors.is_on_identity_hold``). Verifying releases it —
at once when the document is already paid; a failed check keeps it held for good and
the payment is not refunded.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.billing.models import Invoice
from kyklos.core import clock, hooks
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.notifications import services as notices
from kyklos.payments.models import IdentityCheck
from kyklos.payments.notices import IDENTITY_CHECK_REQUESTED
from kyklos.payments.services import logged_refusal


@logged_refusal
@transaction.atomic
def request_check(invoice: Invoice, *, reason: str = "", actor) -> IdentityCheck:
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN:
        raise ValidationError(
            _("%(n)s is not open; ask for an ID before it is paid.") % {"n": invoice.number}
        )
    if IdentityCheck.objects.filter(
        invoice=invoice, status=IdentityCheck.Status.REQUESTED
    ).exists():
        raise ValidationError(
            _("An identity check for %(n)s is already open.") % {"n": invoice.number}
        )
    check = IdentityCheck.objects.create(
        customer=invoice.customer,
        invoice=invoice,
        reason=reason[:300],
        requested_at=clock.now(),
        requested_by=acting_user(actor),
    )
    log_action(check, "identity_check.requested", actor=actor, data={"invoice": invoice.number})
    notices.queue_notice(
        event=IDENTITY_CHECK_REQUESTED,
        customer=invoice.customer,
        invoice_id=invoice.pk,
        for_date=clock.today(),
        context={"invoice_number": invoice.number, "reason": reason},
    )
    return check


@logged_refusal
@transaction.atomic
def decide_check(check: IdentityCheck, *, verified: bool, actor, note: str = "") -> IdentityCheck:
    """Record the outcome; lifecycle provisions a verified, paid order at once."""
    check = IdentityCheck.objects.select_for_update().select_related("invoice").get(pk=check.pk)
    if check.status != IdentityCheck.Status.REQUESTED:
        raise ValidationError(_("This identity check was already decided."))
    if not verified and not note.strip():
        raise ValidationError({"note": _("Say why the identity could not be verified.")})
    status = IdentityCheck.Status.VERIFIED if verified else IdentityCheck.Status.FAILED
    IdentityCheck.objects.filter(pk=check.pk).update(
        status=status,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
    )
    check.status = status
    log_action(check, f"identity_check.{status}", actor=actor, data={"note": note})
    hooks.identity_check_decided.send(
        sender=IdentityCheck, invoice=check.invoice, verified=verified, actor=actor
    )
    return check

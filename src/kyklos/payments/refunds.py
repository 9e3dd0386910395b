"""Refunds: the 30-day money-back guarantee (R6.9) and the .gr withdrawal (R4.5).

:func:`quote` computes what a paid tax document gives back, line by line, before the
customer confirms; :func:`issue_refund` issues exactly that as a credit note
(``billing.services.issue_credit_note``), pays it back (to the card or PayPal through the
provider, to account credit at once, or by bank transfer that staff pay out) with a
refund payment record, and announces ``hooks.refund_issued`` so lifecycle ends the
refunded services.

Which services a document billed lives in lifecycle, above this app; lifecycle
answers ``kyklos.core.hooks.billed_services`` with those facts.

- Money-back: an order's first period of a product with ``refundable`` set (shared and
  e-mail hosting, website development, maintenance by default), asked within 30 days of
  the service's start. Not refunded: lines without a period (setup fees), products that
  are not refundable (domain, SSL, static IP and other add-ons, third-party services),
  payment fees (their own document). The list value of a free bundled product on the
  document (a line fully discounted, e.g. the free domain) is deducted.
- .gr withdrawal: a new .gr registration, asked within 5 calendar days (UTC) of the
  payment confirmation; the list value of free bundled products on the document is
  deducted.
- Refused by the registry (R4.10): the first period of the named services (a domain the
  registry would not register or transfer), whole, at any time; nothing is deducted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine
from kyklos.billing.services import CreditLine, credited_amounts, issue_credit_note
from kyklos.core import clock, hooks
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, round_money
from kyklos.notifications import services as notices
from kyklos.payments.methods import registry
from kyklos.payments.models import CreditEntry, Direction, Method, Payment, Refund
from kyklos.payments.notices import REFUND_ISSUED
from kyklos.payments.services import (
    BilledService,
    add_credit,
    billed_services,
    logged_refusal,
    record_refund_payment,
)

MONEY_BACK_DAYS = 30
GR_WITHDRAWAL_DAYS = 5


@dataclass
class RefundQuote:
    invoice: Invoice
    kind: str
    deadline: date
    credit: list[tuple[InvoiceLine, Decimal, Decimal]] = field(default_factory=list)
    kept: list[tuple[InvoiceLine, str]] = field(default_factory=list)
    deduction: Decimal = ZERO
    service_ids: list[int] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((net for _line, net, _vat in self.credit), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((vat for _line, _net, vat in self.credit), ZERO)

    @property
    def total(self) -> Decimal:
        return self.net + self.vat


def _is_free_bundle(line: InvoiceLine) -> bool:
    return line.net == 0 and line.unit_price > 0


def _bundle_value(lines: list[InvoiceLine], currency: str) -> Decimal:
    """The list value (before VAT) of the free bundled products on the document."""
    return sum(
        (round_money(ln.unit_price * ln.quantity, currency) for ln in lines if _is_free_bundle(ln)),
        ZERO,
    )


def _paid_at(proforma: Invoice) -> datetime | None:
    """When the payment that settled ``proforma`` was confirmed."""
    return Payment.objects.filter(invoice=proforma, direction=Direction.IN).aggregate(
        at=Max("created_at")
    )["at"]


def quote(
    invoice: Invoice, kind: str = Refund.Kind.MONEY_BACK, service_ids: list[int] | None = None
) -> RefundQuote:
    """What a refund of ``kind`` would give back on the paid tax document ``invoice``;
    raises ValidationError with the reason when nothing is refundable. A refusal by the
    registry refunds only ``service_ids``."""
    if invoice.kind not in (DocumentKind.INVOICE, DocumentKind.RECEIPT):
        raise ValidationError(_("Only a tax invoice or receipt can be refunded."))
    if invoice.status != Invoice.Status.PAID or invoice.related_id is None:
        raise ValidationError(_("Only a paid order can be refunded."))
    proforma = invoice.related
    lines = list(invoice.lines.all())
    done = credited_amounts(invoice)
    billed = {(s.product_code, s.period_start): s for s in billed_services(proforma)}
    now = clock.now()
    if kind == Refund.Kind.GR_WITHDRAWAL:
        paid_at = _paid_at(proforma) or now
        deadline = paid_at.astimezone(UTC).date() + timedelta(days=GR_WITHDRAWAL_DAYS)
        today = now.astimezone(UTC).date()
    elif kind == Refund.Kind.MONEY_BACK:
        today = clock.today()
        starts = [s.started_on for s in billed.values() if s.started_on]
        deadline = (min(starts) if starts else invoice.issued_on) + timedelta(days=MONEY_BACK_DAYS)
    elif kind == Refund.Kind.REGISTRY_REFUSED:
        today = deadline = clock.today()
    else:
        raise ValidationError({"kind": _("Unknown kind of refund.")})
    result = RefundQuote(invoice=invoice, kind=kind, deadline=deadline)
    for line in lines:
        service = billed.get((line.product_code, line.period_start))
        reason = _why_not(kind, line, service, today)
        if kind == Refund.Kind.REGISTRY_REFUSED and reason is None:
            if service.service_id not in (service_ids or []):
                reason = _("not the refused domain")
        left_net = line.net - done.get(line.pk, (ZERO, ZERO))[0]
        left_vat = line.vat - done.get(line.pk, (ZERO, ZERO))[1]
        if reason is None and left_net <= 0:
            reason = _("already credited")
        if reason is not None:
            if not _is_free_bundle(line):
                result.kept.append((line, reason))
            continue
        result.credit.append((line, left_net, left_vat))
        result.service_ids.append(service.service_id)
    if not result.credit:
        reasons = "; ".join(dict.fromkeys(why for _line, why in result.kept))
        raise ValidationError(
            _("Nothing on %(n)s can be refunded: %(why)s.") % {"n": invoice.number, "why": reasons}
        )
    # Deduct the value of free bundled products from the largest refunded line.
    deduction = (
        ZERO if kind == Refund.Kind.REGISTRY_REFUSED else _bundle_value(lines, invoice.currency)
    )
    if deduction:
        result.credit.sort(key=lambda c: c[1], reverse=True)
        line, net, vat = result.credit[0]
        deduction = min(deduction, net)
        new_net = net - deduction
        if new_net <= 0:
            result.credit.pop(0)
        else:
            new_vat = round_money(new_net * line.vat_rate / 100, invoice.currency)
            result.credit[0] = (line, new_net, new_vat)
        result.deduction = deduction
        if not result.credit:
            raise ValidationError(
                _("The free products bundled with it are worth the whole refund.")
            )
    return result


def _why_not(kind: str, line: InvoiceLine, service: BilledService | None, today: date):
    """None when ``line`` is refundable under ``kind``, else the reason it is not."""
    if service is None:
        return _("not refundable (fees, setup or third-party costs)")
    if not service.first_period:
        return _("renewals are not refundable")
    if kind == Refund.Kind.MONEY_BACK:
        if not service.refundable:
            return _("not covered by the money-back guarantee")
        if service.started_on is None or today > service.started_on + timedelta(
            days=MONEY_BACK_DAYS
        ):
            return _("more than 30 days since the start")
        return None
    if kind == Refund.Kind.REGISTRY_REFUSED:
        return None if service.product_type == "domain" else _("not a domain")
    if service.product_type != "domain" or not service.label.lower().rstrip(".").endswith(".gr"):
        return _("only a new .gr registration can be withdrawn")
    return None


@logged_refusal
@transaction.atomic
def issue_refund(
    invoice: Invoice,
    *,
    kind: str = Refund.Kind.MONEY_BACK,
    to_credit: bool = False,
    expected_total: Decimal | None = None,
    service_ids: list[int] | None = None,
    reason: str = "",
    actor=None,
) -> Refund:
    """Refund what :func:`quote` computes. ``expected_total`` is the amount the customer
    was shown: if the computation changed meanwhile, nothing is done. ``service_ids`` and
    ``reason`` are a registry refusal's (R4.10): the refused domain, and why."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer", "related")
        .get(pk=invoice.pk)
    )
    computed = quote(invoice, kind, service_ids)
    if kind == Refund.Kind.MONEY_BACK and clock.today() > computed.deadline:
        raise ValidationError(_("The 30 days of the money-back guarantee have passed."))
    if kind == Refund.Kind.GR_WITHDRAWAL and clock.now().astimezone(UTC).date() > computed.deadline:
        raise ValidationError(_("The 5 days to withdraw a .gr registration have passed."))
    if expected_total is not None and Decimal(expected_total) != computed.total:
        raise ValidationError(
            _("The refund is now %(t)s; please review it again.") % {"t": computed.total}
        )
    reason = reason or (
        _("Money-back guarantee (30 days)")
        if kind == Refund.Kind.MONEY_BACK
        else _("Withdrawal of a new .gr registration (5 days)")
    )
    credit_note = issue_credit_note(
        invoice,
        lines=[CreditLine(line.pk, net=net) for line, net, _vat in computed.credit],
        reason=reason,
        actor=actor,
    )
    amount = credit_note.total
    refund = Refund(
        customer=invoice.customer,
        invoice=invoice,
        credit_note=credit_note,
        kind=kind,
        amount=amount,
        currency=invoice.currency,
        to_credit=to_credit,
        requested_at=clock.now(),
        requested_by=acting_user(actor),
        breakdown={
            "credited": [
                {"line": ln.description, "net": str(net), "vat": str(vat)}
                for ln, net, vat in computed.credit
            ],
            "kept": [{"line": ln.description, "why": why} for ln, why in computed.kept],
            "deduction": str(computed.deduction),
        },
    )
    refund.save()
    _pay_back(refund, invoice.related, actor=actor)
    log_action(
        refund,
        "refund.issued",
        actor=actor,
        data={"credit_note": credit_note.number, "amount": str(amount), "kind": kind},
    )
    notices.queue_notice(
        event=REFUND_ISSUED,
        customer=invoice.customer,
        invoice_id=credit_note.pk,
        for_date=clock.today(),
        context={
            "credit_note_number": credit_note.number,
            "amount": str(amount),
            "currency": invoice.currency,
            "to_credit": to_credit,
        },
    )
    hooks.refund_issued.send(
        sender=Refund,
        invoice=invoice,
        credit_note=credit_note,
        service_ids=computed.service_ids,
        kind=kind,
        actor=actor,
    )
    return refund


def _pay_back(refund: Refund, proforma: Invoice, *, actor) -> None:
    """To account credit at once; to a card or PayPal through the provider; a bank
    transfer or manual payment waits for staff to pay it out (:func:`mark_paid_out`)."""
    note = refund.credit_note
    if refund.to_credit:
        payment = record_refund_payment(
            note, amount=refund.amount, method=Method.ACCOUNT_CREDIT, actor=actor
        )
        add_credit(
            refund.customer,
            amount=refund.amount,
            currency=refund.currency,
            kind=CreditEntry.Kind.REFUND,
            invoice=note,
            payment=payment,
            note=note.number,
            actor=actor,
        )
        _complete(refund, payment)
        return
    paid = (
        Payment.objects.filter(invoice=proforma, direction=Direction.IN)
        .exclude(method=Method.ACCOUNT_CREDIT)
        .order_by("-amount")
        .first()
    )
    method = registry.methods.get(paid.method) if paid else None
    if (
        paid is not None
        and method is not None
        and method.provider_refunds
        and paid.provider_reference
    ):
        provider_id = method().refund(paid, refund.amount)
        payment = record_refund_payment(
            note,
            amount=refund.amount,
            method=paid.method,
            provider_reference=provider_id,
            actor=actor,
        )
        _complete(refund, payment)
        return
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.PAYOUT_PENDING, method=paid.method if paid else Method.BANK_TRANSFER
    )
    refund.status = Refund.Status.PAYOUT_PENDING


def _complete(refund: Refund, payment: Payment) -> None:
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.COMPLETED, payment=payment, method=payment.method
    )
    refund.status, refund.payment, refund.method = Refund.Status.COMPLETED, payment, payment.method


@logged_refusal
@transaction.atomic
def mark_paid_out(refund: Refund, *, reference: str, actor) -> Refund:
    """Staff transferred the refund to the customer's bank account."""
    refund = Refund.objects.select_for_update().select_related("credit_note").get(pk=refund.pk)
    if refund.status != Refund.Status.PAYOUT_PENDING:
        raise ValidationError(_("This refund is not waiting to be paid out."))
    payment = record_refund_payment(
        refund.credit_note,
        amount=refund.amount,
        method=Method.BANK_TRANSFER,
        reference=reference,
        actor=actor,
    )
    _complete(refund, payment)
    log_action(refund, "refund.paid_out", actor=actor, data={"reference": reference})
    return refund


def eligible_refunds(invoices: list[Invoice]) -> dict[int, RefundQuote]:
    """For the portal: which of ``invoices`` (paid tax documents) can be refunded now."""
    found = {}
    for invoice in invoices:
        for kind in (Refund.Kind.MONEY_BACK, Refund.Kind.GR_WITHDRAWAL):
            try:
                q = quote(invoice, kind)
            except ValidationError:
                continue
            if kind == Refund.Kind.MONEY_BACK and clock.today() > q.deadline:
                continue
            if (
                kind == Refund.Kind.GR_WITHDRAWAL
                and clock.now().astimezone(UTC).date() > q.deadline
            ):
                continue
            found[invoice.pk] = q
            break
    return found

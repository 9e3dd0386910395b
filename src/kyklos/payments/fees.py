"""Payment-method fees as surcharge lines on the document (R6.4).

The fee is a percentage of the net amount still to pay; a payment above the method's
threshold (VAT included) carries the extra percentage as a second line. Each fee is an
ordinary line of the proforma, taxed at the document's rate, so the tax invoice issued
on payment shows it. A proforma carries the fees of one method at a time: choosing
another method replaces them. Tax documents are never edited, so fees are only ever
added to proformas (on a tax invoice the customer pays without a fee line).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine
from kyklos.billing.services import LineSpec, compute_line
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, percent_of, round_money
from kyklos.payments.models import Direction, Method, MethodFee, Payment

#: Fee lines carry this product code prefix, followed by the method.
FEE_CODE = "payment-fee:"


@dataclass(frozen=True, slots=True)
class FeeLine:
    description: str
    percent: Decimal
    net: Decimal
    vat: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.vat


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """What paying ``invoice`` with ``method`` costs: the amount before fees, the fee
    lines and the amount the customer is asked for."""

    method: str
    currency: str
    amount_before_fees: Decimal
    lines: tuple[FeeLine, ...]

    @property
    def fee_total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def amount_to_pay(self) -> Decimal:
        return self.amount_before_fees + self.fee_total


def is_fee_line(line: InvoiceLine) -> bool:
    return line.product_code.startswith(FEE_CODE)


def _paid(invoice: Invoice) -> Decimal:
    paid = Payment.objects.filter(invoice=invoice, direction=Direction.IN).aggregate(
        s=Sum("amount")
    )["s"]
    return paid or ZERO


def _base(invoice: Invoice, lines: list[InvoiceLine]) -> tuple[Decimal, Decimal, Decimal]:
    """(gross still owed without fees, its net part, the document's VAT rate)."""
    base = [ln for ln in lines if not is_fee_line(ln)]
    gross = sum((ln.total for ln in base), ZERO)
    net = sum((ln.net for ln in base), ZERO)
    owed = gross - _paid(invoice)
    if owed <= 0:
        return ZERO, ZERO, ZERO
    owed_net = net if owed == gross else round_money(owed * net / gross, invoice.currency)
    rate = base[0].vat_rate if base else ZERO
    return owed, owed_net, rate


def _describe(method: str, percent: Decimal, extra: bool, language: str) -> str:
    with override(language):
        label = Method(method).label
        if extra:
            return _("%(method)s payment fee above the threshold (%(percent)s%%)") % {
                "method": label,
                "percent": f"{percent.normalize():f}",
            }
        return _("%(method)s payment fee (%(percent)s%%)") % {
            "method": label,
            "percent": f"{percent.normalize():f}",
        }


def quote(invoice: Invoice, method: str, *, lines: list[InvoiceLine] | None = None) -> FeeQuote:
    """The fee of paying what is still owed on ``invoice`` with ``method``."""
    lines = list(invoice.lines.all()) if lines is None else lines
    owed, owed_net, rate = _base(invoice, lines)
    fee = MethodFee.objects.filter(method=method).first()
    out: list[FeeLine] = []
    if fee is not None and owed > 0:
        parts = [(fee.percent, False)]
        if fee.threshold is not None and owed > fee.threshold and fee.extra_percent:
            parts.append((fee.extra_percent, True))
        for percent, extra in parts:
            if not percent:
                continue
            net = percent_of(owed_net, percent, invoice.currency)
            out.append(
                FeeLine(
                    description=_describe(method, percent, extra, invoice.language),
                    percent=percent,
                    net=net,
                    vat=percent_of(net, rate, invoice.currency),
                )
            )
    return FeeQuote(method, invoice.currency, owed, tuple(out))


def quotes(invoice: Invoice, methods: list[str]) -> list[FeeQuote]:
    """One quote per method, reading the lines and payments once."""
    lines = list(invoice.lines.all())
    return [quote(invoice, method, lines=lines) for method in methods]


@transaction.atomic
def apply(invoice: Invoice, method: str, *, actor=None) -> FeeQuote:
    """Put ``method``'s fee lines on the open proforma ``invoice`` (replacing another
    method's) and recompute its totals. Returns the quote applied."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN:
        raise ValidationError({"invoice": _("%(n)s is not open.") % {"n": invoice.number}})
    lines = list(invoice.lines.all())
    if invoice.kind != DocumentKind.PROFORMA:
        return FeeQuote(method, invoice.currency, invoice.total - _paid(invoice), ())
    current = [ln for ln in lines if is_fee_line(ln)]
    base = [ln for ln in lines if not is_fee_line(ln)]
    fee_quote = quote(invoice, method, lines=base)
    wanted = [(FEE_CODE + method, ln) for ln in fee_quote.lines]
    if [(ln.product_code, ln.net, ln.vat) for ln in current] == [
        (code, ln.net, ln.vat) for code, ln in wanted
    ]:
        return fee_quote
    InvoiceLine.objects.filter(pk__in=[ln.pk for ln in current]).delete()
    position = max((ln.position for ln in base), default=0)
    new = []
    for offset, (code, fee_line) in enumerate(wanted, start=1):
        line = compute_line(
            LineSpec(description=fee_line.description, unit_price=fee_line.net, product_code=code),
            base[0].vat_rate if base else ZERO,
            invoice.currency,
            position + offset,
        )
        line.invoice = invoice
        new.append(line)
    InvoiceLine.objects.bulk_create(new)
    all_lines = base + new
    subtotal = sum((ln.net for ln in all_lines), ZERO)
    vat_total = sum((ln.vat for ln in all_lines), ZERO)
    Invoice.objects.filter(pk=invoice.pk).update(
        subtotal=subtotal, vat_total=vat_total, total=subtotal + vat_total
    )
    log_action(
        invoice,
        "invoice.payment_fee_set",
        actor=actor,
        data={"method": method, "fees": [str(ln.total) for ln in fee_quote.lines]},
    )
    return fee_quote

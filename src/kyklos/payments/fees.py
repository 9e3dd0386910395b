"""Payment-method fees as surcharge lines (R6.4).

The fee is a percentage of the net amount still to pay; a payment above the method's
threshold (VAT included) carries the extra percentage as a second line. Issued documents
are never edited (billing refuses it, proformas included), so the fee lines go on a
proforma of their own, issued when the customer starts paying with the method and paid
in the same checkout; its tax document shows them as ordinary taxed lines. Choosing
another method cancels an open fee proforma; a bank transfer carries none.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import override

from kyklos.billing.models import DocumentKind, Invoice, InvoiceLine
from kyklos.billing.services import DocumentSpec, LineSpec, cancel_proformas, issue_document
from kyklos.core import clock
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


def open_fee_documents(invoice: Invoice):
    """The open fee proformas started for ``invoice`` by its checkouts."""
    return Invoice.objects.filter(
        fee_checkouts__invoice=invoice,
        kind=DocumentKind.PROFORMA,
        status=Invoice.Status.OPEN,
    ).distinct()


def cancel_fee_documents(invoice: Invoice, *, actor=None) -> int:
    """Another way of paying was chosen (a free bank transfer): drop open fee proformas."""
    ids = list(open_fee_documents(invoice).values_list("pk", flat=True))
    return cancel_proformas(ids, reason="payment method changed", actor=actor)


@transaction.atomic
def issue_fee_document(
    invoice: Invoice, method: str, *, actor=None
) -> tuple[FeeQuote, Invoice | None]:
    """Issue the method's fee lines as a proforma of their own for the customer of
    ``invoice`` (issued documents are never edited, so the fee cannot be added to
    ``invoice`` itself); earlier open fee proformas for ``invoice`` are cancelled.
    Returns the quote and the fee proforma (None when the method is free)."""
    cancel_fee_documents(invoice, actor=actor)
    fee_quote = quote(invoice, method)
    if not fee_quote.lines:
        return fee_quote, None
    with override(invoice.language):
        lines = [
            LineSpec(
                description=_("%(fee)s, for %(number)s")
                % {"fee": line.description, "number": invoice.number},
                unit_price=line.net,
                product_code=FEE_CODE + method,
            )
            for line in fee_quote.lines
        ]
    document = issue_document(
        DocumentSpec(
            customer=invoice.customer,
            kind=DocumentKind.PROFORMA,
            lines=lines,
            issued_on=clock.today(),
            currency=invoice.currency,
        ),
        actor=actor,
    )
    log_action(
        invoice,
        "invoice.payment_fee_issued",
        actor=actor,
        data={"method": method, "fee_document": document.number, "total": str(document.total)},
    )
    return fee_quote, document

"""Recording payments and account credit.

A payment is checked (positive, same currency, open document, not more than what is
owed), recorded, acknowledged through the outbox, and — when it covers the document —
settles it through billing, which announces ``invoice_paid`` for the renewals.

Money that is really received but exceeds what a document still owes (an overpayment,
a provider confirming a charge for a document paid meanwhile) becomes account credit,
which pays later documents (:func:`apply_credit`). Every refusal is logged.

This module is the app's face for writes: other apps reach bank transfers, checkouts,
fees and refunds through the functions at its end, and lifecycle tells refunds which
services a document billed (``hooks.billed_services``, :func:`billed_services`).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kyklos.billing import services as billing
from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.money import ZERO, quantum, round_money
from kyklos.customers.models import Customer
from kyklos.notifications import services as notices
from kyklos.notifications.models import Event
from kyklos.payments import fees
from kyklos.payments.methods import registry
from kyklos.payments.models import CreditEntry, Direction, Method, Payment
from kyklos.payments.selectors import amount_paid, credit_balance

logger = logging.getLogger("kyklos.payments")


def logged_refusal(func):
    """Log a refused request (its ValidationError) before it reaches the caller."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ValidationError as error:
            logger.warning("%s refused: %s", func.__name__, "; ".join(error.messages))
            raise

    return wrapper


#: The longest payment reference a payment keeps (never cut short: a longer one is refused).
REFERENCE_LENGTH = 140
#: The largest amount a payment column holds (``max_digits=14, decimal_places=2``).
MAX_AMOUNT = Decimal("999999999999.99")


def parse_amount(value, field: str = "amount", currency: str | None = None) -> Decimal:
    """``value`` as a Decimal: finite, greater than zero, not larger than a column holds
    and — when ``currency`` is given — with no more decimals than the currency has
    ("0.005" EUR is refused, not rounded). Each refusal is one line naming ``field``."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter the amount as a number, e.g. 120.50.")}) from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    if amount > MAX_AMOUNT:
        raise ValidationError(
            {field: _("The amount must not be more than %(m)s.") % {"m": MAX_AMOUNT}}
        )
    if currency:
        check_decimals(amount, currency, field)
    return amount


def check_decimals(amount: Decimal, currency: str, field: str = "amount") -> None:
    """Refuse an amount with more decimals than ``currency`` has (EUR: 2); trailing
    zeros do not count ("1.500" is 1.50)."""
    step = quantum(currency)
    if amount.quantize(step) != amount:
        places = -step.as_tuple().exponent
        raise ValidationError(
            {
                field: _("An amount in %(c)s has at most %(n)d decimals.")
                % {"c": currency, "n": places}
            }
        )


def check_paid_on(invoice: Invoice, paid_on: date, field: str = "paid_on") -> None:
    """A payment is dated neither before ``invoice`` was issued nor in the future."""
    if paid_on > clock.today():
        raise ValidationError({field: _("A payment cannot be dated in the future.")})
    if paid_on < invoice.issued_on:
        raise ValidationError(
            {
                field: _("A payment cannot be dated before %(n)s was issued (%(d)s).")
                % {"n": invoice.number, "d": invoice.issued_on.isoformat()}
            }
        )


def check_payable(invoice: Invoice, currency: str | None = None) -> None:
    """Refuse a document that cannot take money: a credit note, paid, cancelled, or
    in another currency than ``currency``."""
    if currency and currency.upper() != invoice.currency:
        raise ValidationError(
            {
                "currency": _("This document is in %(c)s; record the payment in %(c)s.")
                % {"c": invoice.currency}
            }
        )
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        raise ValidationError({"invoice": _("A credit note cannot be paid.")})
    if invoice.status == Invoice.Status.PAID:
        raise ValidationError({"invoice": _("%(n)s is already paid.") % {"n": invoice.number}})
    if invoice.status == Invoice.Status.CANCELLED:
        raise ValidationError({"invoice": _("%(n)s is cancelled.") % {"n": invoice.number}})


@logged_refusal
@transaction.atomic
def record_payment(
    invoice: Invoice,
    *,
    amount,
    method: str,
    paid_on: date | None = None,
    reference: str = "",
    currency: str | None = None,
    provider_reference: str = "",
    excess_to_credit: bool = False,
    actor=None,
    _from_credit: bool = False,
) -> Payment:
    """Record money received for ``invoice``; settles it when fully paid.

    More than what is owed is refused, unless ``excess_to_credit``: then the excess
    becomes account credit. Account credit pays only through :func:`apply_credit`.
    """
    amount = parse_amount(amount)
    if method not in Method.values:
        raise ValidationError({"method": _("Unknown payment method “%(m)s”.") % {"m": method}})
    if len(reference) > REFERENCE_LENGTH:
        raise ValidationError(
            {"reference": _("A reference has at most %(n)d characters.") % {"n": REFERENCE_LENGTH}}
        )
    if method == Method.ACCOUNT_CREDIT and not _from_credit:
        raise ValidationError({"method": _("Account credit is used with “Use account credit”.")})
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    check_payable(invoice, currency)
    check_decimals(amount, invoice.currency)
    paid_on = paid_on or clock.today()
    check_paid_on(invoice, paid_on)
    amount = round_money(amount, invoice.currency)
    owed = invoice.total - amount_paid(invoice)
    excess = ZERO
    if amount > owed:
        if not excess_to_credit:
            raise ValidationError(
                {
                    "amount": _("%(a)s is more than the %(o)s still owed on %(n)s.")
                    % {"a": amount, "o": owed, "n": invoice.number}
                }
            )
        amount, excess = owed, amount - owed
    payment = _write_payment(
        invoice,
        "payment.recorded",
        {"invoice": invoice.number, "amount": str(amount), "method": method},
        amount=amount,
        method=method,
        paid_on=paid_on,
        reference=reference,
        provider_reference=provider_reference,
        actor=actor,
    )
    if excess:
        add_credit(
            invoice.customer,
            amount=excess,
            currency=invoice.currency,
            kind=CreditEntry.Kind.OVERPAYMENT,
            invoice=invoice,
            payment=payment,
            note=_("Paid more than %(n)s asked for") % {"n": invoice.number},
            actor=actor,
        )
    if amount != owed or excess:
        # A payment that settles the document exactly is told by its receipt or tax
        # invoice (R3.4: one e-mail, not two); a part payment or one with credit left over
        # is told here.
        _payment_notice(invoice, amount + excess, paid_on)
    if amount == owed:
        billing.settle(invoice, paid_on=paid_on, actor=actor)
    return payment


def _payment_notice(invoice: Invoice, amount: Decimal, paid_on: date) -> None:
    notices.queue_notice(
        event=Event.PAYMENT_RECEIVED,
        customer=invoice.customer,
        invoice_id=invoice.pk,
        for_date=clock.today(),
        context={
            "customer_name": invoice.customer.display_name,
            "invoice_number": invoice.number,
            "amount": str(amount),
            "currency": invoice.currency,
            "paid_on": paid_on.isoformat(),
        },
    )


@dataclass(frozen=True, slots=True)
class Received:
    """Where money really received went: a payment on the document, account credit, or both."""

    payment: Payment | None
    credit: CreditEntry | None


@transaction.atomic
def receive_money(
    invoice: Invoice,
    *,
    amount: Decimal,
    currency: str,
    method: str,
    paid_on: date,
    reference: str = "",
    provider_reference: str = "",
    actor=None,
) -> Received:
    """Money a provider or the bank confirmed for ``invoice``: it pays what is owed and
    the rest becomes account credit; when the document can no longer be paid (paid or
    cancelled meanwhile), all of it becomes credit. The currency must match."""
    amount = parse_amount(amount)
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if currency.upper() != invoice.currency:
        check_payable(invoice, currency)  # raises the currency error
    check_decimals(amount, invoice.currency)
    if invoice.status == Invoice.Status.OPEN and invoice.kind != DocumentKind.CREDIT_NOTE:
        payment = record_payment(
            invoice,
            amount=amount,
            method=method,
            paid_on=min(paid_on, clock.today()),
            reference=reference,
            provider_reference=provider_reference,
            excess_to_credit=True,
            actor=actor,
        )
        return Received(payment, payment.credit_entries.first())
    credit = add_credit(
        invoice.customer,
        amount=round_money(amount, invoice.currency),
        currency=invoice.currency,
        kind=CreditEntry.Kind.OVERPAYMENT,
        invoice=invoice,
        note=_("Received for %(n)s after it was closed") % {"n": invoice.number},
        actor=actor,
    )
    return Received(None, credit)


# --- account credit -----------------------------------------------------------------------


def add_credit(
    customer: Customer,
    *,
    amount: Decimal,
    currency: str,
    kind: str,
    invoice: Invoice | None = None,
    payment: Payment | None = None,
    note: str = "",
    actor=None,
) -> CreditEntry:
    """Add (a positive ``amount``) to the customer's account credit."""
    if amount <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    amount = round_money(amount, currency)
    return _write_credit(
        customer,
        "credit.added",
        {"amount": str(amount), "currency": currency, "kind": kind},
        amount=amount,
        currency=currency,
        kind=kind,
        invoice=invoice,
        payment=payment,
        note=note,
        actor=actor,
    )


@logged_refusal
@transaction.atomic
def apply_credit(invoice: Invoice, *, actor=None) -> Payment:
    """Pay ``invoice`` (as far as it goes) from the customer's account credit."""
    # The customer row is the lock that keeps two documents from spending the same credit.
    Customer.objects.select_for_update().filter(pk=invoice.customer_id).first()
    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    check_payable(invoice)
    balance = credit_balance(invoice.customer_id, invoice.currency)
    if balance <= 0:
        raise ValidationError(
            {"invoice": _("There is no account credit in %(c)s.") % {"c": invoice.currency}}
        )
    owed = invoice.total - amount_paid(invoice)
    use = min(balance, owed)
    entry = _write_credit(
        invoice.customer,
        "credit.applied",
        {"invoice": invoice.number, "amount": str(use)},
        amount=-use,
        currency=invoice.currency,
        kind=CreditEntry.Kind.APPLIED,
        invoice=invoice,
        note=invoice.number,
        actor=actor,
    )
    payment = record_payment(
        invoice,
        amount=use,
        method=Method.ACCOUNT_CREDIT,
        reference=_("Account credit"),
        actor=actor,
        _from_credit=True,
    )
    CreditEntry.objects.filter(pk=entry.pk).update(payment=payment)
    return payment


def record_refund_payment(
    credit_note: Invoice,
    *,
    amount: Decimal,
    method: str,
    provider_reference: str = "",
    reference: str = "",
    actor=None,
) -> Payment:
    """The record of money paid back to the customer for ``credit_note`` (direction out)."""
    return _write_payment(
        credit_note,
        "payment.refunded",
        {"credit_note": credit_note.number, "amount": str(amount), "method": method},
        direction=Direction.OUT,
        amount=amount,
        method=method,
        paid_on=clock.today(),
        reference=reference,
        provider_reference=provider_reference,
        actor=actor,
    )


def _write_payment(
    invoice: Invoice, event: str, data: dict, *, provider_reference: str, actor, **fields
) -> Payment:
    """A payment row on ``invoice`` (its customer and currency), logged as ``event``."""
    payment = Payment.objects.create(
        invoice=invoice,
        customer=invoice.customer,
        currency=invoice.currency,
        provider_reference=provider_reference[:200],
        created_at=clock.now(),
        created_by=acting_user(actor),
        **fields,
    )
    log_action(payment, event, actor=actor, data=data)
    return payment


def _write_credit(
    customer: Customer, event: str, data: dict, *, note: str, actor, **fields
) -> CreditEntry:
    """An account-credit entry of ``customer``, logged as ``event``."""
    entry = CreditEntry.objects.create(
        customer=customer,
        note=note[:300],
        created_at=clock.now(),
        created_by=acting_user(actor),
        **fields,
    )
    log_action(entry, event, actor=actor, data=data)
    return entry


# --- by hand: staff give account credit or refund, with a reason ---------------------------

#: The longest reason a credit or refund by hand keeps (never cut short).
REASON_LENGTH = 300
#: How money refunded by hand goes back: to account credit at once, or paid out by staff
#: (bank transfer or another manual way) with its reference.
REFUND_WAYS = (Method.ACCOUNT_CREDIT, Method.BANK_TRANSFER, Method.MANUAL)


def _staff_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason; it is kept in the audit trail.")})
    if len(reason) > REASON_LENGTH:
        raise ValidationError({"reason": _("A reason has at most 300 characters.")})
    return reason


@logged_refusal
@transaction.atomic
def grant_credit(customer: Customer, *, amount, currency: str, reason: str, actor) -> CreditEntry:
    """Staff add account credit by hand (a goodwill gesture, the uptime promise's free
    month): it pays the customer's next documents (:func:`apply_credit`)."""
    reason = _staff_reason(reason)
    currency = (currency or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationError({"currency": _("Give the currency as a 3-letter code, e.g. EUR.")})
    amount = parse_amount(amount, currency=currency)
    entry = add_credit(
        customer,
        amount=amount,
        currency=currency,
        kind=CreditEntry.Kind.ADJUSTMENT,
        note=reason,
        actor=actor,
    )
    log_action(
        entry,
        "credit.granted_by_hand",
        actor=actor,
        data={"amount": str(entry.amount), "currency": currency, "reason": reason},
    )
    return entry


@dataclass(frozen=True, slots=True)
class RefundByHand:
    credit_note: Invoice
    payment: Payment
    credit: CreditEntry | None


@logged_refusal
@transaction.atomic
def refund_by_hand(
    invoice: Invoice,
    *,
    reason: str,
    way: str,
    lines: list | None = None,
    reference: str = "",
    actor,
) -> RefundByHand:
    """Staff refund a paid tax document outside the self-service rules (the domain
    was taken before payment was confirmed; a goodwill refund): a credit note for
    ``lines`` (``billing.services.CreditLine``; None: all that is left), then the money
    goes back to account credit, or staff record the transfer they made (``reference``).
    Refused input writes nothing and takes no number."""
    reason = _staff_reason(reason)
    if way not in REFUND_WAYS:
        raise ValidationError({"way": _("Choose how the money goes back.")})
    reference = (reference or "").strip()
    if way != Method.ACCOUNT_CREDIT and not reference:
        raise ValidationError(
            {"reference": _("Give the reference of the transfer you made to the customer.")}
        )
    if len(reference) > REFERENCE_LENGTH:
        raise ValidationError(
            {"reference": _("A reference has at most %(n)d characters.") % {"n": REFERENCE_LENGTH}}
        )
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    if invoice.kind not in (DocumentKind.INVOICE, DocumentKind.RECEIPT):
        raise ValidationError({"invoice": _("Only a tax invoice or receipt can be refunded.")})
    if invoice.status != Invoice.Status.PAID:
        raise ValidationError(
            {"invoice": _("%(n)s is not paid; credit it instead.") % {"n": invoice.number}}
        )
    note = billing.issue_credit_note(invoice, lines=lines, reason=reason, actor=actor)
    payment = record_refund_payment(
        note, amount=note.total, method=way, reference=reference, actor=actor
    )
    credit = None
    if way == Method.ACCOUNT_CREDIT:
        credit = add_credit(
            invoice.customer,
            amount=note.total,
            currency=note.currency,
            kind=CreditEntry.Kind.REFUND,
            invoice=note,
            payment=payment,
            note=note.number,
            actor=actor,
        )
    log_action(
        invoice,
        "invoice.refunded_by_hand",
        actor=actor,
        data={
            "credit_note": note.number,
            "amount": str(note.total),
            "way": way,
            "reason": reason,
        },
    )
    return RefundByHand(note, payment, credit)


# --- services billed on a document: lifecycle tells (it lives above this app) -------------


@dataclass(frozen=True, slots=True)
class BilledService:
    """What lifecycle knows about a service billed on a proforma line."""

    service_id: int
    label: str
    product_code: str
    product_type: str
    refundable: bool
    started_on: date | None
    period_start: date
    first_period: bool


def billed_services(proforma: Invoice) -> list[BilledService]:
    """The services ``proforma`` billed, as the receivers of ``hooks.billed_services``
    (lifecycle) tell; none without one."""
    from kyklos.core import hooks

    return [
        service
        for _receiver, answer in hooks.billed_services.send(sender=Invoice, proforma=proforma)
        for service in answer or ()
    ]


# --- the rest of the face: bank transfers, checkouts, fees, refunds ------------------------
# Those modules build on the functions above, so they are imported when called.


def submit_proof(invoice: Invoice, **fields):
    """The customer's proof of a bank transfer (:func:`kyklos.payments.bank.submit_proof`)."""
    from kyklos.payments import bank

    return bank.submit_proof(invoice, **fields)


def start_checkout(invoice: Invoice, **fields):
    """An online payment at a provider (:func:`kyklos.payments.checkouts.start_checkout`)."""
    from kyklos.payments import checkouts

    return checkouts.start_checkout(invoice, **fields)


def cancel_fee_documents(invoice: Invoice, *, actor=None) -> int:
    """A free way of paying was chosen: drop the open fee proformas of ``invoice``."""
    return fees.cancel_fee_documents(invoice, actor=actor)


def capture_checkout(checkout) -> None:
    """Capture a payment the customer approved at the provider (PayPal asks for it)."""
    registry.get(checkout.method).capture(checkout)


def issue_refund(invoice: Invoice, **fields):
    """Refund a paid document as quoted (:func:`kyklos.payments.refunds.issue_refund`)."""
    from kyklos.payments import refunds

    return refunds.issue_refund(invoice, **fields)


# --- cards (kyklos.payments.cards): the portal's published way in ----------------------------


def card_checkout(customer, pk):
    from kyklos.payments import cards

    return cards.card_checkout(customer, pk)


def card_page(checkout) -> dict:
    from kyklos.payments import cards

    return cards.card_page(checkout)


def pay_checkout_by_card(checkout, setup_id: str, *, save: bool = False, actor=None) -> str:
    from kyklos.payments import cards

    return cards.pay_checkout(checkout, setup_id, save=save, actor=actor)


def check_card_return(checkout) -> str:
    from kyklos.payments import cards

    return cards.check_return(checkout)


def new_card_setup(customer) -> str:
    from kyklos.payments import cards

    return cards.new_card_setup(customer)


def save_card(customer, setup_id: str, *, actor=None):
    from kyklos.payments import cards

    return cards.save_card(customer, setup_id, actor=actor)


def remove_card(customer, card_id, *, actor=None):
    from kyklos.payments import cards

    return cards.remove_card(customer, card_id, actor=actor)


def set_auto_pay(customer, on: bool, *, actor=None):
    from kyklos.payments import cards

    return cards.set_auto_pay(customer, on, actor=actor)


def card_csp() -> dict[str, list[str]]:
    """What the card pages add to the CSP (Stripe.js's origin, from the same setting)."""
    from kyklos.payments.providers.stripe_card import csp_update

    return csp_update()

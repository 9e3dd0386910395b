"""Paying in the portal (R6.4): the method choice with each fee shown before paying,
bank-transfer details and proof upload, account credit, and the return from a provider.

A payment is recorded by the provider's signed webhook, or for a card by asking Stripe
about the intent when the customer is back (whichever comes first, once): a customer
coming back from Stripe or PayPal proves nothing by itself.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.billing.selectors import invoices_for_customer
from kyklos.core import clock
from kyklos.core.money import format_money
from kyklos.lifecycle.selectors import late_renewals
from kyklos.payments.models import Checkout, Method, ReviewStatus
from kyklos.payments.selectors import (
    credit_balance,
    creditor_reference,
    customer_methods,
    eligible_refunds,
    fee_quotes,
    is_on_identity_hold,
    outstanding,
)
from kyklos.payments.services import (
    apply_credit,
    cancel_fee_documents,
    capture_checkout,
    check_card_return,
    issue_refund,
    start_checkout,
    submit_proof,
)
from kyklos.portal.forms import add_service_errors
from kyklos.portal.scopes import BILLING, scope


class ProofForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount transferred"), max_digits=14, decimal_places=2
    )
    paid_on = forms.DateField(
        label=gettext_lazy("Date of the transfer"), widget=forms.DateInput(attrs={"type": "date"})
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Bank reference (optional)"), max_length=140, required=False
    )
    document = forms.FileField(
        label=gettext_lazy("Proof of payment"),
        help_text=gettext_lazy("The bank's confirmation: PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


def _payable(invoice: Invoice) -> bool:
    return invoice.status == Invoice.Status.OPEN and invoice.kind != DocumentKind.CREDIT_NOTE


def refund_context(invoice: Invoice) -> dict:
    """The refund the customer may ask for on a paid order, computed before confirming."""
    if invoice.status != Invoice.Status.PAID or invoice.kind == DocumentKind.PROFORMA:
        return {}
    quote = eligible_refunds([invoice]).get(invoice.pk)
    return {"refund": quote} if quote else {}


def payment_context(invoice: Invoice, customer, proof_form: ProofForm | None = None) -> dict:
    """What the invoice page shows about paying it (or getting money back)."""
    if not _payable(invoice):
        return {"payable": False, **refund_context(invoice)}
    methods = customer_methods()
    quotes = fee_quotes(invoice, [m.identifier for m in methods])
    language = invoice.language
    options = [
        {
            "method": m.identifier,
            "label": m.verbose_name,
            "fee": q.fee_total,
            "to_pay": q.amount_to_pay,
        }
        for m, q in zip(methods, quotes, strict=True)
    ]
    bank_method = next((m for m in methods if m.identifier == Method.BANK_TRANSFER), None)
    owed = outstanding(invoice)
    return {
        "payable": True,
        "owed": owed,
        "options": options,
        "bank": bank_method.instructions(invoice) if bank_method else None,
        "creditor_reference": creditor_reference(invoice),
        "credit": credit_balance(customer.pk, invoice.currency),
        "proof_form": proof_form or ProofForm(initial={"amount": owed, "paid_on": clock.today()}),
        "pending_proof": invoice.transfer_proofs.filter(status=ReviewStatus.PENDING).first(),
        "on_hold": is_on_identity_hold(invoice.pk),
        "late_renewals": late_renewals(invoice.pk, today=clock.today()),
        "language": language,
    }


def _invoice(customer, pk: int) -> Invoice:
    return get_object_or_404(invoices_for_customer(customer.pk), pk=pk)


def _back(invoice: Invoice) -> HttpResponse:
    return redirect("portal:invoice", invoice.pk)


@require_POST
@scope(BILLING)
def pay(request, customer, pk: int):
    invoice = _invoice(customer, pk)
    method = request.POST.get("method", "")
    try:
        if method == Method.ACCOUNT_CREDIT:
            payment = apply_credit(invoice, actor=request.user)
            messages.success(
                request,
                _("%(amount)s of your account credit was used on %(number)s.")
                % {
                    "amount": format_money(payment.amount, payment.currency, invoice.language),
                    "number": invoice.number,
                },
            )
            return _back(invoice)
        if method == Method.BANK_TRANSFER:
            cancel_fee_documents(invoice, actor=request.user)
            messages.info(
                request, _("Transfer the amount to the account below, then upload the proof.")
            )
            return redirect(reverse("portal:invoice", args=[invoice.pk]) + "#transfer")
        portal = request.build_absolute_uri(reverse("portal:checkout_return", args=[0]))
        checkout = start_checkout(
            invoice,
            method=method,
            return_url=portal.replace("/0/", "/{id}/"),
            cancel_url=request.build_absolute_uri(reverse("portal:invoice", args=[invoice.pk])),
            actor=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(invoice)
    if method == Method.CARD:  # the card is typed on our own pay page (Stripe.js)
        return redirect("portal:card_pay", checkout.pk)
    return redirect(checkout.redirect_url)


@require_POST
@scope(BILLING)
def upload_proof(request, customer, pk: int):
    invoice = _invoice(customer, pk)
    form = ProofForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            submit_proof(invoice, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Thank you. Staff will check the transfer and confirm the payment.")
            )
            return _back(invoice)
    from kyklos.portal.views import invoice_page

    return invoice_page(request, customer, invoice, proof_form=form, status=400)


@require_GET
@scope(BILLING)
def checkout_return(request, customer, pk: int):
    """The customer is back from the provider. A card payment is asked of Stripe (and
    recorded if paid, once: the webhook may have come first); PayPal needs the approved
    order captured; otherwise the payment is recorded when the provider's signed notice
    arrives."""
    checkout = get_object_or_404(Checkout, pk=pk, customer=customer)
    if checkout.status == Checkout.Status.PENDING and checkout.method == Method.CARD:
        try:  # back from 3-D Secure: Stripe says how the intent ended
            check_card_return(checkout)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return _back(checkout.invoice)
        checkout.refresh_from_db()
        if checkout.status == Checkout.Status.FAILED:
            messages.error(request, _("The card payment was not completed; nothing was charged."))
            return _back(checkout.invoice)
    if checkout.status == Checkout.Status.PENDING and checkout.method == Method.PAYPAL:
        try:
            capture_checkout(checkout)
        except Exception:  # noqa: BLE001 - the provider may be down; the webhook decides
            messages.error(request, _("PayPal could not complete the payment; please try again."))
            return _back(checkout.invoice)
    if checkout.status == Checkout.Status.SUCCEEDED:
        messages.success(request, _("Your payment was received. Thank you."))
    else:
        messages.info(
            request,
            _("Thank you. Your payment will show here as soon as the provider confirms it."),
        )
    return _back(checkout.invoice)


@require_POST
@scope(BILLING)
def refund(request, customer, pk: int):
    """The customer confirms the refund they were shown (its total is sent back and must
    still be the computed one)."""
    invoice = _invoice(customer, pk)
    try:
        done = issue_refund(
            invoice,
            kind=request.POST.get("kind", ""),
            to_credit=request.POST.get("to") == "credit",
            expected_total=request.POST.get("total", ""),
            actor=request.user,
        )
    except (ValidationError, ArithmeticError, ValueError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text or _("The refund could not be issued."))
        return _back(invoice)
    messages.success(
        request,
        _("Refund %(number)s of %(amount)s was issued.")
        % {
            "number": done.credit_note.number,
            "amount": format_money(done.amount, done.currency, invoice.language),
        },
    )
    return redirect("portal:invoice", done.credit_note.pk)

"""Online payments: start a checkout at a provider, then act on its signed webhook.

A webhook is handled once per event id (``WebhookEvent`` unique per provider and id).
It must be genuine and fresh (the method's ``parse_webhook``), name a checkout we
started, and confirm exactly that checkout's amount and currency; anything else is
refused with nothing written, and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.datastructures import CaseInsensitiveMapping
from django.utils.translation import gettext as _

from kyklos.billing.models import Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.payments import fees
from kyklos.payments.methods import (
    PaymentMethod,
    ProviderEvent,
    UnknownMethod,
    WebhookDuplicate,
    WebhookRejected,
    registry,
)
from kyklos.payments.models import Checkout, WebhookEvent
from kyklos.payments.selectors import amount_paid
from kyklos.payments.services import check_payable, logged_refusal, receive_money

logger = logging.getLogger("kyklos.payments")


def _online_method(method: str) -> PaymentMethod:
    try:
        provider = registry.get(method)
    except KeyError:
        provider = None
    if provider is None or not provider.online or not provider.is_enabled():
        raise ValidationError({"method": _("This payment method is not available.")})
    return provider


@logged_refusal
def start_checkout(invoice: Invoice, *, method: str, return_url: str, cancel_url: str, actor=None):
    """Put the method's fee on the document, open a checkout for what is owed and
    create the payment at the provider. Returns the checkout (its ``redirect_url`` is
    where the customer pays)."""
    provider = _online_method(method)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
        checkout = open_checkout(locked, method, actor=actor)
    # The provider call is outside the transaction: a slow provider holds no lock.
    try:
        reference = provider.start_checkout(
            checkout, return_url=return_url.format(id=checkout.pk), cancel_url=cancel_url
        )
    except Exception as error:
        logger.warning("checkout %s at %s failed: %s", checkout.pk, method, error)
        Checkout.objects.filter(pk=checkout.pk).update(status=Checkout.Status.FAILED)
        raise ValidationError(
            _("The payment provider could not be reached; please try again later.")
        ) from None
    Checkout.objects.filter(pk=checkout.pk).update(
        provider_reference=reference,
        redirect_url=checkout.redirect_url,
        setup_reference=checkout.setup_reference,
    )
    checkout.provider_reference = reference
    return checkout


def open_checkout(invoice: Invoice, method: str, *, actor=None) -> Checkout:
    """Inside the caller's transaction: the method's fee document and a pending checkout
    for what ``invoice`` still owes (with the fee). ``invoice`` must be locked."""
    check_payable(invoice)
    owed = invoice.total - amount_paid(invoice)
    _quote, fee_document = fees.issue_fee_document(invoice, method, actor=actor)
    checkout = Checkout.objects.create(
        invoice=invoice,
        customer=invoice.customer,
        method=method,
        fee_invoice=fee_document,
        amount=owed + (fee_document.total if fee_document else 0),
        currency=invoice.currency,
        created_at=clock.now(),
        created_by=acting_user(actor),
    )
    log_action(
        checkout,
        "checkout.started",
        actor=actor,
        data={"invoice": invoice.number, "amount": str(checkout.amount), "method": method},
    )
    return checkout


def settle_from_provider(checkout: Checkout, event: ProviderEvent) -> str:
    """A payment the provider confirmed to us directly (we asked it, e.g. the return page
    retrieving the intent, or an off-session charge's answer): the same checks and the
    same recording as a webhook, once — a checkout no longer pending is left as it is."""
    with transaction.atomic():
        locked = (
            Checkout.objects.select_for_update(of=("self",))
            .select_related("invoice", "fee_invoice")
            .get(pk=checkout.pk)
        )
        if event.checkout_reference != locked.provider_reference:
            raise WebhookRejected(f"{event.checkout_reference} is not checkout {locked.pk}'s")
        if event.outcome == "succeeded" and (
            event.amount != locked.amount or event.currency != locked.currency
        ):
            raise WebhookRejected(
                f"{event.checkout_reference} confirms {event.amount} {event.currency}, "
                f"checkout {locked.pk} is for {locked.amount} {locked.currency}"
            )
        return _apply(locked, event)


def handle_webhook(method: str, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    """Verify and act on a provider's notification. Raises :class:`WebhookRejected`
    (or :class:`WebhookDuplicate` for an event id already handled); both are logged and
    leave the database as it was."""
    try:
        return _handle(method, body, CaseInsensitiveMapping(dict(headers)))
    except WebhookRejected as error:
        logger.warning("%s webhook refused: %s", method, error)
        raise


def _handle(method: str, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
    try:
        provider = registry.get(method)
    except KeyError:
        raise UnknownMethod(f"no payment method {method!r}") from None
    if not provider.online or not provider.is_enabled():
        raise WebhookRejected(f"{method} is not enabled")
    event = provider.parse_webhook(body, headers)
    try:
        with transaction.atomic():
            return _act(method, event)
    except IntegrityError:
        # Another worker stored the same event id between our check and our insert.
        raise WebhookDuplicate(f"event {event.event_id} already handled") from None


def _act(method: str, event: ProviderEvent) -> WebhookEvent:
    if WebhookEvent.objects.filter(provider=method, event_id=event.event_id).exists():
        raise WebhookDuplicate(f"event {event.event_id} already handled")
    record = WebhookEvent(
        provider=method, event_id=event.event_id, event_type=event.event_type, outcome="ignored"
    )
    if event.outcome:
        checkout = (
            Checkout.objects.select_for_update(of=("self",))
            .select_related("invoice", "fee_invoice")
            .filter(method=method, provider_reference=event.checkout_reference)
            .first()
            if event.checkout_reference
            else None
        )
        if checkout is None:
            raise WebhookRejected(f"event {event.event_id} names no checkout of ours")
        if event.outcome == "succeeded" and (
            event.amount != checkout.amount or event.currency != checkout.currency
        ):
            raise WebhookRejected(
                f"event {event.event_id} confirms {event.amount} {event.currency}, "
                f"checkout {checkout.pk} is for {checkout.amount} {checkout.currency}"
            )
        record.checkout = checkout
        record.outcome = _apply(checkout, event)
    record.received_at = clock.now()
    record.save()
    return record


def _apply(checkout: Checkout, event: ProviderEvent) -> str:
    if checkout.status != Checkout.Status.PENDING:
        return f"already {checkout.status}"
    now = clock.now()
    if event.outcome == "failed":
        Checkout.objects.filter(pk=checkout.pk).update(
            status=Checkout.Status.FAILED, completed_at=now
        )
        log_action(checkout, "checkout.failed", data={"event": event.event_id})
        return "failed"
    amount = checkout.amount
    if checkout.fee_invoice_id:
        fee_document = checkout.fee_invoice
        receive_money(
            fee_document,
            amount=fee_document.total,
            currency=checkout.currency,
            method=checkout.method,
            paid_on=clock.today(),
            reference=fee_document.number,
            provider_reference=event.charge_reference,
            actor=f"webhook:{checkout.method}",
        )
        amount -= fee_document.total
    received = receive_money(
        checkout.invoice,
        amount=amount,
        currency=checkout.currency,
        method=checkout.method,
        paid_on=clock.today(),
        reference=checkout.invoice.number,
        provider_reference=event.charge_reference,
        actor=f"webhook:{checkout.method}",
    )
    Checkout.objects.filter(pk=checkout.pk).update(
        status=Checkout.Status.SUCCEEDED, completed_at=now, payment=received.payment
    )
    log_action(checkout, "checkout.succeeded", data={"event": event.event_id})
    return "recorded" if received.payment else "credited"

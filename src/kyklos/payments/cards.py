"""Cards: paying a document by card on the pay page, cards kept on file, automatic
payment of what falls due (R6.4, R6.10; docs/payments.md, decision 0026).

Paying (on-session): :func:`card_page` gives the pay page what Stripe.js needs (the
checkout's SetupIntent, or its PaymentIntent when the bank wants 3-D Secure);
:func:`pay_checkout` takes the confirmed SetupIntent, keeps the card if the customer
asked, and charges exactly the checkout's amount; :func:`check_return` asks Stripe how
the intent ended when the customer comes back from 3-D Secure. The signed webhook
records the same payment if it comes first; the checkout's state makes it once.

Card on file: :func:`new_card_setup` / :func:`save_card` (SetupIntent → brand, last
four digits, expiry and the provider's reference; never the number), :func:`remove_card`,
:func:`set_auto_pay` (audited).

Automatic payment, as durable jobs copied from e-invoicing's transmissions (decision
0018): the daily step :func:`schedule_charges` writes one :class:`CardCharge` per due
document and attempt (retry days as settings data), unique per document and attempt
number, and enqueues :func:`charge_due` after the commit. A charger claims due rows
(``SELECT … FOR UPDATE SKIP LOCKED``, a claim token), charges outside any transaction
with the idempotency key of the document and attempt, and records the answer where its
token still stands: paid (the payment recorded like a webhook's), declined (the document
stays open: reminders and suspension follow, R6.10; the next attempt comes on its day),
authentication required (the customer gets ``card_action_required`` with a link to pay
on-session; no more off-session attempts), or unreachable (tried again with backoff).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections import Counter
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action
from kyklos.core.tasks import enqueue
from kyklos.customers.models import Customer
from kyklos.notifications import services as notifications
from kyklos.payments.methods import ProviderEvent, WebhookRejected, registry
from kyklos.payments.models import CardCharge, CardProfile, Checkout, Method, SavedCard

logger = logging.getLogger("kyklos.payments")
Status = CardCharge.Status
SETUP_ID = re.compile(r"^seti_[A-Za-z0-9_]{1,190}$")
#: Attempts that stop the schedule: one is under way, paid, or waits for the customer.
BLOCKING = [Status.QUEUED, Status.CHARGING, Status.RETRY, Status.SUCCEEDED, Status.ACTION_REQUIRED]
STALE = timedelta(minutes=15)


def _provider():
    provider = registry.get(Method.CARD)
    if not provider.is_enabled():
        raise ValidationError(_("Card payments are not available."))
    return provider


def _unreachable(error: Exception) -> ValidationError:
    logger.warning("card provider unreachable: %s", error)
    return ValidationError(_("The payment provider could not be reached; please try again later."))


# --- the customer at the provider, and their cards ----------------------------------------


def profile_for(customer: Customer) -> CardProfile:
    """The customer's card profile, made (with their customer at Stripe) on first use."""
    profile = CardProfile.objects.filter(customer=customer).first()
    if profile:
        return profile
    provider_customer = _provider().create_customer(customer)
    try:
        with transaction.atomic():
            return CardProfile.objects.create(
                customer=customer, provider_customer=provider_customer, created_at=clock.now()
            )
    except IntegrityError:  # made meanwhile by another request (same idempotency key)
        return CardProfile.objects.get(customer=customer)


def active_cards(customer_id: int):
    return SavedCard.objects.filter(customer_id=customer_id, removed_at__isnull=True)


def new_card_setup(customer: Customer) -> str:
    """The client secret of a SetupIntent for the "Save a card" page."""
    import stripe

    try:
        profile = profile_for(customer)
        _id, secret = _provider().create_setup(
            profile.provider_customer, {"kyklos_customer": str(customer.pk), "purpose": "save"}
        )
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    return secret


def _confirmed_setup(customer: Customer, setup_id: str, *, checkout: Checkout | None = None):
    """The payment method of ``setup_id`` once it is shown to be this customer's (and this
    checkout's): anything else is refused with one line, nothing written."""
    import stripe

    if not isinstance(setup_id, str) or not SETUP_ID.match(setup_id):
        raise ValidationError(
            {"setup_intent": _("The card details did not arrive; please try again.")}
        )
    if checkout is not None and setup_id != checkout.setup_reference:
        raise ValidationError({"setup_intent": _("This card was not entered for this payment.")})
    profile = CardProfile.objects.filter(customer=customer).first()
    try:
        setup = _provider().retrieve_setup(setup_id)
    except stripe.InvalidRequestError:
        setup = None
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    metadata = (setup or {}).get("metadata") or {}
    if (
        setup is None
        or profile is None
        or setup.get("customer") != profile.provider_customer
        or metadata.get("kyklos_customer") != str(customer.pk)
        or (checkout is not None and metadata.get("checkout") != str(checkout.pk))
    ):
        raise ValidationError({"setup_intent": _("This card was not entered for your account.")})
    if setup.get("status") != "succeeded" or not setup.get("payment_method"):
        raise ValidationError({"setup_intent": _("The card was not confirmed; please try again.")})
    return profile, setup["payment_method"]


def save_card(customer: Customer, setup_id: str, *, actor=None) -> SavedCard:
    """Keep the card confirmed by ``setup_id`` (brand, last four digits, expiry and the
    provider's reference only)."""

    profile, payment_method = _confirmed_setup(customer, setup_id)
    return _keep(customer, profile, payment_method, actor=actor)


def _keep(customer, profile, payment_method: str, *, actor=None) -> SavedCard:
    import stripe

    try:
        card = _provider().card(payment_method, profile.provider_customer)
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    if card.customer and card.customer != profile.provider_customer:
        raise ValidationError({"setup_intent": _("This card was not entered for your account.")})
    with transaction.atomic():
        existing = SavedCard.objects.select_for_update().filter(provider_reference=card.id).first()
        if existing is not None:
            if existing.customer_id != customer.pk:
                raise ValidationError(
                    {"setup_intent": _("This card was not entered for your account.")}
                )
            if existing.removed_at is None:
                return existing
            existing.removed_at = None
            existing.save(update_fields=["removed_at"])
            saved = existing
        else:
            saved = SavedCard.objects.create(
                customer=customer,
                provider_reference=card.id,
                brand=card.brand,
                last4=card.last4,
                exp_month=card.exp_month,
                exp_year=card.exp_year,
                created_at=clock.now(),
                created_by=acting_user(actor),
            )
        log_action(saved, "card.saved", actor=actor, data={"card": str(saved)})
    return saved


def remove_card(customer: Customer, card_id, *, actor=None) -> SavedCard:
    """Forget one of the customer's cards (detached at the provider). With no card left,
    automatic payment is turned off."""
    import stripe

    card = active_cards(customer.pk).filter(pk=card_id).first() if str(card_id).isdigit() else None
    if card is None:
        raise ValidationError(_("There is no such card on your account."))
    try:
        _provider().detach(card.provider_reference)
    except stripe.InvalidRequestError:
        pass  # already gone at the provider
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    with transaction.atomic():
        SavedCard.objects.filter(pk=card.pk).update(removed_at=clock.now())
        log_action(card, "card.removed", actor=actor, data={"card": str(card)})
        if not active_cards(customer.pk).exists():
            _switch_auto_pay(customer, False, actor=actor)
    return card


def set_auto_pay(customer: Customer, on: bool, *, actor=None) -> CardProfile:
    """Turn automatic payment of due documents with the saved card on or off (audited).
    It needs a saved card."""
    with transaction.atomic():
        if on and not active_cards(customer.pk).exists():
            raise ValidationError(_("Save a card first: automatic payment charges it."))
        return _switch_auto_pay(customer, on, actor=actor)


def _switch_auto_pay(customer: Customer, on: bool, *, actor=None) -> CardProfile | None:
    profile = CardProfile.objects.select_for_update().filter(customer=customer).first()
    if profile is None or profile.auto_pay == on:
        return profile
    profile.auto_pay = on
    profile.auto_pay_changed_at = clock.now()
    profile.save(update_fields=["auto_pay", "auto_pay_changed_at"])
    log_action(profile, "card.auto_pay_on" if on else "card.auto_pay_off", actor=actor)
    return profile


# --- paying a checkout on the pay page ------------------------------------------------------


def card_checkout(customer: Customer, pk) -> Checkout:
    """The customer's own pending card checkout, or a one-line refusal."""
    checkout = (
        Checkout.objects.select_related("invoice", "fee_invoice")
        .filter(pk=pk, customer=customer, method=Method.CARD)
        .first()
        if str(pk).isdigit()
        else None
    )
    if checkout is None:
        raise ValidationError(_("There is no such card payment on your account."))
    return checkout


def card_page(checkout: Checkout) -> dict:
    """What the pay page's Stripe.js needs: the publishable key and the secret of the
    SetupIntent that takes the card, or of the PaymentIntent that waits for 3-D Secure."""
    import stripe

    provider = _provider()
    config = settings.KYKLOS_PAYMENTS
    page = {
        "publishable_key": config["stripe_publishable_key"],
        "js_url": config["stripe_js_url"],
        "setup_secret": "",
        "intent_secret": "",
    }
    try:
        if checkout.provider_reference:
            intent = provider.retrieve(checkout.provider_reference)
            if intent.status == "requires_action":
                page["intent_secret"] = intent.client_secret
        elif checkout.setup_reference:
            page["setup_secret"] = provider.retrieve_setup(checkout.setup_reference)[
                "client_secret"
            ]
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    return page


def pay_checkout(checkout: Checkout, setup_id: str, *, save: bool = False, actor=None) -> str:
    """Charge the card confirmed by ``setup_id`` for exactly the checkout's amount.
    Returns ``"succeeded"`` (recorded now), ``"requires_action"`` (3-D Secure on the
    page) or raises a one-line ValidationError (declined: the checkout fails, nothing
    is paid)."""
    import stripe

    from kyklos.payments.checkouts import settle_from_provider
    from kyklos.payments.providers.stripe_card import CardRefused

    if checkout.status != Checkout.Status.PENDING or checkout.provider_reference:
        raise ValidationError(_("This payment was already made or has ended; start a new one."))
    profile, payment_method = _confirmed_setup(checkout.customer, setup_id, checkout=checkout)
    if save:
        _keep(checkout.customer, profile, payment_method, actor=actor)
    provider = _provider()
    try:
        intent = provider.pay(
            checkout, provider_customer=profile.provider_customer, payment_method=payment_method
        )
    except CardRefused as refused:
        _fail(checkout, refused.intent_id, refused.code)
        raise ValidationError(
            _("Your card was declined (%(reason)s). Nothing was charged; try another card.")
            % {"reason": str(refused)}
        ) from None
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    Checkout.objects.filter(pk=checkout.pk).update(provider_reference=intent.id)
    checkout.provider_reference = intent.id
    if intent.status == "succeeded":
        settle_from_provider(checkout, _event(intent))
    if not save:
        _forget_later(checkout, intent.status, payment_method)
    return intent.status


def _forget_later(checkout, status: str, payment_method: str) -> None:
    """A card the customer did not ask to keep is detached once it has paid (or failed)."""
    import stripe

    if status in ("succeeded", "requires_payment_method", "canceled"):
        try:
            registry.get(Method.CARD).detach(payment_method)
        except stripe.StripeError:
            logger.info("card of checkout %s not detached", checkout.pk)


def _fail(checkout: Checkout, intent_id: str, code: str) -> None:
    with transaction.atomic():
        changed = Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.PENDING).update(
            status=Checkout.Status.FAILED,
            completed_at=clock.now(),
            provider_reference=intent_id or checkout.provider_reference,
        )
        if changed:
            log_action(checkout, "checkout.failed", data={"code": code})


def _event(intent) -> ProviderEvent:
    return ProviderEvent(
        event_id=f"intent:{intent.id}",
        event_type=f"payment_intent.{intent.status}",
        checkout_reference=intent.id,
        outcome="succeeded" if intent.status == "succeeded" else "",
        amount=intent.amount,
        currency=intent.currency,
        charge_reference=intent.id,
    )


def check_return(checkout: Checkout) -> str:
    """The customer is back on our page after Stripe.js: ask Stripe how the intent ended
    and record it if it was paid (the webhook may have done so already)."""
    import stripe

    from kyklos.payments.checkouts import settle_from_provider

    if checkout.status != Checkout.Status.PENDING or not checkout.provider_reference:
        return checkout.status
    try:
        intent = _provider().retrieve(checkout.provider_reference)
    except stripe.StripeError as error:
        raise _unreachable(error) from None
    if intent.checkout != str(checkout.pk):
        raise ValidationError(_("This payment does not belong to this checkout."))
    if intent.status == "succeeded":
        settle_from_provider(checkout, _event(intent))
        return Checkout.Status.SUCCEEDED
    if intent.status in ("requires_payment_method", "canceled"):
        _fail(checkout, intent.id, intent.error_code or intent.status)
        return Checkout.Status.FAILED
    return intent.status


# --- automatic payment of due documents ------------------------------------------------------


def retry_days() -> list[int]:
    """The days after the due date on which a saved card is charged (settings data)."""
    days = settings.KYKLOS_PAYMENTS.get("card_retry_days") or []
    if (
        not days
        or any(not isinstance(d, int) or d < 0 for d in days)
        or list(days) != sorted(set(days))
    ):
        raise ImproperlyConfigured(
            "KYKLOS_CARD_RETRY_DAYS must be increasing whole days from 0, e.g. 0,2,4; "
            f"it is {days!r}."
        )
    return list(days)


def _due_documents(day: date, run=None):
    days = retry_days()
    card = SavedCard.objects.filter(customer_id=OuterRef("customer_id"), removed_at__isnull=True)
    fee_document = Checkout.objects.filter(fee_invoice_id=OuterRef("pk"))
    blocking = CardCharge.objects.filter(invoice_id=OuterRef("pk"), status__in=BLOCKING)
    documents = Invoice.objects.filter(
        kind=DocumentKind.PROFORMA,
        status=Invoice.Status.OPEN,
        due_on__lte=day,
        due_on__gte=day - timedelta(days=days[-1]),
        customer__card_profile__auto_pay=True,
    ).filter(Exists(card), ~Exists(fee_document), ~Exists(blocking))
    if run is not None:
        documents = run.in_range(documents)
    return documents.annotate(tried=Count("card_charges")).values_list(
        "pk", "customer_id", "due_on", "tried"
    )


def schedule_charges(day: date, run=None) -> dict[str, int]:
    """The daily step: one queued charge per open proforma of an automatic-payment
    customer whose next attempt falls on or before ``day`` (due date + retry days), then
    a charger after the commit. Idempotent: an attempt is unique per document and number."""
    days = retry_days()
    rows = []
    now = clock.now()
    due = list(_due_documents(day, run))
    cards = {}
    for card in SavedCard.objects.filter(
        customer_id__in={customer for _pk, customer, _due, _n in due}, removed_at__isnull=True
    ).order_by("customer_id", "-created_at", "-id"):
        cards.setdefault(card.customer_id, card)
    for pk, customer_id, due_on, tried in due:
        if tried >= len(days) or due_on + timedelta(days=days[tried]) > day:
            continue
        rows.append(
            CardCharge(
                invoice_id=pk,
                customer_id=customer_id,
                card=cards[customer_id],
                attempt=tried + 1,
                scheduled_on=day,
                idempotency_key=f"kyklos-renewal-{pk}-{tried + 1}",
                created_at=now,
            )
        )
    with transaction.atomic():
        made = CardCharge.objects.bulk_create(rows, ignore_conflicts=True)
    if rows:
        from kyklos.payments import tasks

        enqueue(tasks.charge_cards)
    return {"card_charge_queued": len(made)} if made else {}


def _due(now) -> Q:
    waiting = Q(status=Status.QUEUED) | Q(status=Status.RETRY, next_try_at__lte=now)
    return waiting | Q(status=Status.CHARGING, claimed_at__lt=now - STALE)


def claim(limit: int = 50) -> tuple[str, list[CardCharge]]:
    """Take due charges for this charger (see :mod:`kyklos.einvoicing.services.claim`)."""
    token = uuid.uuid4().hex
    now = clock.now()
    with transaction.atomic():
        picked = list(
            CardCharge.objects.filter(_due(now))
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not picked:
            return token, []
        CardCharge.objects.filter(pk__in=picked).filter(_due(now)).update(
            status=Status.CHARGING, claim=token, claimed_at=now
        )
    held = CardCharge.objects.filter(claim=token, status=Status.CHARGING).select_related(
        "invoice__customer", "card", "customer__card_profile"
    )
    return token, list(held.order_by("pk"))


def charge_due(limit: int | None = None) -> Counter:
    """Charge every due attempt, batch after batch. Call it outside any transaction."""
    done: Counter = Counter()
    while limit is None or sum(done.values()) < limit:
        token, held = claim()
        if not held:
            break
        for charge in held:
            done[_charge(charge, token)] += 1
    return done


def _charge(charge: CardCharge, token: str) -> str:
    """Charge one attempt and record its answer; never raises."""
    import stripe

    from kyklos.payments.checkouts import settle_from_provider
    from kyklos.payments.providers.stripe_card import CardRefused

    try:
        prepared = _prepare(charge, token)
    except ValidationError as error:  # e.g. the document can no longer be paid
        return _record(charge, token, Status.CANCELLED, error=" ".join(error.messages))
    if isinstance(prepared, str):
        return prepared
    checkout, profile = prepared
    try:
        intent = _provider().charge_off_session(
            checkout,
            provider_customer=profile.provider_customer,
            payment_method=charge.card.provider_reference,
            key=charge.idempotency_key,
        )
    except CardRefused as refused:
        _fail(checkout, refused.intent_id, refused.code)
        if refused.needs_authentication:
            return _record(
                charge,
                token,
                Status.ACTION_REQUIRED,
                code=refused.code,
                error=str(refused),
                reference=refused.intent_id,
                notify=True,
            )
        return _record(
            charge,
            token,
            Status.DECLINED,
            code=refused.code,
            error=str(refused),
            reference=refused.intent_id,
        )
    except (stripe.StripeError, ValidationError) as error:
        return _retry(charge, token, error)
    except Exception as error:  # a bug or an unforeseen transport error: try again later
        logger.exception("card charge %s failed unexpectedly", charge.pk)
        return _retry(charge, token, error)
    Checkout.objects.filter(pk=checkout.pk).update(provider_reference=intent.id)
    checkout.provider_reference = intent.id
    if intent.status != "succeeded":
        return _retry(charge, token, RuntimeError(f"intent {intent.id} is {intent.status}"))
    try:
        settle_from_provider(checkout, _event(intent))
    except WebhookRejected as error:
        return _record(charge, token, Status.FAILED, error=str(error), reference=intent.id)
    return _record(charge, token, Status.SUCCEEDED, reference=intent.id)


def _prepare(charge: CardCharge, token: str):
    """In one transaction: still to charge? Then the attempt's checkout (with the card
    fee, as any card payment). Returns (checkout, profile), or the status recorded."""
    from kyklos.payments.checkouts import open_checkout

    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update().select_related("customer").get(pk=charge.invoice_id)
        )
        profile = getattr(charge.customer, "card_profile", None)
        reason = ""
        if invoice.status != Invoice.Status.OPEN:
            reason = "the document is no longer open"
        elif profile is None or not profile.auto_pay:
            reason = "automatic payment was turned off"
        elif charge.card.removed_at is not None:
            reason = "the card was removed"
        if reason:
            return _record(charge, token, Status.CANCELLED, error=reason)
        checkout = charge.checkout
        if checkout is None:
            checkout = open_checkout(invoice, Method.CARD, actor="automation")
            CardCharge.objects.filter(pk=charge.pk).update(
                checkout=checkout, amount=checkout.amount, currency=checkout.currency
            )
    return checkout, profile


def _retry(charge: CardCharge, token: str, error: Exception) -> str:
    config = settings.KYKLOS_PAYMENTS
    tries = charge.tries + 1
    if tries >= config.get("card_charge_tries", 5):
        return _record(charge, token, Status.FAILED, error=f"gave up after {tries} tries: {error}")
    wait = config.get("card_charge_backoff", 600) * 2 ** (tries - 1)
    return _record(
        charge,
        token,
        Status.RETRY,
        error=str(error),
        tries=tries,
        next_try_at=clock.now() + timedelta(seconds=wait),
    )


def _record(
    charge: CardCharge,
    token: str,
    status: str,
    *,
    code: str = "",
    error: str = "",
    reference: str = "",
    notify: bool = False,
    tries: int | None = None,
    next_try_at=None,
) -> str:
    final = status not in (Status.RETRY,)
    changes = {
        "status": status,
        "claim": "",
        "error_code": code[:100],
        "error": error[:500],
        "next_try_at": next_try_at,
        "finished_at": clock.now() if final else None,
    }
    if reference:
        changes["provider_reference"] = reference
    if tries is not None:
        changes["tries"] = tries
    with transaction.atomic():
        moved = CardCharge.objects.filter(pk=charge.pk, claim=token).update(**changes)
        if not moved:
            return "superseded"
        log_action(
            charge.invoice,
            f"card_charge.{status}",
            actor="automation",
            data={"attempt": charge.attempt, "card": str(charge.card), "code": code},
        )
        if notify:
            _ask_customer(charge)
    return status


def _ask_customer(charge: CardCharge) -> None:
    """SCA fallback: the bank wants the customer; they get a link to pay on the portal."""
    from kyklos.payments.notices import CARD_ACTION_REQUIRED

    charge.refresh_from_db()
    invoice = charge.invoice
    notifications.queue_notice(
        event=CARD_ACTION_REQUIRED,
        customer=invoice.customer,
        invoice_id=invoice.pk,
        for_date=clock.today(),
        context={
            "customer_name": invoice.customer.display_name,
            "invoice_number": invoice.number,
            "amount": str(charge.amount or invoice.total),
            "currency": invoice.currency,
            "card": str(charge.card),
            "pay_url": settings.KYKLOS_PORTAL_URL.rstrip("/")
            + reverse("portal:invoice", args=[invoice.pk]),
        },
    )

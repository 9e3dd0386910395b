"""Payment methods as plug-ins behind one interface (R6.4).

Each method is a subclass of :class:`PaymentMethod` registered under its identifier
(the built-in ones on the first read of :data:`registry`; ``registry.register(cls)`` adds
another). The portal lists the methods
a customer may choose, with the fee of each (:mod:`kyklos.payments.fees`); an online
method starts a :class:`~kyklos.payments.models.Checkout` at its provider and later
confirms it through a signed webhook (:mod:`kyklos.payments.webhooks`); offline methods
are confirmed by staff or by a bank-statement import.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from kyklos.payments.models import Checkout, Method, Payment


class WebhookRejected(Exception):
    """A provider notification that is not genuine, not fresh or not consistent."""


class UnknownMethod(WebhookRejected):
    """A notification addressed to a payment method Kyklos does not have."""


class WebhookDuplicate(WebhookRejected):
    """A genuine notification whose event id was handled before."""


@dataclass(frozen=True, slots=True)
class ProviderEvent:
    """A verified provider notification, reduced to what Kyklos acts on.

    ``outcome`` is ``"succeeded"``, ``"failed"`` or ``""`` (nothing to do).
    """

    event_id: str
    event_type: str
    checkout_reference: str = ""
    outcome: str = ""
    amount: Decimal | None = None
    currency: str = ""
    charge_reference: str = ""


class PaymentMethod:
    """The interface every payment method implements."""

    identifier: ClassVar[str]
    verbose_name: ClassVar[str | Promise]
    #: Shown to customers in the portal (manual recording is for staff only).
    customer_can_choose: ClassVar[bool] = True
    #: Redirects the customer to a provider and is confirmed by a webhook.
    online: ClassVar[bool] = False
    #: The provider can pay a refund back itself (otherwise staff pay it out).
    provider_refunds: ClassVar[bool] = False

    def is_enabled(self) -> bool:
        return True

    def instructions(self, invoice) -> dict:
        """What the customer needs to pay offline (e.g. the bank account)."""
        return {}

    def start_checkout(self, checkout: Checkout, *, return_url: str, cancel_url: str) -> str:
        """Create the payment at the provider; returns the provider's reference and sets
        ``checkout.redirect_url`` (where the customer pays)."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Verify a notification (signature, freshness) and read it, or raise
        :class:`WebhookRejected`."""
        raise WebhookRejected(f"{self.identifier} takes no webhooks")

    def refund(self, payment: Payment, amount: Decimal) -> str:
        """Send ``amount`` of ``payment`` back through the provider; returns its id."""
        raise NotImplementedError


class BankTransfer(PaymentMethod):
    """Free (R6.4): the customer transfers and uploads proof, or a camt.053 statement
    import finds the credit; staff confirm the proof."""

    identifier = Method.BANK_TRANSFER
    verbose_name = _("Bank transfer")

    def instructions(self, invoice) -> dict:
        return {**settings.KYKLOS_BANK_ACCOUNT, "reference": invoice.number}


class Manual(PaymentMethod):
    """Staff record money received some other way (cash at the office, a cheque)."""

    identifier = Method.MANUAL
    verbose_name = _("Manual (staff)")
    customer_can_choose = False


_loading = threading.Lock()


@dataclass
class MethodRegistry:
    _methods: dict[str, type[PaymentMethod]]
    #: Dotted paths of methods registered on the first read (the built-in ones: the card
    #: and PayPal providers are imported when a payment needs them, not at start-up).
    built_in: tuple[str, ...] = ()

    @property
    def methods(self) -> dict[str, type[PaymentMethod]]:
        """Every registered method by identifier (the built-in ones first)."""
        if self.built_in:
            with _loading:  # two threads of a server may ask at once
                pending, self.built_in = self.built_in, ()
                for path in pending:
                    self.register(import_string(path))
        return self._methods

    def register(self, method: type[PaymentMethod]) -> None:
        """Add a method, once (a second method with the same identifier is refused)."""
        identifier = str(method.identifier)
        if identifier in self._methods:
            raise ValueError(f"The payment method {identifier!r} is already registered.")
        self._methods[identifier] = method

    def get(self, identifier: str) -> PaymentMethod:
        try:
            return self.methods[identifier]()
        except KeyError:
            raise KeyError(f"no payment method {identifier!r}") from None

    def customer_methods(self) -> list[PaymentMethod]:
        """Methods a customer may choose now: registered, enabled, in a fixed order."""
        order = list(Method.values)
        found = [cls() for cls in self.methods.values()]
        return sorted(
            (m for m in found if m.customer_can_choose and m.is_enabled()),
            key=lambda m: order.index(m.identifier) if m.identifier in order else len(order),
        )


registry = MethodRegistry(
    {},
    built_in=(
        "kyklos.payments.methods.BankTransfer",
        "kyklos.payments.providers.stripe_card.StripeCard",
        "kyklos.payments.providers.paypal.PayPal",
        "kyklos.payments.methods.Manual",
    ),
)

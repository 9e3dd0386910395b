"""Facts that a lower app announces and a higher app acts on.

Imports point one way (core ← customers, catalog ← billing, payments ← lifecycle …).
When billing must make lifecycle act — a paid proforma renews a service — billing sends
a hook defined here and lifecycle subscribes to it in its ``AppConfig.ready``. Receivers
run inside the sender's transaction, so the fact and its consequences commit together.
"""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

#: A proforma or invoice has been paid in full.
#: kwargs: ``invoice`` (billing.Invoice), ``tax_document`` (the invoice/receipt issued
#: for it, or None), ``actor`` (User or None).
invoice_paid = Signal()

#: Staff decided an identity check that held a document's order (R6.5).
#: kwargs: ``invoice`` (billing.Invoice), ``verified`` (bool), ``actor``.
#: Verified and paid: provision now; failed: the held order is never provisioned.
identity_check_decided = Signal()

#: A refund was issued for a paid order (R6.9, R4.5).
#: kwargs: ``invoice`` (the tax document refunded), ``credit_note``, ``service_ids``
#: (the services whose lines were refunded: they end now), ``kind`` (the refund's kind:
#: ``money_back``, ``gr_withdrawal``, ``registry_refused``), ``actor``.
refund_issued = Signal()

#: Staff stored in the vault a credential that arrived in a message (R9.9): every copy of
#: the message text holding it must be redacted. Sent by ``vault.services.store``; support
#: (the ticket message, its thread and the notices quoting it) and intake (the raw mail in
#: the quarantine) receive it.
#: kwargs: ``message`` (the support message's id), ``customer_id``, ``secrets`` (the texts
#: to remove), ``actor``. A receiver returns how many copies it redacted, or None when the
#: message is not one it knows; it raises ``ValidationError`` to refuse (another customer's
#: message) — the store is then undone.
credential_received = Signal()

#: Staff are about to store in the vault a credential that arrived in a message (R9.9):
#: the app that holds the message describes it for the vault's page. Sent by
#: ``vault.selectors.source_message``; support answers for its ticket messages.
#: kwargs: ``message`` (the support message's id). A receiver returns a
#: :class:`SourceMessage`, or None when the message is not one it knows.
credential_source = Signal()


@dataclass(frozen=True)
class SourceMessage:
    """A message as the vault's page shows it: whose it is, what it says, where it lives."""

    id: int
    customer_id: int | None
    service_id: int | None
    title: str  # the ticket's number and subject
    sender: str
    sent_at: datetime
    body: str
    url: str  # the message on the desk


#: Billing documents were issued (any kind; proformas included). Sent once per issuing
#: call, with the ids of every document it wrote, so a receiver acts set-based (one
#: query and one bulk insert for a daily run's thousands of documents).
#: kwargs: ``ids`` (list of billing.Invoice pks), ``actor`` (User, a label or None).
#: Receivers run inside the issuing transaction; work that talks to another system is
#: enqueued after the commit (``kyklos.core.tasks.enqueue``), never done here.
documents_issued = Signal()


#: Services changed state (R3.1): sent by ``lifecycle.transitions.transition_many`` once
#: per call, after the rows and their audit events are written, inside the same
#: transaction. Apps that act on the world (provisioning, domains, DNS) receive it and
#: enqueue their jobs with ``kyklos.core.tasks.enqueue`` — after the commit, never inside
#: the daily run's transaction — keyed so that a repeated run never doubles them.
#: kwargs: ``ids`` (list of lifecycle.Service pks that moved), ``to`` (the new state),
#: ``previous`` (dict pk → old state), ``day`` (date), ``reason`` (str), ``actor``.
services_changed = Signal()

#: A service moved to another plan of its product type (upgrade or downgrade).
#: kwargs: ``service`` (lifecycle.Service, already on the new product), ``previous_product_id``,
#: ``actor``. Provisioning receives it to change the plan on the server.
service_plan_changed = Signal()

#: A customer's notice is being sent: who else gets a copy (R1.2). Sent by
#: ``notifications.services`` at send time; accounts answers with the addresses of the
#: account's contact logins whose scope hears the notice's audience.
#: kwargs: ``customer_id``, ``audience`` ("billing" | "technical" | "general"), ``event``.
#: A receiver returns a list of e-mail addresses.
notice_copies = Signal()

#: A refund is being computed: which services a proforma billed (R6.9, R4.5). Sent by
#: ``payments.services.billed_services``; lifecycle answers from the proforma's renewals.
#: kwargs: ``proforma`` (billing.Invoice). A receiver returns a list of
#: ``payments.services.BilledService``.
billed_services = Signal()

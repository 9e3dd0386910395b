"""Quotes, projects and hours (R7): every write goes through here, one module a sub-domain.

:mod:`.quotes`
    :func:`draft_quote` → :func:`revise_quote` … → :func:`send_quote` → the customer
    accepts (:func:`accept_quote`, in the portal or by an e-mail reply staff record) or
    declines; :func:`expire_quotes` (daily) closes those past their validity.
:mod:`.invoices`
    Acceptance opens the project and asks for the deposit (a proforma, R7.2); the
    project starts when the deposit is paid (``invoice_paid``). Monthly plans get
    :func:`issue_interim_invoice`; :func:`deliver_project` issues the final invoice, due
    30 days after delivery, with confirmed variations added or deducted (R7.3). Paying
    the final invoice passes ownership of the work to the customer (R7.5).
:mod:`.variations`
    Added or omitted work the customer confirms (R7.3).
:mod:`.hours`
    :func:`log_time` (R7.4, R7.7: per kind of work, rush) and :func:`bill_time`.
:mod:`.rate_changes`
    :func:`change_rates`: dated standard rates; a rise announced ahead, once a year (R7.4).
:mod:`.sla`
    :func:`publish_sla` (numbered versions), :func:`current_sla`; every quote records one.
:mod:`.costs`
    Third-party costs recharged at cost on the next project invoice, once (R7.8).
:mod:`.deliverables`
    Proofs and demos the customer approves; defects fixed free, changes billed (R7.9).
:mod:`.packages`
    Support packages of hours a month and a training's support hours (R7.10, R7.6).
:mod:`.signatures`
    The customer's consent to a quote or a variation (:class:`Consent`), recorded.
:mod:`.inputs`
    Checks of typed amounts and texts shared by the others.

Other apps call ``kyklos.projects.services.<name>``; the names below are that face.
"""

from kyklos.projects.services.costs import (
    bill_third_party_costs,
    record_third_party_cost,
    unbilled_costs,
)
from kyklos.projects.services.deliverables import (
    approve_deliverable,
    ask_for_changes,
    deliverable_snapshot,
    fix_defect,
    log_defect,
    request_change,
    send_deliverable,
    withdraw_deliverable,
)
from kyklos.projects.services.hours import MAX_MINUTES, bill_time, log_time, unbilled_time
from kyklos.projects.services.inputs import MAX_AMOUNT
from kyklos.projects.services.invoices import (
    cancel_project,
    deliver_project,
    final_amount,
    invoiced_amount,
    issue_interim_invoice,
    on_invoice_paid,
    variations_total,
)
from kyklos.projects.services.packages import (
    TRAINING_SUPPORT_MINUTES,
    bill_package_overage,
    create_package,
    grant_training_support,
)
from kyklos.projects.services.quotes import (
    DEFAULT_VALIDITY_DAYS,
    QuoteLineSpec,
    accept_quote,
    decline_quote,
    draft_quote,
    expire_quotes,
    quote_snapshot,
    revise_quote,
    send_quote,
    withdraw_quote,
)
from kyklos.projects.services.rate_changes import NewRate, affected_customers, change_rates
from kyklos.projects.services.signatures import Consent, digest
from kyklos.projects.services.sla import current_sla, publish_sla
from kyklos.projects.services.variations import (
    confirm_variation,
    decline_variation,
    propose_variation,
    variation_snapshot,
    withdraw_variation,
)

__all__ = [
    "unbilled_costs",
    "record_third_party_cost",
    "publish_sla",
    "current_sla",
    "change_rates",
    "bill_third_party_costs",
    "affected_customers",
    "DEFAULT_VALIDITY_DAYS",
    "TRAINING_SUPPORT_MINUTES",
    "approve_deliverable",
    "ask_for_changes",
    "bill_package_overage",
    "create_package",
    "deliverable_snapshot",
    "fix_defect",
    "grant_training_support",
    "log_defect",
    "request_change",
    "send_deliverable",
    "withdraw_deliverable",
    "MAX_AMOUNT",
    "MAX_MINUTES",
    "Consent",
    "NewRate",
    "QuoteLineSpec",
    "accept_quote",
    "bill_time",
    "cancel_project",
    "confirm_variation",
    "decline_quote",
    "decline_variation",
    "deliver_project",
    "digest",
    "draft_quote",
    "expire_quotes",
    "final_amount",
    "invoiced_amount",
    "issue_interim_invoice",
    "log_time",
    "on_invoice_paid",
    "propose_variation",
    "quote_snapshot",
    "revise_quote",
    "send_quote",
    "unbilled_time",
    "variation_snapshot",
    "variations_total",
    "withdraw_quote",
    "withdraw_variation",
]

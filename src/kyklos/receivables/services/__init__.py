"""Collections (R6.6) and late interest (R6.7), one module per sub-domain.

Which documents are chased: open **tax documents** (invoices and receipts issued for
delivered work — project milestones, billed hours, interest). Proformas are requests to
pay: an unpaid renewal proforma lets the service expire (the lifecycle's job), and an
unpaid project deposit means the project never starts; neither is a debt.

- :mod:`.policy`: the collection policy in force, what is chased, what is still owed;
- :mod:`.cases`: opening, closing and handing over collection cases, staff actions and
  what a payment does;
- :mod:`.reminders`: the reminders during the grace period;
- :mod:`.formal_notices`: the formal notice after it, and the suspension of services;
- :mod:`.dunning`: the daily step that runs the above in order;
- :mod:`.late_interest`: invoicing late interest on project documents.

Callers use the names re-exported here (``kyklos.receivables.services.write_off``).
"""

from kyklos.receivables.services.cases import (
    CASE_TYPE,
    ESCALATED,
    close_settled_cases,
    hand_over,
    on_invoice_paid,
    open_cases,
    send_to_collection,
    write_off,
)
from kyklos.receivables.services.dunning import run_collections
from kyklos.receivables.services.formal_notices import escalate
from kyklos.receivables.services.late_interest import (
    accrued_interest,
    charge_interest,
    interest_candidates,
    month_end,
    month_end_interest,
)
from kyklos.receivables.services.policy import (
    ACTOR,
    CHASED_KINDS,
    current_policy,
    outstanding,
    reductions,
)
from kyklos.receivables.services.reminders import send_reminders

__all__ = [
    "ACTOR",
    "CASE_TYPE",
    "CHASED_KINDS",
    "ESCALATED",
    "accrued_interest",
    "charge_interest",
    "close_settled_cases",
    "current_policy",
    "escalate",
    "hand_over",
    "interest_candidates",
    "month_end",
    "month_end_interest",
    "on_invoice_paid",
    "open_cases",
    "outstanding",
    "reductions",
    "run_collections",
    "send_reminders",
    "send_to_collection",
    "write_off",
]

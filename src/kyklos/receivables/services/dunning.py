"""The daily collections step: the stages of a case, in order (R6.6)."""

from __future__ import annotations

from datetime import date

from kyklos.receivables.services.cases import close_settled_cases, hand_over, open_cases
from kyklos.receivables.services.formal_notices import escalate
from kyklos.receivables.services.policy import current_policy
from kyklos.receivables.services.reminders import send_reminders


def run_collections(day: date, run=None) -> dict[str, int]:
    """Daily step: close what was settled, open cases for documents past due, send the
    reminders due, escalate after the grace period, hand over to collection."""
    policy = current_policy()
    result = {"collection_closed": close_settled_cases(day)}
    result["collection_opened"] = open_cases(day)
    result.update(send_reminders(day, policy))
    result["collection_escalated"] = escalate(day, policy)
    result["collection_handed_over"] = hand_over(day, policy)
    return result

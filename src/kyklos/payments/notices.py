"""The notices the payments app sends."""

from kyklos.notifications import services as notifications

IDENTITY_CHECK_REQUESTED = "identity_check_requested"
PROOF_REJECTED = "transfer_proof_rejected"
REFUND_ISSUED = "refund_issued"
CARD_ACTION_REQUIRED = "card_action_required"

EVENTS = {
    IDENTITY_CHECK_REQUESTED: ("invoice_number",),
    PROOF_REJECTED: ("invoice_number", "reason"),
    REFUND_ISSUED: ("credit_note_number", "amount", "currency"),
    CARD_ACTION_REQUIRED: ("invoice_number", "amount", "currency", "card", "pay_url"),
}


def register() -> None:
    for event, keys in EVENTS.items():
        notifications.register_event(event, keys)

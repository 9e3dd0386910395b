"""The notices the payments app sends (registered in ``PaymentsConfig.ready``)."""

IDENTITY_CHECK_REQUESTED = "identity_check_requested"
PROOF_REJECTED = "transfer_proof_rejected"
REFUND_ISSUED = "refund_issued"

EVENTS = {
    IDENTITY_CHECK_REQUESTED: ("invoice_number",),
    PROOF_REJECTED: ("invoice_number", "reason"),
    REFUND_ISSUED: ("credit_note_number", "amount", "currency"),
}

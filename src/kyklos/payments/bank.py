"""Bank transfers (R6.4): the customer's proof, staff review, and camt.053 imports.

A statement import reads the file first (nothing is written for a file that is not a
camt.053), then stores each booked credit once (per account and bank reference) and
matches it to a document by the reference in its remittance information: the document
number (with or without separators) or its ISO 11649 creditor reference (``RF…``).
A credit that names exactly one open document in its currency pays it (the excess
becomes account credit); every other credit waits in the review queue for staff.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext as _
from stdnum import iso11649
from stdnum.iso7064 import mod_97_10

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.core import clock
from kyklos.core.actors import acting_user
from kyklos.core.audit import log_action, log_actions
from kyklos.customers.models import Customer
from kyklos.customers.services import validate_document
from kyklos.notifications import services as notices
from kyklos.payments import camt, fees
from kyklos.payments.models import (
    BankStatement,
    CreditEntry,
    Method,
    ReviewStatus,
    StatementLine,
    TransferProof,
)
from kyklos.payments.notices import PROOF_REJECTED
from kyklos.payments.services import (
    add_credit,
    check_decimals,
    check_paid_on,
    check_payable,
    logged_refusal,
    parse_amount,
    receive_money,
)

MAX_STATEMENT_BYTES = 20 * 1024 * 1024


def normalise(reference: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", reference.upper())


def creditor_reference(invoice: Invoice) -> str:
    """The document's ISO 11649 structured creditor reference, e.g. ``RF47PRO2027000001``."""
    body = normalise(invoice.number)[:21]
    return iso11649.format("RF" + mod_97_10.calc_check_digits(body + "RF") + body).replace(" ", "")


# --- proofs -------------------------------------------------------------------------------


@logged_refusal
@transaction.atomic
def submit_proof(
    invoice: Invoice,
    *,
    document: UploadedFile,
    amount,
    paid_on: date,
    bank_reference: str = "",
    actor=None,
) -> TransferProof:
    """The customer says they paid ``invoice`` by transfer and attaches the bank's proof."""
    amount = parse_amount(amount)
    invoice = Invoice.objects.select_for_update().select_related("customer").get(pk=invoice.pk)
    check_payable(invoice)
    check_decimals(amount, invoice.currency)
    check_paid_on(invoice, paid_on)
    validate_document(document)
    if TransferProof.objects.filter(invoice=invoice, status=ReviewStatus.PENDING).exists():
        raise ValidationError(
            _("A proof for %(n)s is already waiting for review.") % {"n": invoice.number}
        )
    fees.cancel_fee_documents(invoice, actor=actor)  # a transfer carries no fee
    proof = TransferProof(
        invoice=invoice,
        customer=invoice.customer,
        amount=amount,
        currency=invoice.currency,
        paid_on=paid_on,
        bank_reference=bank_reference[:140],
        uploaded_at=clock.now(),
        uploaded_by=acting_user(actor),
    )
    proof.document.save(Path(document.name).name, document, save=False)
    proof.save()
    log_action(
        proof,
        "transfer_proof.submitted",
        actor=actor,
        data={"invoice": invoice.number, "amount": str(amount)},
    )
    return proof


@logged_refusal
@transaction.atomic
def approve_proof(proof: TransferProof, *, actor, amount=None, note: str = "") -> TransferProof:
    """Staff saw the money arrive: record the transfer (the amount they saw, default the
    amount the customer gave); more than owed becomes account credit."""
    proof = TransferProof.objects.select_for_update().select_related("invoice").get(pk=proof.pk)
    if proof.status != ReviewStatus.PENDING:
        raise ValidationError(_("This proof was already reviewed."))
    check_payable(proof.invoice)
    received = receive_money(
        proof.invoice,
        amount=proof.amount if amount is None else parse_amount(amount),
        currency=proof.currency,
        method=Method.BANK_TRANSFER,
        paid_on=proof.paid_on,
        reference=proof.bank_reference or proof.invoice.number,
        actor=actor,
    )
    TransferProof.objects.filter(pk=proof.pk).update(
        status=ReviewStatus.APPROVED,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
        payment=received.payment,
    )
    log_action(proof, "transfer_proof.approved", actor=actor, data={"note": note})
    proof.refresh_from_db()
    return proof


@logged_refusal
@transaction.atomic
def reject_proof(proof: TransferProof, *, actor, note: str) -> TransferProof:
    """Staff found no such money: the proof is closed with the reason; nothing is paid."""
    if not note.strip():
        raise ValidationError({"note": _("Say why the proof is rejected.")})
    proof = TransferProof.objects.select_for_update().get(pk=proof.pk)
    if proof.status != ReviewStatus.PENDING:
        raise ValidationError(_("This proof was already reviewed."))
    TransferProof.objects.filter(pk=proof.pk).update(
        status=ReviewStatus.REJECTED,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
    )
    log_action(proof, "transfer_proof.rejected", actor=actor, data={"note": note})
    proof.refresh_from_db()
    notices.queue_notice(
        event=PROOF_REJECTED,
        customer=proof.customer,
        invoice_id=proof.invoice_id,
        for_date=clock.today(),
        context={"invoice_number": proof.invoice.number, "reason": note},
    )
    return proof


# --- statements ---------------------------------------------------------------------------


def _candidates(credit: camt.Credit) -> set[str]:
    """Normalised strings that may be a document number in the remittance information:
    every word, two and three adjacent words joined (``PRO 2027 000001``), and the
    reference inside every valid ``RF`` creditor reference."""
    words = re.split(r"[\s,;:]+", credit.remittance.upper())
    words = [w for w in words if w]
    found: set[str] = set()
    for size in (1, 2, 3):
        for i in range(len(words) - size + 1):
            joined = normalise("".join(words[i : i + size]))
            if len(joined) >= 5:
                found.add(joined)
    for value in list(found):
        if value.startswith("RF") and iso11649.is_valid(value):
            found.add(value[4:])
    return found


def _documents_by_reference(credits: list[camt.Credit]) -> dict[str, list[Invoice]]:
    """One query for all the references of a statement."""
    wanted: set[str] = set()
    for credit in credits:
        wanted |= _candidates(credit)
    if not wanted:
        return {}
    norm = Upper("number")
    for separator in ("-", "/", " ", "."):
        norm = Replace(norm, Value(separator), Value(""))
    rows = (
        Invoice.objects.annotate(norm=norm)
        .filter(norm__in=wanted)
        .exclude(kind=DocumentKind.CREDIT_NOTE)
        .select_related("customer")
    )
    found: dict[str, list[Invoice]] = {}
    for invoice in rows:
        found.setdefault(invoice.norm, []).append(invoice)
    return found


def _match(
    credit: camt.Credit, by_reference: dict[str, list[Invoice]]
) -> tuple[Invoice | None, str]:
    """The one document a credit pays, or None and why not."""
    named = {inv.pk: inv for ref in _candidates(credit) for inv in by_reference.get(ref, [])}
    if not named:
        return None, _("No document number or creditor reference found.")
    if len(named) > 1:
        numbers = ", ".join(sorted(inv.number for inv in named.values()))
        return None, _("Names several documents: %(n)s.") % {"n": numbers}
    (invoice,) = named.values()
    try:
        check_payable(invoice, credit.currency)
        check_decimals(credit.amount, credit.currency)
        # receive_money dates a payment booked "in the future" (bank clocks) today
        check_paid_on(invoice, min(credit.booked_on, clock.today()), field="booked_on")
    except ValidationError as error:
        return invoice, " ".join(error.messages)
    return invoice, ""


@logged_refusal
def import_statement(data: bytes, *, file_name: str, actor=None) -> BankStatement:
    """Import a camt.053 file: store its credits, pay what they match, queue the rest."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise ValidationError({"file": _("The statement file is larger than 20 MB.")})
    try:
        parsed = camt.parse(data)
    except camt.NotCamt053 as error:
        raise ValidationError(
            {"file": _("This is not an ISO 20022 camt.053 statement: %(e)s.") % {"e": error}}
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        if BankStatement.objects.filter(sha256=digest).exists():
            raise ValidationError({"file": _("This statement file was already imported.")})
        statement = BankStatement.objects.create(
            file_name=Path(file_name).name[:255],
            sha256=digest,
            message_id=parsed.message_id[:35],
            statement_id=parsed.statement_id[:35],
            account_iban=parsed.account_iban[:34],
            created_at_bank=parsed.created_at,
            imported_at=clock.now(),
            imported_by=acting_user(actor),
        )
        seen = set(
            StatementLine.objects.filter(
                account_iban=statement.account_iban,
                entry_reference__in=[c.entry_reference for c in parsed.credits],
            ).values_list("entry_reference", flat=True)
        )
        fresh = [c for c in parsed.credits if c.entry_reference not in seen]
        by_reference = _documents_by_reference(fresh)
        lines, matches = [], []
        for credit in fresh:
            invoice, problem = _match(credit, by_reference)
            line = StatementLine(
                statement=statement,
                account_iban=statement.account_iban,
                entry_reference=credit.entry_reference,
                booked_on=credit.booked_on,
                amount=credit.amount,
                currency=credit.currency,
                debtor_name=credit.debtor_name,
                debtor_iban=credit.debtor_iban,
                remittance=credit.remittance,
                status=StatementLine.Status.UNMATCHED if problem else StatementLine.Status.MATCHED,
                problem=problem[:300],
                invoice=invoice,
                customer=invoice.customer if invoice else None,
            )
            lines.append(line)
            if not problem:
                matches.append(line)
        StatementLine.objects.bulk_create(lines)
        for line in list(matches):
            if not _pay(line, actor=actor):
                matches.remove(line)
        summary = {
            "credits": len(parsed.credits),
            "already_imported": len(parsed.credits) - len(fresh),
            "matched": len(matches),
            "unmatched": len(lines) - len(matches),
            "debits_skipped": parsed.skipped_debits,
            "not_booked_skipped": parsed.skipped_not_booked,
        }
        BankStatement.objects.filter(pk=statement.pk).update(summary=summary)
        statement.summary = summary
        log_action(statement, "bank_statement.imported", actor=actor, data=summary)
    return statement


def _pay(line: StatementLine, *, actor) -> bool:
    """Pay the line's document by transfer; an open fee proforma of another method is
    cancelled (a transfer is free). A proof waiting for the same document is
    closed with this payment. False (and the line goes to review) when an earlier line
    of the same statement already paid the document."""
    invoice = Invoice.objects.select_for_update().get(pk=line.invoice_id)
    if invoice.status != Invoice.Status.OPEN:
        problem = _("%(n)s is already paid.") % {"n": invoice.number}
        StatementLine.objects.filter(pk=line.pk).update(
            status=StatementLine.Status.UNMATCHED, problem=problem
        )
        line.status, line.problem = StatementLine.Status.UNMATCHED, problem
        return False
    fees.cancel_fee_documents(invoice, actor=actor)
    received = receive_money(
        invoice,
        amount=line.amount,
        currency=line.currency,
        method=Method.BANK_TRANSFER,
        paid_on=line.booked_on,
        reference=line.entry_reference,
        actor=actor,
    )
    StatementLine.objects.filter(pk=line.pk).update(payment=received.payment)
    line.payment = received.payment
    proofs = list(TransferProof.objects.filter(invoice=invoice, status=ReviewStatus.PENDING))
    TransferProof.objects.filter(pk__in=[p.pk for p in proofs]).update(
        status=ReviewStatus.APPROVED,
        decided_at=clock.now(),
        decision_note=_("Matched by the statement import."),
        payment=received.payment,
    )
    log_actions(((p, {"line": line.pk}) for p in proofs), "transfer_proof.approved", actor=actor)
    return True


@logged_refusal
@transaction.atomic
def assign_line(line: StatementLine, *, invoice: Invoice, actor, note: str = "") -> StatementLine:
    """Staff say which document an unmatched credit pays (the excess becomes credit)."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != StatementLine.Status.UNMATCHED:
        raise ValidationError(_("This statement line was already dealt with."))
    invoice = Invoice.objects.select_related("customer").get(pk=invoice.pk)
    check_payable(invoice, line.currency)
    line.invoice, line.customer = invoice, invoice.customer
    StatementLine.objects.filter(pk=line.pk).update(invoice=invoice)
    _pay(line, actor=actor)
    StatementLine.objects.filter(pk=line.pk).update(
        status=StatementLine.Status.RESOLVED,
        invoice=invoice,
        customer=invoice.customer,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
    )
    log_action(line, "statement_line.assigned", actor=actor, data={"invoice": invoice.number})
    line.refresh_from_db()
    return line


@logged_refusal
@transaction.atomic
def credit_line(line: StatementLine, *, customer: Customer, actor, note: str = "") -> StatementLine:
    """Staff put an unmatched credit on a customer's account credit."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != StatementLine.Status.UNMATCHED:
        raise ValidationError(_("This statement line was already dealt with."))
    add_credit(
        customer,
        amount=line.amount,
        currency=line.currency,
        kind=CreditEntry.Kind.OVERPAYMENT,
        note=note or _("Bank transfer %(r)s") % {"r": line.entry_reference},
        actor=actor,
    )
    StatementLine.objects.filter(pk=line.pk).update(
        status=StatementLine.Status.RESOLVED,
        customer=customer,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
    )
    log_action(line, "statement_line.credited", actor=actor, data={"customer": customer.pk})
    line.refresh_from_db()
    return line


@logged_refusal
@transaction.atomic
def ignore_lines(lines: list[StatementLine], *, actor, note: str) -> int:
    """Staff mark credits that are not customer payments (interest, a transfer between
    own accounts); the reason is kept."""
    if not note.strip():
        raise ValidationError({"note": _("Say why these lines are ignored.")})
    rows = list(
        StatementLine.objects.select_for_update().filter(
            pk__in=[ln.pk for ln in lines], status=StatementLine.Status.UNMATCHED
        )
    )
    StatementLine.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=StatementLine.Status.IGNORED,
        decided_at=clock.now(),
        decided_by=acting_user(actor),
        decision_note=note[:300],
    )
    log_actions(((r, {"note": note}) for r in rows), "statement_line.ignored", actor=actor)
    return len(rows)

"""How a Kyklos document is classified in myDATA: tables, not if-chains (R6.2, R6.3).

Every issued tax document has a *kind* (invoice, receipt, credit note) and a *VAT case*
(:mod:`kyklos.billing.vat`: domestic, EU consumer, reverse charge, outside scope). myDATA
wants, per document, an AADE document type (``invoiceType``) and, per line, a VAT
category, an exemption reason when no Greek VAT is charged, and an income classification
(E3 code and category). The choice is made in two steps, both looked up in the tables below:

1. the *audience*: ``b2b`` when the document is a tax invoice to a buyer with a VAT number
   whose VAT case is not the consumer one, ``b2c`` otherwise (receipts, and invoices to
   buyers without a VAT number or taxed as consumers). A credit note takes the audience of
   the document it corrects;
2. the row of :data:`TREATMENTS` for ``(audience, vat_case)``: the document type of the
   original and of its credit note, the E3 code, the exemption reason, whether the buyer is
   named as counterpart.

Sources: AADE myDATA REST API documentation v1.0.x (document types, VAT and exemption
categories, payment methods, E3 codes) and the Greek VAT Code (law 2859/2000): art. 14 is
the place of supply of services (services to a business elsewhere, or to anyone outside the
EU, are not taxed in Greece), art. 47γ the EU one-stop shop (OSS) for services to
consumers of other member states. docs/einvoicing/mydata.md prints these tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

#: The income of a hosting and agency business is the provision of services.
SERVICES_CATEGORY = "category1_3"  # Έσοδα από Παροχή Υπηρεσιών


@dataclass(frozen=True)
class Treatment:
    """The myDATA treatment of one (audience, VAT case)."""

    invoice_type: str  # the AADE type of an invoice or receipt
    credit_type: str  # the AADE type of a credit note correcting it
    e3: str  # income classification type (form E3)
    vat_exemption: int | None  # vatExemptionCategory when no Greek VAT is charged
    counterpart: bool  # the buyer is reported as counterpart (VAT number, country, …)
    label: str  # for the docs and staff
    #: Within Greece's B2B e-invoicing mandate (law 5222/2025, decision A.1128/2025):
    #: domestic and third-country business invoices; intra-EU and retail are outside it.
    mandate: bool = False


#: (audience, VAT case) → treatment. Rates of Greek VAT only arise in ``domestic``; the other
#: cases charge no Greek VAT (category 7, 0 %) and name the article that says why.
TREATMENTS: dict[tuple[str, str], Treatment] = {
    ("b2b", "domestic"): Treatment(
        "2.1", "5.1", "E3_561_001", None, True, "Services invoice, domestic business", True
    ),
    ("b2b", "reverse_charge"): Treatment(
        "2.2", "5.1", "E3_561_005", 4, True, "Intra-EU services invoice, reverse charge (art. 14)"
    ),
    ("b2b", "outside_scope"): Treatment(
        "2.3",
        "5.1",
        "E3_561_006",
        4,
        True,
        "Services invoice, third-country business (art. 14)",
        True,
    ),
    ("b2c", "domestic"): Treatment(
        "11.2", "11.4", "E3_561_003", None, False, "Retail services receipt, domestic"
    ),
    ("b2c", "eu_b2c"): Treatment(
        "11.2",
        "11.4",
        "E3_561_005",
        30,
        False,
        "Retail services receipt, EU consumer (OSS, art. 47γ)",
    ),
    ("b2c", "outside_scope"): Treatment(
        "11.2", "11.4", "E3_561_006", 4, False, "Retail services receipt, outside the EU (art. 14)"
    ),
}

#: Greek VAT rate (percent) → myDATA ``vatCategory``. Category 7 is "0 % / without VAT".
VAT_CATEGORIES: dict[Decimal, int] = {
    Decimal("24"): 1,
    Decimal("13"): 2,
    Decimal("6"): 3,
    Decimal("17"): 4,  # reduced island rates (art. 21 par. 4)
    Decimal("9"): 5,
    Decimal("4"): 6,
    Decimal("0"): 7,
    Decimal("3"): 9,  # law 5057/2023
}
NO_VAT_CATEGORY = 7

#: Kyklos payment method (``payments.models.Method``) → myDATA ``paymentMethodDetails/type``:
#: 1 business payment account in Greece, 2 abroad, 3 cash, 4 cheque, 5 on credit,
#: 6 web banking, 7 POS / e-POS, 8 IRIS.
PAYMENT_METHODS: dict[str, int] = {
    "bank_transfer": 1,
    "card": 7,
    "paypal": 6,
    "manual": 3,
    "credit": 5,
}
#: What is not paid yet (an open invoice) is reported "on credit".
ON_CREDIT = 5
#: AADE's payment types: 1 business account in Greece, 2 abroad, 3 cash, 4 cheque,
#: 5 on credit, 6 web banking, 7 POS / e-POS, 8 instant payment (IRIS).
AADE_PAYMENT_TYPES = range(1, 9)


class NotExpressible(ValueError):
    """The document has no myDATA treatment (a combination the tables do not name)."""


def audience(kind: str, vat_case: str, buyer_vat_id: str) -> str:
    """``b2b`` for a tax invoice to a VAT-registered buyer not taxed as a consumer."""
    return "b2b" if kind == "invoice" and buyer_vat_id and vat_case != "eu_b2c" else "b2c"


def treatment(kind: str, vat_case: str, buyer_vat_id: str) -> Treatment:
    """The treatment of a document of ``kind`` (of the original, for a credit note)."""
    key = (audience(kind, vat_case, buyer_vat_id), vat_case)
    try:
        return TREATMENTS[key]
    except KeyError:
        raise NotExpressible(
            f"No myDATA treatment for a {kind} with VAT case {vat_case or 'none'} ({key[0]})."
        ) from None


def vat_category(rate: Decimal, exemption: int | None) -> int:
    """The ``vatCategory`` of a line taxed at ``rate``; 7 when an exemption applies."""
    if exemption is not None:
        return NO_VAT_CATEGORY
    try:
        return VAT_CATEGORIES[Decimal(rate).normalize()]
    except KeyError:
        raise NotExpressible(f"The VAT rate {rate} % has no myDATA VAT category.") from None


def payment_type(method: str) -> int:
    try:
        return PAYMENT_METHODS[method]
    except KeyError:
        raise NotExpressible(f"The payment method {method} has no myDATA code.") from None

"""What the API reads and writes. Amounts are strings ("148.80"), never JSON numbers;
dates are ISO 8601; times are UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, PlainSerializer

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.catalog.models import Cycle, Product, ProductType
from kyklos.core import clock
from kyklos.core.money import round_money
from kyklos.customers.models import Customer, Language
from kyklos.lifecycle.models import State
from kyklos.notifications.models import Outbox
from kyklos.payments.models import Method, RecordedMethod


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, PlainSerializer(_utc, return_type=str)]


def _price_amount(value: str) -> str:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(
            _("“%(value)s” is not an amount; write it as text, e.g. “120.00”.") % {"value": value}
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(_("A price cannot be negative."))
    return value


PriceAmount = Annotated[str, AfterValidator(_price_amount)]


class Input(Schema):
    """Choices arrive as their plain values (``"annual"``), as the services expect."""

    model_config = ConfigDict(use_enum_values=True)


class Error(Schema):
    message: str
    field: str | None = Field(description="The input field at fault; null when none is.")


# --- customers ---------------------------------------------------------------------------


class CustomerIn(Input):
    kind: Customer.Kind
    name: str
    email: str
    country: str = Field(description="ISO 3166 code, e.g. GR")
    language: Language
    vat_id: str = ""
    company_name: str = ""
    adult_confirmed: bool = Field(False, description="Required for persons: 18 or older (R1.1).")
    terms_version: str | None = Field(None, description="The version of the terms accepted.")
    tax_office: str = ""
    address: str = ""
    city: str = ""
    postal_code: str = ""
    phone: str = ""
    secondary_email: str = ""
    admin_email: str = ""
    billing_email: str = ""


class CustomerOut(Schema):
    id: int
    kind: Customer.Kind
    status: Customer.Status
    name: str
    company_name: str
    email: str
    secondary_email: str
    admin_email: str
    billing_email: str
    phone: str
    address: str
    city: str
    postal_code: str
    country: str
    vat_id: str
    tax_office: str
    language: Language
    adult_confirmed: bool
    created_at: UtcDatetime

    @staticmethod
    def resolve_adult_confirmed(obj: Customer) -> bool:
        return obj.adult_confirmed_at is not None


# --- products ----------------------------------------------------------------------------


class ProductIn(Input):
    code: str
    type: ProductType
    name: str
    prices: dict[Cycle, PriceAmount] = Field(
        description='List price per billing cycle, excluding VAT, e.g. {"annual": "120.00"}.'
    )
    valid_from: date | None = Field(None, description="When the prices apply; default today.")
    refundable: bool | None = Field(
        None, description="Money-back guarantee (R6.9); default by product type."
    )


class ProductOut(Schema):
    id: int
    code: str
    type: ProductType
    name: str
    is_active: bool
    refundable: bool
    prices: dict[str, str] = Field(description="The list prices in force today, per cycle.")

    @staticmethod
    def resolve_prices(obj: Product) -> dict[str, str]:
        today = clock.today()
        in_force: dict[str, object] = {}
        for price in sorted(obj.prices.all(), key=lambda p: p.valid_from, reverse=True):
            if price.valid_from <= today:
                in_force.setdefault(price.cycle, price)
        return {cycle: str(in_force[cycle].amount) for cycle in sorted(in_force)}


# --- services ----------------------------------------------------------------------------


class OrderIn(Input):
    customer: int = Field(description="The customer's id.")
    product: str = Field(description="The product's code.")
    cycle: Cycle
    start_date: date | None = Field(None, description="Default today.")
    label: str = Field("", description="Domain, host name or plan label.")


class ServiceOut(Schema):
    id: int
    customer: int
    product: str = Field(description="The product's code.")
    label: str
    cycle: Cycle
    state: State
    ordered_on: date
    started_on: date | None
    expires_on: date | None
    auto_renew: bool
    parent: int | None = Field(description="For add-ons: the service they attach to.")
    cancel_requested_on: date | None
    cancel_effective_on: date | None

    @staticmethod
    def resolve_customer(obj) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.code

    @staticmethod
    def resolve_parent(obj) -> int | None:
        return obj.parent_id


class CancelIn(Input):
    when: Literal["immediate", "end_of_period"] = "end_of_period"
    reason: str = ""


# --- invoices and payments ---------------------------------------------------------------


class InvoiceOut(Schema):
    id: int
    kind: DocumentKind
    number: str
    customer: int
    issued_on: date
    due_on: date
    paid_on: date | None
    total: str = Field(description='With VAT, e.g. "148.80".')
    currency: str
    status: Invoice.Status
    related: int | None = Field(
        description="The proforma a tax document settles, or the invoice a credit note corrects."
    )
    service_ids: list[int] = Field(
        description="The services billed: a proforma's own, a tax document's via its proforma."
    )

    @staticmethod
    def resolve_customer(obj: Invoice) -> int:
        return obj.customer_id

    @staticmethod
    def resolve_total(obj: Invoice) -> str:
        return str(round_money(obj.total, obj.currency))

    @staticmethod
    def resolve_related(obj: Invoice) -> int | None:
        return obj.related_id

    @staticmethod
    def resolve_service_ids(obj: Invoice) -> list[int]:
        billed = obj.related if obj.is_tax_document and obj.related_id else obj
        return sorted({renewal.service_id for renewal in billed.renewals.all()})


class OrderOut(Schema):
    service: ServiceOut
    proforma: InvoiceOut


class PaymentIn(Input):
    amount: str = Field(description='A string, e.g. "148.80".')
    method: RecordedMethod
    paid_on: date | None = Field(None, description="Default today.")
    reference: str = ""
    currency: str | None = Field(None, description="Must be the document's currency if given.")


class PaymentOut(Schema):
    id: int
    invoice: int
    amount: str
    currency: str
    method: Method
    paid_on: date
    reference: str

    @staticmethod
    def resolve_invoice(obj) -> int:
        return obj.invoice_id

    @staticmethod
    def resolve_amount(obj) -> str:
        return str(round_money(obj.amount, obj.currency))


class PaymentResultOut(Schema):
    payment: PaymentOut
    invoice: InvoiceOut = Field(description="The document paid, with its new status.")
    tax_document: InvoiceOut | None = Field(
        description="The invoice or receipt issued when the payment settled a proforma."
    )


# --- notifications -----------------------------------------------------------------------


class NotificationOut(Schema):
    id: int
    event: str = Field(description="The notice event; apps register their own.")
    customer: int | None = Field(description="Null for notices to staff or non-customers.")
    service: int | None
    invoice: int | None
    for_date: date
    language: Language
    status: Outbox.Status
    sent_at: UtcDatetime | None

    @staticmethod
    def resolve_customer(obj) -> int | None:
        return obj.customer_id

    @staticmethod
    def resolve_service(obj) -> int | None:
        return obj.service_id

    @staticmethod
    def resolve_invoice(obj) -> int | None:
        return obj.invoice_id


#: Error responses every endpoint may give; 404 is added where an id is in the path.
ERRORS = {400: Error, 401: Error, 403: Error, 422: Error}
ERRORS_WITH_404 = {**ERRORS, 404: Error}

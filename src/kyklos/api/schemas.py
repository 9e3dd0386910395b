"""What the API reads and writes. Amounts are strings ("148.80"), never JSON numbers;
dates are ISO 8601; times are UTC.

Inputs are bounded here, so that a refusal is a 422 naming the field before anything is
written: ids are positive 64-bit integers, text is no longer than the column it is stored
in (:func:`stored_in`), amounts are plain decimals (:data:`Amount`), dates lie within
:func:`date_window`. NUL characters and unpaired surrogates are refused for every text,
body and query alike, by :mod:`kyklos.api.parser`.

Every enum has its own component name in the OpenAPI document (``CustomerStatus``, not
the ``Status`` its model calls it), see :func:`named_enum`.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, PlainSerializer

from kyklos.billing.models import DocumentKind, Invoice
from kyklos.catalog.models import Cycle, Product, ProductType
from kyklos.core import clock
from kyklos.core.money import round_money
from kyklos.customers.models import Customer, Language, TermsAcceptance
from kyklos.lifecycle.models import Service, State
from kyklos.notifications.models import Outbox
from kyklos.payments.models import Method, Payment, RecordedMethod


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, PlainSerializer(_utc, return_type=str)]


#: The largest id a column holds (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: A row's id: in a path, a query or a body.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def stored_in(model: type[models.Model], field: str, default=..., **kwargs):
    """A text input's ``Field``: no longer than ``model.field`` stores; longer is a 422,
    never cut."""
    max_length = model._meta.get_field(field).max_length
    return Field(default, max_length=max_length, **kwargs)


#: An amount: digits with at most two decimals (what every amount column stores), no
#: sign, exponent, NaN or infinity. Whether a currency allows fewer decimals is the
#: service's to check (e.g. :func:`kyklos.payments.services.record_payment`).
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def _checked_amount(value: str, *, positive: bool) -> str:
    if re.fullmatch(AMOUNT_PATTERN, value.removeprefix("-")) and (
        value.startswith("-") or (positive and Decimal(value) == 0)
    ):
        raise ValueError(
            _("The amount must be greater than zero.")
            if positive
            else _("A price cannot be negative.")
        )
    if not re.fullmatch(AMOUNT_PATTERN, value):
        raise ValueError(
            _(
                "“%(value)s” is not an amount; write it as text with at most two decimals, "
                "e.g. “120.00”."
            )
            % {"value": value[:40]}
        )
    return value


def _price(value: str) -> str:
    return _checked_amount(value, positive=False)


def _positive(value: str) -> str:
    return _checked_amount(value, positive=True)


_AMOUNT_SCHEMA = {"pattern": AMOUNT_PATTERN, "examples": ["120.00"]}
#: A price: zero or more.
PriceAmount = Annotated[str, AfterValidator(_price), Field(json_schema_extra=_AMOUNT_SCHEMA)]
#: Money received or paid: more than zero.
Amount = Annotated[str, AfterValidator(_positive), Field(json_schema_extra=_AMOUNT_SCHEMA)]


def date_window() -> tuple[date, date]:
    """The dates the API accepts: ``KYKLOS_API_DATE_WINDOW_YEARS`` (default 10) years
    either side of today. Farther is a typing error, not a plan."""
    years = getattr(settings, "KYKLOS_API_DATE_WINDOW_YEARS", 10)
    today = clock.today()
    return today.replace(year=today.year - years, day=min(today.day, 28)), today.replace(
        year=today.year + years, day=min(today.day, 28)
    )


def _in_window(value: date) -> date:
    earliest, latest = date_window()
    if not earliest <= value <= latest:
        raise ValueError(
            _("%(date)s is not between %(earliest)s and %(latest)s.")
            % {"date": value, "earliest": earliest, "latest": latest}
        )
    return value


#: A date within :func:`date_window`.
BoundedDate = Annotated[date, AfterValidator(_in_window)]


def named_enum(choices: type[models.TextChoices], name: str) -> type[enum.Enum]:
    """``choices`` as an enum of its own ``name`` in the OpenAPI document.

    Models name their choices ``Status`` or ``Kind``; as components these would replace
    each other (the document keeps one ``Status``), so each gets a distinct name here."""
    return enum.Enum(name, {m.name: m.value for m in choices}, type=str, module=__name__)


CustomerKind = named_enum(Customer.Kind, "CustomerKind")
CustomerStatus = named_enum(Customer.Status, "CustomerStatus")
InvoiceStatus = named_enum(Invoice.Status, "InvoiceStatus")
NotificationStatus = named_enum(Outbox.Status, "NotificationStatus")


class Input(Schema):
    """Choices arrive as their plain values (``"annual"``), as the services expect."""

    model_config = ConfigDict(use_enum_values=True)


def _id_of(link: str) -> staticmethod:
    return staticmethod(lambda obj: getattr(obj, f"{link}_id"))


class Output(Schema):
    """A row shown with the rows it points to as their ids: its ``customer``, ``service``,
    ``invoice``, ``parent`` or ``related`` field holds that row's id (no query)."""

    resolve_customer = _id_of("customer")
    resolve_service = _id_of("service")
    resolve_invoice = _id_of("invoice")
    resolve_parent = _id_of("parent")
    resolve_related = _id_of("related")


class Error(Schema):
    message: str
    field: str | None = Field(description="The input field at fault; null when none is.")


# --- customers ---------------------------------------------------------------------------


def _customer(field: str, default=..., **kwargs):
    return stored_in(Customer, field, default, **kwargs)


class CustomerIn(Input):
    kind: CustomerKind
    name: str = _customer("name")
    email: str = _customer("email")
    country: str = _customer("country", description="ISO 3166 code, e.g. GR")
    language: Language
    vat_id: str = _customer("vat_id", "")
    company_name: str = _customer("company_name", "")
    adult_confirmed: bool = Field(False, description="Required for persons: 18 or older (R1.1).")
    terms_version: str | None = stored_in(
        TermsAcceptance, "version", None, description="The version of the terms accepted."
    )
    tax_office: str = _customer("tax_office", "")
    address: str = _customer("address", "")
    city: str = _customer("city", "")
    postal_code: str = _customer("postal_code", "")
    phone: str = _customer("phone", "")
    secondary_email: str = _customer("secondary_email", "")
    admin_email: str = _customer("admin_email", "")
    billing_email: str = _customer("billing_email", "")


class CustomerOut(Schema):
    id: int
    kind: CustomerKind
    status: CustomerStatus
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
    code: str = stored_in(Product, "code")
    type: ProductType
    name: str = stored_in(Product, "name")
    prices: dict[Cycle, PriceAmount] = Field(
        description='List price per billing cycle, excluding VAT, e.g. {"annual": "120.00"}.'
    )
    valid_from: BoundedDate | None = Field(
        None, description="When the prices apply; default today."
    )
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
    customer: Id = Field(description="The customer's id.")
    product: str = stored_in(Product, "code", description="The product's code.")
    cycle: Cycle
    start_date: BoundedDate | None = Field(None, description="Default today.")
    label: str = stored_in(Service, "label", "", description="Domain, host name or plan label.")


class ServiceOut(Output):
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
    def resolve_product(obj) -> str:
        return obj.product.code


class CancelIn(Input):
    when: Literal["immediate", "end_of_period"] = "end_of_period"
    reason: str = stored_in(Service, "cancel_reason", "")


class PlanIn(Input):
    product: str = Field(max_length=50, description="The code of the plan to move to.")


class PlanChangeOut(Schema):
    """A plan change: ``open`` until its proforma is paid (upgrade), else ``done``."""

    status: str
    from_product: str = Field(description="The code of the plan the service was on.")
    to_product: str = Field(description="The code of the plan it moves to.")
    days_left: int
    days_in_period: int
    amount: str = Field(description='The prorated difference: "30.25" billed, "-30.25" credited.')
    currency: str
    proforma: InvoiceOut | None = Field(description="The proforma of an upgrade.")
    service: ServiceOut


# --- invoices and payments ---------------------------------------------------------------


class InvoiceOut(Output):
    id: int
    kind: DocumentKind
    number: str
    customer: int
    issued_on: date
    due_on: date
    paid_on: date | None
    total: str = Field(description='With VAT, e.g. "148.80".')
    currency: str
    status: InvoiceStatus
    related: int | None = Field(
        description="The proforma a tax document settles, or the invoice a credit note corrects."
    )
    service_ids: list[int] = Field(
        description="The services billed: a proforma's own, a tax document's via its proforma."
    )

    @staticmethod
    def resolve_total(obj: Invoice) -> str:
        return str(round_money(obj.total, obj.currency))

    @staticmethod
    def resolve_service_ids(obj: Invoice) -> list[int]:
        billed = obj.related if obj.is_tax_document and obj.related_id else obj
        return sorted({renewal.service_id for renewal in billed.renewals.all()})


class OrderOut(Schema):
    service: ServiceOut
    proforma: InvoiceOut


class PaymentIn(Input):
    amount: Amount = Field(description='A string, e.g. "148.80"; more than zero.')
    method: RecordedMethod
    paid_on: BoundedDate | None = Field(
        None, description="Default today; not before the document, not in the future."
    )
    reference: str = stored_in(Payment, "reference", "")
    currency: str | None = stored_in(
        Payment, "currency", None, description="Must be the document's currency if given."
    )


class PaymentOut(Output):
    id: int
    invoice: int
    amount: str
    currency: str
    method: Method
    paid_on: date
    reference: str

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


class NotificationOut(Output):
    id: int
    event: str = Field(description="The notice event; apps register their own.")
    customer: int | None = Field(description="Null for notices to staff or non-customers.")
    service: int | None
    invoice: int | None
    for_date: date
    language: Language
    status: NotificationStatus
    sent_at: UtcDatetime | None


#: Error responses every endpoint may give; 404 is added where an id is in the path.
ERRORS = {400: Error, 401: Error, 403: Error, 422: Error}
ERRORS_WITH_404 = {**ERRORS, 404: Error}

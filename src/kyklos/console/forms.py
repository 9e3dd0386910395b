"""The console's forms. They only gather and check what staff typed; the rules are in the
services of the apps that own the money and the services (their ValidationErrors are
shown on the form, and nothing is written)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kyklos.billing.services import MANUAL_MAX_DUE_DAYS, CreditLine, LineSpec

REASON_HELP = _("Kept in the audit trail with your name.")
MANUAL_LINES = 4


def reason_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=required,
        help_text=REASON_HELP,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=100,
        required=False,
        help_text=_("A name, e-mail address, VAT id, domain, document or ticket number."),
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )


class ReasonForm(forms.Form):
    reason = reason_field()


class ImpersonateForm(forms.Form):
    may_act = forms.BooleanField(
        label=_("I need to act for the customer (not only look)"), required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Required when you act for the customer. Kept in the audit trail."),
    )


class ManualInvoiceForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Document"),
        choices=[
            ("proforma", _("Proforma (a request to pay)")),
            ("tax", _("Tax invoice or receipt, open for payment")),
        ],
        initial="proforma",
    )
    due_days = forms.IntegerField(
        label=_("Payment term (days)"), min_value=0, max_value=MANUAL_MAX_DUE_DAYS, initial=0
    )
    reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for n in range(1, MANUAL_LINES + 1):
            self.fields[f"description_{n}"] = forms.CharField(
                label=_("Line %(n)d: description") % {"n": n}, max_length=300, required=False
            )
            self.fields[f"quantity_{n}"] = forms.DecimalField(
                label=_("Quantity"), min_value=Decimal("0.001"), decimal_places=3, required=False
            )
            self.fields[f"price_{n}"] = forms.DecimalField(
                label=_("Unit price before VAT"),
                min_value=Decimal("0.01"),
                decimal_places=2,
                required=False,
            )

    def line_rows(self):
        return [
            (self[f"description_{n}"], self[f"quantity_{n}"], self[f"price_{n}"])
            for n in range(1, MANUAL_LINES + 1)
        ]

    def clean(self):
        data = super().clean()
        lines = []
        for n in range(1, MANUAL_LINES + 1):
            description = (data.get(f"description_{n}") or "").strip()
            quantity, price = data.get(f"quantity_{n}"), data.get(f"price_{n}")
            if not description and price is None:
                continue
            if not description or price is None:
                self.add_error(
                    f"description_{n}", _("Give both a description and a price for this line.")
                )
                continue
            lines.append(
                LineSpec(description=description, unit_price=price, quantity=quantity or Decimal(1))
            )
        if not lines and not self.errors:
            raise forms.ValidationError(_("Add at least one line."))
        data["lines"] = lines
        return data


class CreditForm(forms.Form):
    """A credit note (or a refund) against ``document``: the whole of what is left, or per
    line a quantity or an amount before VAT."""

    whole = forms.BooleanField(
        label=_("Credit everything not yet credited"), required=False, initial=False
    )
    reason = reason_field()

    def __init__(self, *args, document, left: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.document_lines = list(document.lines.all())
        self.left = left
        for line in self.document_lines:
            self.fields[f"quantity_{line.pk}"] = forms.DecimalField(
                label=_("Quantity to credit"),
                min_value=Decimal("0.001"),
                decimal_places=3,
                required=False,
            )
            self.fields[f"amount_{line.pk}"] = forms.DecimalField(
                label=_("or amount before VAT"),
                min_value=Decimal("0.01"),
                decimal_places=2,
                required=False,
            )

    def line_rows(self):
        return [
            (
                line,
                self.left.get(line.pk, line.net),
                self[f"quantity_{line.pk}"],
                self[f"amount_{line.pk}"],
            )
            for line in self.document_lines
        ]

    def clean(self):
        data = super().clean()
        requests = []
        for line in self.document_lines:
            quantity, amount = data.get(f"quantity_{line.pk}"), data.get(f"amount_{line.pk}")
            if quantity is not None or amount is not None:
                requests.append(CreditLine(line.pk, quantity=quantity, net=amount))
        if data.get("whole"):
            if requests:
                raise forms.ValidationError(
                    _("Credit everything, or give quantities or amounts: not both.")
                )
            data["lines"] = None
        else:
            if not requests and not self.errors:
                raise forms.ValidationError(
                    _("Give a quantity or an amount for at least one line, or credit everything.")
                )
            data["lines"] = requests
        return data


class RefundForm(CreditForm):
    way = forms.ChoiceField(
        label=_("The money goes back"),
        choices=[
            ("credit", _("To the customer's account credit")),
            ("bank_transfer", _("By a bank transfer I made")),
            ("manual", _("Another way I paid it back")),
        ],
        initial="credit",
    )
    reference = forms.CharField(
        label=_("Reference of the transfer"), max_length=140, required=False
    )


class AccountCreditForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial=settings.KYKLOS_CURRENCY)
    reason = reason_field()

"""Portal forms. They only shape the input: the rules live in the services they feed,
whose ValidationErrors are put back on the form (see :func:`add_service_errors`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from kyklos.customers.models import ChangeRequest, Customer
from kyklos.customers.services import EDITABLE_FIELDS


class ParticularsForm(forms.Form):
    """The particulars a customer changes without approval (R1.3)."""

    def __init__(self, *args, customer: Customer, **kwargs):
        initial = {name: getattr(customer, name) for name in EDITABLE_FIELDS}
        super().__init__(*args, initial=initial, **kwargs)
        self.fields.update(fields_for_model(Customer, fields=EDITABLE_FIELDS))
        self.fields["language"].label = _("Language of notices and invoices")
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["postal_code"].widget.attrs["autocomplete"] = "postal-code"

        self.fields["current_password"] = forms.CharField(
            label=_("Your password"),
            required=False,
            strip=False,
            help_text=_("Needed to change an e-mail address if you logged in a while ago."),
            widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        )

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def changes_email(self, customer: Customer) -> bool:
        return any(
            name in self.cleaned_data and self.cleaned_data[name] != getattr(customer, name)
            for name in EMAIL_FIELDS
        )


#: Changing one of these needs a fresh password (ASVS V7: re-authentication).
EMAIL_FIELDS = ("email", "secondary_email", "admin_email", "billing_email")


class ChangeRequestForm(forms.Form):
    """A change of VAT id, company name or billing country, with its document (R1.3)."""

    field = forms.ChoiceField(label=_("What should change"), choices=ChangeRequest.Field.choices)
    new_value = forms.CharField(label=_("New value"), max_length=200)
    document = forms.FileField(
        label=_("Supporting document"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on ``form``: on the fields it names, the rest on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)

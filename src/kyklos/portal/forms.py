"""Portal forms. They only shape the input: the rules live in the services they feed,
whose ValidationErrors are put back on the form (see :func:`add_service_errors`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from kyklos.accounts.models import ContactScope
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


class PlanChoiceForm(forms.Form):
    """The plan a service moves to: one of the options the page offered."""

    plan = forms.TypedChoiceField(
        label=_("New plan"), coerce=int, widget=forms.RadioSelect, choices=()
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].choices = [(q.product.pk, q.product.name) for q in options]
        self.fields["plan"].error_messages["invalid_choice"] = _("Choose one of the plans listed.")
        self.fields["plan"].error_messages["required"] = _("Choose one of the plans listed.")


class ContactForm(forms.Form):
    """A contact the owner invites (R1.2)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    scope = forms.ChoiceField(
        label=_("Access"), choices=ContactScope.choices, widget=forms.RadioSelect
    )


class ScopeForm(forms.Form):
    scope = forms.ChoiceField(label=_("Access"), choices=ContactScope.choices)


class AcceptInvitationForm(forms.Form):
    """The invitee's own user name and password."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data

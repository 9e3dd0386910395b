"""The shop's forms. They only shape the input; the rules live in the services, whose
ValidationErrors are put back on the form (``kyklos.core.forms.add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.customers import selectors as customer_selectors
from kyklos.customers.models import Customer


def country_choices() -> list[tuple[str, str]]:
    return customer_selectors.country_choices()


class SignupForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    kind = forms.ChoiceField(
        label=_("I am signing up as"), choices=Customer.Kind.choices, initial="person"
    )
    name = forms.CharField(
        label=_("Full name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    vat_id = forms.CharField(label=_("VAT id (optional)"), max_length=20, required=False)
    country = forms.ChoiceField(label=_("Country"))
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel"}),
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    adult_confirmed = forms.BooleanField(
        label=_("I am 18 years old or older."),
        required=False,
    )
    accept_terms = forms.BooleanField(
        label=_("I have read and accept the terms of service."), required=False
    )
    #: The version shown on the page: what the visitor accepts (R1.1).
    terms_version = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", "—"), *country_choices()]

    def accepted_version(self) -> str:
        data = self.cleaned_data
        return data.get("terms_version", "") if data.get("accept_terms") else ""


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class NewPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        help_text=_("At least 8 characters; not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

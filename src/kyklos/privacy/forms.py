from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.privacy.models import DataSubjectRequest


class CustomerRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What are you asking for?"), choices=DataSubjectRequest.Kind.choices
    )
    details = forms.CharField(
        label=_("Details (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a correction: what is wrong and what it should say."),
    )


class PublicRequestForm(CustomerRequestForm):
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        help_text=_("We send a link to this address to confirm that it is yours."),
    )
    field_order = ["name", "email", "kind", "details"]


class PreferencesForm(forms.Form):
    marketing_email = forms.BooleanField(label=_("News and offers by e-mail"), required=False)
    surveys = forms.BooleanField(label=_("Invitations to customer surveys"), required=False)

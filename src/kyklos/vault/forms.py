"""The staff form that stores a credential that arrived in a ticket message (R9.9)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kyklos.lifecycle.models import Service
from kyklos.vault.models import Credential
from kyklos.vault.services import MAX_SECRET


class FromMessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Credential.Kind.choices)
    label = forms.CharField(
        label=_("Label"),
        max_length=120,
        help_text=_("What it opens, e.g. “WordPress admin of example.gr”."),
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False
    )
    username = forms.CharField(label=_("Username"), max_length=200, required=False)
    secret = forms.CharField(
        label=_("Password or key"),
        max_length=MAX_SECRET,
        error_messages={"required": _("The secret is empty.")},
        help_text=_(
            "Paste it exactly as it appears in the message. If it is not in the message as "
            "written, the whole message is removed."
        ),
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(customer=customer)
